package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// ingestRound is how many actions BenchmarkIngest produces before it
// measures raw publishing of their events.
const ingestRound = 5000

// noTooLong raises the simulator's thresholds so that no backlog in a
// benchmark is answered with differenceTooLong.
var noTooLong = sim.Config{TooLongAfter: 1 << 30, ChannelTooLongAfter: 1 << 30}

// BenchmarkIngest measures the whole ingest path at 10k and 100k events,
// from simulated Telegram actions to events acked by JetStream (so durable
// in the outbox before), and in the same run the rate of raw
// PublishMsgAsync of the same messages (same headers and bodies) into a
// second stream of the same server, in alternating rounds of ingestRound
// actions: x_of_raw is the ratio of the two, each run pairing its own
// figures. One simulator, NATS server and connector
// serve every run. Run with -benchtime 1x (each iteration ingests the
// sub-benchmark's number of events):
//
//	go test -run '^$' -bench BenchmarkIngest -benchtime 1x -count 3 ./internal/e2e/
//
// The connector figure includes the simulator's own cost (MTProto encoding,
// pushes over loopback), which shares the CPU with everything else;
// sim_actions/s is the pace of the simulator alone.
func BenchmarkIngest(b *testing.B) {
	w := newWorld(b, noTooLong)
	acc := w.acc
	nsrv := startNATS(b, b.TempDir(), "127.0.0.1:-1")
	b.Cleanup(nsrv.Shutdown)
	cfg := w.connectorConfig(filepath.Join(b.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
	w.startConnector(b, cfg)
	js := benchJS(b, nsrv.ClientURL())
	ctx := context.Background()
	sc := sim.Scenario{Seed: 1}
	stream := schema.EventStreamName(acc.Name)
	if err := ensureRawStream(ctx, js); err != nil {
		b.Fatal(err)
	}
	// Untimed warm-up: the first Produce builds the scenario's chats, and
	// the connector learns them.
	from := len(w.sim.Ledger(acc.Name))
	if err := w.sim.Produce(ctx, sc, 20); err != nil {
		b.Fatal(err)
	}
	waitStreamMsgs(b, js, stream, uint64(durable(expected(acc.Name, w.sim.Ledger(acc.Name), from))), time.Minute)

	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			var events int
			var connTime, simTime, rawTime time.Duration
			for b.Loop() {
				// Rounds alternate the connector and raw publishing, so that
				// the load of a shared machine weighs on both alike.
				for done := 0; done < n; done += ingestRound {
					m := min(ingestRound, n-done)
					from := w.sim.LedgerLen(acc.Name)
					base := streamMsgs(b, js, stream)
					start := time.Now()
					if err := w.sim.Produce(ctx, sc, m); err != nil {
						b.Fatal(err)
					}
					simTime += time.Since(start)
					want := expected(acc.Name, w.sim.LedgerSince(acc.Name, from), 0)
					k := durable(want)
					waitStreamMsgs(b, js, stream, base+uint64(k), 2*time.Minute+time.Duration(m)*10*time.Millisecond)
					connTime += time.Since(start)
					events += k

					b.StopTimer()
					msgs := streamMessagesFrom(b, js, stream, base+1, k)
					b.StartTimer()
					rawTime += publishRaw(b, js, msgs)
				}
			}
			b.ReportMetric(float64(events)/connTime.Seconds(), "events/s")
			b.ReportMetric(float64(events)/rawTime.Seconds(), "raw_events/s")
			b.ReportMetric(rawTime.Seconds()/connTime.Seconds(), "x_of_raw")
			b.ReportMetric(float64(n*b.N)/simTime.Seconds(), "sim_actions/s")
		})
	}
}

// BenchmarkCatchUp measures how fast a connector that was down catches up
// with a backlog of 100k simulator actions (thresholds raised so that
// nothing is "too long"): from its start until the stream holds every
// required event of the backlog (the stream gains at least the required
// events and at most those plus the optional ones: a channel's fetched
// state that a later change replaced, a change Telegram only pushed;
// JetStream's duplicate window keeps each id once).
//
//	go test -run '^$' -bench BenchmarkCatchUp -benchtime 1x ./internal/e2e/
func BenchmarkCatchUp(b *testing.B) {
	const n = 100_000
	w := newWorld(b, noTooLong)
	acc := w.acc
	nsrv := startNATS(b, b.TempDir(), "127.0.0.1:-1")
	b.Cleanup(nsrv.Shutdown)
	cfg := w.connectorConfig(filepath.Join(b.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
	js := benchJS(b, nsrv.ClientURL())
	ctx := context.Background()
	sc := sim.Scenario{Seed: 2}
	stream := schema.EventStreamName(acc.Name)

	c := w.startConnector(b, cfg)
	from := len(w.sim.Ledger(acc.Name))
	if err := w.sim.Produce(ctx, sc, 20); err != nil {
		b.Fatal(err)
	}
	waitStreamMsgs(b, js, stream, uint64(durable(expected(acc.Name, w.sim.Ledger(acc.Name), from))), time.Minute)
	c.stop(b)

	var events int
	var elapsed, engineTime time.Duration
	for b.Loop() {
		b.StopTimer()
		from := w.sim.LedgerLen(acc.Name)
		base := streamMsgs(b, js, stream)
		if err := w.sim.Produce(ctx, sc, n); err != nil {
			b.Fatal(err)
		}
		want := expected(acc.Name, w.sim.LedgerSince(acc.Name, from), 0)
		k := durable(want)
		b.StartTimer()
		start := time.Now()
		c := w.startConnector(b, cfg)
		committed := waitCommitted(b, js, stream, c.http, acc.Name, base+uint64(k), 10*time.Minute)
		waitStreamMsgs(b, js, stream, base+uint64(k), 10*time.Minute)
		elapsed += time.Since(start)
		engineTime += committed.Sub(start)
		b.StopTimer()
		c.stop(b)
		// Every required event, and at most the optional ones besides
		// (a channel's fetched state, a change Telegram only pushed).
		if got := streamMsgs(b, js, stream) - base; got < uint64(k) || got > uint64(len(want)) {
			b.Fatalf("stream gained %d events for %d ledger changes (%d of them required)", got, len(want), k)
		}
		events += k
		b.StartTimer()
	}
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	// Until every event was in the outbox or the stream: the engine's pace.
	b.ReportMetric(float64(events)/engineTime.Seconds(), "engine_events/s")
}

// waitCommitted polls until the stream and the connector's outbox
// together hold want events (the engine has committed them all) and
// returns when that was seen.
func waitCommitted(b *testing.B, js jetstream.JetStream, stream, httpAddr, account string, want uint64, timeout time.Duration) time.Time {
	b.Helper()
	sample := fmt.Sprintf("tgnats_outbox_depth{account=%q} ", account)
	testutil.Eventually(b, timeout, fmt.Sprintf("the engine to commit %d events", want), func() bool {
		depth := -1.0
		if resp, err := http.Get("http://" + httpAddr + "/metrics"); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for line := range strings.SplitSeq(string(body), "\n") {
				if v, ok := strings.CutPrefix(line, sample); ok {
					depth, _ = strconv.ParseFloat(v, 64)
				}
			}
		}
		return depth >= 0 && streamMsgs(b, js, stream)+uint64(depth) >= want
	})
	return time.Now()
}

func benchJS(b *testing.B, url string) jetstream.JetStream {
	b.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	return js
}

func ensureRawStream(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       "BENCH_RAW",
		Subjects:   []string{"raw.>"},
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Hour,
	})
	return err
}

// publishRaw publishes msgs (under "raw.", with unique msg ids) with
// PublishMsgAsync and returns the time until every ack arrived.
func publishRaw(b *testing.B, js jetstream.JetStream, msgs []*nats.Msg) time.Duration {
	b.Helper()
	out := make([]*nats.Msg, len(msgs))
	for i, p := range msgs {
		h := maps.Clone(p.Header)
		h.Set(jetstream.MsgIDHeader, p.Header.Get(jetstream.MsgIDHeader)+"#raw")
		out[i] = &nats.Msg{Subject: "raw." + p.Subject, Header: h, Data: p.Data}
	}
	start := time.Now()
	for _, m := range out {
		for {
			_, err := js.PublishMsgAsync(m)
			if err == nil {
				break
			}
			if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
				b.Fatal(err)
			}
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(2 * time.Minute):
		b.Fatal("raw acks did not arrive")
	}
	return time.Since(start)
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

// waitStreamMsgs polls stream every 5ms until it holds at least want messages.
func waitStreamMsgs(b *testing.B, js jetstream.JetStream, stream string, want uint64, timeout time.Duration) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var got uint64
	for got < want {
		if st, err := js.Stream(ctx, stream); err == nil {
			if info, err := st.Info(ctx); err == nil {
				got = info.State.Msgs
				if got >= want {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			b.Fatalf("timed out after %s: %s holds %d messages, want %d", timeout, stream, got, want)
		case <-tick.C: // polling, not synchronisation
		}
	}
}

// streamMessagesFrom reads n messages of stream from stream seq from on,
// headers and bodies as the connector published them.
func streamMessagesFrom(b *testing.B, js jetstream.JetStream, stream string, from uint64, n int) []*nats.Msg {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from})
	if err != nil {
		b.Fatal(err)
	}
	out := make([]*nats.Msg, 0, n)
	for len(out) < n {
		batch, err := cons.Fetch(min(1000, n-len(out)), jetstream.FetchMaxWait(2*time.Second))
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
	return out
}
