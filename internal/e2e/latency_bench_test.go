package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// BenchmarkLatency measures the latency from a simulated Telegram message
// (SendMessage returns, the push is on its way) to a JetStream consumer
// holding its event, at a steady 2,000 messages/s into one private chat.
// It reports p50, p99 and max in ms and the rate achieved:
//
//	go test -run '^$' -bench BenchmarkLatency -benchtime 10000x ./internal/e2e/
func BenchmarkLatency(b *testing.B) {
	const rate = 2000
	w := newWorld(b, noTooLong)
	acc := w.acc
	nsrv := startNATS(b, b.TempDir(), "127.0.0.1:-1")
	b.Cleanup(nsrv.Shutdown)
	cfg := w.connectorConfig(filepath.Join(b.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
	w.startConnector(b, cfg)
	js := benchJS(b, nsrv.ClientURL())
	ctx := context.Background()
	stream := schema.EventStreamName(acc.Name)

	uid := w.sim.CreateUser("Lat", "Ency", "latency_user")
	peer := schema.PeerRef{Kind: schema.PeerUser, ID: uid}
	send := func(i int) (string, error) {
		id, err := w.sim.SendMessage(ctx, sim.Outgoing{Account: acc.Name, Chat: peer, Text: "latency " + strconv.Itoa(i)})
		return schema.EventID(acc.Name, peer, id, schema.KindMessage, schema.ActionCreated, 0), err
	}
	// Warm-up: the connector learns the chat.
	base := streamMsgs(b, js, stream)
	for i := range 20 {
		if _, err := send(i); err != nil {
			b.Fatal(err)
		}
	}
	waitStreamMsgs(b, js, stream, base+20, time.Minute)

	var mu sync.Mutex
	recv := make(map[string]time.Time, b.N)
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		b.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		now := time.Now()
		mu.Lock()
		recv[m.Headers().Get(jetstream.MsgIDHeader)] = now
		mu.Unlock()
	})
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Stop()

	sent := make(map[string]time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		// Message i is due at start + i/rate: a late wake-up is made up
		// by sending at once, where a ticker would drop the tick and the
		// rate with it.
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d) // pacing, not synchronisation
		}
		t := time.Now()
		id, err := send(i)
		if err != nil {
			b.Fatal(err)
		}
		sent[id] = t
	}
	elapsed := time.Since(start)
	testutil.Eventually(b, 2*time.Minute, "every event consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for id := range sent {
			if _, ok := recv[id]; !ok {
				return false
			}
		}
		return true
	})
	b.StopTimer()
	mu.Lock()
	lat := make([]float64, 0, len(sent))
	for id, t := range sent {
		lat = append(lat, float64(recv[id].Sub(t).Microseconds())/1000)
	}
	mu.Unlock()
	slices.Sort(lat)
	at := func(q float64) float64 { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	b.ReportMetric(at(0.5), "p50_ms")
	b.ReportMetric(at(0.99), "p99_ms")
	b.ReportMetric(lat[len(lat)-1], "max_ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "sent/s")
}
