package sim

import (
	"sort"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// eventsAfter returns the events of b that end after pts, in pts order.
func eventsAfter(b *box, pts int) []event {
	i := sort.Search(len(b.Events), func(i int) bool { return b.Events[i].Pts > pts })
	return b.Events[i:]
}

// take returns the leading events whose pts units fit in limit (at least one).
func take(evs []event, limit int) []event {
	units := 0
	for i, ev := range evs {
		if i > 0 && units+ev.PtsCount > limit {
			return evs[:i]
		}
		units += ev.PtsCount
	}
	return evs
}

// onGetDifference answers updates.getDifference for a's common box.
func (s *Sim) onGetDifference(a *account, req *tgtest.Request, r *tg.UpdatesGetDifferenceRequest) (bin.Encoder, error) {
	if r.Pts < 0 {
		return nil, errTimestampInvalid
	}
	b := a.Box
	tooLong := s.cfg.TooLongAfter
	if r.PtsTotalLimit > 0 {
		tooLong = min(tooLong, r.PtsTotalLimit)
	}
	if b.Pts-r.Pts > tooLong {
		return &tg.UpdatesDifferenceTooLong{Pts: b.Pts}, nil
	}
	// Channels changed since the client's date: it must ask them itself.
	var other []tg.UpdateClass
	rf := newRefs()
	for _, id := range s.w.chanOrder {
		ch := s.w.channels[id]
		if ch.LastChange >= r.Date && ch.member(a.Name) {
			other = append(other, &tg.UpdateChannelTooLong{ChannelID: id, Pts: ch.Box.Pts})
			rf.peer(schema.PeerRef{Kind: schema.PeerChannel, ID: id})
		}
	}
	evs := eventsAfter(b, r.Pts)
	qts := a.qtsAfter(r.Qts)
	profiles := s.w.profilesSince(a.Name, r.Date-profileMargin)
	if len(evs) == 0 && len(other) == 0 && len(qts) == 0 && len(profiles) == 0 {
		return &tg.UpdatesDifferenceEmpty{Date: b.Date, Seq: b.Seq}, nil
	}
	limit := s.cfg.SliceLimit
	if r.PtsLimit > 0 {
		limit = min(limit, r.PtsLimit)
	}
	part := evs
	if len(evs) > 0 {
		part = take(evs, limit)
	}
	var msgs []tg.MessageClass
	for i := range part {
		ev := &part[i]
		s.w.eventRefs(rf, 0, ev)
		if ev.Kind == evNew {
			msgs = append(msgs, s.w.tgMessage(a, &ev.Msg))
			continue
		}
		other = append(other, s.w.tgEventUpdate(a, 0, ev))
	}
	// The renames since the client's date (profile_world.go): a slice
	// returns those the next part, asked from its intermediate date, will
	// not; the last part all that are left.
	slice := len(part) < len(evs)
	for i := range profiles {
		if slice && profiles[i].Date >= part[len(part)-1].Date-profileMargin {
			continue
		}
		profiles[i].refs(rf)
		other = append(other, profiles[i].update())
	}
	if slice {
		last := part[len(part)-1]
		return &tg.UpdatesDifferenceSlice{
			NewMessages: msgs, OtherUpdates: other, Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf),
			IntermediateState: tg.UpdatesState{Pts: last.Pts, Qts: r.Qts, Date: last.Date, Seq: last.Seq},
		}, nil
	}
	// qts updates come with the last part, as other_updates.
	for i := range qts {
		qts[i].refs(rf)
		other = append(other, qts[i].update())
	}
	return &tg.UpdatesDifference{
		NewMessages: msgs, OtherUpdates: other, Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf),
		State: tg.UpdatesState{Pts: b.Pts, Qts: a.Qts, Date: b.Date, Seq: b.Seq},
	}, nil
}

// onGetChannelDifference answers updates.getChannelDifference.
func (s *Sim) onGetChannelDifference(a *account, req *tgtest.Request, r *tg.UpdatesGetChannelDifferenceRequest) (bin.Encoder, error) {
	ch, err := s.inputChannel(r.Channel)
	if err != nil {
		return nil, err
	}
	if !ch.member(a.Name) {
		return nil, errChannelPrivate
	}
	if r.Pts <= 0 {
		return nil, errTimestampInvalid
	}
	timeout := 30
	if q := s.f.quietTimeout(ch.ID); q > 0 {
		timeout = q
	}
	b := ch.Box
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ID}
	limit := r.Limit
	if limit <= 0 {
		limit = 100
	}
	rf := newRefs()
	rf.peer(peer)
	if b.Pts-r.Pts > s.cfg.ChannelTooLongAfter {
		ids := b.ByPeer[peer]
		var msgs []tg.MessageClass
		top := 0
		for i := len(ids) - 1; i >= 0 && len(msgs) < limit; i-- {
			m := b.Msgs[ids[i]]
			if m.Deleted {
				continue
			}
			top = max(top, m.ID)
			rf.message(m)
			msgs = append(msgs, s.w.tgMessage(a, m))
		}
		return &tg.UpdatesChannelDifferenceTooLong{
			Final: true, Timeout: timeout,
			Dialog:   &tg.Dialog{Peer: tgconv.PeerTL(peer), TopMessage: top, ReadInboxMaxID: top, ReadOutboxMaxID: top, Pts: b.Pts},
			Messages: msgs, Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf),
		}, nil
	}
	evs := eventsAfter(b, r.Pts)
	if len(evs) == 0 {
		return &tg.UpdatesChannelDifferenceEmpty{Final: true, Pts: b.Pts, Timeout: timeout}, nil
	}
	part := evs
	if len(part) > limit {
		part = part[:limit]
	}
	var (
		msgs  []tg.MessageClass
		other []tg.UpdateClass
	)
	for i := range part {
		ev := &part[i]
		s.w.eventRefs(rf, ch.ID, ev)
		if ev.Kind == evEmpty {
			msgs = append(msgs, &tg.MessageEmpty{ID: ev.Msg.ID})
			continue
		}
		if ev.Kind == evNew {
			msgs = append(msgs, s.w.tgMessage(a, &ev.Msg))
			continue
		}
		other = append(other, s.w.tgEventUpdate(a, ch.ID, ev))
	}
	return &tg.UpdatesChannelDifference{
		Final: len(part) == len(evs), Pts: part[len(part)-1].Pts, Timeout: timeout,
		NewMessages: msgs, OtherUpdates: other, Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf),
	}, nil
}
