package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/syncbuf"
)

// interruptible runs the command line with a context the test cancels, as
// Ctrl-C cancels main's.
type interruptible struct {
	cancel   context.CancelFunc
	in       *io.PipeWriter
	out, err syncbuf.Buffer
	done     chan int
}

func startInterruptible(t *testing.T, args ...string) *interruptible {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	c := &interruptible{cancel: cancel, in: w, done: make(chan int, 1)}
	go func() {
		code := runCtx(ctx, args, r, &c.out, &c.err)
		_ = r.Close()
		c.done <- code
	}()
	t.Cleanup(func() {
		cancel()
		_ = w.Close()
	})
	return c
}

// interrupt cancels and returns what a user sees.
func (c *interruptible) interrupt(t *testing.T) result {
	t.Helper()
	c.cancel()
	select {
	case code := <-c.done:
		return result{code: code, stdout: c.out.String(), stderr: c.err.String()}
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after Ctrl-C; stderr:\n%s", c.err.String())
		return result{}
	}
}

func (c *interruptible) waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		select {
		case code := <-c.done:
			t.Fatalf("exited (%d) before %s; stdout:\n%s\nstderr:\n%s", code, what, c.out.String(), c.err.String())
		case <-time.After(20 * time.Millisecond): // polling
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s; stdout:\n%s\nstderr:\n%s", what, limit, c.out.String(), c.err.String())
		}
	}
}

// wantInterrupted: exit 130, one "tgnats: " line saying so, no panic.
func wantInterrupted(t *testing.T, r result) {
	t.Helper()
	wantOneError(t, r, "interrupted")
	if r.code != 130 {
		t.Errorf("exit code %d after Ctrl-C, want 130", r.code)
	}
}

// Ctrl-C at the login code prompt ends `connector login` with exit 130 and
// one line, not a nil-pointer panic.
func TestLoginInterrupted(t *testing.T) {
	w := newLoginWorld(t, "")
	c := startInterruptible(t, "login", "--config", w.cfgFile, "--account", simAlice.Name)
	c.waitFor(t, "the code prompt", 60*time.Second, func() bool { return strings.Contains(c.out.String(), codePrompt) })
	wantInterrupted(t, c.interrupt(t))
}

// While Telegram cannot be reached, `connector login` says so at warn
// level with the address within a few seconds; Ctrl-C then exits 130.
func TestLoginUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	cfg := fmt.Sprintf("data_dir: %q\naccounts:\n  - {name: alice, app_hash: %q, phone: %q, dc: {id: 2, address: %q}}\n",
		filepath.Join(dir, "data"), testAppHash, simAlice.Phone, addr)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c := startInterruptible(t, "login", "--config", cfgFile, "--account", "alice")
	c.waitFor(t, "a warning naming "+addr, 5*time.Second, func() bool {
		return strings.Contains(c.err.String(), "level=WARN") && strings.Contains(c.err.String(), addr)
	})
	wantInterrupted(t, c.interrupt(t))
}
