package publisher

import (
	"github.com/gotd/neo"

	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/internal/provision"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/state"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startServer starts a JetStream server on port (-1 = random) storing in dir.
func startServer(t testing.TB, dir string, port int) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatal("nats-server not ready")
	}
	return s
}

// connect returns a JetStream client of url that reconnects forever, and
// ensures the stream of account "acc".
func connect(t testing.TB, url string) (*nats.Conn, jetstream.JetStream, jetstream.Stream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := provision.EnsureEventStream(ctx, js, provision.EventStream{Prefix: "tg", Account: "acc"})
	if err != nil {
		t.Fatal(err)
	}
	return nc, js, st
}

// streamMsgs returns every message of st in stream order.
func streamMsgs(t *testing.T, st jetstream.Stream) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get msg %d: %v", seq, err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// checkStream asserts that msgs hold events 0..n-1 of every chat exactly
// once, each chat in order, with Nats-Msg-Id set to the event id.
func checkStream(t *testing.T, subjects []string, headers []nats.Header, chats, n int) {
	t.Helper()
	if len(subjects) != chats*n {
		t.Errorf("stream holds %d events, want %d", len(subjects), chats*n)
	}
	next := map[int64]int{}
	for i, subj := range subjects {
		chat, err := strconv.ParseInt(subj[strings.LastIndexByte(subj, '.')+1:], 10, 64)
		if err != nil {
			t.Fatalf("subject %q: %v", subj, err)
		}
		want := event(chat, next[chat])
		if got := headers[i].Get(jetstream.MsgIDHeader); got != want.MsgID {
			t.Fatalf("chat %d: event %d of the stream has msg id %q, want %q (out of order or duplicated)", chat, i, got, want.MsgID)
		}
		if got := headers[i].Get("ce-id"); got != want.MsgID {
			t.Errorf("ce-id header %q not carried, want %q", got, want.MsgID)
		}
		next[chat]++
	}
}

func checkRawStream(t *testing.T, msgs []*jetstream.RawStreamMsg, chats, n int) {
	t.Helper()
	subjects := make([]string, len(msgs))
	headers := make([]nats.Header, len(msgs))
	for i, m := range msgs {
		subjects[i], headers[i] = m.Subject, m.Header
	}
	checkStream(t, subjects, headers, chats, n)
}

func checkFakeStream(t *testing.T, msgs []*nats.Msg, chats, n int) {
	t.Helper()
	subjects := make([]string, len(msgs))
	headers := make([]nats.Header, len(msgs))
	for i, m := range msgs {
		subjects[i], headers[i] = m.Subject, m.Header
	}
	checkStream(t, subjects, headers, chats, n)
}

func TestPublishesEverythingOnceInOrder(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	defer s.Shutdown()
	_, js, st := connect(t, s.ClientURL())

	const chats, n = 5, 60
	all := events(chats, n)
	ob := newMemOutbox()
	ob.add(all[:len(all)/2]...)
	p, err := New(Config{Account: "acc", Outbox: ob, JS: js, Window: 16})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)
	ob.add(all[len(all)/2:]...) // arrives while running: picked up on notify
	testutil.Eventually(t, 20*time.Second, "outbox drained", p.Idle)

	checkRawStream(t, streamMsgs(t, st), chats, n)
}

func TestDeletesOnlyAfterAck(t *testing.T) {
	f := newFakeJS(func(string, int) outcome { return hold })
	ob := newMemOutbox()
	ob.OnAck(func(_ []uint64, recs []state.OutboxRecord) {
		for _, r := range recs {
			if !f.wasAcked(r.MsgID) {
				t.Errorf("record %d (%s) deleted before its ack", r.Seq, r.MsgID)
			}
		}
	})
	ob.add(events(3, 2)...)
	p, err := New(Config{Account: "acc", Outbox: ob, JS: f})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)

	// One publish per chat goes out; none is acked, nothing is deleted.
	testutil.Eventually(t, 5*time.Second, "first event of each chat sent", func() bool { return len(f.heldIDs()) == 3 })
	if d := ob.depth(); d != 6 {
		t.Fatalf("outbox depth %d before any ack, want 6", d)
	}
	if p.Idle() {
		t.Fatal("Idle with unacked events")
	}

	// Ack chat 1's first event: it is deleted and chat 1's second event goes out.
	f.release(event(1, 0).MsgID)
	testutil.Eventually(t, 5*time.Second, "chat 1 event 1 sent", func() bool {
		for _, id := range f.heldIDs() {
			if id == event(1, 1).MsgID {
				return true
			}
		}
		return false
	})
	if d := ob.depth(); d != 5 {
		t.Fatalf("outbox depth %d after one ack, want 5", d)
	}

	for len(f.heldIDs()) > 0 {
		f.release(f.heldIDs()...)
		testutil.Eventually(t, 5*time.Second, "next events sent or outbox empty", func() bool { return len(f.heldIDs()) > 0 || ob.depth() == 0 })
	}
	testutil.Eventually(t, 5*time.Second, "idle", p.Idle)
	checkFakeStream(t, f.storedMsgs(), 3, 2)
}

// chance deterministically maps an attempt to [0, 100).
func chance(id string, attempt int) int {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", id, attempt)
	return int(h.Sum32() % 100)
}

func TestPerChatOrderUnderFailures(t *testing.T) {
	// First attempts fail in every way a publish can; some retries too.
	f := newFakeJS(func(id string, attempt int) outcome {
		c := chance(id, attempt)
		if attempt > 3 {
			return ack
		}
		switch {
		case c < 10:
			return failSync
		case c < 25:
			return failAsync
		case c < 35:
			return storeNoAck // stored, ack lost: the retry must be a duplicate
		}
		return ack
	})
	f.async = true // acks and errors arrive later, newest first
	f.ackTimeout = 20 * time.Millisecond
	ob := newMemOutbox()
	ob.OnAck(func(_ []uint64, recs []state.OutboxRecord) {
		for _, r := range recs {
			if !f.wasAcked(r.MsgID) {
				t.Errorf("record %d (%s) deleted before its ack", r.Seq, r.MsgID)
			}
		}
	})
	const chats, n = 8, 40
	ob.add(events(chats, n)...)
	p, err := New(Config{Account: "acc", Outbox: ob, JS: f, Window: 32,
		AckTimeout: 20 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)
	testutil.Eventually(t, 30*time.Second, "outbox drained", func() bool {
		f.resolveAll()
		return p.Idle()
	})

	checkFakeStream(t, f.storedMsgs(), chats, n)
	if f.totalAttempts() <= chats*n {
		t.Errorf("%d attempts for %d events: failures were not injected", f.totalAttempts(), chats*n)
	}
	if got := f.overlaps(); got != 0 {
		t.Errorf("%d publishes overlapped an unresolved publish of the same chat", got)
	}
}

// TestOutageLosesNothing runs with fast batches and with one publish per
// chat (the fallback for servers without them).
func TestOutageLosesNothing(t *testing.T) {
	for _, mode := range []struct {
		name    string
		noBatch bool
	}{{"batch", false}, {"per-chat", true}} {
		t.Run(mode.name, func(t *testing.T) { testOutageLosesNothing(t, mode.noBatch) })
	}
}

func testOutageLosesNothing(t *testing.T, noBatch bool) {
	dir := t.TempDir()
	s := startServer(t, dir, -1)
	port := s.Addr().(*net.TCPAddr).Port
	_, js, st := connect(t, s.ClientURL())

	const chats, n = 4, 30
	all := events(chats, n)
	ob := newMemOutbox()
	logs := &logSink{}
	reg := prometheus.NewRegistry()
	p, err := New(Config{Account: "acc", Outbox: ob, JS: js, Window: 8, NoBatch: noBatch, Logger: slog.New(logs), Registerer: reg,
		AckTimeout: 200 * time.Millisecond, MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)

	ob.add(all[:40]...)
	testutil.Eventually(t, 10*time.Second, "first batch published", p.Idle)

	s.Shutdown()
	s.WaitForShutdown()
	ob.add(all[40:80]...)
	testutil.Eventually(t, 10*time.Second, "outage noticed", func() bool { return metricValue(t, reg, "tgnats_publish_errors_total") > 0 })
	if d := ob.depth(); d != 40 {
		t.Errorf("outbox depth %d during outage, want all 40 events kept", d)
	}

	s = startServer(t, dir, port)
	defer s.Shutdown()
	ob.add(all[80:]...)
	testutil.Eventually(t, 20*time.Second, "outbox drained after restart", p.Idle)

	// A replay of an already published event (say after a crash between
	// ack and delete) is acked as a duplicate and not stored again.
	ob.add(all[0])
	testutil.Eventually(t, 10*time.Second, "replay acked", p.Idle)

	checkRawStream(t, streamMsgs(t, st), chats, n)
	// Fast batches do not report duplicates one by one.
	if got := metricValue(t, reg, "tgnats_events_duplicate_total"); noBatch && got < 1 {
		t.Errorf("duplicates %v, want at least the replayed event", got)
	}
	if got := logs.count(slog.LevelWarn, "publishing to JetStream fails; events wait in the outbox"); got != 1 {
		t.Errorf("%d outage warnings, want 1 (at most one per 30s)", got)
	}
	if got := logs.count(slog.LevelInfo, "publishing to JetStream recovered"); got != 1 {
		t.Errorf("%d recovery lines, want 1", got)
	}
}

func TestOutageWarningsThrottled(t *testing.T) {
	clock := neo.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := newFakeJS(func(string, int) outcome { return failAsync })
	ob := newMemOutbox()
	ob.add(events(2, 3)...)
	logs := &logSink{}
	p, err := New(Config{Account: "acc", Outbox: ob, JS: f, Logger: slog.New(logs), Now: clock.Now,
		MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)
	const warn = "publishing to JetStream fails; events wait in the outbox"

	testutil.Eventually(t, 5*time.Second, "many failures", func() bool { return f.totalAttempts() > 20 })
	if got := logs.count(slog.LevelWarn, warn); got != 1 {
		t.Fatalf("%d warnings within 30s of failures, want 1", got)
	}
	clock.Travel(31 * time.Second)
	before := f.totalAttempts()
	testutil.Eventually(t, 5*time.Second, "more failures", func() bool { return f.totalAttempts() > before+5 })
	if got := logs.count(slog.LevelWarn, warn); got != 2 {
		t.Fatalf("%d warnings after 31s more of failures, want 2", got)
	}

	f.setDecide(func(string, int) outcome { return ack })
	testutil.Eventually(t, 5*time.Second, "drained", p.Idle)
	if got := logs.count(slog.LevelInfo, "publishing to JetStream recovered"); got != 1 {
		t.Errorf("%d recovery lines, want 1", got)
	}
	checkFakeStream(t, f.storedMsgs(), 2, 3)
}

func TestDrain(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	defer s.Shutdown()
	_, js, st := connect(t, s.ClientURL())

	ob := newMemOutbox()
	ob.add(events(3, 20)...)
	p, err := New(Config{Account: "acc", Outbox: ob, JS: js})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if d := ob.depth(); d != 0 {
		t.Errorf("outbox depth %d after Drain, want 0", d)
	}
	checkRawStream(t, streamMsgs(t, st), 3, 20)
}

func TestDrainDeadline(t *testing.T) {
	f := newFakeJS(func(string, int) outcome { return failAsync })
	ob := newMemOutbox()
	ob.add(events(2, 5)...)
	p, err := New(Config{Account: "acc", Outbox: ob, JS: f, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = p.Drain(ctx)
	if !errors.Is(err, ErrNotDrained) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain error %v, want ErrNotDrained and DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "10 events left") {
		t.Errorf("Drain error %q does not say how many events are left", err)
	}
	if d := ob.depth(); d != 10 {
		t.Errorf("outbox depth %d, want all 10 kept", d)
	}
}

func TestRunTwice(t *testing.T) {
	f := newFakeJS(nil)
	ob := newMemOutbox()
	p, err := New(Config{Account: "acc", Outbox: ob, JS: f})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)
	testutil.Eventually(t, 5*time.Second, "Run started", p.running.Load)
	if err := p.Drain(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("Drain during Run: %v, want ErrRunning", err)
	}
}

func TestMetrics(t *testing.T) {
	f := newFakeJS(func(string, int) outcome { return hold })
	ob := newMemOutbox()
	reg := prometheus.NewRegistry()
	ob.add(events(2, 2)...)
	clock := neo.NewTime(time.Now())
	p, err := New(Config{Account: "acc", Outbox: ob, JS: f, Registerer: reg, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)
	clock.Travel(90 * time.Second)
	testutil.Eventually(t, 5*time.Second, "sent", func() bool { return len(f.heldIDs()) == 2 })
	if got := metricValue(t, reg, "tgnats_outbox_depth"); got != 4 {
		t.Errorf("outbox depth metric %v, want 4", got)
	}
	if got := metricValue(t, reg, "tgnats_outbox_oldest_age_seconds"); got < 90 {
		t.Errorf("oldest age metric %v, want >= 90", got)
	}
	for len(f.heldIDs()) > 0 {
		f.release(f.heldIDs()...)
		testutil.Eventually(t, 5*time.Second, "next sent", func() bool { return len(f.heldIDs()) > 0 || ob.depth() == 0 })
	}
	testutil.Eventually(t, 5*time.Second, "idle", p.Idle)
	if got := metricValue(t, reg, "tgnats_events_published_total"); got != 4 {
		t.Errorf("published metric %v, want 4", got)
	}
	if got := metricValue(t, reg, "tgnats_publish_latency_seconds"); got != 4 {
		t.Errorf("latency samples %v, want 4", got)
	}
	if got := metricValue(t, reg, "tgnats_outbox_oldest_age_seconds"); got != 0 {
		t.Errorf("oldest age of an empty outbox %v, want 0", got)
	}

	// A second publisher for the same account cannot register the same metrics.
	if _, err := New(Config{Account: "acc", Outbox: ob, JS: f, Registerer: reg}); err == nil {
		t.Error("second registration of account acc succeeded")
	}
	if _, err := New(Config{Account: "other", Outbox: ob, JS: f, Registerer: reg}); err != nil {
		t.Errorf("publisher of another account: %v", err)
	}
}

// metricValue returns the value of the named metric (sample count for a
// histogram) with label account="acc".
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() != "acc" {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

func TestConfigValidate(t *testing.T) {
	ob, f := newMemOutbox(), newFakeJS(nil)
	tests := []struct {
		name    string
		cfg     Config
		wantErr error
		wantMsg string
	}{
		{name: "ok", cfg: Config{Account: "a", Outbox: ob, JS: f}},
		{name: "no account", cfg: Config{Outbox: ob, JS: f}, wantErr: ErrInvalidConfig, wantMsg: "account: required"},
		{name: "no outbox", cfg: Config{Account: "a", JS: f}, wantErr: ErrInvalidConfig, wantMsg: "outbox: required"},
		{name: "no js", cfg: Config{Account: "a", Outbox: ob}, wantErr: ErrInvalidConfig, wantMsg: "js: required"},
		{name: "negative window", cfg: Config{Account: "a", Outbox: ob, JS: f, Window: -1}, wantErr: ErrInvalidConfig, wantMsg: "window: must be positive, got -1"},
		{name: "backoff", cfg: Config{Account: "a", Outbox: ob, JS: f, MinBackoff: time.Second, MaxBackoff: time.Millisecond}, wantErr: ErrInvalidConfig, wantMsg: "backoff: need 0 < min <= max, got 1s and 1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("New: %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestPartitionKey(t *testing.T) {
	tests := []struct {
		name   string
		header map[string][]string
		subj   string
		want   string
	}{
		{name: "header", header: map[string][]string{"ce-partitionkey": {"channel:7"}}, subj: "tg.a.events.message.created.channel.9", want: "channel:7"},
		{name: "header any case", header: map[string][]string{"Ce-Partitionkey": {"chat:3"}}, subj: "tg.a.events.x.y.chat.4", want: "chat:3"},
		{name: "subject", subj: "tg.a.events.message.deleted.unknown.0", want: "unknown.0"},
		{name: "short subject", subj: "x", want: "x"},
		{name: "two tokens", subj: "x.y", want: "x.y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := partitionKey(&state.OutboxRecord{Subject: tt.subj, Header: tt.header}); got != tt.want {
				t.Errorf("partitionKey = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRejectedForGood: records JetStream can never store (over the
// stream's max_msg_size, over the server's max_payload) are dropped from
// the outbox with an error log and a metric, and the rest of their chat
// is published in order behind them instead of waiting forever.
func TestRejectedForGood(t *testing.T) {
	s := startServer(t, t.TempDir(), -1)
	defer s.Shutdown()
	_, js, st := connect(t, s.ClientURL())
	updateStream(t, js, st, func(c *jetstream.StreamConfig) {
		c.MaxMsgSize = 1024
	})
	tooBigForStream, tooBigForServer := event(1, 1), event(1, 3)
	tooBigForStream.Data = bytes.Repeat([]byte("x"), 4096)
	tooBigForServer.Data = bytes.Repeat([]byte("x"), 2<<20)
	ob := newMemOutbox()
	ob.add(event(1, 0), tooBigForStream, event(1, 2), tooBigForServer, event(1, 4))
	reg := prometheus.NewRegistry()
	p, err := New(Config{Account: "acc", Outbox: ob, JS: js, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)
	testutil.Eventually(t, 20*time.Second, "outbox drained", p.Idle)
	var got []string
	for _, m := range streamMsgs(t, st) {
		got = append(got, m.Header.Get("ce-id"))
	}
	want := []string{event(1, 0).MsgID, event(1, 2).MsgID, event(1, 4).MsgID}
	if !slices.Equal(got, want) {
		t.Fatalf("stream holds %v, want %v", got, want)
	}
	if n := metricValue(t, reg, "tgnats_publish_rejected_total"); n != 2 {
		t.Fatalf("rejected metric %v, want 2", n)
	}
	if ob.depth() != 0 {
		t.Fatalf("outbox keeps %d records", ob.depth())
	}
}

// updateStream changes the stream's configuration with change.
func updateStream(t *testing.T, js jetstream.JetStream, st jetstream.Stream, change func(*jetstream.StreamConfig)) {
	t.Helper()
	ctx := context.Background()
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := info.Config
	change(&cfg)
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
}
