package lease

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/provision"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const ttl = 1500 * time.Millisecond

// bucket starts an in-process nats-server and returns the lease bucket.
func bucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	js := natstest.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := provision.EnsureLeaseBucket(ctx, js, provision.LeaseBucket{Name: schema.DefaultLeaseBucket, TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// flakyKV fails every write while fail is set, like a NATS partition.
type flakyKV struct {
	KV
	fail atomic.Bool
}

func (f *flakyKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	if f.fail.Load() {
		return 0, nats.ErrConnectionClosed
	}
	return f.KV.Create(ctx, key, value, opts...)
}

func (f *flakyKV) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	if f.fail.Load() {
		return 0, nats.ErrConnectionClosed
	}
	return f.KV.Update(ctx, key, value, rev)
}

// node runs a Leader in the background and records when it leads.
type node struct {
	l       *Leader
	cancel  context.CancelFunc
	done    chan error
	leading chan uint64    // revision, on each acquisition
	stopped chan time.Time // when a lead context ended
}

func startNode(t *testing.T, cfg Config) *node {
	t.Helper()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{l: l, cancel: cancel, done: make(chan error, 1), leading: make(chan uint64, 10), stopped: make(chan time.Time, 10)}
	go func() {
		n.done <- l.Run(ctx, func(ctx context.Context, rev uint64) error {
			n.leading <- rev
			<-ctx.Done()
			n.stopped <- time.Now()
			return nil
		})
	}()
	t.Cleanup(func() { n.stop(t) })
	return n
}

func (n *node) stop(t *testing.T) {
	t.Helper()
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	if err := <-n.done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func waitLeading(t *testing.T, n *node, within time.Duration) (uint64, time.Time) {
	t.Helper()
	select {
	case rev := <-n.leading:
		return rev, time.Now()
	case <-time.After(within):
		t.Fatalf("%s did not acquire the lease within %s", n.l.cfg.Node, within)
		return 0, time.Time{}
	}
}

func assertNotLeading(t *testing.T, n *node, during time.Duration) {
	t.Helper()
	select {
	case <-n.leading:
		t.Fatalf("%s acquired a lease held by another node", n.l.cfg.Node)
	case <-time.After(during): // a bounded observation window, not synchronisation
	}
}

func TestOneHolderAndCleanHandOver(t *testing.T) {
	kv := bucket(t)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	var logA syncbuf.Buffer
	a := startNode(t, Config{KV: kv, Key: "acc", Node: "a", TTL: ttl, Metrics: m, Logger: slog.New(slog.NewTextHandler(&logA, nil))})
	revA, _ := waitLeading(t, a, 5*time.Second)
	if !a.l.Held() {
		t.Fatal("Held() = false while leading")
	}
	b := startNode(t, Config{KV: kv, Key: "acc", Node: "b", TTL: ttl})
	// Renewals keep the lease well past its TTL.
	assertNotLeading(t, b, 2*ttl)
	if got := value(m.held.WithLabelValues("acc")); got != 1 {
		t.Fatalf("lease_held = %v, want 1", got)
	}

	// A clean stop deletes the key (revision-checked), so the standby
	// takes over at its next retry instead of waiting out the TTL.
	a.stop(t)
	if !strings.Contains(logA.String(), "lease released") {
		t.Fatalf("stopped holder did not release its lease:\n%s", logA.String())
	}
	revB, _ := waitLeading(t, b, 5*time.Second)
	if revB == revA {
		t.Fatalf("new holder has the old revision %d", revA)
	}
	if a.l.Held() {
		t.Fatal("Held() = true after release")
	}
	if got := value(m.held.WithLabelValues("acc")); got != 0 {
		t.Fatalf("lease_held = %v after release, want 0", got)
	}
	if got := value(m.losses.WithLabelValues("acc")); got != 0 {
		t.Fatalf("lease_losses_total = %v after a clean release, want 0", got)
	}
}

// A holder that cannot renew stops before the TTL ends; the standby gets
// the lease only after it, so they never lead at the same time.
func TestHolderStopsBeforeTakeover(t *testing.T) {
	kv := bucket(t)
	flaky := &flakyKV{KV: kv}
	m := NewMetrics(nil)
	a := startNode(t, Config{KV: flaky, Key: "acc", Node: "a", TTL: ttl, Metrics: m})
	waitLeading(t, a, 5*time.Second)
	b := startNode(t, Config{KV: kv, Key: "acc", Node: "b", TTL: ttl})

	flaky.fail.Store(true)
	var stoppedA time.Time
	select {
	case stoppedA = <-a.stopped:
	case <-time.After(2 * ttl):
		t.Fatal("holder kept leading without renewals")
	}
	if a.l.Held() {
		t.Fatal("Held() = true after the loss")
	}
	_, leadB := waitLeading(t, b, 3*ttl)
	if !stoppedA.Before(leadB) {
		t.Fatalf("standby led at %v, before the old holder stopped at %v", leadB, stoppedA)
	}
	if got := value(m.losses.WithLabelValues("acc")); got != 1 {
		t.Fatalf("lease_losses_total = %v, want 1", got)
	}
	// a retries: it cannot get the lease back while b holds it.
	flaky.fail.Store(false)
	assertNotLeading(t, a, ttl)
}

// A renewal refused (the key was taken away) stops the holder at once.
func TestRefusedRenewalStopsAtOnce(t *testing.T) {
	kv := bucket(t)
	var (
		mu   sync.Mutex
		lost error
	)
	l, err := New(Config{KV: kv, Key: "acc", Node: "a", TTL: 3 * time.Second, Renew: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	acquired := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		first := true
		done <- l.Run(ctx, func(lctx context.Context, rev uint64) error {
			if !first {
				<-lctx.Done()
				return nil
			}
			first = false
			close(acquired)
			<-lctx.Done()
			mu.Lock()
			lost = context.Cause(lctx)
			mu.Unlock()
			cancel()
			return nil
		})
	}()
	<-acquired
	start := time.Now()
	if err := kv.Purge(context.Background(), "acc"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("holder did not stop after its lease was taken away")
	}
	// It notices at its next renewal (every TTL/3); a loaded machine may
	// delay that, but never past the TTL.
	if d := time.Since(start); d > ttl {
		t.Fatalf("stopped %s after the refusal, want within the TTL %s", d, ttl)
	}
	mu.Lock()
	defer mu.Unlock()
	if !errors.Is(lost, ErrLost) {
		t.Fatalf("lead context cause = %v, want ErrLost", lost)
	}
}

func TestLeadErrorReleases(t *testing.T) {
	kv := bucket(t)
	l, err := New(Config{KV: kv, Key: "acc", Node: "a", TTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("login refused")
	err = l.Run(context.Background(), func(context.Context, uint64) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the lead error", err)
	}
	if _, err := kv.Get(context.Background(), "acc"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("lease still present after lead failed: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	kv := &flakyKV{}
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
	}{
		{"ok", Config{KV: kv, Key: "a", TTL: time.Second}, nil},
		{"no kv", Config{Key: "a", TTL: time.Second}, ErrInvalid},
		{"no key", Config{KV: kv, TTL: time.Second}, ErrInvalid},
		{"no ttl", Config{KV: kv, Key: "a"}, ErrInvalid},
		{"renew too slow", Config{KV: kv, Key: "a", TTL: time.Second, Renew: 900 * time.Millisecond}, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func value(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		return -1
	}
	if d.Gauge != nil {
		return d.Gauge.GetValue()
	}
	return d.Counter.GetValue()
}

// A renewal can reach the server after the holder stopped waiting for its
// answer: the key is still the holder's, at a revision it never heard of.
// Stopping must still release it, or the standby waits out the TTL.
func TestReleaseAfterAnUnseenRenewal(t *testing.T) {
	kv := bucket(t)
	a := startNode(t, Config{KV: kv, Key: "acc", Node: "a", TTL: ttl})
	rev, _ := waitLeading(t, a, 5*time.Second)
	if _, err := kv.Update(context.Background(), "acc", []byte("a"), rev); err != nil {
		t.Fatal(err)
	}
	a.stop(t)
	if e, err := kv.Get(context.Background(), "acc"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("after stop: entry %v, error %v; want the lease released", e, err)
	}
}
