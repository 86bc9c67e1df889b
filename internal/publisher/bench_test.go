package publisher

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/state"
)

// BenchmarkPublisher measures events/s from outbox to an acked JetStream
// stream, against raw PublishMsgAsync of the same payloads. With one chat
// the publisher sends one event per round trip (the per-chat ordering rule);
// with many chats it pipelines up to its window.
func BenchmarkPublisher(b *testing.B) {
	for _, bc := range []struct {
		name  string
		chats int
	}{{"chats=1", 1}, {"chats=64", 64}} {
		b.Run("publisher/"+bc.name, func(b *testing.B) {
			s := startServer(b, b.TempDir(), -1)
			defer s.Shutdown()
			_, js, _ := connect(b, s.ClientURL())
			ob := newMemOutbox()
			ob.add(benchEvents(bc.chats, b.N)...)
			p, err := New(Config{Account: "acc", Outbox: ob, JS: js})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			if err := p.Drain(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run("raw/"+bc.name, func(b *testing.B) {
			s := startServer(b, b.TempDir(), -1)
			defer s.Shutdown()
			_, js, _ := connect(b, s.ClientURL())
			recs := benchEvents(bc.chats, b.N)
			b.ResetTimer()
			for _, r := range recs {
				m := &nats.Msg{Subject: r.Subject, Data: r.Data, Header: nats.Header(r.Header)}
				if _, err := js.PublishMsgAsync(m, jetstream.WithMsgID(r.MsgID)); err != nil {
					b.Fatal(err)
				}
			}
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				b.Fatal("acks did not arrive")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// benchEvents returns n events spread round-robin over chats chats.
func benchEvents(chats, n int) []state.OutboxRecord {
	recs := make([]state.OutboxRecord, n)
	for i := range recs {
		recs[i] = event(int64(i%chats+1), i/chats)
	}
	return recs
}
