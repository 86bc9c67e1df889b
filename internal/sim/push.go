package sim

import (
	"context"
	"slices"
	"sync"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
)

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
				if err := s.serverOfKey(sess.AuthKey.ID).Send(ctx, sess, tgtest.MessageFromServer, u); err != nil {
					s.metrics.add(&s.metrics.pushesDropped, account)
					s.log.Debug("push failed", "account", account, "type", u.TypeName(), "err", err)
					continue
				}
				s.metrics.add(&s.metrics.pushesSent, account)
			}
		}
	}
}
