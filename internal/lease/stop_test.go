package lease

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/syncbuf"
)

// A graceful stop that takes longer than the TTL (draining an outbox,
// writing the last checkpoint) keeps the lease until the lead function
// returns, then releases it: the standby neither takes over meanwhile nor
// waits out the TTL afterwards.
func TestGracefulStopHoldsLeaseUntilLeadReturns(t *testing.T) {
	kv := bucket(t)
	var logA syncbuf.Buffer
	l, err := New(Config{KV: kv, Key: "acc", Node: "a", TTL: ttl, Logger: slog.New(slog.NewTextHandler(&logA, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	leading, draining, finish := make(chan struct{}), make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- l.Run(ctx, func(ctx context.Context, _ uint64) error {
			close(leading)
			<-ctx.Done()
			close(draining)
			<-finish
			return nil
		})
	}()
	select {
	case <-leading:
	case <-time.After(5 * time.Second):
		t.Fatal("a did not acquire the lease")
	}
	b := startNode(t, Config{KV: kv, Key: "acc", Node: "b", TTL: ttl})

	cancel()
	<-draining
	assertNotLeading(t, b, 2*ttl) // the stop outlasts the TTL
	if !l.Held() {
		t.Fatal("Held() = false while the stopping holder still works under its lease")
	}
	close(finish)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if out := logA.String(); !strings.Contains(out, "lease released") || strings.Contains(out, "not released") {
		t.Fatalf("the stopped holder did not release its lease:\n%s", out)
	}
	waitLeading(t, b, ttl/4+time.Second)
}
