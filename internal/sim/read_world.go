package sim

import (
	"fmt"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// Read receipts of private chats and basic groups, as Telegram sequences
// them in the reader's common box: updateReadHistoryInbox (the account
// read, on another session or through messages.readHistory, whose result
// carries the pts) and updateReadHistoryOutbox (the other side read the
// account's messages), each with pts_count 1, pushed and part of
// getDifference. Telegram sends these to user accounts; the simulator
// produces them for bots too, as a test vehicle. Channel reads
// (updateReadChannelInbox/Outbox) are pushed only, outside any sequence:
// their ledger entries are Live.

// readOp marks Chat read up to MaxID for Account: its inbox, or with
// Outbox the other side's reading of the account's messages.
type readOp struct {
	Chat    schema.PeerRef `json:"chat"`
	Account string         `json:"account,omitempty"`
	MaxID   int            `json:"max_id,omitempty"`
	Outbox  bool           `json:"flag,omitempty"`
}

func (*readOp) kind() string { return opRead }
func (o *readOp) check() error {
	if o.MaxID <= 0 {
		return corrupt(opRead, "max id %d", o.MaxID)
	}
	return nil
}
func (o *readOp) apply(w *world, date int, _ *Call) (int64, error) {
	return w.read(o, date)
}

// read applies o: one event in the account's box, a ledger entry
// (read.inbox or read.outbox, version the pts) and its push.
func (w *world) read(o *readOp, date int) (int64, error) {
	a, err := w.account(o.Account)
	if err != nil {
		return 0, err
	}
	if o.Chat.Kind == schema.PeerChannel {
		return w.readChannel(a, o, date)
	}
	if o.Chat.Kind != schema.PeerUser && o.Chat.Kind != schema.PeerChat {
		return 0, fmt.Errorf("%w: read receipts of %s chats are not simulated", ErrInvalid, o.Chat.Kind)
	}
	if m, ok := a.Box.Msgs[o.MaxID]; !ok || m.Peer != o.Chat {
		return 0, fmt.Errorf("%w: message %d in %s", ErrNotFound, o.MaxID, o.Chat)
	}
	b := a.Box
	b.Pts++
	seqInc := w.seqInc(a)
	b.Seq += seqInc
	b.Date = max(b.Date, date)
	kind, action := evRead, schema.ActionInbox
	if o.Outbox {
		kind, action = evReadOut, schema.ActionOutbox
	}
	ev := event{Pts: b.Pts, PtsCount: 1, Seq: b.Seq, Date: date, Kind: kind, Msg: message{Peer: o.Chat}, IDs: []int{o.MaxID}, NoSeq: seqInc == 0}
	b.Events = append(b.Events, ev)
	w.record(a, LedgerEntry{Kind: schema.KindRead, Action: action, Peer: o.Chat, MessageID: o.MaxID, Version: int64(ev.Pts)}, date)
	if w.live {
		w.pushes = append(w.pushes, push{Account: a.Name, Event: ev})
	}
	return int64(ev.Pts), nil
}

// tgReadUpdate renders a read event of the common box.
func tgReadUpdate(ev *event) tg.UpdateClass {
	if ev.Kind == evReadOut {
		return &tg.UpdateReadHistoryOutbox{Peer: tgconv.PeerTL(ev.Msg.Peer), MaxID: ev.IDs[0], Pts: ev.Pts, PtsCount: ev.PtsCount}
	}
	return &tg.UpdateReadHistoryInbox{Peer: tgconv.PeerTL(ev.Msg.Peer), MaxID: ev.IDs[0], Pts: ev.Pts, PtsCount: ev.PtsCount}
}

// pushedUpdate is an update Telegram only pushes (push.Pushed), sent with
// Chat and Users.
type pushedUpdate struct {
	Update tg.UpdateClass
	Chat   schema.PeerRef
	Users  []int64
	Date   int
	// Frozen, when set, are the users sent with the update, as they were
	// when it was made (not as they are when the push is built).
	Frozen []tg.UserClass
}

// readChannel applies o to a channel a is in: a Live ledger entry
// (read.inbox or read.outbox, version 0: a channel read names no pts of
// its own, so the same receipt twice is one event) and its push.
func (w *world) readChannel(a *account, o *readOp, date int) (int64, error) {
	ch, err := w.channelOf(o.Chat)
	if err != nil {
		return 0, err
	}
	if !ch.member(a.Name) {
		return 0, fmt.Errorf("%w: account %s is not in %s", ErrInvalid, a.Name, o.Chat)
	}
	if m, ok := ch.Box.Msgs[o.MaxID]; !ok || m.Deleted {
		return 0, fmt.Errorf("%w: message %d in %s", ErrNotFound, o.MaxID, o.Chat)
	}
	action := schema.ActionInbox
	if o.Outbox {
		action = schema.ActionOutbox
	}
	if e := w.record(a, LedgerEntry{Kind: schema.KindRead, Action: action, Peer: o.Chat, MessageID: o.MaxID}, date); e != nil {
		e.Live = true
	}
	if w.live {
		var u tg.UpdateClass = &tg.UpdateReadChannelInbox{ChannelID: ch.ID, MaxID: o.MaxID, Pts: ch.Box.Pts}
		if o.Outbox {
			u = &tg.UpdateReadChannelOutbox{ChannelID: ch.ID, MaxID: o.MaxID}
		}
		w.pushes = append(w.pushes, push{Account: a.Name, Pushed: &pushedUpdate{Update: u, Chat: o.Chat, Date: date}})
	}
	return 0, nil
}
