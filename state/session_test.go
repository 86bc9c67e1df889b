package state

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/gotd/td/session"
)

func key32(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSession(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		key  bool
	}{{name: "plain"}, {name: "sealed", key: true}} {
		t.Run(tt.name, func(t *testing.T) {
			var opts Options
			if tt.key {
				opts.EncryptionKey = key32(t)
			}
			s := openT(t, t.TempDir(), opts)
			if _, err := s.LoadSession(ctx); !errors.Is(err, session.ErrNotFound) {
				t.Fatalf("LoadSession() on empty store error = %v, want session.ErrNotFound", err)
			}
			for _, data := range []string{`{"Version":1}`, `{"Version":2}`} {
				if err := s.StoreSession(ctx, []byte(data)); err != nil {
					t.Fatal(err)
				}
				got, err := s.LoadSession(ctx)
				if err != nil || string(got) != data {
					t.Fatalf("LoadSession() = %q, %v; want %q", got, err, data)
				}
			}
			if err := s.DeleteSession(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := s.LoadSession(ctx); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("LoadSession() after delete error = %v, want session.ErrNotFound", err)
			}
			canceled, cancel := context.WithCancel(ctx)
			cancel()
			if err := s.StoreSession(canceled, []byte("x")); !errors.Is(err, context.Canceled) {
				t.Errorf("StoreSession(canceled) error = %v", err)
			}
		})
	}
}

func TestSessionEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := key32(t)
	secret := []byte(`{"auth_key":"SECRET-AUTH-KEY-0123456789abcdef"}`)
	s := openT(t, dir, Options{EncryptionKey: key})
	if err := s.StoreSession(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("SECRET-AUTH-KEY")) {
			t.Errorf("session in clear in %s", d.Name())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		key     []byte
		wantErr error
	}{
		{name: "no key", key: nil, wantErr: ErrWrongKey},
		{name: "wrong key", key: key32(t), wantErr: ErrWrongKey},
		{name: "right key", key: key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(dir, Options{EncryptionKey: tt.key})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := s.LoadSession(ctx)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LoadSession() error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, secret) {
				t.Errorf("LoadSession() = %q, want %q", got, secret)
			}
		})
	}
}

func TestSessionPlainThenKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	if err := s.StoreSession(ctx, []byte(`{"plain":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	key := key32(t)
	s = openT(t, dir, Options{EncryptionKey: key})
	got, err := s.LoadSession(ctx)
	if err != nil || string(got) != `{"plain":1}` {
		t.Fatalf("LoadSession() of plain session with key = %q, %v", got, err)
	}
	if err := s.StoreSession(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Now sealed: without the key it no longer reads.
	s = openT(t, dir, Options{})
	if _, err := s.LoadSession(ctx); !errors.Is(err, ErrWrongKey) {
		t.Errorf("LoadSession() without key after re-seal error = %v, want ErrWrongKey", err)
	}
}

func TestClosedStore(t *testing.T) {
	ctx := context.Background()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"LoadSession", func() error { _, err := s.LoadSession(ctx); return err }},
		{"StoreSession", func() error { return s.StoreSession(ctx, nil) }},
		{"Commit", func() error { return s.Commit(&Commit{}) }},
		{"OutboxRead", func() error { _, err := s.OutboxRead(0, 1); return err }},
		{"OutboxAck", func() error { return s.OutboxAck(1) }},
		{"UpdateState", func() error { _, _, err := s.UpdateState(); return err }},
		{"Result", func() error { _, err := s.Result("k"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrClosed) {
				t.Errorf("error = %v, want ErrClosed", err)
			}
		})
	}
	if _, ok := s.MessagePeer(1); ok {
		t.Error("MessagePeer on closed store found something")
	}
}
