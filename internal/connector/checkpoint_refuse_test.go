package connector

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/tgnats/tgnats/state"
)

// A store with a key restores only checkpoints sealed and authenticated
// under that key for this account, and never one ahead of the events
// stream: an unsealed one (anyone who can write the KV key could swap the
// session or move pts), one sealed with another key or for another account,
// and one claiming events the stream does not hold are refused with a clear
// error, and the standby's state is left as it was.
func TestCheckpointRestoreRefusesForeign(t *testing.T) {
	key := make([]byte, 32)
	otherKey := make([]byte, 32)
	otherKey[0] = 1
	otherAccount, err := state.Open(filepath.Join(t.TempDir(), "other"), state.Options{Account: "other", EncryptionKey: key, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = otherAccount.Close() })
	cases := []struct {
		name      string
		from      *state.Store
		streamSeq uint64 // what the checkpoint claims
	}{
		{"unsealed", openTestStore(t, nil), 0},
		{"sealed with another key", openTestStore(t, otherKey), 0},
		{"sealed for another account", otherAccount, 0},
		{"ahead of the stream", openTestStore(t, key), 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kv := checkpointBucket(t)
			c := &state.Commit{State: &state.UpdateState{Pts: 99_999_999, Date: 100}}
			if err := tc.from.Commit(c); err != nil {
				t.Fatal(err)
			}
			cp, err := tc.from.ExportCheckpoint()
			if err != nil {
				t.Fatal(err)
			}
			data, err := tc.from.SealCheckpoint(cp, tc.streamSeq)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kv.Put(t.Context(), "acc", data); err != nil {
				t.Fatal(err)
			}
			standby := openTestStore(t, key)
			sb := &checkpointer{kv: kv, a: &account{name: "acc", store: standby}, held: func() bool { return true },
				streamLast: func(context.Context) (uint64, error) { return 5, nil }, log: slog.New(slog.DiscardHandler)}
			err = sb.restore(context.Background())
			if !errors.Is(err, state.ErrRefused) {
				t.Fatalf("restore = %v, want state.ErrRefused", err)
			}
			t.Logf("refused: %v", err)
			if st, ok, _ := standby.UpdateState(); ok {
				t.Fatalf("standby starts from the refused checkpoint: %+v", st)
			}
		})
	}
}

// A checkpoint of the format before the account and stream binding (left
// by an older version) is not restored, does not stop the account, and the
// next checkpoint replaces it.
func TestCheckpointOldFormatIgnored(t *testing.T) {
	kv := checkpointBucket(t)
	if _, err := kv.Put(t.Context(), "acc", []byte("TGCK\x01\x01U\x12{\"pts\":5,\"date\":1}")); err != nil {
		t.Fatal(err)
	}
	store := openTestStore(t, make([]byte, 32))
	cp := &checkpointer{kv: kv, a: &account{name: "acc", store: store}, held: func() bool { return true },
		streamLast: noStream, log: slog.New(slog.DiscardHandler)}
	if err := cp.restore(t.Context()); err != nil {
		t.Fatalf("restore of an old-format checkpoint: %v, want it ignored", err)
	}
	if _, ok, _ := store.UpdateState(); ok {
		t.Fatal("old-format checkpoint restored")
	}
	if err := store.Commit(&state.Commit{State: &state.UpdateState{Pts: 6, Date: 2}}); err != nil {
		t.Fatal(err)
	}
	if err := cp.write(t.Context()); err != nil {
		t.Fatalf("write over the old checkpoint: %v", err)
	}
	e, err := kv.Get(t.Context(), "acc")
	if err != nil || !bytes.HasPrefix(e.Value(), []byte("TGCK\x02")) {
		t.Fatalf("checkpoint after the write: %v; want the current format", err)
	}
}
