package sim

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// The faults that change the world (Inject's channel leave and join, qts
// updates, a channel with history, a messageEmpty channel update) are ops
// like any other change: applied, journaled, kept across restarts.

// qtsEvent is one qts update of an account: updateBotStopped of User, or
// a member change (member_world.go) by Kind, or with Reaction or Vote a
// bot's reaction or poll-vote update (reaction_world.go, poll_world.go).
type qtsEvent struct {
	Qts     int
	Date    int
	User    int64
	Stopped bool
	// Kind is qtsBotStopped, qtsParticipant or qtsJoinRequest; the fields
	// below are those of member changes (see MemberChange).
	Kind     string
	Chat     schema.PeerRef
	Actor    int64
	Prev     string // member status before (schema.MemberLeft, …)
	New      string // member status after
	Rank     string
	About    string
	Reaction *qtsReaction `json:",omitempty"`
	Vote     *qtsVote     `json:",omitempty"`
}

// qtsAfter returns a's qts updates after qts.
func (a *account) qtsAfter(qts int) []qtsEvent {
	i, _ := slices.BinarySearchFunc(a.QtsEvents, qts+1, func(e qtsEvent, q int) int { return e.Qts - q })
	return a.QtsEvents[i:]
}

// checkCount checks the number of updates or posts of a fault op.
func checkCount(kind string, n int) error {
	if n < 0 || n > maxFaultN {
		return corrupt(kind, "count %d outside 0 to %d", n, maxFaultN)
	}
	return nil
}

// channelOf returns the channel chat names.
func (w *world) channelOf(chat schema.PeerRef) (*channel, error) {
	ch, ok := w.channels[chat.ID]
	if !ok || chat.Kind != schema.PeerChannel {
		return nil, fmt.Errorf("%w: channel %s", ErrNotFound, chat)
	}
	return ch, nil
}

// memberOp makes Account leave (be kicked from) or, with Join, (re)join
// channel Chat (FaultLeave, FaultJoin): Account gets updateChannel and its
// connector publishes chat.updated, forbidden or joined
// (profile_world.go).
type memberOp struct {
	Account string         `json:"account,omitempty"`
	Chat    schema.PeerRef `json:"chat"`
	Join    bool           `json:"flag,omitempty"`
}

func (*memberOp) kind() string { return opMember }
func (*memberOp) check() error { return nil }
func (o *memberOp) apply(w *world, date int, _ *Call) (int64, error) {
	a, err := w.account(o.Account)
	if err != nil {
		return 0, err
	}
	ch, err := w.channelOf(o.Chat)
	if err != nil {
		return 0, err
	}
	if o.Join == ch.member(a.Name) {
		return 0, nil // already in (or out)
	}
	if o.Join {
		delete(ch.Kicked, a.Name)
		delete(ch.Outside, a.Name)
		if ch.Joined == nil {
			ch.Joined = map[string]int{}
		}
		ch.Joined[a.Name] = date
	} else {
		if ch.Kicked == nil {
			ch.Kicked = map[string]bool{}
		}
		ch.Kicked[a.Name] = true
	}
	w.channelChanged(ch, date, a)
	return ch.ID, nil
}

// qtsOp produces Count qts updates (updateBotStopped of user From, default
// the first user that is not an account) for Account (FaultQts).
type qtsOp struct {
	Account string `json:"account,omitempty"`
	From    int64  `json:"from,omitempty"`
	Count   int    `json:"count,omitempty"`
	// Restart starts with a restart instead of a stop (Sim.StopBot).
	Restart bool `json:"restart,omitempty"`
}

func (*qtsOp) kind() string   { return opQts }
func (o *qtsOp) check() error { return checkCount(opQts, o.Count) }
func (o *qtsOp) apply(w *world, date int, _ *Call) (int64, error) {
	a, err := w.account(o.Account)
	if err != nil {
		return 0, err
	}
	user := o.From
	if user == 0 {
		for _, id := range w.userOrder {
			if !w.isAccountUser(id) {
				user = id
				break
			}
		}
	}
	if _, ok := w.users[user]; !ok || user == 0 {
		return 0, fmt.Errorf("%w: user %d for a qts update", ErrNotFound, user)
	}
	for i := range o.Count {
		w.addQts(a, qtsEvent{Date: date, User: user, Stopped: (i%2 == 0) != o.Restart}, date)
	}
	return int64(a.Qts), nil
}

// emptyOp is a messageEmpty channel update in Chat (FaultChannelEmpty).
type emptyOp struct {
	Chat schema.PeerRef `json:"chat"`
}

func (*emptyOp) kind() string { return opEmpty }
func (*emptyOp) check() error { return nil }
func (o *emptyOp) apply(w *world, date int, _ *Call) (int64, error) {
	ch, err := w.channelOf(o.Chat)
	if err != nil {
		return 0, err
	}
	b := ch.Box
	b.Pts++
	b.Date = max(b.Date, date)
	ev := event{Pts: b.Pts, PtsCount: 1, Date: date, Kind: evEmpty, Msg: message{ID: b.NextID + 1}, NoSeq: true}
	b.Events = append(b.Events, ev)
	w.touchChannel(ch, date)
	for _, a := range w.accounts {
		w.channelPush(ch, a, ev)
	}
	return 0, nil
}

// historyOp creates a broadcast channel no account is in, with Count
// posts (FaultHistory).
type historyOp struct {
	Title string `json:"title,omitempty"`
	Count int    `json:"count,omitempty"`
}

func (*historyOp) kind() string   { return opHistory }
func (o *historyOp) check() error { return checkCount(opHistory, o.Count) }
func (o *historyOp) apply(w *world, date int, _ *Call) (int64, error) {
	id, err := w.createChat(schema.PeerChannel, o.Title, date, true, nil)
	if err != nil {
		return 0, err
	}
	ch := w.channels[id]
	ch.Outside = map[string]bool{}
	for _, a := range w.accounts {
		ch.Outside[a.Name] = true
	}
	for i := range o.Count {
		if _, err := w.sendChannel(&Outgoing{Chat: schema.PeerRef{Kind: schema.PeerChannel, ID: id}, Text: "history " + strconv.Itoa(i+1)}, nil, date); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// buildCombined renders pushes of one account's common box as one
// updatesCombined: seq_start is the first seq, seq the last.
func (w *world) buildCombined(ps []push) *tg.UpdatesCombined {
	a := w.byName[ps[0].Account]
	r := newRefs()
	u := &tg.UpdatesCombined{}
	for i := range ps {
		ev := &ps[i].Event
		w.eventRefs(r, 0, ev)
		u.Updates = append(u.Updates, w.tgEventUpdate(a, 0, ev))
		u.Date = max(u.Date, ev.Date)
		if !ev.NoSeq {
			if u.SeqStart == 0 {
				u.SeqStart = ev.Seq
			}
			u.Seq = ev.Seq
		}
	}
	u.Users, u.Chats = w.tgUsers(a, r), w.tgChats(r)
	return u
}
