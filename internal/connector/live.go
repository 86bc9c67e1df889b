package connector

import (
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/ingest"
	"github.com/tgnats/tgnats/schema"
)

// livePublisher publishes an account's live signals (typing, online
// status) on core NATS, <prefix>.<account>.live.…: best effort, beside
// the outbox, never stored. A signal received while NATS is disconnected
// is dropped, not buffered (it would be stale by the reconnect); every
// signal is counted in tgnats_live_signals_total{account,kind,result}.
type livePublisher struct {
	nc      *nats.Conn
	prefix  string
	metrics *ingest.Metrics
	log     *slog.Logger
}

// publish is the engine's EngineConfig.Live: it never blocks on NATS
// (core publishes are buffered by the client while connected).
func (p *livePublisher) publish(s *schema.LiveSignal) {
	result := "published"
	defer func() { p.metrics.Live.WithLabelValues(s.Account, s.Kind, result).Inc() }()
	if !p.nc.IsConnected() {
		result = "dropped"
		return
	}
	msg, err := s.Msg(p.prefix)
	if err == nil {
		err = p.nc.PublishMsg(msg)
	}
	if err != nil {
		result = "failed"
		p.log.Debug("live signal not published", "account", s.Account, "kind", s.Kind, "error", err)
	}
}
