package ingest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gotd/td/clock"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// maxFloodWait bounds how long the engine waits on one FLOOD_WAIT before it
// gives up and lets its caller restart it.
const maxFloodWait = 5 * time.Minute

// call runs f, waiting out FLOOD_WAIT answers as Telegram asks.
func (e *Engine) call(ctx context.Context, what string, f func() error) error {
	for {
		err := f()
		d, ok := tgerr.AsFloodWait(err)
		if !ok {
			if err != nil {
				return fmt.Errorf("ingest: %s: %w", what, err)
			}
			return nil
		}
		if d > maxFloodWait {
			return fmt.Errorf("ingest: %s: flood wait of %s is too long: %w", what, d, err)
		}
		e.log.Warn("Telegram asks to wait", "call", what, "wait", d)
		t := e.cfg.Clock.Timer(d)
		select {
		case <-ctx.Done():
			clock.StopTimer(t)
			return ctx.Err()
		case <-t.C():
		}
	}
}

// permanent reports an RPC error that asking again will not change.
func permanent(err error) bool {
	return tgerr.IsCode(err, 400, 403, 406)
}

func (e *Engine) getState(ctx context.Context) (*tg.UpdatesState, error) {
	var s *tg.UpdatesState
	err := e.call(ctx, "updates.getState", func() (err error) {
		s, err = e.cfg.API.UpdatesGetState(ctx)
		return err
	})
	return s, err
}

// getDifference fetches and commits everything the common box missed, slice
// by slice; every slice is committed with the state it leads to.
func (e *Engine) getDifference(ctx context.Context) error {
	from := e.st.Pts
	for {
		var d tg.UpdatesDifferenceClass
		err := e.call(ctx, "updates.getDifference", func() (err error) {
			d, err = e.cfg.API.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: e.st.Pts, Qts: e.st.Qts, Date: e.st.Date})
			return err
		})
		if err != nil {
			if permanent(err) && !errors.Is(err, context.Canceled) {
				return e.resetCommon(ctx, err)
			}
			return err
		}
		final := true
		switch d := d.(type) {
		case *tg.UpdatesDifferenceEmpty:
			e.st.Date, e.st.Seq = d.Date, d.Seq
			e.b.stateDirty = true
			e.cfg.Metrics.difference(e.cfg.Account, "common", "empty")
		case *tg.UpdatesDifference:
			e.applyDifference(d.NewMessages, d.OtherUpdates, d.Users, d.Chats, d.State)
			e.cfg.Metrics.difference(e.cfg.Account, "common", "full")
		case *tg.UpdatesDifferenceSlice:
			e.applyDifference(d.NewMessages, d.OtherUpdates, d.Users, d.Chats, d.IntermediateState)
			e.cfg.Metrics.difference(e.cfg.Account, "common", "slice")
			final = false
		case *tg.UpdatesDifferenceTooLong:
			e.cfg.Metrics.difference(e.cfg.Account, "common", "too_long")
			if err := e.commonTooLong(ctx, d.Pts); err != nil {
				return err
			}
			final = false
		default:
			return fmt.Errorf("ingest: updates.getDifference: unexpected %T", d)
		}
		if err := e.flush(); err != nil {
			return err
		}
		if final {
			break
		}
	}
	if e.st.Pts != from {
		e.cfg.Metrics.gapRecovered(e.cfg.Account, "common")
		e.log.Info("recovered missed updates", "from_pts", from, "to_pts", e.st.Pts)
	}
	e.needDiff = false
	e.lastSeen = e.cfg.Clock.Now()
	// What was buffered behind the gap is either covered now or still new:
	// run it through the pts checks again, never skip it.
	held := e.common.pending
	e.common.reset()
	for _, p := range held {
		e.applyCommon(p, false)
	}
	seqHeld := e.seqGap
	e.seqGap, e.seqSince = nil, time.Time{}
	for _, c := range seqHeld {
		e.applyContainer(c)
	}
	return e.flush()
}

// applyDifference adds a difference's messages and updates to the batch and
// moves the common box to st.
func (e *Engine) applyDifference(msgs []tg.MessageClass, other []tg.UpdateClass, users []tg.UserClass, chats []tg.ChatClass, st tg.UpdatesState) {
	ent := e.entities(users, chats)
	for _, m := range msgs {
		e.addMessage(m, ent)
	}
	for _, u := range other {
		e.applyUpdate(u, ent, st.Date, trust{common: true})
	}
	e.st.Pts, e.st.Qts, e.st.Seq, e.st.Date = st.Pts, st.Qts, st.Seq, st.Date
	e.b.stateDirty = true
}

// addMessage maps a message from a difference or from history.
func (e *Engine) addMessage(m tg.MessageClass, ent tg.Entities) {
	ev, ok, err := mapping.Message(e.cfg.Account, m, ent)
	if err != nil {
		e.cfg.Metrics.mappingError(e.cfg.Account, nil)
		e.log.Warn("message could not be mapped", "type", fmt.Sprintf("%T", m), "error", err)
		return
	}
	if ok {
		e.addEvent(ev)
	}
}

// resetCommon handles a common box Telegram refuses to give a difference for:
// start again from the current state and report what is lost, instead of
// asking again forever.
func (e *Engine) resetCommon(ctx context.Context, cause error) error {
	s, err := e.getState(ctx)
	if err != nil {
		return err
	}
	lost := s.Pts - e.st.Pts
	e.cfg.Metrics.unrecoverable(e.cfg.Account, "common", lost)
	e.log.Error("Telegram refused the difference: continuing from the current state; updates in between are lost",
		"error", cause, "from_pts", e.st.Pts, "to_pts", s.Pts)
	e.st.Pts, e.st.Qts, e.st.Seq, e.st.Date = s.Pts, s.Qts, s.Seq, s.Date
	e.b.stateDirty = true
	e.needDiff = false
	return e.flush()
}

// commonTooLong moves the common box to pts and backfills message creations
// by id: private and basic-group message ids are sequential per account, so
// the ids after the last one seen are exactly what was missed.
func (e *Engine) commonTooLong(ctx context.Context, pts int) error {
	from := e.st.Pts
	recovered := 0
	next := e.st.MaxMessageID + 1
	for next <= e.st.MaxMessageID+e.cfg.BackfillDepth {
		n := min(100, e.st.MaxMessageID+e.cfg.BackfillDepth-next+1)
		ids := make([]tg.InputMessageClass, 0, n)
		for i := 0; i < n; i++ {
			ids = append(ids, &tg.InputMessageID{ID: next + i})
		}
		var res tg.MessagesMessagesClass
		err := e.call(ctx, "messages.getMessages", func() (err error) {
			res, err = e.cfg.API.MessagesGetMessages(ctx, ids)
			return err
		})
		if err != nil {
			if permanent(err) {
				e.log.Warn("history backfill refused", "error", err)
				break
			}
			return err
		}
		msgs, users, chats := messagesOf(res)
		ent := e.entities(users, chats)
		found := 0
		sortByID(msgs)
		for _, m := range msgs {
			if _, empty := m.(*tg.MessageEmpty); empty {
				continue
			}
			found++
			e.addMessage(m, ent)
		}
		recovered += found
		next += n
		if found == 0 {
			break
		}
	}
	e.st.Pts = pts
	e.b.stateDirty = true
	lost := max(pts-from-recovered, 0)
	e.cfg.Metrics.unrecoverable(e.cfg.Account, "common", lost)
	e.log.Warn("difference too long: backfilled new messages; edits, deletions and anything beyond the backfill depth in between are lost",
		"from_pts", from, "to_pts", pts, "backfilled", recovered, "lost_at_most", lost)
	return nil
}

// channelDifference fetches and commits everything one channel missed.
func (e *Engine) channelDifference(ctx context.Context, id int64) error {
	box := e.channels[id]
	if box == nil {
		box = &channelBox{ChannelState: state.ChannelState{ID: id, Pts: 1}}
		e.channels[id] = box
	}
	if box.disabled {
		return nil
	}
	if box.AccessHash == 0 {
		if p, err := e.cfg.Store.Peer(schema.PeerRef{Kind: schema.PeerChannel, ID: id}); err == nil {
			box.AccessHash = p.AccessHash
		}
	}
	if box.Pts <= 0 {
		box.Pts = 1
	}
	from := box.Pts
	for {
		var d tg.UpdatesChannelDifferenceClass
		err := e.call(ctx, "updates.getChannelDifference", func() (err error) {
			d, err = e.cfg.API.UpdatesGetChannelDifference(ctx, &tg.UpdatesGetChannelDifferenceRequest{
				Channel: &tg.InputChannel{ChannelID: id, AccessHash: box.AccessHash},
				Filter:  &tg.ChannelMessagesFilterEmpty{},
				Pts:     box.Pts,
				Limit:   e.cfg.DifferenceLimit,
			})
			return err
		})
		if err != nil {
			if permanent(err) {
				// Kicked, banned or gone: asking again will not help.
				box.disabled = true
				box.gap.reset()
				e.cfg.Metrics.unrecoverable(e.cfg.Account, "channel", 0)
				e.log.Warn("channel difference refused: no longer following this channel", "channel", id, "error", err)
				return nil
			}
			return err
		}
		final := true
		switch d := d.(type) {
		case *tg.UpdatesChannelDifferenceEmpty:
			box.Pts, final = d.Pts, d.Final
			e.cfg.Metrics.difference(e.cfg.Account, "channel", "empty")
		case *tg.UpdatesChannelDifference:
			ent := e.entities(d.Users, d.Chats)
			for _, m := range d.NewMessages {
				e.addMessage(m, ent)
			}
			for _, u := range d.OtherUpdates {
				e.applyUpdate(u, ent, int(e.cfg.Clock.Now().Unix()), trust{channel: id})
			}
			box.Pts, final = d.Pts, d.Final
			e.cfg.Metrics.difference(e.cfg.Account, "channel", "full")
		case *tg.UpdatesChannelDifferenceTooLong:
			e.cfg.Metrics.difference(e.cfg.Account, "channel", "too_long")
			if err := e.channelTooLong(ctx, box, d); err != nil {
				return err
			}
			final = d.Final
		default:
			return fmt.Errorf("ingest: updates.getChannelDifference: unexpected %T", d)
		}
		e.b.dirtyChannel(id)
		if err := e.flush(); err != nil {
			return err
		}
		if final {
			break
		}
	}
	if box.Pts != from {
		e.cfg.Metrics.gapRecovered(e.cfg.Account, "channel")
		e.log.Info("recovered missed channel updates", "channel", id, "from_pts", from, "to_pts", box.Pts)
	}
	held := box.gap.pending
	box.gap.reset()
	for _, p := range held {
		e.applyChannel(id, p.u, p.pts, p.count, p.ent, p.date, false)
	}
	return e.flush()
}

// channelTooLong moves a channel to the dialog's pts and backfills message
// creations from history newer than the last message seen.
func (e *Engine) channelTooLong(ctx context.Context, box *channelBox, d *tg.UpdatesChannelDifferenceTooLong) error {
	from := box.Pts
	if dlg, ok := d.Dialog.(*tg.Dialog); ok {
		if pts, ok := dlg.GetPts(); ok {
			box.Pts = pts
		}
	}
	ent := e.entities(d.Users, d.Chats)
	var res tg.MessagesMessagesClass
	err := e.call(ctx, "messages.getHistory", func() (err error) {
		res, err = e.cfg.API.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{
			Peer:  &tg.InputPeerChannel{ChannelID: box.ID, AccessHash: box.AccessHash},
			MinID: box.MaxMessageID,
			Limit: e.cfg.BackfillDepth,
		})
		return err
	})
	var msgs []tg.MessageClass
	switch {
	case err == nil:
		var users []tg.UserClass
		var chats []tg.ChatClass
		msgs, users, chats = messagesOf(res)
		hist := e.entities(users, chats)
		for id, c := range hist.Channels {
			ent.Channels[id] = c
		}
		for id, u := range hist.Users {
			ent.Users[id] = u
		}
	case permanent(err):
		e.log.Warn("channel history backfill refused", "channel", box.ID, "error", err)
		msgs = d.Messages
	default:
		return err
	}
	sortByID(msgs)
	last := box.MaxMessageID
	recovered := 0
	oldest := 0
	for _, m := range msgs {
		if m.GetID() <= last {
			continue
		}
		if oldest == 0 {
			oldest = m.GetID()
		}
		recovered++
		e.addMessage(m, ent)
	}
	lost := max(box.Pts-from-recovered, 0)
	e.cfg.Metrics.unrecoverable(e.cfg.Account, "channel", lost)
	e.log.Warn("channel difference too long: backfilled from history; edits, deletions and messages beyond the backfill depth are lost",
		"channel", box.ID, "from_pts", from, "to_pts", box.Pts, "backfilled", recovered, "lost_at_most", lost,
		"first_backfilled_id", oldest, "last_seen_id", last)
	return nil
}

func messagesOf(res tg.MessagesMessagesClass) ([]tg.MessageClass, []tg.UserClass, []tg.ChatClass) {
	switch r := res.(type) {
	case *tg.MessagesMessages:
		return r.Messages, r.Users, r.Chats
	case *tg.MessagesMessagesSlice:
		return r.Messages, r.Users, r.Chats
	case *tg.MessagesChannelMessages:
		return r.Messages, r.Users, r.Chats
	}
	return nil, nil, nil
}

func sortByID(msgs []tg.MessageClass) {
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].GetID() < msgs[j].GetID() })
}
