package publisher

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/internal/testutil"
)

// TestBatchFailureInTheMiddleKeepsChatOrder: the stream refuses a message
// in the middle of a fast batch (it is full, discard new) while the
// messages behind it are already on the wire. Once it has room again,
// every event is stored exactly once and each chat in order: the refused
// message and those sent behind it are republished from the refused one.
func TestBatchFailureInTheMiddleKeepsChatOrder(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	defer s.Shutdown()
	_, js, st := connect(t, s.ClientURL())
	updateStream(t, js, st, func(c *jetstream.StreamConfig) {
		c.MaxMsgs, c.Discard = 50, jetstream.DiscardNew
	})

	const chats, n = 4, 50
	ob := newMemOutbox()
	ob.add(events(chats, n)...)
	reg := prometheus.NewRegistry()
	p, err := New(Config{Account: "acc", Outbox: ob, JS: js, Window: 64, Registerer: reg,
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)

	testutil.Eventually(t, 10*time.Second, "the stream to refuse a message", func() bool {
		return metricValue(t, reg, "tgnats_publish_errors_total") >= 2
	})
	if d := ob.depth(); d != chats*n-50 {
		t.Fatalf("outbox depth %d while the stream is full, want %d", d, chats*n-50)
	}
	updateStream(t, js, st, func(c *jetstream.StreamConfig) { c.MaxMsgs = -1 })
	testutil.Eventually(t, 20*time.Second, "outbox drained", p.Idle)
	checkRawStream(t, streamMsgs(t, st), chats, n)
	if got := metricValue(t, reg, "tgnats_events_published_total"); got != chats*n {
		t.Errorf("published %v, want %d", got, chats*n)
	}
}

// TestBatchServerRestartMidBatch: the server goes away while a long batch
// is on the wire and comes back; nothing is lost or stored twice and each
// chat's events are in order.
func TestBatchServerRestartMidBatch(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, -1)
	port := s.Addr().(*net.TCPAddr).Port
	_, js, st := connect(t, s.ClientURL())

	const chats, n = 8, 500
	ob := newMemOutbox()
	ob.add(events(chats, n)...)
	reg := prometheus.NewRegistry()
	p, err := New(Config{Account: "acc", Outbox: ob, JS: js, Registerer: reg,
		AckTimeout: 300 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)
	testutil.Eventually(t, 10*time.Second, "publishing under way", func() bool {
		return metricValue(t, reg, "tgnats_events_published_total") >= 200
	})
	s.Shutdown()
	s.WaitForShutdown()
	s = startServer(t, dir, port)
	defer s.Shutdown()
	testutil.Eventually(t, 30*time.Second, "outbox drained", p.Idle)
	checkRawStream(t, streamMsgs(t, st), chats, n)
}

// TestBatchFallbackWithoutAllowBatched: a stream that does not allow fast
// batches (created by hand, or by an older tgnats) gets every event in
// order, one publish per chat at a time, with a log line saying so.
func TestBatchFallbackWithoutAllowBatched(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	defer s.Shutdown()
	_, js, st := connect(t, s.ClientURL())
	updateStream(t, js, st, func(c *jetstream.StreamConfig) {
		c.AllowBatchPublish = false
	})
	const chats, n = 3, 40
	ob := newMemOutbox()
	ob.add(events(chats, n)...)
	logs := &logSink{}
	p, err := New(Config{Account: "acc", Outbox: ob, JS: js, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)
	testutil.Eventually(t, 20*time.Second, "outbox drained", p.Idle)
	checkRawStream(t, streamMsgs(t, st), chats, n)
	if got := logs.count(slog.LevelInfo, "server or stream without fast batch publishing; publishing one event per chat at a time"); got != 1 {
		t.Errorf("%d fallback log lines, want 1", got)
	}
}
