package state

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func openT(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	opts.NoSync = opts.NoSync || testing.Short()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func event(subject, id string, data string) OutboxRecord {
	return OutboxRecord{
		Subject: subject,
		MsgID:   id,
		Header:  map[string][]string{"Nats-Msg-Id": {id}, "ce-type": {"org.tgnats.message.created.v1"}},
		Data:    []byte(data),
		Created: time.Unix(1700000000, 123456789),
	}
}

var (
	alice = schema.PeerRef{Kind: schema.PeerUser, ID: 1001}
	group = schema.PeerRef{Kind: schema.PeerChat, ID: 2002}
	chan3 = schema.PeerRef{Kind: schema.PeerChannel, ID: 3003}
)

func TestOpenErrors(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dir     string
		opts    Options
		wantErr error
	}{
		{name: "new dir", dir: filepath.Join(root, "a", "b")},
		{name: "path is a file", dir: file, wantErr: ErrNotWritable},
		{name: "path under a file", dir: filepath.Join(file, "db"), wantErr: ErrNotWritable},
		{name: "short key", dir: filepath.Join(root, "k"), opts: Options{EncryptionKey: make([]byte, 16)}, wantErr: ErrInvalid},
		{name: "negative index size", dir: filepath.Join(root, "i"), opts: Options{IndexSize: -1}, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.dir, tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open() error = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "acct")
	s := openT(t, dir, Options{})
	if err := s.Commit(&Commit{Events: []OutboxRecord{event("s", "1", "x")}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("dir mode = %o, want 700", perm)
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s mode = %o, want no group/other access", d.Name(), perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenTwiceLocked(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open error = %v, want ErrLocked", err)
	} else if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the directory", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenUnknownVersion(t *testing.T) {
	tests := []struct {
		name     string
		value    []byte
		wantText string
	}{
		{name: "newer version", value: be32(FormatVersion + 98), wantText: "found version 99"},
		{name: "version zero", value: be32(0), wantText: "found version 0"},
		{name: "garbage", value: []byte("xx"), wantText: "holds 2 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openT(t, dir, Options{})
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := pebble.Open(dir, &pebble.Options{Logger: pebbleLogger{l: discardLogger(), exit: func(int) { t.Fatal("pebble fatal") }}})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Set(keyVersion, tt.value, pebble.Sync); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			_, err = Open(dir, Options{})
			if !errors.Is(err, ErrVersion) {
				t.Fatalf("Open error = %v, want ErrVersion", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			// A failed Open releases the lock: trying again reports the version again.
			if _, err := Open(dir, Options{}); !errors.Is(err, ErrVersion) {
				t.Fatalf("second Open error = %v, want ErrVersion", err)
			}
		})
	}
}

func discardLogger() *slog.Logger {
	o := Options{}
	o.setDefaults()
	return o.Logger
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	clk := testutil.NewClock(time.Unix(1700000000, 0))
	s := openT(t, dir, Options{Now: clk.Now})

	st := UpdateState{Pts: 10, Qts: 2, Seq: 3, Date: 1700000000, MaxMessageID: 42}
	c := &Commit{
		Events:   []OutboxRecord{event("tg.a.events.x", "id1", "one"), event("tg.a.events.x", "id2", "two")},
		State:    &st,
		Channels: []ChannelState{{ID: chan3.ID, Pts: 77, MaxMessageID: 9, AccessHash: -5}},
		Index:    []IndexEntry{{MessageID: 41, Peer: alice}, {MessageID: 42, Peer: group}},
		Peers:    []Peer{{Kind: schema.PeerUser, ID: alice.ID, AccessHash: 99, FirstName: "Alice", Username: "Alice_X"}},
	}
	if err := s.Commit(c); err != nil {
		t.Fatal(err)
	}
	if c.Events[0].Seq != 1 || c.Events[1].Seq != 2 {
		t.Fatalf("seqs = %d, %d, want 1, 2", c.Events[0].Seq, c.Events[1].Seq)
	}
	if err := s.StoreSession(ctx, []byte(`{"session":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutResult("cmd-1", []byte("ok"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openT(t, dir, Options{Now: clk.Now})
	gotState, ok, err := s.UpdateState()
	if err != nil || !ok || gotState != st {
		t.Errorf("UpdateState() = %+v, %v, %v; want %+v", gotState, ok, err, st)
	}
	ch, ok, err := s.Channel(chan3.ID)
	if err != nil || !ok || ch != c.Channels[0] {
		t.Errorf("Channel() = %+v, %v, %v; want %+v", ch, ok, err, c.Channels[0])
	}
	if ref, ok := s.MessagePeer(42); !ok || ref != group {
		t.Errorf("MessagePeer(42) = %v, %v; want %v", ref, ok, group)
	}
	if p, err := s.PeerByUsername("alice_x"); err != nil || p.AccessHash != 99 {
		t.Errorf("PeerByUsername() = %+v, %v", p, err)
	}
	if sess, err := s.LoadSession(ctx); err != nil || string(sess) != `{"session":1}` {
		t.Errorf("LoadSession() = %q, %v", sess, err)
	}
	if v, err := s.Result("cmd-1"); err != nil || string(v) != "ok" {
		t.Errorf("Result() = %q, %v", v, err)
	}
	if depth, oldest := s.OutboxStats(); depth != 2 || !oldest.Equal(c.Events[0].Created) {
		t.Errorf("OutboxStats() = %d, %v; want 2, %v", depth, oldest, c.Events[0].Created)
	}
	// The seq counter continues after the last key, even once all are acked.
	if err := s.OutboxAck(1, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir, Options{Now: clk.Now})
	c2 := &Commit{Events: []OutboxRecord{event("s", "id3", "three")}}
	if err := s.Commit(c2); err != nil {
		t.Fatal(err)
	}
	if c2.Events[0].Seq != 3 {
		t.Errorf("seq after reopening a drained outbox = %d, want 3", c2.Events[0].Seq)
	}
	recs, err := s.OutboxRead(0, 10)
	if err != nil || len(recs) != 1 || recs[0].MsgID != "id3" {
		t.Fatalf("OutboxRead() = %+v, %v", recs, err)
	}
}
