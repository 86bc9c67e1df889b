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
)

// maxFloodWait bounds how long the engine waits on one FLOOD_WAIT before it
// gives up and lets its caller restart it.
const maxFloodWait = 5 * time.Minute

// maxDifferenceRounds caps the calls of one difference round (slices of
// getDifference, or non-final answers of getChannelDifference): a server
// that never answers final, or answers without moving, cannot hold the
// engine forever.
const maxDifferenceRounds = 1000

// newChannelMargin (seconds) is how far before the last state's date a
// channel unknown to the store publishes from (see getDifference).
const newChannelMargin = 60

// Internal errors of Telegram (500) are asked again on the same
// connection, maxInternalRetries times with a doubling wait from
// internalRetryWait, before the engine gives up and its account reconnects.
const (
	maxInternalRetries = 5
	internalRetryWait  = 500 * time.Millisecond
)

// call runs f, waiting out FLOOD_WAIT answers as Telegram asks and asking
// again after Telegram's internal errors.
func (e *Engine) call(ctx context.Context, what string, f func() error) error {
	retries := 0
	for {
		err := f()
		d, ok := tgerr.AsFloodWait(err)
		if !ok && tgerr.IsCode(err, 500) && retries < maxInternalRetries {
			d, ok = internalRetryWait<<retries, true
			retries++
			e.log.Warn("Telegram answered an internal error: asking again", "call", what, "wait", d, "error", err)
		} else if ok {
			e.log.Warn("Telegram asks to wait", "call", what, "wait", d)
		}
		if !ok {
			if err != nil {
				return fmt.Errorf("ingest: %s: %w", what, err)
			}
			return nil
		}
		if d > maxFloodWait {
			return fmt.Errorf("ingest: %s: flood wait of %s is too long: %w", what, d, err)
		}
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
	// A channel met from here on publishes what is dated since the last
	// state, less a margin: the state's date moves with the common box
	// while a new channel's first pushes may still be in flight (a crash
	// or a hand-over then leaves them unpublished). What the margin
	// publishes twice, JetStream's duplicate window drops.
	e.since = max(e.st.Date-newChannelMargin, 0)
	defer func() { e.roundIDs = nil }()
	// next is the part asked for while the previous one was committed.
	var next *differenceCall
	defer func() { next.abandon() }()
	for round := 1; ; round++ {
		if round > maxDifferenceRounds {
			e.cfg.Metrics.roundCapped(e.cfg.Account, "common")
			e.log.Error("difference did not end within the round cap: stopping this round; the next idle poll goes on",
				"rounds", maxDifferenceRounds, "pts", e.st.Pts)
			break
		}
		if next == nil {
			next = e.askDifference(ctx)
		}
		d, err := next.wait()
		next = nil
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
			if round < maxDifferenceRounds {
				// The next part follows from the state in memory: ask for it
				// while this one is committed. Nothing is applied before the
				// commit returns, and a failed commit abandons the answer.
				next = e.askDifference(ctx)
			}
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
	e.liveFrom = max(e.liveFrom, e.st.Date)
	// What was buffered behind a gap is either covered now or still new:
	// run it through the checks again, never skip it.
	now := e.cfg.Clock.Now()
	for _, h := range e.common.take() {
		e.countDuplicates("common", e.common.push(&e.st.Pts, h.end, h.count, h.v, now, e.commonApply))
	}
	for _, h := range e.qts.take() {
		e.countDuplicates("qts", e.qts.push(&e.st.Qts, h.end, h.count, h.v, now, e.commonApply))
	}
	// Containers held behind a seq gap were never applied: their pts
	// updates pass their own checks, the rest (no pts: a button press) is
	// not in any difference and is applied now.
	for _, h := range e.seq.take() {
		e.applyContainer(h.v)
		if h.end > e.st.Seq {
			e.st.Seq = h.end
			e.b.stateDirty = true
		}
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
		n := len(e.b.events)
		e.applyUpdate(u, ent, st.Date, trust{common: true})
		if positionless(u) {
			e.dropRepeated(n)
		}
	}
	e.st.Pts, e.st.Qts, e.st.Seq, e.st.Date = st.Pts, st.Qts, st.Seq, st.Date
	e.b.stateDirty = true
}

// differenceCall is an updates.getDifference on its way.
type differenceCall struct {
	cancel context.CancelFunc
	done   chan struct{}
	d      tg.UpdatesDifferenceClass
	err    error
}

// askDifference calls updates.getDifference from the state in memory, in a
// goroutine of its own.
func (e *Engine) askDifference(ctx context.Context) *differenceCall {
	ctx, cancel := context.WithCancel(ctx)
	c := &differenceCall{cancel: cancel, done: make(chan struct{})}
	req := &tg.UpdatesGetDifferenceRequest{Pts: e.st.Pts, Qts: e.st.Qts, Date: e.st.Date}
	go func() {
		defer close(c.done)
		c.err = e.call(ctx, "updates.getDifference", func() (err error) {
			c.d, err = e.cfg.API.UpdatesGetDifference(ctx, req)
			return err
		})
	}()
	return c
}

// wait returns the call's answer.
func (c *differenceCall) wait() (tg.UpdatesDifferenceClass, error) {
	<-c.done
	c.cancel()
	return c.d, c.err
}

// abandon stops a call whose answer is not wanted and waits for it to end.
func (c *differenceCall) abandon() {
	if c == nil {
		return
	}
	c.cancel()
	<-c.done
}

// positionless reports an update that moves no position (no pts, no qts):
// a difference may hand it over again in each of its parts (a rename, say,
// comes in every part dated after it), and no sequence drops the repeats.
func positionless(u tg.UpdateClass) bool {
	if _, _, _, ok := channelPts(u); ok {
		return false
	}
	if _, _, ok := commonPts(u); ok {
		return false
	}
	_, ok := u.(interface{ GetQts() int })
	return !ok
}

// dropRepeated takes out of the batch the events from index n on that an
// earlier part of the same difference round produced already: they are in
// the outbox (each part is committed), so the repeat would only be
// encoded, stored and published for JetStream to drop as a duplicate.
func (e *Engine) dropRepeated(n int) {
	if e.roundIDs == nil {
		e.roundIDs = make(map[string]struct{})
	}
	kept := e.b.events[:n]
	for _, ev := range e.b.events[n:] {
		if _, dup := e.roundIDs[ev.ID]; dup {
			e.cfg.Metrics.duplicate(e.cfg.Account, "difference")
			continue
		}
		e.roundIDs[ev.ID] = struct{}{}
		kept = append(kept, ev)
	}
	clear(e.b.events[len(kept):])
	e.b.events = kept
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
// Only a failed commit (or ctx) is returned: Telegram's answers concern
// this channel alone. A refusal (400/403/406) drops its buffered gap until
// the channel shows up again; a transient failure (500, FLOOD_WAIT, a
// network error) schedules it again with backoff while the engine goes on.
func (e *Engine) channelDifference(ctx context.Context, id int64) error {
	box := e.channel(id)
	if box.disabled {
		return nil
	}
	if box.AccessHash == 0 {
		if p, err := e.cfg.Store.Peer(schema.PeerRef{Kind: schema.PeerChannel, ID: id}); err == nil {
			box.AccessHash = p.AccessHash
		}
	}
	// Without any position, the channel is read from its start, but only
	// what is dated from the last catch-up before it showed up is
	// published: that much was missed while the account was in the
	// channel; older messages are history (BackfillOnJoin publishes them
	// too). Pushes held meanwhile are offered again at the end.
	seeding := box.Pts <= 0
	since := box.since
	if since == 0 {
		since = e.since
	}
	threshold := 0 // the smallest message id published while seeding
	from := box.Pts
	for round := 1; ; round++ {
		if round > maxDifferenceRounds {
			e.cfg.Metrics.roundCapped(e.cfg.Account, "channel")
			e.log.Error("channel difference did not end within the round cap: trying again later",
				"channel", id, "rounds", maxDifferenceRounds, "pts", box.Pts)
			e.retryChannel(box, e.backoff(box), "capped")
			return e.flush()
		}
		req := &tg.UpdatesGetChannelDifferenceRequest{
			Channel: &tg.InputChannel{ChannelID: id, AccessHash: box.AccessHash},
			Filter:  &tg.ChannelMessagesFilterEmpty{},
			Pts:     max(box.Pts, 1),
			Limit:   e.cfg.DifferenceLimit,
		}
		d, err := e.cfg.API.UpdatesGetChannelDifference(ctx, req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return e.channelFailed(box, err)
		}
		box.failures = 0
		box.notBefore = time.Time{}
		if t, ok := d.GetTimeout(); ok && t > 0 && box.polling {
			// A channel Telegram does not push: fetch again after the
			// timeout its difference gives. The timeout never holds a
			// gap's recovery back.
			box.pollAt = e.cfg.Clock.Now().Add(time.Duration(t) * time.Second)
		}
		final := true
		switch d := d.(type) {
		case *tg.UpdatesChannelDifferenceEmpty:
			box.Pts, final = d.Pts, d.Final
			e.cfg.Metrics.difference(e.cfg.Account, "channel", "empty")
		case *tg.UpdatesChannelDifference:
			ent := e.entities(d.Users, d.Chats)
			for _, m := range d.NewMessages {
				if seeding {
					if dateOf(m) < since {
						continue
					}
					if threshold == 0 || m.GetID() < threshold {
						threshold = m.GetID()
					}
				}
				e.addMessage(m, ent)
			}
			for _, u := range d.OtherUpdates {
				if seeding {
					if u = sinceFilter(u, since, threshold); u == nil {
						continue
					}
				}
				e.applyUpdate(u, ent, int(e.cfg.Clock.Now().Unix()), trust{channel: id})
			}
			box.Pts, final = d.Pts, d.Final
			e.cfg.Metrics.difference(e.cfg.Account, "channel", "full")
		case *tg.UpdatesChannelDifferenceTooLong:
			e.cfg.Metrics.difference(e.cfg.Account, "channel", "too_long")
			minDate := 0
			if seeding {
				minDate = since
			}
			if err := e.channelTooLong(ctx, box, d, minDate); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return e.channelFailed(box, err)
			}
			final = d.Final
		default:
			e.log.Error("unexpected channel difference", "channel", id, "type", fmt.Sprintf("%T", d))
			e.retryChannel(box, e.backoff(box), "unexpected")
			return e.flush()
		}
		e.b.dirtyChannel(id)
		if err := e.flush(); err != nil {
			return err
		}
		if final {
			break
		}
	}
	if seeding {
		box.since = 0
		e.log.Info("following a new channel", "channel", id, "from_pts", box.Pts, "published_since", since)
	} else if box.Pts != from {
		e.cfg.Metrics.gapRecovered(e.cfg.Account, "channel")
		e.log.Info("recovered missed channel updates", "channel", id, "from_pts", from, "to_pts", box.Pts)
	}
	now := e.cfg.Clock.Now()
	for _, h := range box.gap.take() {
		e.countDuplicates("channel", box.gap.push(&box.Pts, h.end, h.count, h.v, now, e.channelApply(box)))
	}
	e.holdChanged(box)
	return e.flush()
}

// dateOf is the date of a message, 0 for messageEmpty.
func dateOf(m tg.MessageClass) int {
	if d, ok := m.(interface{ GetDate() int }); ok {
		return d.GetDate()
	}
	return 0
}

// sinceFilter keeps, of an update read while seeding a channel from its
// start, what belongs to the time since: edits made since, deletions of
// messages published while seeding (ids from threshold on; channel message
// ids grow with time). It returns nil for what is history.
func sinceFilter(u tg.UpdateClass, since, threshold int) tg.UpdateClass {
	switch u := u.(type) {
	case *tg.UpdateNewChannelMessage:
		if dateOf(u.Message) < since {
			return nil
		}
	case *tg.UpdateEditChannelMessage:
		m, ok := u.Message.(*tg.Message)
		if !ok {
			return nil
		}
		if d := max(m.EditDate, m.Date); d < since {
			return nil
		}
	case *tg.UpdateDeleteChannelMessages:
		if threshold == 0 {
			return nil
		}
		var ids []int
		for _, id := range u.Messages {
			if id >= threshold {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil
		}
		c := *u
		c.Messages = ids
		return &c
	}
	return u
}

// channelFailed handles an error of one channel's difference.
func (e *Engine) channelFailed(box *channelBox, err error) error {
	if permanent(err) {
		// Kicked, banned or gone: asking again will not help until the
		// channel shows up again (revive).
		dropped := box.gap.len()
		box.disabled = true
		box.gap.reset()
		e.holdChanged(box)
		e.cfg.Metrics.channelRefused(e.cfg.Account)
		e.log.Warn("channel difference refused: not following this channel until it shows up again",
			"channel", box.ID, "dropped", dropped, "error", err)
		return e.flush()
	}
	wait, reason := e.backoff(box), "error"
	if d, ok := tgerr.AsFloodWait(err); ok {
		wait, reason = max(d, wait), "flood_wait"
	}
	e.log.Warn("channel difference failed: trying this channel again later", "channel", box.ID, "retry_in", wait, "error", err)
	e.retryChannel(box, wait, reason)
	return e.flush()
}

// retryChannel asks for the channel's difference again after wait.
func (e *Engine) retryChannel(box *channelBox, wait time.Duration, reason string) {
	box.failures++
	box.notBefore = e.cfg.Clock.Now().Add(wait)
	e.chanDiff[box.ID] = true
	e.cfg.Metrics.channelRetry(e.cfg.Account, reason)
}

// backoff is the wait before a channel's next attempt: 1s doubling per
// failure in a row, at most maxChannelBackoff.
func (e *Engine) backoff(box *channelBox) time.Duration {
	d := time.Second << min(box.failures, 16)
	return min(d, maxChannelBackoff)
}

// maxChannelBackoff bounds the backoff of one channel's difference.
const maxChannelBackoff = 5 * time.Minute

func dialogPts(d tg.DialogClass) (int, bool) {
	if dlg, ok := d.(*tg.Dialog); ok {
		return dlg.GetPts()
	}
	return 0, false
}

// channelTooLong moves a channel to the dialog's pts and backfills message
// creations from history newer than the last message seen and dated from
// minDate on (0: any date).
func (e *Engine) channelTooLong(ctx context.Context, box *channelBox, d *tg.UpdatesChannelDifferenceTooLong, minDate int) error {
	from := box.Pts
	if pts, ok := dialogPts(d.Dialog); ok {
		box.Pts = pts
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
		if m.GetID() <= last || dateOf(m) < minDate {
			continue
		}
		if oldest == 0 {
			oldest = m.GetID()
		}
		recovered++
		e.addMessage(m, ent)
	}
	if from <= 0 {
		// A new channel read from its start: what is older than minDate is
		// history, not a loss.
		e.log.Info("new channel: published its recent history", "channel", box.ID, "to_pts", box.Pts,
			"published", recovered, "since", minDate)
		return nil
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
