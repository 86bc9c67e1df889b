package egress

import (
	"github.com/gotd/neo"

	"context"
	"errors"
	"testing"
	"time"

	"github.com/tgnats/tgnats/schema"
)

// TestAbortedWaitsGiveBackTheirSlots: waits given up because the
// connector stops (queued commands of one chat, each starting its wait
// with a cancelled context) must not keep their slots. Before, each kept
// one, the next real wait lay 50 slots out, after the command's deadline,
// and the command failed with FLOOD_WAIT.
func TestAbortedWaitsGiveBackTheirSlots(t *testing.T) {
	clock := neo.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := Config{RateGlobal: 100, BurstGlobal: 100, RatePerChat: 1, BurstPerChat: 1, Now: clock.Now}
	l := newLimiter(&cfg, newMetrics(nil, "main"))
	if err := l.wait(context.Background(), "chat", clock.Now().Add(time.Second)); err != nil {
		t.Fatalf("first wait: %v", err)
	}
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 50 {
		if err := l.wait(stopped, "chat", clock.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
			t.Fatalf("aborted wait %d: %v, want context.Canceled", i, err)
		}
	}
	_, wait, err := l.reserve("chat", false, clock.Now().Add(2*time.Second))
	if err != nil {
		t.Fatalf("wait after 50 aborted waits: %v, want the next slot within the chat's rate", err)
	}
	if wait > time.Second {
		t.Fatalf("wait after 50 aborted waits is %v, want at most 1s (the chat's rate)", wait)
	}
}

// TestWaitAfterTheDeadlineIsATimeout: a call whose command's deadline has
// already passed when it asks for its slot fails TIMEOUT; the limits did
// not make it late. Before, it failed FLOOD_WAIT "Telegram's limits (chat)
// allow the next call in 1s, after the command's deadline" although the
// chat's slot was free, which misled the search for the cause.
func TestWaitAfterTheDeadlineIsATimeout(t *testing.T) {
	clock := neo.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := Config{RateGlobal: 100, BurstGlobal: 100, RatePerChat: 1, BurstPerChat: 1, Now: clock.Now}
	l := newLimiter(&cfg, newMetrics(nil, "main"))
	err := l.wait(context.Background(), "chat", clock.Now().Add(-time.Millisecond))
	if ce := mapError(err); ce == nil || ce.Code != schema.CodeTimeout {
		t.Fatalf("wait past the deadline: %v, want TIMEOUT", ce)
	}
	// Nothing was taken: the next command gets the free slot at once.
	if _, wait, err := l.reserve("chat", false, clock.Now().Add(time.Second)); err != nil || wait != 0 {
		t.Fatalf("next reserve: wait %v, %v; want the free slot at once", wait, err)
	}
}
