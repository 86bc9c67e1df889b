package tgclient_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/ingest"
	"github.com/tgnats/tgnats/ingest/auth"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/state"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

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

// While Telegram cannot be reached, the clients that dial with
// ReportingDial, `run` (ingest.Account.Run) and `login` (auth.Login), say so
// at warn level with the address within a few seconds; cancelled (Ctrl-C),
// Run returns nil and Login returns the context's error, not a nil user
// without an error.
func TestUnreachableDC(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(ctx context.Context, addr string, st *state.Store, log *slog.Logger) error
	}{
		{"run", func(ctx context.Context, addr string, st *state.Store, log *slog.Logger) error {
			a, err := ingest.NewAccount(ingest.AccountConfig{Account: "main", AppID: 1, AppHash: "x", BotToken: "1:x", DCAddr: addr, Store: st, Logger: log})
			if err != nil {
				return err
			}
			if err := a.Run(ctx); err != nil {
				return err
			}
			return ctx.Err()
		}},
		{"login", func(ctx context.Context, addr string, st *state.Store, log *slog.Logger) error {
			u, err := auth.Login(ctx, auth.Config{Account: "main", AppID: 1, AppHash: "x", DCAddr: addr, Store: st, Logger: log}, noPrompt{})
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
