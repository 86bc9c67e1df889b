package publisher

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/state"
)

// BenchmarkPublisher measures events/s from a state.Store outbox to an
// acked JetStream stream, and in the same run the rate of raw
// PublishMsgAsync of the same payloads (same server, a second stream,
// waiting for every ack): x_of_raw is the ratio of the two. One run drains
// b.N events; give a fixed count, e.g. -benchtime 20000x.
//
// mode=batch is fast batch publishing (the default); mode=per-chat is the
// fallback for servers without it (one publish in flight per chat).
// pub_allocs/event counts the heap allocations of the publisher path
// (outbox reads and deletes included) per event.
func BenchmarkPublisher(b *testing.B) {
	for _, mode := range []struct {
		name    string
		noBatch bool
	}{{"batch", false}, {"per-chat", true}} {
		for _, chats := range []int{1, 64} {
			b.Run(fmt.Sprintf("mode=%s/chats=%d", mode.name, chats), func(b *testing.B) {
				benchPublisher(b, chats, mode.noBatch)
			})
		}
	}
}

func benchPublisher(b *testing.B, chats int, noBatch bool) {
	s := startServer(b, b.TempDir(), -1)
	defer s.Shutdown()
	_, js, _ := connect(b, s.ClientURL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "BENCH_RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	store, err := state.Open(b.TempDir(), state.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	p, err := New(Config{Account: "acc", Outbox: store, JS: js, NoBatch: noBatch})
	if err != nil {
		b.Fatal(err)
	}
	// Rounds alternate the two, so that the load of a shared machine
	// weighs on both alike.
	const round = 5000
	var pubTime, rawTime time.Duration
	var allocs uint64
	b.StopTimer()
	for done, r := 0, 0; done < b.N; r++ {
		n := min(round, b.N-done)
		recs := benchEvents(chats, n, r)
		done += n
		for i := 0; i < len(recs); i += 1000 {
			if err := store.Commit(&state.Commit{Events: recs[i:min(i+1000, len(recs))]}); err != nil {
				b.Fatal(err)
			}
		}
		raw := make([]*nats.Msg, len(recs))
		for i, r := range recs {
			h := make(nats.Header, len(r.Header))
			for k, v := range r.Header {
				h[k] = v
			}
			raw[i] = &nats.Msg{Subject: "raw." + r.Subject, Header: h, Data: r.Data}
		}
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		b.StartTimer()

		start := time.Now()
		if err := p.Drain(ctx); err != nil {
			b.Fatal(err)
		}
		pubTime += time.Since(start)
		b.StopTimer()
		runtime.ReadMemStats(&m1)
		allocs += m1.Mallocs - m0.Mallocs
		b.StartTimer()

		start = time.Now()
		for i, m := range raw {
			for {
				_, err := js.PublishMsgAsync(m, jetstream.WithMsgID(recs[i].MsgID))
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
		case <-time.After(time.Minute):
			b.Fatal("raw acks did not arrive")
		}
		rawTime += time.Since(start)
		b.StopTimer()
	}
	events := float64(b.N)
	pubRate, rawRate := events/pubTime.Seconds(), events/rawTime.Seconds()
	b.ReportMetric(pubRate, "events/s")
	b.ReportMetric(rawRate, "raw_events/s")
	b.ReportMetric(pubRate/rawRate, "x_of_raw")
	b.ReportMetric(float64(allocs)/events, "pub_allocs/event")
}

// benchEvents returns n events spread round-robin over chats chats, with
// ids unique to round r.
func benchEvents(chats, n, r int) []state.OutboxRecord {
	recs := make([]state.OutboxRecord, n)
	for i := range recs {
		recs[i] = event(int64(i%chats+1), r*n+i/chats)
	}
	return recs
}
