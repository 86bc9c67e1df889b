package connector

import (
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/ingest"
	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/schema"
)

// TestLivePublisher: a live signal goes to core NATS on its live subject
// and is counted published; one while NATS is disconnected is dropped and
// counted dropped, never buffered.
func TestLivePublisher(t *testing.T) {
	nc := natstest.JetStream(t).Conn()
	reg := prometheus.NewRegistry()
	metrics := ingest.NewMetrics(reg)
	p := &livePublisher{nc: nc, prefix: "tg", metrics: metrics, log: slog.New(slog.DiscardHandler)}
	sub, err := nc.SubscribeSync("tg.main.live.>")
	if err != nil {
		t.Fatal(err)
	}
	user := schema.PeerRef{Kind: schema.PeerUser, ID: 7}
	sig := &schema.LiveSignal{Account: "main", Kind: schema.LiveTyping, Action: "typing", Peer: user, Time: time.Now(),
		Data: &schema.Typing{Account: "main", Chat: schema.NewChat(user), From: schema.Sender{Kind: schema.PeerUser, ID: 7, IDStr: "7"}, Action: "typing"}}
	p.publish(sig)
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "tg.main.live.typing.typing.user.7" {
		t.Fatalf("subject %s", m.Subject)
	}
	if v := liveCount(t, reg, "published"); v != 1 {
		t.Fatalf("published = %v", v)
	}
	nc.Close()
	p.publish(sig)
	if v := liveCount(t, reg, "dropped"); v != 1 {
		t.Fatalf("dropped = %v after a signal while disconnected", v)
	}
}

// liveCount reads tgnats_live_signals_total{account="main",kind="typing",result}.
func liveCount(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "tgnats_live_signals_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["account"] == "main" && labels["kind"] == schema.LiveTyping && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
