package sim

import (
	"fmt"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Read receipts of a private chat or basic group, as a user account gets
// them: updateReadHistoryInbox when the account read incoming messages
// (on another device), updateReadHistoryOutbox when the other side read
// the account's messages. Both are pts-sequenced in the account's common
// box and come back in getDifference's other_updates; they make no ledger
// entry (their events are issue 12's).

// opRead is the journal kind of readOp.
const opRead = "read"

// evRead is a read receipt in a common box: Msg.Peer is the chat, Msg.ID
// the read-up-to message id and Msg.Out true for the outbox. The value
// leaves room for the event kinds of world.go.
const evRead = 100

// readOp marks the account's copy of Chat read up to MaxID.
type readOp struct {
	Chat    schema.PeerRef `json:"chat"`
	Account string         `json:"account,omitempty"`
	IDs     []int          `json:"ids,omitempty"` // the read-up-to message
	Outbox  bool           `json:"flag,omitempty"`
}

func (*readOp) kind() string   { return opRead }
func (o *readOp) check() error { return firstID(opRead, o.IDs) }
func (o *readOp) apply(w *world, date int, _ *Call) (int64, error) {
	return 0, w.read(o.Chat, o.Account, o.IDs[0], o.Outbox, date)
}

// read records a read receipt of chat (not a channel) up to maxID in
// accName's common box and pushes it.
func (w *world) read(chat schema.PeerRef, accName string, maxID int, outbox bool, date int) error {
	a, err := w.account(accName)
	if err != nil {
		return err
	}
	if chat.Kind == schema.PeerChannel {
		return fmt.Errorf("%w: read receipts of channels are not pts-sequenced: not simulated", ErrInvalid)
	}
	if m, ok := a.Box.Msgs[maxID]; !ok || m.Peer != chat {
		return fmt.Errorf("%w: message %d in %s", ErrNotFound, maxID, chat)
	}
	b := a.Box
	b.Pts++
	seqInc := w.seqInc(a)
	b.Seq += seqInc
	b.Date = max(b.Date, date)
	ev := event{Pts: b.Pts, PtsCount: 1, Seq: b.Seq, Date: date, Kind: evRead,
		Msg: message{ID: maxID, Peer: chat, Out: outbox}, NoSeq: seqInc == 0}
	b.Events = append(b.Events, ev)
	if w.live {
		w.pushes = append(w.pushes, push{Account: a.Name, Event: ev})
	}
	return nil
}

// tgReadUpdate renders a read receipt event.
func tgReadUpdate(ev *event) tg.UpdateClass {
	if ev.Msg.Out {
		return &tg.UpdateReadHistoryOutbox{Peer: tgPeer(ev.Msg.Peer), MaxID: ev.Msg.ID, Pts: ev.Pts, PtsCount: ev.PtsCount}
	}
	return &tg.UpdateReadHistoryInbox{Peer: tgPeer(ev.Msg.Peer), MaxID: ev.Msg.ID, Pts: ev.Pts, PtsCount: ev.PtsCount}
}

// MarkRead records a read receipt of a private chat or basic group as
// account sees it, up to its message maxID: outbox false is the account
// reading on another device (updateReadHistoryInbox), true the other side
// reading the account's messages (updateReadHistoryOutbox).
func (s *Sim) MarkRead(account string, chat schema.PeerRef, maxID int, outbox bool) error {
	_, err := s.change(&op{Body: &readOp{Chat: chat, Account: account, IDs: []int{maxID}, Outbox: outbox}})
	return err
}
