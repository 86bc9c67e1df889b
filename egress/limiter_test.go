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

// TestCallsAfterAPauseAreSpread: calls that wait out a FLOOD_WAIT pause go
// at the limits' pace when it ends, not all at once. Before, each took its
// slot while the pause lasted; every slot fell due before the pause's end,
// and 60 calls went in the same instant (the burst test's "all chats: 74
// calls within 0.114s" after a FLOOD_WAIT).
func TestCallsAfterAPauseAreSpread(t *testing.T) {
	clock := neo.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := Config{RateGlobal: 200, BurstGlobal: 20, RatePerChat: 1000, BurstPerChat: 1000, Now: clock.Now}
	l := newLimiter(&cfg, newMetrics(nil, "main"))
	l.flood("", 10*time.Second)
	end := clock.Now().Add(10 * time.Second)
	deadline := clock.Now().Add(time.Minute)
	// 60 calls ask during the pause, each as sleep does: wait what reserve
	// says; ask again when nothing was reserved.
	var due []time.Time
	var again int
	for range 60 {
		r, wait, err := l.reserve("", true, deadline)
		if err != nil {
			t.Fatal(err)
		}
		if r == nil {
			again++
			continue
		}
		due = append(due, clock.Now().Add(wait))
	}
	clock.Set(end)
	for range again {
		_, wait, err := l.reserve("", true, deadline)
		if err != nil {
			t.Fatal(err)
		}
		due = append(due, end.Add(wait))
	}
	window := 100 * time.Millisecond
	n := 0
	for _, d := range due {
		if d.Before(end) {
			t.Fatalf("a call due at %v, before the pause ends", d.Sub(end))
		}
		if d.Before(end.Add(window)) {
			n++
		}
	}
	if allowed := cfg.BurstGlobal + int(cfg.RateGlobal*window.Seconds()) + 1; n > allowed {
		t.Fatalf("%d calls within %v of the pause's end, at most %d allowed (%v/s, burst %d)", n, window, allowed, cfg.RateGlobal, cfg.BurstGlobal)
	}
}
