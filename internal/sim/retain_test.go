package sim

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tgnats/tgnats/schema"
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
	if raceEnabled {
		// 60,000 actions take over testCtx's 30 s under the race detector.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
	}
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

// A bounded world (LedgerWindow) keeps a bounded number of messages and
// of the other records traffic adds, however long the traffic runs, and
// the traffic keeps working; a verb naming a dropped message gets
// ErrNotFound, as for one deleted.
func TestLedgerWindowBoundsMessages(t *testing.T) {
	const (
		window = 300
		rounds = 4
		each   = 6000
	)
	ctx := testCtx(t)
	s, err := New(Config{Dir: t.TempDir(), Accounts: testAccounts(), Now: (&fakeClock{}).Now, LedgerWindow: window,
		TooLongAfter: window, ChannelTooLongAfter: window})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sc := Scenario{Seed: 5, Updates: 0.3, Faults: 0.02}
	// Each box may hold window messages, trimSlack more before a cut and
	// each chat's newest.
	const most = window + window + 16 // messageSlack(window) is window
	for round := range rounds {
		before := s.LedgerLen("main")
		if err := s.Produce(ctx, sc, each); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got := s.LedgerLen("main") - before; got < each/2 {
			t.Fatalf("round %d: %d changes for %d actions: the traffic stalled", round, got, each)
		}
		s.mu.Lock()
		w := s.w
		boxes := map[string]*box{}
		for _, a := range w.accounts {
			boxes[a.Name] = a.Box
			if n := len(a.QtsEvents); n >= window+trimSlack {
				t.Errorf("round %d: %s keeps %d qts updates", round, a.Name, n)
			}
			if n := len(w.calls[a.Name]); n >= window+trimSlack {
				t.Errorf("round %d: %s keeps %d served calls", round, a.Name, n)
			}
		}
		for _, ch := range w.channels {
			boxes[ch.Title] = ch.Box
		}
		msgs := 0
		for name, b := range boxes {
			if len(b.Msgs) >= most {
				t.Errorf("round %d: %s keeps %d messages, want fewer than %d", round, name, len(b.Msgs), most)
			}
			n := 0
			for peer, ids := range b.ByPeer {
				for _, id := range ids {
					if m := b.Msgs[id]; m == nil || m.Peer != peer {
						t.Fatalf("round %d: %s: chat %s lists message %d it does not hold", round, name, peer, id)
					}
				}
				n += len(ids)
			}
			if n != len(b.Msgs) {
				t.Errorf("round %d: %s: %d messages listed by chat, %d held", round, name, n, len(b.Msgs))
			}
			msgs += len(b.Msgs)
		}
		for logical, refs := range w.copies {
			for _, c := range refs {
				if w.byName[c.Account].Box.Msgs[c.ID] == nil {
					t.Fatalf("round %d: copy %d of logical message %d is gone", round, c.ID, logical)
				}
			}
		}
		if len(w.copies) > msgs || len(w.media) > msgs {
			t.Errorf("round %d: %d copy references and %d media for %d messages", round, len(w.copies), len(w.media), msgs)
		}
		if len(w.queries) >= window+trimSlack || len(w.profiles) >= window+trimSlack {
			t.Errorf("round %d: %d bot queries and %d renames kept", round, len(w.queries), len(w.profiles))
		}
		t.Logf("round %d: %d messages, %d copies, %d media, %d queries, %d main ledger entries", round, msgs, len(w.copies), len(w.media), len(w.queries), len(w.byName["main"].Ledger))
		s.mu.Unlock()
	}

	// Message 1 of a group is long gone: verbs get ErrNotFound.
	s.mu.Lock()
	group := schema.PeerRef{Kind: schema.PeerChat, ID: s.w.scen.Groups[0]}
	super := schema.PeerRef{Kind: schema.PeerChannel, ID: s.w.scen.Supergroups[0]}
	user := s.w.scen.Users[0]
	s.mu.Unlock()
	for _, chat := range []schema.PeerRef{group, super} {
		for name, err := range map[string]error{
			"edit":   s.EditMessage(ctx, chat, "main", 1, "x"),
			"delete": s.DeleteMessages(ctx, chat, "main", 1),
			"react":  s.React(ctx, "main", chat, 1, user, "👍"),
			"pin":    s.Pin(ctx, "main", chat, 1, false),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s of a dropped message in %s: %v, want ErrNotFound", name, chat, err)
			}
		}
		if _, err := s.SendMessage(ctx, Outgoing{Chat: chat, Text: "late reply", ReplyTo: 1}); !errors.Is(err, ErrNotFound) {
			t.Errorf("reply to a dropped message in %s: %v, want ErrNotFound", chat, err)
		}
	}
}

// A message window (MessageWindow) bounds the messages below the ledger
// window, or alone: after N actions and 2N more, every box holds no more
// than its bound (the world is flat, not growing with the traffic), the
// records that go with messages follow, and what the message window does
// not bound is kept as LedgerWindow says.
func TestMessageWindowBoundsMessages(t *testing.T) {
	const (
		window = 150
		n      = 3000
	)
	for _, tc := range []struct {
		name         string
		ledgerWindow int
	}{{"alone", 0}, {"below the ledger window", 8 * window}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			s, err := New(Config{Accounts: testAccounts(), Now: (&fakeClock{}).Now, MessageWindow: window, LedgerWindow: tc.ledgerWindow})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			sc := Scenario{Seed: 7, Updates: 0.2}
			// Each box holds window messages, messageSlack more before a
			// cut and each chat's newest.
			most := window + messageSlack(window) + 16
			kept := func(round int) int {
				t.Helper()
				s.mu.Lock()
				defer s.mu.Unlock()
				w := s.w
				var boxes []*box
				for _, a := range w.accounts {
					boxes = append(boxes, a.Box)
				}
				for _, ch := range w.channels {
					boxes = append(boxes, ch.Box)
				}
				msgs := 0
				for _, b := range boxes {
					if len(b.Msgs) >= most {
						t.Errorf("round %d: a box keeps %d messages, want fewer than %d", round, len(b.Msgs), most)
					}
					msgs += len(b.Msgs)
				}
				if len(w.copies) > msgs || len(w.media) > msgs {
					t.Errorf("round %d: %d copy references and %d media for %d messages", round, len(w.copies), len(w.media), msgs)
				}
				return msgs
			}
			var counts []int
			for round, actions := range []int{n, 2 * n} {
				before := s.LedgerLen("main")
				if err := s.Produce(ctx, sc, actions); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if got := s.LedgerLen("main") - before; got < actions/2 {
					t.Fatalf("round %d: %d changes for %d actions: the traffic stalled", round, got, actions)
				}
				counts = append(counts, kept(round))
			}
			t.Logf("messages kept after %d and %d actions: %v", n, 3*n, counts)
			if counts[0] < 5*window {
				t.Errorf("%d messages after %d actions: the test produces too little to reach the bound", counts[0], n)
			}
			all := s.LedgerLen("main")
			switch ledger := len(s.Ledger("main")); {
			case tc.ledgerWindow == 0 && ledger != all:
				t.Errorf("the message window alone: %d ledger entries kept of %d, want all", ledger, all)
			case tc.ledgerWindow > 0 && ledger >= tc.ledgerWindow+trimSlack:
				t.Errorf("%d ledger entries kept, want fewer than %d", ledger, tc.ledgerWindow+trimSlack)
			}
		})
	}
}
