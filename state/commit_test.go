package state

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

func TestCommitInvalidWritesNothing(t *testing.T) {
	valid := event("tg.a.events.x", "ok", "payload")
	st := &UpdateState{Pts: 5}
	tests := []struct {
		name    string
		commit  Commit
		wantErr error
	}{
		{name: "event without subject", commit: Commit{Events: []OutboxRecord{valid, {MsgID: "x"}}, State: st}, wantErr: ErrInvalid},
		{name: "event without msg id", commit: Commit{Events: []OutboxRecord{valid, {Subject: "x"}}, State: st}, wantErr: ErrInvalid},
		{name: "bad channel id", commit: Commit{Events: []OutboxRecord{valid}, State: st, Channels: []ChannelState{{ID: 0}}}, wantErr: ErrInvalid},
		{name: "bad index peer", commit: Commit{Events: []OutboxRecord{valid}, State: st, Index: []IndexEntry{{MessageID: 1, Peer: schema.PeerRef{Kind: schema.PeerUnknown}}}}, wantErr: ErrInvalid},
		{name: "bad index id", commit: Commit{Events: []OutboxRecord{valid}, State: st, Index: []IndexEntry{{MessageID: 0, Peer: alice}}}, wantErr: ErrInvalid},
		{name: "bad peer kind", commit: Commit{Events: []OutboxRecord{valid}, State: st, Peers: []Peer{{Kind: "robot", ID: 1}}}, wantErr: ErrInvalid},
		{name: "bad peer id", commit: Commit{Events: []OutboxRecord{valid}, State: st, Peers: []Peer{{Kind: schema.PeerUser, ID: -1}}}, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openT(t, t.TempDir(), Options{})
			c := tt.commit
			if err := s.Commit(&c); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Commit() error = %v, want %v", err, tt.wantErr)
			}
			if c.Events[0].Seq != 0 {
				t.Errorf("failed Commit assigned seq %d", c.Events[0].Seq)
			}
			if recs, err := s.OutboxRead(0, 10); err != nil || len(recs) != 0 {
				t.Errorf("OutboxRead() = %d records, %v; want none", len(recs), err)
			}
			if _, ok, err := s.UpdateState(); ok || err != nil {
				t.Errorf("UpdateState() stored = %v, %v; want nothing", ok, err)
			}
			if chs, err := s.Channels(); len(chs) != 0 || err != nil {
				t.Errorf("Channels() = %v, %v; want none", chs, err)
			}
			if depth, _ := s.OutboxStats(); depth != 0 {
				t.Errorf("OutboxStats depth = %d, want 0", depth)
			}
			select {
			case <-s.OutboxNotify():
				t.Error("failed Commit signalled OutboxNotify")
			default:
			}
			// The seq counter did not move.
			c2 := &Commit{Events: []OutboxRecord{valid}}
			if err := s.Commit(c2); err != nil {
				t.Fatal(err)
			}
			if c2.Events[0].Seq != 1 {
				t.Errorf("next seq = %d, want 1", c2.Events[0].Seq)
			}
		})
	}
}

func TestCommitStateAndChannels(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	if _, ok, err := s.UpdateState(); ok || err != nil {
		t.Fatalf("UpdateState() on empty store = %v, %v", ok, err)
	}
	if _, ok, err := s.Channel(1); ok || err != nil {
		t.Fatalf("Channel() on empty store = %v, %v", ok, err)
	}
	chs := []ChannelState{{ID: 30, Pts: 3}, {ID: 10, Pts: 1, AccessHash: 7}, {ID: 20, Pts: 2, MaxMessageID: 5}}
	if err := s.Commit(&Commit{State: &UpdateState{Pts: 1}, Channels: chs}); err != nil {
		t.Fatal(err)
	}
	// A commit without State leaves it alone; a channel is replaced.
	if err := s.Commit(&Commit{Channels: []ChannelState{{ID: 20, Pts: 9}}}); err != nil {
		t.Fatal(err)
	}
	st, ok, err := s.UpdateState()
	if err != nil || !ok || st.Pts != 1 {
		t.Errorf("UpdateState() = %+v, %v, %v", st, ok, err)
	}
	got, err := s.Channels()
	if err != nil {
		t.Fatal(err)
	}
	want := []ChannelState{{ID: 10, Pts: 1, AccessHash: 7}, {ID: 20, Pts: 9}, {ID: 30, Pts: 3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Channels() = %+v, want %+v", got, want)
	}
	select {
	case <-s.OutboxNotify():
		t.Error("Commit without events signalled OutboxNotify")
	default:
	}
}

func TestPeers(t *testing.T) {
	tests := []struct {
		name   string
		stored []Peer
		put    Peer
		want   Peer
	}{
		{
			name: "new peer",
			put:  Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 5, FirstName: "A"},
			want: Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 5, FirstName: "A"},
		},
		{
			name:   "min does not overwrite full hash",
			stored: []Peer{{Kind: schema.PeerUser, ID: 1, AccessHash: 5, FirstName: "A"}},
			put:    Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 6, FirstName: "B", Min: true},
			want:   Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 5, FirstName: "B"},
		},
		{
			name:   "min overwrites min",
			stored: []Peer{{Kind: schema.PeerChannel, ID: 1, AccessHash: 5, Min: true}},
			put:    Peer{Kind: schema.PeerChannel, ID: 1, AccessHash: 6, Title: "T", Min: true},
			want:   Peer{Kind: schema.PeerChannel, ID: 1, AccessHash: 6, Title: "T", Min: true},
		},
		{
			name:   "full overwrites min",
			stored: []Peer{{Kind: schema.PeerUser, ID: 1, AccessHash: 5, Min: true}},
			put:    Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 6},
			want:   Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 6},
		},
		{
			name:   "full overwrites full",
			stored: []Peer{{Kind: schema.PeerUser, ID: 1, AccessHash: 5, Bot: true}},
			put:    Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 6, Bot: true, Username: "b"},
			want:   Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 6, Bot: true, Username: "b"},
		},
		{
			name:   "zero hash keeps known hash",
			stored: []Peer{{Kind: schema.PeerChat, ID: 1, AccessHash: 5}},
			put:    Peer{Kind: schema.PeerChat, ID: 1, Title: "renamed"},
			want:   Peer{Kind: schema.PeerChat, ID: 1, AccessHash: 5, Title: "renamed"},
		},
		{
			name: "new min peer",
			put:  Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 6, FirstName: "B", Min: true},
			want: Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 6, FirstName: "B", Min: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openT(t, t.TempDir(), Options{})
			if len(tt.stored) > 0 {
				if err := s.Commit(&Commit{Peers: tt.stored}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Commit(&Commit{Peers: []Peer{tt.put}}); err != nil {
				t.Fatal(err)
			}
			got, err := s.Peer(tt.put.Ref())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Peer() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPeerMinAfterFullInOneCommit(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	full := Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 5}
	min := Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 6, FirstName: "M", Min: true}
	if err := s.Commit(&Commit{Peers: []Peer{full, min}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Peer(full.Ref())
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessHash != 5 || got.Min || got.FirstName != "M" {
		t.Errorf("Peer() = %+v, want hash 5, not min, name M", got)
	}
}

func TestPeerNotFound(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	tests := []struct {
		name    string
		call    func() error
		wantErr error
	}{
		{name: "unknown peer", call: func() error { _, err := s.Peer(alice); return err }, wantErr: ErrNotFound},
		{name: "unknown kind", call: func() error { _, err := s.Peer(schema.PeerRef{Kind: schema.PeerUnknown}); return err }, wantErr: ErrInvalid},
		{name: "unknown username", call: func() error { _, err := s.PeerByUsername("nobody"); return err }, wantErr: ErrNotFound},
		{name: "empty username", call: func() error { _, err := s.PeerByUsername("@"); return err }, wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestPeerByUsername(t *testing.T) {
	s := openT(t, t.TempDir(), Options{})
	a := Peer{Kind: schema.PeerUser, ID: 1, AccessHash: 1, Username: "Durov"}
	if err := s.Commit(&Commit{Peers: []Peer{a}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"durov", "DUROV", "@Durov"} {
		if p, err := s.PeerByUsername(q); err != nil || p.ID != 1 {
			t.Errorf("PeerByUsername(%q) = %+v, %v", q, p, err)
		}
	}
	// Rename: the old name no longer resolves.
	a.Username = "pavel"
	if err := s.Commit(&Commit{Peers: []Peer{a}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PeerByUsername("durov"); !errors.Is(err, ErrNotFound) {
		t.Errorf("old username error = %v, want ErrNotFound", err)
	}
	// Another peer takes "pavel"; a later rename of the first keeps it there.
	b := Peer{Kind: schema.PeerChannel, ID: 2, AccessHash: 2, Username: "Pavel"}
	if err := s.Commit(&Commit{Peers: []Peer{b}}); err != nil {
		t.Fatal(err)
	}
	a.Username = "other"
	if err := s.Commit(&Commit{Peers: []Peer{a}}); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PeerByUsername("pavel"); err != nil || p.Ref() != b.Ref() {
		t.Errorf("PeerByUsername(pavel) = %+v, %v; want channel 2", p, err)
	}
}

func TestIndexEviction(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{IndexSize: 5})
	var entries []IndexEntry
	for id := 1; id <= 4; id++ {
		entries = append(entries, IndexEntry{MessageID: id, Peer: alice})
	}
	if err := s.Commit(&Commit{Index: entries}); err != nil {
		t.Fatal(err)
	}
	if ref, ok := s.MessagePeer(1); !ok || ref != alice {
		t.Fatalf("MessagePeer(1) = %v, %v", ref, ok)
	}
	// Newest 10: ids <= 5 are evicted, including 5 committed in the same batch.
	if err := s.Commit(&Commit{Index: []IndexEntry{{MessageID: 5, Peer: group}, {MessageID: 10, Peer: group}}}); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, s *Store) {
		t.Helper()
		for id := 1; id <= 5; id++ {
			if ref, ok := s.MessagePeer(id); ok {
				t.Errorf("MessagePeer(%d) = %v after eviction", id, ref)
			}
		}
		if ref, ok := s.MessagePeer(10); !ok || ref != group {
			t.Errorf("MessagePeer(10) = %v, %v", ref, ok)
		}
		if _, ok := s.MessagePeer(7); ok {
			t.Error("MessagePeer(7) found, never indexed")
		}
	}
	check(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir, Options{IndexSize: 5})
	check(t, s)
	// The evicted entries are gone from disk, not only hidden.
	for id := 1; id <= 5; id++ {
		if _, err := s.get(indexKey(id)); !errors.Is(err, ErrNotFound) {
			t.Errorf("index key %d still stored: %v", id, err)
		}
	}
}

func TestResults(t *testing.T) {
	clk := testutil.NewClock(time.Unix(1700000000, 0))
	s := openT(t, t.TempDir(), Options{Now: clk.Now})
	if _, err := s.Result("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Result(missing) error = %v, want ErrNotFound", err)
	}
	if err := s.PutResult("k", []byte(`{"ok":true}`), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PutResult("short", []byte("x"), time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Second)
	if v, err := s.Result("k"); err != nil || string(v) != `{"ok":true}` {
		t.Errorf("Result(k) = %q, %v", v, err)
	}
	if _, err := s.Result("short"); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired Result error = %v, want ErrNotFound", err)
	}
	clk.Advance(time.Second)
	if _, err := s.Result("k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Result at expiry error = %v, want ErrNotFound", err)
	}
	if n, err := s.DeleteExpiredResults(); err != nil || n != 2 {
		t.Errorf("DeleteExpiredResults() = %d, %v; want 2", n, err)
	}
	tests := []struct {
		name    string
		key     string
		ttl     time.Duration
		wantErr error
	}{
		{name: "empty key", key: "", ttl: time.Second, wantErr: ErrInvalid},
		{name: "zero ttl", key: "a", ttl: 0, wantErr: ErrInvalid},
		{name: "ok", key: "a", ttl: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.PutResult(tt.key, nil, tt.ttl); !errors.Is(err, tt.wantErr) {
				t.Errorf("PutResult() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
