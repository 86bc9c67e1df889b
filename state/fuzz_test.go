package state

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/cockroachdb/pebble"
	"github.com/gotd/td/session"
)

// fuzzKey is the key of the keyed stores of the fuzz targets and of their
// seed corpus (testdata/fuzz).
var fuzzKey = bytes.Repeat([]byte{7}, 32)

func openF(f *testing.F, opts Options) *Store {
	f.Helper()
	opts.NoSync = true
	s, err := Open(f.TempDir(), opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	return s
}

// FuzzImportCheckpoint feeds arbitrary checkpoints to a keyless and a keyed
// store: never a panic; a keyed store restores only sealed checkpoints;
// whatever is restored reads back.
func FuzzImportCheckpoint(f *testing.F) {
	for _, key := range [][]byte{nil, fuzzKey} {
		src := openF(f, Options{Account: "a", EncryptionKey: key})
		c := &Commit{State: &UpdateState{Pts: 10, Qts: 1, Seq: 2, Date: 1000}, Channels: []ChannelState{{ID: 5, Pts: 3}}}
		if err := src.Commit(c); err != nil {
			f.Fatal(err)
		}
		cp, err := src.ExportCheckpoint()
		if err != nil {
			f.Fatal(err)
		}
		data, err := src.SealCheckpoint(cp, 3)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint64(3), key != nil)
	}
	f.Add([]byte("TGCK\x02"), uint64(0), false)
	f.Add([]byte("TGCK\x02\x00\x01U\x02{}"), uint64(0), false)
	plain := openF(f, Options{Account: "a"})
	keyed := openF(f, Options{Account: "a", EncryptionKey: fuzzKey})
	f.Fuzz(func(t *testing.T, data []byte, streamLast uint64, useKey bool) {
		s := plain
		if useKey {
			s = keyed
		}
		restored, err := s.ImportCheckpoint(data, streamLast)
		if err != nil {
			if restored {
				t.Fatalf("restored with an error: %v", err)
			}
			return
		}
		if !restored {
			return
		}
		if useKey && !isSealed(data[len(checkpointMagic):]) {
			t.Fatal("keyed store restored an unsealed checkpoint")
		}
		if _, ok, err := s.UpdateState(); !ok || err != nil {
			t.Fatalf("update state after a restore: %v, %v", ok, err)
		}
		if _, err := s.Channels(); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("channels after a restore: %v", err)
		}
		if _, err := s.LoadSession(context.Background()); err != nil && !errors.Is(err, session.ErrNotFound) && !errors.Is(err, ErrWrongKey) && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("session after a restore: %v", err)
		}
	})
}

// FuzzLoadSession opens arbitrary stored session values with and without
// a key: never a panic; a plain value comes back as it is; a sealed one
// opens only under its key, else ErrWrongKey or ErrCorrupt.
func FuzzLoadSession(f *testing.F) {
	keyed := openF(f, Options{Account: "a", EncryptionKey: fuzzKey})
	if err := keyed.StoreSession(context.Background(), []byte(`{"Version":1,"Data":{"DC":2}}`)); err != nil {
		f.Fatal(err)
	}
	sealed, err := keyed.get(keySession)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, true)
	f.Add(sealed, false)
	f.Add(bytes.Clone(sealMagic), true)
	f.Add(append(bytes.Clone(sealMagic), make([]byte, 12)...), true)
	f.Add([]byte(`{"Version":1}`), true)
	plain := openF(f, Options{Account: "a"})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, stored []byte, useKey bool) {
		s := plain
		if useKey {
			s = keyed
		}
		if err := s.db.Set(keySession, stored, pebble.NoSync); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadSession(ctx)
		switch {
		case len(stored) == 0 && errors.Is(err, session.ErrNotFound):
		case !isSealed(stored):
			if err != nil || !bytes.Equal(got, stored) {
				t.Fatalf("plain session = %q, %v; want it back as stored", got, err)
			}
		case err != nil:
			if !errors.Is(err, ErrWrongKey) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("sealed session: %v, want ErrWrongKey or ErrCorrupt", err)
			}
		case !useKey:
			t.Fatal("a sealed session opened without a key")
		}
	})
}
