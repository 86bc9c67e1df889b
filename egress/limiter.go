package egress

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter spaces Telegram calls: a global bucket, one bucket per chat, and
// the pauses Telegram imposes with FLOOD_WAIT (per chat, or global for calls
// that are not about a chat). Times come from the injected clock; waiting
// uses real timers.
type limiter struct {
	now      func() time.Time
	perRate  rate.Limit
	perBurst int
	metrics  *metrics

	mu          sync.Mutex
	global      *rate.Limiter
	globalPause time.Time
	chats       map[string]*chatLimit
}

type chatLimit struct {
	lim   *rate.Limiter
	pause time.Time
}

func newLimiter(cfg *Config, m *metrics) *limiter {
	return &limiter{
		now:      cfg.Now,
		perRate:  rate.Limit(cfg.RatePerChat),
		perBurst: cfg.BurstPerChat,
		metrics:  m,
		global:   rate.NewLimiter(rate.Limit(cfg.RateGlobal), cfg.BurstGlobal),
		chats:    map[string]*chatLimit{},
	}
}

// floodError is a wait that would end after the command's deadline.
type floodError struct {
	wait  time.Duration
	scope string
}

func (e *floodError) Error() string { return "rate limited for " + e.wait.String() }

// retryAfter returns the wait in whole seconds, at least 1.
func (e *floodError) retryAfter() int { return max(1, int(math.Ceil(e.wait.Seconds()))) }

// errLate: the command's deadline passed before its call asked for a
// slot; not the limits' doing (TIMEOUT, not FLOOD_WAIT).
var errLate = fmt.Errorf("egress: the command's deadline passed before its call: %w", context.DeadlineExceeded)

// reserve takes a slot for one call to chat ("" for calls about no chat)
// in the global bucket (global true) or the chat's (global false), and
// returns it with how long to wait for it, pauses included, or a
// *floodError when the slot would come after deadline, or errLate when
// the deadline has passed already (nothing is taken then).
func (l *limiter) reserve(chat string, global bool, deadline time.Time) (*rate.Reservation, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if !now.Before(deadline) {
		return nil, 0, errLate
	}
	var wait time.Duration
	scope := "global"
	if d := l.globalPause.Sub(now); d > wait {
		wait = d
	}
	var cl *chatLimit
	if !global {
		cl = l.chats[chat]
		if cl == nil {
			cl = &chatLimit{lim: rate.NewLimiter(l.perRate, l.perBurst)}
			l.chats[chat] = cl
		}
		if d := cl.pause.Sub(now); d > wait {
			wait, scope = d, "chat"
		}
	}
	if wait > 0 {
		// Paused by a FLOOD_WAIT: no slot is reserved now. A slot taken
		// during the pause would be due before its end, and every call
		// that waited would go at once when it ends; the caller waits the
		// pause out and asks again, when the bucket spreads them.
		if now.Add(wait).After(deadline) {
			return nil, 0, &floodError{wait: wait, scope: scope}
		}
		return nil, wait, nil
	}
	var r *rate.Reservation
	if global {
		r = l.global.ReserveN(now, 1)
	} else {
		r = cl.lim.ReserveN(now, 1)
	}
	if d := r.DelayFrom(now); d > wait {
		wait = d
		if !global {
			scope = "chat"
		}
	}
	if now.Add(wait).After(deadline) {
		r.CancelAt(now)
		return nil, 0, &floodError{wait: wait, scope: scope}
	}
	return r, wait, nil
}

// giveBack returns the slot of a wait that was given up (the command is
// stopping), so that it does not push later waits further out.
func (l *limiter) giveBack(r *rate.Reservation) {
	if r == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r.CancelAt(l.now())
}

// wait blocks until a call to chat may go, or returns a *floodError or
// ctx's error; a wait that fails gives its slots back. It waits for the
// chat's slot first and only then takes the global one, so that the global
// bucket sees calls when they happen: a global slot taken early and used
// late, after a longer wait for the chat, would let calls bunch up beyond
// the global rate.
func (l *limiter) wait(ctx context.Context, chat string, deadline time.Time) error {
	var chatSlot *rate.Reservation
	if chat != "" {
		r, err := l.sleep(ctx, chat, false, deadline)
		if err != nil {
			return err
		}
		chatSlot = r
	}
	if _, err := l.sleep(ctx, chat, true, deadline); err != nil {
		l.giveBack(chatSlot)
		return err
	}
	return nil
}

func (l *limiter) sleep(ctx context.Context, chat string, global bool, deadline time.Time) (*rate.Reservation, error) {
	for {
		r, d, err := l.reserve(chat, global, deadline)
		if err != nil {
			return nil, err
		}
		if d <= 0 {
			if ctx.Err() != nil {
				l.giveBack(r)
				return nil, ctx.Err()
			}
			return r, nil
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			l.giveBack(r)
			return nil, ctx.Err()
		}
		if r != nil {
			return r, nil
		}
		// A pause ended: ask for a slot now.
	}
}

// flood records a FLOOD_WAIT: chat pauses, or everything when chat is "".
func (l *limiter) flood(chat string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	until := l.now().Add(d)
	scope := "global"
	if chat == "" {
		if until.After(l.globalPause) {
			l.globalPause = until
		}
	} else {
		scope = "chat"
		cl := l.chats[chat]
		if cl == nil {
			cl = &chatLimit{lim: rate.NewLimiter(l.perRate, l.perBurst)}
			l.chats[chat] = cl
		}
		if until.After(cl.pause) {
			cl.pause = until
		}
	}
	l.metrics.floodWait.WithLabelValues(scope).Add(d.Seconds())
}
