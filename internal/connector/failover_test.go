package connector

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/state"
)

func checkpointBucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	js := natstest.JetStream(t)
	kv, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: "TGNATS_CHECKPOINTS"})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func openTestStore(t *testing.T, key []byte) *state.Store {
	t.Helper()
	s, err := state.Open(filepath.Join(t.TempDir(), "acc"), state.Options{Account: "acc", EncryptionKey: key, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func revision(t *testing.T, kv jetstream.KeyValue) uint64 {
	t.Helper()
	e, err := kv.Get(t.Context(), "acc")
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return e.Revision()
}

// The checkpoint is never ahead of JetStream, never written without the
// lease, not rewritten when nothing changed, and fenced against another
// writer; a standby restores it.
func TestCheckpointer(t *testing.T) {
	kv := checkpointBucket(t)
	key := make([]byte, 32)
	store := openTestStore(t, key)
	var held atomic.Bool
	held.Store(true)
	cp := &checkpointer{kv: kv, a: &account{name: "acc", store: store}, held: held.Load, streamLast: noStream, log: slog.New(slog.DiscardHandler)}
	ctx := t.Context()

	// Nothing committed yet: nothing to write.
	if err := cp.write(ctx); err != nil || revision(t, kv) != 0 {
		t.Fatalf("write before any state = %v, revision %d; want nothing written", err, revision(t, kv))
	}
	ev := state.OutboxRecord{Subject: "tg.acc.events.message.created.user.1", MsgID: "m1", Data: []byte("{}")}
	c := &state.Commit{Events: []state.OutboxRecord{ev}, State: &state.UpdateState{Pts: 5, Date: 100}}
	if err := store.Commit(c); err != nil {
		t.Fatal(err)
	}
	// The event is not acknowledged: the position must not reach NATS.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := cp.write(short); err == nil || revision(t, kv) != 0 {
		t.Fatalf("write with an unacknowledged event = %v, revision %d; want it held back", err, revision(t, kv))
	}
	if err := store.OutboxAck(c.Events[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := cp.write(ctx); err != nil {
		t.Fatal(err)
	}
	first := revision(t, kv)
	if first == 0 {
		t.Fatal("no checkpoint after the ack")
	}
	if err := cp.write(ctx); err != nil || revision(t, kv) != first {
		t.Fatalf("unchanged state rewritten: %v, revision %d -> %d", err, first, revision(t, kv))
	}

	// Without the lease: not written.
	if err := store.Commit(&state.Commit{State: &state.UpdateState{Pts: 6, Date: 101}}); err != nil {
		t.Fatal(err)
	}
	held.Store(false)
	if err := cp.write(ctx); err == nil || revision(t, kv) != first {
		t.Fatalf("written without the lease: %v, revision %d", err, revision(t, kv))
	}
	held.Store(true)

	// Another node wrote meanwhile: fenced.
	if _, err := kv.Put(ctx, "acc", []byte("someone else")); err != nil {
		t.Fatal(err)
	}
	if err := cp.write(ctx); !errors.Is(err, errFenced) {
		t.Fatalf("write after another node's = %v, want errFenced", err)
	}

	// A standby with an empty store and the same key restores the last
	// checkpoint this node wrote.
	if _, err := kv.Update(ctx, "acc", mustExport(t, store), revision(t, kv)); err != nil {
		t.Fatal(err)
	}
	standby := openTestStore(t, key)
	sb := &checkpointer{kv: kv, a: &account{name: "acc", store: standby}, held: held.Load, streamLast: noStream, log: slog.New(slog.DiscardHandler)}
	if err := sb.restore(ctx); err != nil {
		t.Fatal(err)
	}
	if st, ok, _ := standby.UpdateState(); !ok || st.Pts != 6 {
		t.Fatalf("standby update state = %+v (%v), want pts 6", st, ok)
	}
	if sb.rev != revision(t, kv) {
		t.Fatalf("standby fences with revision %d, want %d", sb.rev, revision(t, kv))
	}
}

func mustExport(t *testing.T, s *state.Store) []byte {
	t.Helper()
	cp, err := s.ExportCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.SealCheckpoint(cp, 0)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// noStream is the streamLast of a test without an events stream.
func noStream(context.Context) (uint64, error) { return 0, nil }
