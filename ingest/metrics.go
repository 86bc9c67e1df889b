package ingest

import (
	"fmt"
	"strings"

	"github.com/gotd/td/tg"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/schema"
)

// Metrics are the ingest counters, shared by every engine of a process.
type Metrics struct {
	updates      *prometheus.CounterVec
	events       *prometheus.CounterVec
	duplicates   *prometheus.CounterVec
	gaps         *prometheus.CounterVec
	differences  *prometheus.CounterVec
	lost         *prometheus.CounterVec
	unsupportedC *prometheus.CounterVec
	mapErrors    *prometheus.CounterVec
	skipped      *prometheus.CounterVec
	ignoredC     *prometheus.CounterVec
	refused      *prometheus.CounterVec
	capped       *prometheus.CounterVec
	retries      *prometheus.CounterVec
	wakeups      *prometheus.CounterVec
	// Reconnects counts connections to Telegram re-established after a failure.
	Reconnects *prometheus.CounterVec
	// Live counts live signals (typing, online status) by kind and result:
	// published, dropped (NATS disconnected) or failed. The connector's
	// best-effort publisher of EngineConfig.Live counts them.
	Live *prometheus.CounterVec
}

// NewMetrics creates the ingest metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tgnats", Name: name, Help: help}, append([]string{"account"}, labels...))
	}
	m := &Metrics{
		updates:      counter("updates_received_total", "Update containers received from Telegram, by type.", "type"),
		events:       counter("events_total", "Events written to the outbox, by kind and action.", "kind", "action"),
		duplicates:   counter("updates_duplicate_total", "Updates skipped because they were already applied, by box.", "box"),
		gaps:         counter("gaps_recovered_total", "Update gaps recovered by a difference, by box.", "box"),
		differences:  counter("differences_total", "Differences fetched, by box and result.", "box", "result"),
		lost:         counter("updates_unrecoverable_total", "Updates Telegram could not deliver any more (too-long differences beyond the backfill depth), at most.", "box"),
		unsupportedC: counter("unsupported_content_total", "Message content mapped as unsupported, by TL constructor.", "constructor"),
		mapErrors:    counter("mapping_errors_total", "Updates that could not be mapped or encoded, by type.", "type"),
		skipped:      counter("updates_skipped_total", "Updates skipped without moving any position, by reason.", "reason"),
		ignoredC:     counter("updates_ignored_total", "Updates that map to no event on purpose, by TL constructor; the reasons are in mapping's update table (mapping/table.go).", "type"),
		refused:      counter("channel_difference_refused_total", "Channel differences Telegram refused for good (kicked, private, invalid): the channel's buffered gap is dropped until it shows up again."),
		capped:       counter("difference_rounds_capped_total", "Difference rounds stopped at the iteration cap, by box.", "box"),
		retries:      counter("channel_difference_retries_total", "Channel differences that failed transiently and were scheduled again with backoff, by reason.", "reason"),
		wakeups:      counter("engine_wakeups_total", "Iterations of the engine's Run loop (a push, a timer or a resync woke it)."),
		Reconnects:   counter("reconnects_total", "Connections to Telegram re-established after a failure."),
		Live:         counter("live_signals_total", "Live signals (typing, online status) on core NATS, by kind and result: published, dropped while NATS is disconnected, failed. Best effort, never stored.", "kind", "result"),
	}
	if reg != nil {
		reg.MustRegister(m.updates, m.events, m.duplicates, m.gaps, m.differences, m.lost, m.unsupportedC, m.mapErrors, m.skipped, m.ignoredC, m.refused, m.capped, m.retries, m.wakeups, m.Reconnects, m.Live)
	}
	return m
}

func typeName(v any) string {
	if t, ok := v.(interface{ TypeName() string }); ok {
		return t.TypeName()
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", v), "*tg.")
}

func (m *Metrics) received(account string, u tg.UpdatesClass) {
	m.updates.WithLabelValues(account, typeName(u)).Inc()
}

func (m *Metrics) event(account string, ev *schema.Event) {
	m.events.WithLabelValues(account, ev.Kind, ev.Action).Inc()
}

func (m *Metrics) duplicate(account, box string) { m.duplicates.WithLabelValues(account, box).Inc() }

func (m *Metrics) gapRecovered(account, box string) { m.gaps.WithLabelValues(account, box).Inc() }

func (m *Metrics) difference(account, box, result string) {
	m.differences.WithLabelValues(account, box, result).Inc()
}

func (m *Metrics) unrecoverable(account, box string, n int) {
	m.lost.WithLabelValues(account, box).Add(float64(n))
}

func (m *Metrics) mappingError(account string, u tg.UpdateClass) {
	name := "event"
	if u != nil {
		name = typeName(u)
	}
	m.mapErrors.WithLabelValues(account, name).Inc()
}

// unsupported counts content the mapping could only describe by its TL name.
func (m *Metrics) unsupported(account string, ev *schema.Event) {
	msg, ok := ev.Data.(*schema.Message)
	if !ok {
		return
	}
	if msg.Media != nil && msg.Media.Type == schema.Unsupported {
		m.unsupportedC.WithLabelValues(account, msg.Media.Constructor).Inc()
	}
	if msg.Action != nil && msg.Action.Type == "unsupported" {
		m.unsupportedC.WithLabelValues(account, msg.Action.Constructor).Inc()
	}
}

func (m *Metrics) skip(account, reason string) { m.skipped.WithLabelValues(account, reason).Inc() }

// ignored counts an update mapped to no event on purpose; typ is its TL name.
func (m *Metrics) ignored(account, typ string) { m.ignoredC.WithLabelValues(account, typ).Inc() }

func (m *Metrics) channelRefused(account string) { m.refused.WithLabelValues(account).Inc() }

func (m *Metrics) roundCapped(account, box string) { m.capped.WithLabelValues(account, box).Inc() }

func (m *Metrics) channelRetry(account, reason string) {
	m.retries.WithLabelValues(account, reason).Inc()
}

func (m *Metrics) wakeup(account string) { m.wakeups.WithLabelValues(account).Inc() }
