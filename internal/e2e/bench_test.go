package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/publisher"
	"github.com/tgnats/tgnats/internal/sim"
)

// BenchmarkIngest measures the whole ingest path, from a simulated Telegram
// action to an event acked by JetStream (so already synced in the outbox),
// against raw async JetStream publishing of the same payloads on the same
// server.
//
// One world, one NATS server and one connector serve every run of both
// sub-benchmarks. "connector" produces b.N simulator actions (one event each)
// and waits until the stream holds their events; "raw_jetstream" republishes
// b.N of the messages the connector stored (same headers, same bodies) into a
// second stream with PublishMsgAsync and waits for every ack. Both report
// events/s; raw_jetstream also reports x_of_raw, the connector's rate of its
// last run divided by the raw rate. Run "connector" before "raw_jetstream"
// (the default order) and give both the same -benchtime, e.g.
//
//	go test -run '^$' -bench BenchmarkIngest -benchtime 2000x ./internal/e2e/
//
// The connector figure includes the simulator's own cost (MTProto encoding,
// pushes over loopback), which shares the CPU with everything else.
func BenchmarkIngest(b *testing.B) {
	w := newWorld(b, sim.Config{})
	acc := w.acc
	nsrv := startNATS(b, b.TempDir(), "127.0.0.1:-1")
	b.Cleanup(nsrv.Shutdown)
	cfg := w.connectorConfig(filepath.Join(b.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
	w.startConnector(b, cfg)

	nc, err := nats.Connect(nsrv.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sc := sim.Scenario{Seed: 1}
	stream := publisher.StreamName(acc.Name)

	// ingest produces n actions and returns how many events they made, how
	// long the simulator took to perform them, and how long it took until
	// JetStream held all of their events.
	ingest := func(b *testing.B, n int) (events int, produced, acked time.Duration) {
		b.Helper()
		from := len(w.sim.Ledger(acc.Name))
		base := streamMsgs(b, js, stream)
		start := time.Now()
		if err := w.sim.Produce(ctx, sc, n); err != nil {
			b.Fatal(err)
		}
		produced = time.Since(start)
		events = len(expected(acc.Name, w.sim.Ledger(acc.Name), from))
		waitStreamMsgs(b, js, stream, base+uint64(events), 2*time.Minute+time.Duration(n)*10*time.Millisecond)
		return events, produced, time.Since(start)
	}
	// Untimed warm-up: the first Produce builds the scenario's chats, and
	// the connector learns them.
	ingest(b, 20)

	var connectorRate float64
	b.Run("connector", func(b *testing.B) {
		b.ResetTimer()
		n, produced, acked := ingest(b, b.N)
		b.StopTimer()
		connectorRate = float64(n) / acked.Seconds()
		b.ReportMetric(connectorRate, "events/s")
		// The simulator's own pace bounds the connector's.
		b.ReportMetric(float64(b.N)/produced.Seconds(), "sim_actions/s")
	})

	run := 0
	b.Run("raw_jetstream", func(b *testing.B) {
		b.StopTimer()
		run++
		payloads := storedMessages(b, js, stream)
		raw, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:       "BENCH_RAW",
			Subjects:   []string{"raw.>"},
			Storage:    jetstream.FileStorage,
			Duplicates: 2 * time.Hour,
		})
		if err != nil {
			b.Fatal(err)
		}
		base := streamMsgs(b, js, "BENCH_RAW")
		msgs := make([]*nats.Msg, b.N)
		ids := make([]string, b.N)
		for i := range msgs {
			p := payloads[i%len(payloads)]
			msgs[i] = &nats.Msg{Subject: "raw." + p.Subject, Header: maps.Clone(p.Header), Data: p.Data}
			// Unique across runs: the stream keeps its dedupe window.
			ids[i] = fmt.Sprintf("%s#%d.%d", p.Header.Get(jetstream.MsgIDHeader), run, i)
		}
		b.StartTimer()
		start := time.Now()
		for i, m := range msgs {
			if _, err := js.PublishMsgAsync(m, jetstream.WithMsgID(ids[i])); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(2 * time.Minute):
			b.Fatal("acks did not arrive")
		}
		elapsed := time.Since(start)
		b.StopTimer()
		info, err := raw.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if got := info.State.Msgs - base; got != uint64(b.N) {
			b.Fatalf("raw stream gained %d messages, want %d", got, b.N)
		}
		rawRate := float64(b.N) / elapsed.Seconds()
		b.ReportMetric(rawRate, "events/s")
		if connectorRate > 0 {
			b.ReportMetric(connectorRate/rawRate, "x_of_raw")
		}
	})
}

// streamMsgs returns how many messages stream holds.
func streamMsgs(b *testing.B, js jetstream.JetStream, stream string) uint64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if err != nil {
		b.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return info.State.Msgs
}

// waitStreamMsgs polls stream until it holds at least want messages.
func waitStreamMsgs(b *testing.B, js jetstream.JetStream, stream string, want uint64, timeout time.Duration) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var got uint64
	for got < want {
		if ctx.Err() != nil {
			b.Fatalf("timed out after %s: %s holds %d messages, want %d", timeout, stream, got, want)
		}
		if st, err := js.Stream(ctx, stream); err == nil {
			if info, err := st.Info(ctx); err == nil {
				got = info.State.Msgs
				continue
			}
		}
		time.Sleep(5 * time.Millisecond) // polling, not synchronisation
	}
}

// storedMessages reads every message of stream, headers and bodies as the
// connector published them.
func storedMessages(b *testing.B, js jetstream.JetStream, stream string) []*nats.Msg {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	total := streamMsgs(b, js, stream)
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	var out []*nats.Msg
	for uint64(len(out)) < total {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		for msg := range batch.Messages() {
			out = append(out, &nats.Msg{Subject: msg.Subject(), Header: msg.Headers(), Data: msg.Data()})
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			b.Fatal(err)
		}
	}
	if len(out) == 0 {
		b.Fatalf("%s holds no messages to republish", stream)
	}
	return out
}
