package sim

import (
	"reflect"
	"testing"
)

// A bounded world (LedgerWindow) answers everything a client can still ask
// as the unbounded one does, counts every change, and keeps a bounded
// ledger and bounded pts updates, across a restart too.
func TestLedgerWindowBoundsTheWorld(t *testing.T) {
	const (
		actions = 30000
		window  = 1000
		tooLong = 2000
	)
	ctx := testCtx(t)
	newSim := func(dir string, window int) *Sim {
		t.Helper()
		s, err := New(Config{Dir: dir, Accounts: testAccounts(), Now: (&fakeClock{}).Now, LedgerWindow: window,
			TooLongAfter: tooLong, ChannelTooLongAfter: tooLong})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	full := newSim(t.TempDir(), 0)
	defer full.Close()
	dir := t.TempDir()
	bounded := newSim(dir, window)
	for _, s := range []*Sim{full, bounded} {
		if err := s.Produce(ctx, Scenario{Seed: 3}, actions); err != nil {
			t.Fatal(err)
		}
	}

	check := func(t *testing.T, bounded *Sim) {
		t.Helper()
		for _, acc := range []string{"main", "second"} {
			all := full.Ledger(acc)
			if got := bounded.LedgerLen(acc); got != len(all) {
				t.Fatalf("%s: LedgerLen %d, want %d (every change counted)", acc, got, len(all))
			}
			kept := bounded.Ledger(acc)
			if len(kept) < window || len(kept) >= window+trimSlack {
				t.Errorf("%s: %d ledger entries kept, want %d to %d", acc, len(kept), window, window+trimSlack-1)
			}
			if !reflect.DeepEqual(kept, all[len(all)-len(kept):]) {
				t.Errorf("%s: the kept ledger is not the newest of the whole", acc)
			}
			from := len(all) - window/2
			if got := bounded.LedgerSince(acc, from); !reflect.DeepEqual(got, all[from:]) {
				t.Errorf("%s: LedgerSince(%d) differs from the whole ledger's", acc, from)
			}
			entries, first := bounded.LedgerFrom(acc, 0)
			if first != len(all)-len(kept) || len(entries) != len(kept) {
				t.Errorf("%s: LedgerFrom(0) = %d entries from %d, want %d from %d", acc, len(entries), first, len(kept), len(all)-len(kept))
			}
		}
		bounded.mu.Lock()
		defer bounded.mu.Unlock()
		full.mu.Lock()
		defer full.mu.Unlock()
		boxes := map[string][2]*box{}
		for _, a := range full.w.accounts {
			boxes[a.Name] = [2]*box{a.Box, bounded.w.byName[a.Name].Box}
		}
		for id, ch := range full.w.channels {
			boxes["channel "+ch.Title] = [2]*box{ch.Box, bounded.w.channels[id].Box}
		}
		trimmed := false
		for name, b := range boxes {
			whole, kept := b[0], b[1]
			if len(kept.Events) >= tooLong+trimSlack {
				t.Errorf("%s: %d pts updates kept, want fewer than %d", name, len(kept.Events), tooLong+trimSlack)
			}
			trimmed = trimmed || len(kept.Events) < len(whole.Events)
			// The oldest difference a client gets instead of "too long".
			if got, want := eventsAfter(kept, kept.Pts-tooLong), eventsAfter(whole, whole.Pts-tooLong); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: the updates after pts %d differ: %d, want %d", name, kept.Pts-tooLong, len(got), len(want))
			}
		}
		if !trimmed {
			t.Errorf("no box dropped an update: the test produces too little")
		}
	}
	check(t, bounded)
	if err := bounded.Close(); err != nil {
		t.Fatal(err)
	}
	t.Run("restart", func(t *testing.T) {
		again := newSim(dir, window)
		defer again.Close()
		check(t, again)
	})
}
