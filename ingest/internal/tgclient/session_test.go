package tgclient

import (
	"context"
	"errors"
	"testing"

	"github.com/gotd/td/session"
)

type blob struct{ data []byte }

func (b *blob) LoadSession(context.Context) ([]byte, error) {
	if b.data == nil {
		return nil, session.ErrNotFound
	}
	return b.data, nil
}

func (b *blob) StoreSession(_ context.Context, data []byte) error {
	b.data = data
	return nil
}

func TestVersionedSessionRefusesUnknownFormats(t *testing.T) {
	tests := []struct {
		name    string
		stored  []byte
		wantErr error
	}{
		{name: "none", stored: nil, wantErr: session.ErrNotFound},
		{name: "current", stored: []byte(`{"Version":1,"Data":{"DC":2}}`)},
		{name: "newer", stored: []byte(`{"Version":2,"Data":{}}`), wantErr: ErrSessionVersion},
		{name: "garbage", stored: []byte(`not json`), wantErr: ErrSessionVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Session{Storage: &blob{data: tt.stored}}
			got, err := s.LoadSession(context.Background())
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("LoadSession error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && string(got) != string(tt.stored) {
				t.Fatalf("LoadSession = %q, want the stored blob", got)
			}
		})
	}
}

func TestVersionedSessionReportsEachStore(t *testing.T) {
	stores := 0
	s := Session{Storage: &blob{}, OnStore: func() { stores++ }}
	for i := 0; i < 2; i++ {
		if err := s.StoreSession(context.Background(), []byte(`{"Version":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	if stores != 2 {
		t.Fatalf("onStore ran %d times for 2 stores: reconnects would go unnoticed", stores)
	}
}
