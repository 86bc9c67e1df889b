package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
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
	got := readWanted(t, nsrv.ClientURL(), acc.Name, want)
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
	sc := sim.Scenario{Seed: 11, Updates: 0.1}
	if err := w.sim.Produce(ctx, sc, 40); err != nil {
		t.Fatal(err)
	}
	readStream(t, url, acc.Name, durable(expected(acc.Name, w.sim.Ledger(acc.Name), from)))

	nsrv.Shutdown()
	if err := w.sim.Produce(ctx, sc, 80); err != nil {
		t.Fatal(err)
	}
	// The events are durable in the outbox while NATS is away.
	testutil.Eventually(t, 60*time.Second, "events waiting in the outbox", func() bool {
		return outboxDepth(t, c.http, acc.Name) > 0
	})
	nsrv = startNATS(t, natsDir, addr)
	defer nsrv.Shutdown()

	want := expected(acc.Name, w.sim.Ledger(acc.Name), from)
	got := readWanted(t, url, acc.Name, want)
	assertExactlyOnce(t, got, want)
	c.stop(t)
}

// TestTooLongDowntime keeps the connector away for longer than Telegram
// keeps differences: the state jumps, message creations are backfilled from
// history (up to ingest.backfill_depth), what cannot be recovered is counted
// on /metrics, and nothing is emitted twice or made up.
func TestTooLongDowntime(t *testing.T) {
	w := newWorld(t, sim.Config{TooLongAfter: 40, ChannelTooLongAfter: 10})
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	defer nsrv.Shutdown()
	cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
	cfg.Ingest.BackfillDepth = 1000
	c := w.startConnector(t, cfg)
	ctx := context.Background()
	from := len(w.sim.Ledger(w.acc.Name))
	sc := sim.Scenario{Seed: 21}
	if err := w.sim.Produce(ctx, sc, 30); err != nil {
		t.Fatal(err)
	}
	readStream(t, nsrv.ClientURL(), w.acc.Name, durable(expected(w.acc.Name, w.sim.Ledger(w.acc.Name), from)))
	c.stop(t)

	offline := len(w.sim.Ledger(w.acc.Name))
	if err := w.sim.Produce(ctx, sc, 300); err != nil {
		t.Fatal(err)
	}
	c = w.startConnector(t, cfg)
	want := expected(w.acc.Name, w.sim.Ledger(w.acc.Name), from)

	// Creations of messages still alive must all arrive (backfilled).
	deleted := map[string]bool{}
	for _, e := range want {
		if e.entry.Action == schema.ActionDeleted {
			deleted[e.entry.Peer.PartitionKey()+fmt.Sprint(e.entry.MessageID)] = true
		}
	}
	var mustHave []expectation
	for i, e := range want {
		alive := !deleted[e.entry.Peer.PartitionKey()+fmt.Sprint(e.entry.MessageID)]
		if i < offline-from || (e.entry.Action == schema.ActionCreated && alive) {
			mustHave = append(mustHave, e)
		}
	}
	got := readStream(t, nsrv.ClientURL(), w.acc.Name, len(mustHave))
	assertSubset(t, got, want, mustHave)
	testutil.Eventually(t, 30*time.Second, "unrecoverable updates reported", func() bool {
		return metricValue(t, c.http, `tgnats_updates_unrecoverable_total{account="e2e",box="common"}`) > 0
	})
	c.stop(t)
}

// TestCommandRoundTrip sends a message through tg.<account>.rpc.message.send:
// the reply carries the new message id, the simulator holds the message, and
// the outgoing message's message.created event reaches the stream.
func TestCommandRoundTrip(t *testing.T) {
	w := newWorld(t, sim.Config{})
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	defer nsrv.Shutdown()
	cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
	c := w.startConnector(t, cfg)
	w.commandRoundTrip(t, nsrv.ClientURL())
	c.stop(t)
}

// commandRoundTrip produces traffic, checks the stream and sends a message
// through the rpc service of a running connector; natsURL may carry
// credentials.
func (w *world) commandRoundTrip(t *testing.T, natsURL string) {
	t.Helper()
	ctx := context.Background()
	from := len(w.sim.Ledger(w.acc.Name))
	if err := w.sim.Produce(ctx, sim.Scenario{Seed: 3}, 40); err != nil {
		t.Fatal(err)
	}
	var chat schema.PeerRef
	for _, e := range w.sim.Ledger(w.acc.Name)[from:] {
		if e.Peer.Kind == schema.PeerUser && e.Action == schema.ActionCreated {
			chat = e.Peer
			break
		}
	}
	if chat.ID == 0 {
		t.Fatal("scenario produced no private chat")
	}
	// The connector knows the chat (and its access hash) once it saw it.
	readStream(t, natsURL, w.acc.Name, durable(expected(w.acc.Name, w.sim.Ledger(w.acc.Name), from)))

	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	body := fmt.Sprintf(`{"peer": {"peer_kind": "user", "peer_id": %d}, "text": "hello from NATS"}`, chat.ID)
	msg := nats.NewMsg("tg." + w.acc.Name + ".rpc.message.send")
	msg.Data = []byte(body)
	msg.Header.Set("Nats-Msg-Id", "round-trip-1")
	var reply *nats.Msg
	testutil.Eventually(t, 30*time.Second, "rpc service answering", func() bool {
		reply, err = nc.RequestMsg(msg, 5*time.Second)
		return err == nil
	})
	var res schema.CommandResult
	if err := json.Unmarshal(reply.Data, &res); err != nil {
		t.Fatalf("reply %s: %v", reply.Data, err)
	}
	if !res.OK || res.Result == nil || res.Result.MessageID == 0 {
		t.Fatalf("reply = %s", reply.Data)
	}
	m, ok := w.sim.Message(chat, w.acc.Name, res.Result.MessageID)
	if !ok || m.Text != "hello from NATS" || !m.Out {
		t.Fatalf("simulator holds %+v (found %v), want the sent message", m, ok)
	}
	want := expected(w.acc.Name, w.sim.Ledger(w.acc.Name), from)
	got := readWanted(t, natsURL, w.acc.Name, want)
	sent := schema.EventID(w.acc.Name, chat, res.Result.MessageID, schema.KindMessage, schema.ActionCreated, 0)
	found := false
	for _, r := range got {
		found = found || r.id == sent
	}
	if !found {
		t.Fatalf("no %s event in the stream", sent)
	}
}
