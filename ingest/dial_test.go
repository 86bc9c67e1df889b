package ingest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/state"
)

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// noPrompt fails every question: the login never gets that far.
type noPrompt struct{}

func (noPrompt) Phone(context.Context) (string, error)    { return "", errors.New("not asked") }
func (noPrompt) Code(context.Context) (string, error)     { return "", errors.New("not asked") }
func (noPrompt) Password(context.Context) (string, error) { return "", errors.New("not asked") }

// While Telegram cannot be reached, `run` (Account.Run) and `login` say so
// at warn level with the address within a few seconds; cancelled (Ctrl-C),
// Run returns nil and Login returns the context's error, not a nil user
// without an error.
func TestUnreachableDC(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(ctx context.Context, addr string, st *state.Store, log *slog.Logger) error
	}{
		{"run", func(ctx context.Context, addr string, st *state.Store, log *slog.Logger) error {
			a, err := NewAccount(AccountConfig{Account: "main", AppID: 1, AppHash: "x", BotToken: "1:x", DCAddr: addr, Store: st, Logger: log})
			if err != nil {
				return err
			}
			if err := a.Run(ctx); err != nil {
				return err
			}
			return ctx.Err()
		}},
		{"login", func(ctx context.Context, addr string, st *state.Store, log *slog.Logger) error {
			u, err := Login(ctx, LoginConfig{Account: "main", AppID: 1, AppHash: "x", DCAddr: addr, Store: st, Logger: log}, noPrompt{})
			if err == nil && u == nil {
				return errors.New("Login returned neither a user nor an error")
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := closedAddr(t)
			st, err := state.Open(filepath.Join(t.TempDir(), "main"), state.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var logs syncbuf.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- tc.run(ctx, addr, st, log) }()

			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), addr) {
				if time.Now().After(deadline) {
					cancel()
					<-done
					t.Fatalf("no warning naming %s within 5s; logs:\n%s", addr, logs.String())
				}
				time.Sleep(20 * time.Millisecond) // polling
			}
			t.Logf("logs: %s", logs.String())
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("after cancel: %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still running 10s after cancel")
			}
		})
	}
}
