package sim

import (
	"slices"
	"sync"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"

	"github.com/tgnats/tgnats/schema"
)

// Faults of call results, for tests of a client's commands: replies held
// back after the call took effect (a client that crashes before it learns
// the outcome), private text sends answered the short way Telegram uses
// (updateShortSentMessage), and a log of the FLOOD_WAIT answers given.

// FloodAnswer is one call answered FLOOD_WAIT by a FloodWait rule.
type FloodAnswer struct {
	Method  uint32
	Peer    schema.PeerRef // the call's peer; zero for calls without one
	Seconds int
	At      time.Time // wall clock
}

type replyFaults struct {
	mu        sync.Mutex
	hold      map[uint32]int
	shortSent bool
	floods    []FloodAnswer
}

// HoldReplies makes the next n calls of the TL method with id method take
// effect (world, ledger, Actions, pushes to other sessions) without their
// reply ever being sent: the caller waits until it gives up or dies. n <= 0
// clears the rule.
func (s *Sim) HoldReplies(method uint32, n int) {
	s.rf.mu.Lock()
	defer s.rf.mu.Unlock()
	if s.rf.hold == nil {
		s.rf.hold = map[uint32]int{}
	}
	if n <= 0 {
		delete(s.rf.hold, method)
		return
	}
	s.rf.hold[method] = n
}

// takeHold reports whether the reply of a call of method is to be held back.
func (s *Sim) takeHold(method uint32) bool {
	s.rf.mu.Lock()
	defer s.rf.mu.Unlock()
	n := s.rf.hold[method]
	if n <= 0 {
		return false
	}
	if n == 1 {
		delete(s.rf.hold, method)
	} else {
		s.rf.hold[method] = n - 1
	}
	s.metrics.fault("hold_reply")
	return true
}

// ShortSentReplies makes messages.sendMessage and messages.sendMedia to a
// private chat answer updateShortSentMessage (id, pts, date, entities, out,
// and the media of a media send), as Telegram does,
// instead of an updates container: the client must build the message from
// its request. Off by default.
func (s *Sim) ShortSentReplies(on bool) {
	s.rf.mu.Lock()
	defer s.rf.mu.Unlock()
	s.rf.shortSent = on
}

func (s *Sim) shortSentReplies() bool {
	s.rf.mu.Lock()
	defer s.rf.mu.Unlock()
	return s.rf.shortSent
}

// shortSent renders the result of a private send as updateShortSentMessage.
func shortSent(own []push, id int, ents []tg.MessageEntityClass) *tg.UpdateShortSentMessage {
	u := &tg.UpdateShortSentMessage{Out: true, ID: id, Entities: ents}
	for _, p := range own {
		if p.Channel == 0 && p.Event.Msg.ID == id {
			u.Pts, u.PtsCount, u.Date = p.Event.Pts, p.Event.PtsCount, p.Event.Date
		}
	}
	u.SetFlags()
	return u
}

// Floods returns the FLOOD_WAIT answers given so far, in order.
func (s *Sim) Floods() []FloodAnswer {
	s.rf.mu.Lock()
	defer s.rf.mu.Unlock()
	return slices.Clone(s.rf.floods)
}

// noteFlood records a FLOOD_WAIT answer with the peer of the request.
func (s *Sim) noteFlood(method uint32, seconds int, req *tgtest.Request) {
	f := FloodAnswer{Method: method, Seconds: seconds, At: time.Now()}
	if ctor, ok := tg.TypesConstructorMap()[method]; ok {
		obj := ctor()
		if err := obj.Decode(&bin.Buffer{Buf: slices.Clone(req.Buf.Buf)}); err == nil {
			if p, ok := obj.(interface{ GetPeer() tg.InputPeerClass }); ok {
				f.Peer = inputPeerRef(p.GetPeer())
			}
		}
	}
	s.rf.mu.Lock()
	defer s.rf.mu.Unlock()
	s.rf.floods = append(s.rf.floods, f)
}

func inputPeerRef(in tg.InputPeerClass) schema.PeerRef {
	switch p := in.(type) {
	case *tg.InputPeerUser:
		return schema.PeerRef{Kind: schema.PeerUser, ID: p.UserID}
	case *tg.InputPeerChat:
		return schema.PeerRef{Kind: schema.PeerChat, ID: p.ChatID}
	case *tg.InputPeerChannel:
		return schema.PeerRef{Kind: schema.PeerChannel, ID: p.ChannelID}
	}
	return schema.PeerRef{}
}
