package ingest

import (
	"context"
	"sync"
	"time"

	"github.com/gotd/td/bin"
)

// closeWait bounds how long a stopping account waits for its calls in
// flight before it closes the connection anyway.
const closeWait = 5 * time.Second

// callGate counts the Telegram calls of one connection in flight, so that
// a stop closes the connection only once they have returned. gotd v0.93's
// RPC engine is not safe against a call in flight as the connection closes
// (its Close waits on a WaitGroup that the call joined from another
// goroutine); a stop first refuses new calls, lets the running ones see
// their cancelled context and return, then closes.
type callGate struct {
	mu     sync.Mutex
	n      int
	closed bool
	idle   chan struct{} // closed once closed and n == 0
}

func newCallGate() *callGate { return &callGate{idle: make(chan struct{})} }

// enter reports whether a call may start; each true is paired with leave.
func (g *callGate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.n++
	return true
}

func (g *callGate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.closed && g.n == 0 {
		close(g.idle)
	}
}

// close refuses new calls and waits up to d for those in flight.
func (g *callGate) close(d time.Duration) {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		if g.n == 0 {
			close(g.idle)
		}
	}
	g.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-g.idle:
	case <-t.C:
	}
}

// invoker is the part of gotd's client that makes calls.
type invoker interface {
	Invoke(ctx context.Context, input bin.Encoder, output bin.Decoder) error
}

// gatedInvoker makes calls through inv while gate lets them in; after a
// stop began they fail with ErrNotConnected without reaching gotd.
type gatedInvoker struct {
	inv  invoker
	gate *callGate
}

func (i gatedInvoker) Invoke(ctx context.Context, input bin.Encoder, output bin.Decoder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !i.gate.enter() {
		return ErrNotConnected
	}
	defer i.gate.leave()
	return i.inv.Invoke(ctx, input, output)
}
