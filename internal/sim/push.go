package sim

import (
	"context"
	"slices"
	"sync"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
)

// faults are the push faults; guarded by Sim.mu.
type faults struct {
	withhold    bool
	dupLeft     int
	reorderLeft int
	reorderBuf  []queued
	combine     map[string]*combining // account → pending updatesCombined
	lastSeq     map[string]queued     // account → last container with a seq
	quiet       map[int64]int         // channel → difference timeout; pushes withheld
}

type queued struct {
	account string
	updates tg.UpdatesClass
	exclude [8]byte // auth key not to send to
	hasEx   bool
}

// pusher sends one account's pushes in order, off the connection
// goroutines (a blocking tgtest handler would stall its connection).
type pusher struct {
	mu    sync.Mutex
	queue []queued
	wake  chan struct{}
}

func newPusher() *pusher { return &pusher{wake: make(chan struct{}, 1)} }

// maxQueued bounds a pusher's queue while nothing drains it (no Run);
// what does not fit is dropped, as a push to a dead session would be.
const maxQueued = 100000

func (p *pusher) add(u queued) {
	p.mu.Lock()
	if len(p.queue) < maxQueued {
		p.queue = append(p.queue, u)
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *pusher) take() []queued {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.queue
	p.queue = nil
	return q
}

// run sends queued pushes to every live session of the account until ctx is done.
func (s *Sim) runPusher(ctx context.Context, account string, p *pusher) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		}
		for _, q := range p.take() {
			u := q.updates
			sessions := s.sessionsOf(account)
			if q.hasEx {
				sessions = slices.DeleteFunc(sessions, func(sess tgtest.Session) bool { return sess.AuthKey.ID == q.exclude })
			}
			if len(sessions) == 0 {
				s.metrics.add(&s.metrics.pushesDropped, account)
				s.log.Debug("push dropped: no live session", "account", account, "type", u.TypeName())
				continue
			}
			for _, sess := range sessions {
				if err := s.srv.Send(ctx, sess, tgtest.MessageFromServer, u); err != nil {
					s.metrics.add(&s.metrics.pushesDropped, account)
					s.log.Debug("push failed", "account", account, "type", u.TypeName(), "err", err)
					continue
				}
				s.metrics.add(&s.metrics.pushesSent, account)
			}
		}
	}
}

// enqueueLocked applies the push faults and queues p. s.mu must be held.
func (s *Sim) enqueueLocked(p push) {
	if p.Channel != 0 && s.f.quiet[p.Channel] > 0 {
		s.metrics.fault("quiet_channel")
		return
	}
	if s.combineLocked(p) {
		return
	}
	u := queued{account: p.Account, updates: s.w.buildPush(p), exclude: p.Exclude, hasEx: p.HasExclude}
	s.noteSeqLocked(u)
	if !p.TooLong && p.Callback == nil && p.ChannelUpdate == 0 {
		if s.f.withhold {
			s.metrics.fault("withheld")
			return
		}
		if s.f.reorderLeft > 0 {
			s.metrics.fault("reordered")
			s.f.reorderBuf = append(s.f.reorderBuf, u)
			s.f.reorderLeft--
			if s.f.reorderLeft == 0 {
				buf := s.f.reorderBuf
				s.f.reorderBuf = nil
				for _, q := range slices.Backward(buf) {
					s.pushers[q.account].add(q)
				}
			}
			return
		}
		if s.f.dupLeft > 0 {
			s.f.dupLeft--
			s.metrics.fault("duplicated")
			s.pushers[p.Account].add(u)
		}
	}
	s.pushers[p.Account].add(u)
}

// Withhold makes the simulator record changes without pushing them while
// on; a client only learns about them through getDifference.
func (s *Sim) Withhold(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.withhold = on
}

// DuplicateNext pushes each of the next n pushes twice.
func (s *Sim) DuplicateNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.dupLeft = max(n, 0)
}

// ReorderNext holds back the next n pushes (of all accounts) and sends them
// in reverse order once the n-th is produced.
func (s *Sim) ReorderNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.reorderLeft = max(n, 0)
	if n <= 0 {
		for _, q := range s.f.reorderBuf {
			s.pushers[q.account].add(q)
		}
		s.f.reorderBuf = nil
	}
}

// PushTooLong pushes updatesTooLong to account, which must then call getDifference.
func (s *Sim) PushTooLong(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.w.byName[account]; !ok {
		return
	}
	s.metrics.fault("too_long")
	s.enqueueLocked(push{Account: account, TooLong: true})
}
