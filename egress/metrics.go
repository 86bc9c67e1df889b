package egress

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/schema"
)

type metrics struct {
	commands  *prometheus.CounterVec
	errors    *prometheus.CounterVec
	queued    prometheus.Gauge
	floodWait *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgnats_commands_total",
			Help: "Commands handled, by account, action and result (completed, failed, replayed, retried).",
		}, []string{"account", "action", "result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgnats_command_errors_total",
			Help: "Failed commands by error code.",
		}, []string{"code"}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tgnats_commands_queued",
			Help: "Commands received and not yet answered.",
		}),
		floodWait: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgnats_flood_wait_seconds",
			Help: "Seconds of FLOOD_WAIT imposed by Telegram, by scope (chat or global).",
		}, []string{"scope"}),
	}
	if reg == nil {
		return m
	}
	m.commands = register(reg, m.commands)
	m.errors = register(reg, m.errors)
	m.queued = register(reg, m.queued)
	m.floodWait = register(reg, m.floodWait)
	return m
}

// register registers c, or returns the collector already registered under
// its name (several accounts in one process share the metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

// actionLabel bounds the action label to known actions.
func actionLabel(action string) string {
	for _, a := range schema.CommandActions {
		if a == action {
			return a
		}
	}
	return "unknown"
}
