package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// TestHandOverUnderBacklog stops the lease holder gracefully while its
// outbox cannot drain (JetStream refuses every write): the standby must
// hold the lease within ttl/4 (its retry) plus the drain deadline, the
// holder must release its lease (not leave it to expire), and once
// JetStream takes writes again nothing of the ledger is missing or twice.
func TestHandOverUnderBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("two connectors and a simulator; skipped with -short")
	}
	const (
		ttl   = 3 * time.Second
		drain = 500 * time.Millisecond
	)
	w := newWorld(t, sim.Config{SliceLimit: 25})
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	defer nsrv.Shutdown()
	url := nsrv.ClientURL()
	rawKey := make([]byte, 32)
	_, _ = rand.Read(rawKey)
	newCfg := func(node string) *config.Config {
		cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), url, freeAddr(t))
		cfg.Outbox.DrainTimeout = drain
		cfg.State.EncryptionKey = config.Secret(base64.StdEncoding.EncodeToString(rawKey))
		cfg.Lease.TTL = ttl
		cfg.Lease.Node = node
		cfg.Lease.CheckpointInterval = 300 * time.Millisecond
		return cfg
	}
	debug := func(b *syncbuf.Buffer) *slog.Logger {
		return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var aLog, bLog syncbuf.Buffer
	a := w.startConnectorWith(t, newCfg("a"), debug(&aLog))
	b := w.launchConnector(t, newCfg("b"), debug(&bLog))
	defer func() {
		if t.Failed() {
			t.Logf("a:\n%s\nb:\n%s", &aLog, &bLog)
		}
	}()
	leading := func(addr string) bool {
		return metricValue(t, addr, `tgnats_lease_held{account="e2e"}`) == 1
	}
	testutil.Eventually(t, 30*time.Second, "b standing by", func() bool {
		return strings.Contains(bLog.String(), "lease held by another node")
	})
	from := len(w.sim.Ledger(w.acc.Name))

	stopDriving := startDriving(t, w.sim, sim.Scenario{Rate: 100, Seed: 5})
	defer stopDriving()
	testutil.Eventually(t, 30*time.Second, "a checkpoint past some events", func() bool {
		return checkpointedEvents.MatchString(aLog.String())
	})

	// JetStream refuses every new event: the holder's outbox backs up.
	js := natstest.Connect(t, url)
	stream, err := js.Stream(t.Context(), schema.EventStreamName(w.acc.Name))
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	blocked := info.Config
	blocked.MaxMsgs, blocked.Discard = int64(info.State.Msgs), jetstream.DiscardNew
	if _, err := js.UpdateStream(t.Context(), blocked); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "a backlog in a's outbox", func() bool { return outboxDepth(t, a.http, w.acc.Name) > 20 })

	// SIGTERM (the context of an in-process connector) the holder.
	stopped := time.Now()
	a.cancel()
	testutil.Eventually(t, 3*ttl, "b holding the lease", func() bool { return leading(b.http) })
	took := time.Since(stopped)
	bound := ttl/4 + drain + time.Second // retry + drain deadline + stopping ingest (slack)
	t.Logf("standby holds the lease %s after the stop (ttl %s, drain %s)", took.Round(time.Millisecond), ttl, drain)
	if took > bound {
		t.Errorf("hand-over under backlog took %s, want within ttl/4 + drain deadline (%s)", took.Round(time.Millisecond), bound)
	}
	a.stop(t)
	if out := aLog.String(); !strings.Contains(out, "lease released") || strings.Contains(out, "lease not released") {
		t.Error("the holder did not release its lease on a graceful stop")
	}

	// JetStream takes writes again: b publishes; nothing lost, nothing twice.
	if _, err := js.UpdateStream(t.Context(), info.Config); err != nil {
		t.Fatal(err)
	}
	stopDriving()
	waitReady(t, b.http)
	n := w.assertFailedOver(t, url, from)
	t.Logf("%d events checked across a hand-over under backlog", n)
}
