package state

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestRekey(t *testing.T) {
	ctx := context.Background()
	secret := []byte(`{"Version":1,"Data":{"AuthKey":"c2VjcmV0LWF1dGgta2V5"}}`)
	tests := []struct {
		name       string
		oldKey     []byte // the key the session was written with (nil: plain)
		currentKey []byte // the key Rekey runs with
		wantErr    error
	}{
		{name: "sealed", oldKey: key32(t), wantErr: nil},
		{name: "plain", oldKey: nil, wantErr: nil},
		{name: "wrong current key", oldKey: key32(t), currentKey: key32(t), wantErr: ErrWrongKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openT(t, dir, Options{EncryptionKey: tt.oldKey})
			if err := s.StoreSession(ctx, secret); err != nil {
				t.Fatal(err)
			}
			_ = s.Close()
			current := tt.oldKey
			if tt.currentKey != nil {
				current = tt.currentKey
			}
			s = openT(t, dir, Options{EncryptionKey: current})
			newKey := key32(t)
			err := s.Rekey(ctx, newKey)
			_ = s.Close()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Rekey() = %v, want %v", err, tt.wantErr)
			}
			// After a failed rekey the old key still opens the session;
			// after a good one only the new key does.
			want, other := newKey, tt.oldKey
			if tt.wantErr != nil {
				want, other = tt.oldKey, newKey
			}
			s = openT(t, dir, Options{EncryptionKey: want})
			got, err := s.LoadSession(ctx)
			if err != nil || !bytes.Equal(got, secret) {
				t.Errorf("LoadSession() with the expected key = %q, %v", got, err)
			}
			_ = s.Close()
			s = openT(t, dir, Options{EncryptionKey: other})
			if _, err := s.LoadSession(ctx); !errors.Is(err, ErrWrongKey) {
				t.Errorf("LoadSession() with the other key error = %v, want ErrWrongKey", err)
			}
			_ = s.Close()
		})
	}
}

func TestRekeyEmptyStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openT(t, dir, Options{})
	key := key32(t)
	if err := s.Rekey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreSession(ctx, []byte(`{"x":1}`)); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s = openT(t, dir, Options{})
	defer s.Close()
	if _, err := s.LoadSession(ctx); !errors.Is(err, ErrWrongKey) {
		t.Errorf("a session stored after Rekey is not sealed with the new key: %v", err)
	}
	if err := s.Rekey(ctx, []byte("short")); !errors.Is(err, ErrInvalid) {
		t.Errorf("Rekey(short key) = %v, want ErrInvalid", err)
	}
}
