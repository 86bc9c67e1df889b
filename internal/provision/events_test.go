package provision

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/natstest"
)

func TestEnsureEventStream(t *testing.T) {
	js := natstest.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	st, err := EnsureEventStream(ctx, js, EventStream{Prefix: "tgx", Account: "my-bot", MaxAge: 48 * time.Hour, DuplicateWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if cfg.Name != "TG_MY_BOT_EVENTS" {
		t.Errorf("name %q, want TG_MY_BOT_EVENTS", cfg.Name)
	}
	if len(cfg.Subjects) != 1 || cfg.Subjects[0] != "tgx.my-bot.events.>" {
		t.Errorf("subjects %q, want [tgx.my-bot.events.>]", cfg.Subjects)
	}
	if cfg.Storage != jetstream.FileStorage || cfg.Replicas != 1 || cfg.MaxAge != 48*time.Hour || cfg.Duplicates != time.Hour {
		t.Errorf("storage %v replicas %d max age %s duplicates %s, want file 1 48h 1h", cfg.Storage, cfg.Replicas, cfg.MaxAge, cfg.Duplicates)
	}

	// Starting again with other settings updates the stream in place.
	st, err = EnsureEventStream(ctx, js, EventStream{Prefix: "tgx", Account: "my-bot"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg := st.CachedInfo().Config; cfg.MaxAge != 0 || cfg.Duplicates != 2*time.Hour {
		t.Errorf("after update: max age %s duplicates %s, want 0 and the 2h default", cfg.MaxAge, cfg.Duplicates)
	}
}

func TestEnsureEventStreamInvalid(t *testing.T) {
	tests := []struct {
		name    string
		cfg     EventStream
		wantErr error
		wantMsg string
	}{
		{name: "no prefix", cfg: EventStream{Account: "a"}, wantErr: ErrInvalidConfig, wantMsg: `stream prefix: must be one subject token, got ""`},
		{name: "dotted account", cfg: EventStream{Prefix: "tg", Account: "a.b"}, wantErr: ErrInvalidConfig, wantMsg: `stream account: must be one subject token, got "a.b"`},
		{name: "replicas", cfg: EventStream{Prefix: "tg", Account: "a", Replicas: 7}, wantErr: ErrInvalidConfig, wantMsg: "stream replicas: must be 1 to 5, got 7"},
		{name: "window over max age", cfg: EventStream{Prefix: "tg", Account: "a", MaxAge: time.Hour}, wantErr: ErrInvalidConfig, wantMsg: "stream duplicate window 2h0m0s: longer than max age 1h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Validation fails before the stream manager is used.
			_, err := EnsureEventStream(context.Background(), nil, tt.cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("EnsureEventStream: %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}
