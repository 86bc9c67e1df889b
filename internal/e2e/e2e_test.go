package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/sim"
)

// TestEndToEnd drives scripted traffic of every chat kind through the
// simulator, the connector and JetStream, with faults on the way (withheld,
// duplicated and reordered pushes, updatesTooLong, dropped connections), and
// checks the stream against the simulator's ledger.
func TestEndToEnd(t *testing.T) {
	w := newWorld(t, sim.Config{SliceLimit: 40})
	acc := w.acc
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	defer nsrv.Shutdown()
	cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
	c := w.startConnector(t, cfg)

	ctx := context.Background()
	from := len(w.sim.Ledger(acc.Name))
	sc := sim.Scenario{Seed: 7}
	produce := func(n int) {
		t.Helper()
		if err := w.sim.Produce(ctx, sc, n); err != nil {
			t.Fatal(err)
		}
	}
	produce(60)
	w.sim.DuplicateNext(10)
	produce(20)
	w.sim.ReorderNext(8)
	produce(20)
	w.sim.Withhold(true)
	produce(15) // never pushed: only a difference brings them
	w.sim.Withhold(false)
	produce(5) // the next push reveals the gap
	w.sim.PushTooLong(acc.Name)
	w.sim.DropConnections()
	produce(30)

	want := expected(acc.Name, w.sim.Ledger(acc.Name), from)
	got := readStream(t, nsrv.ClientURL(), acc.Name, len(want))
	assertExactlyOnce(t, got, want)
	c.stop(t)
}

// TestNATSOutage stops NATS while Telegram keeps producing: the outbox holds
// the events and delivers them, once each, when NATS is back.
func TestNATSOutage(t *testing.T) {
	w := newWorld(t, sim.Config{})
	acc := w.acc
	natsDir := t.TempDir()
	addr := freeAddr(t)
	nsrv := startNATS(t, natsDir, addr)
	url := nsrv.ClientURL()
	cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), url, "127.0.0.1:0")
	c := w.startConnector(t, cfg)

	ctx := context.Background()
	from := len(w.sim.Ledger(acc.Name))
	sc := sim.Scenario{Seed: 11}
	if err := w.sim.Produce(ctx, sc, 40); err != nil {
		t.Fatal(err)
	}
	readStream(t, url, acc.Name, len(expected(acc.Name, w.sim.Ledger(acc.Name), from)))

	nsrv.Shutdown()
	if err := w.sim.Produce(ctx, sc, 80); err != nil {
		t.Fatal(err)
	}
	// The events are durable in the outbox while NATS is away.
	eventually(t, 60*time.Second, "events waiting in the outbox", func() bool {
		return outboxDepth(t, c.http, acc.Name) > 0
	})
	nsrv = startNATS(t, natsDir, addr)
	defer nsrv.Shutdown()

	want := expected(acc.Name, w.sim.Ledger(acc.Name), from)
	got := readStream(t, url, acc.Name, len(want))
	assertExactlyOnce(t, got, want)
	c.stop(t)
}
