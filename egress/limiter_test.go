package egress

import (
	"github.com/gotd/neo"

	"context"
	"errors"
	"testing"
	"time"
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
