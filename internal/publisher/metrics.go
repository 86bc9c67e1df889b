package publisher

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	published  prometheus.Counter
	duplicates prometheus.Counter
	errors     prometheus.Counter
	rejected   prometheus.Counter
	latency    prometheus.Histogram
}

// newMetrics builds the publisher's metrics, labelled with the account, and
// registers them with reg unless it is nil. gauges is read at scrape time.
func newMetrics(account string, reg prometheus.Registerer, gauges func() (int, time.Duration)) (*metrics, error) {
	labels := prometheus.Labels{"account": account}
	m := &metrics{
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tgnats_events_published_total", ConstLabels: labels,
			Help: "Events acknowledged by JetStream (duplicates included).",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tgnats_events_duplicate_total", ConstLabels: labels,
			Help: "Publishes JetStream acknowledged as duplicates of a stored event (one publish per chat mode; a fast batch does not report them one by one).",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tgnats_publish_errors_total", ConstLabels: labels,
			Help: "Failed publish attempts (each is retried).",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tgnats_publish_rejected_total", ConstLabels: labels,
			Help: "Events JetStream can never store (too large), dropped from the outbox and logged.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tgnats_publish_latency_seconds", ConstLabels: labels,
			Help:    "Time from sending an event to JetStream's ack.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
	}
	if reg == nil {
		return m, nil
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tgnats_outbox_depth", ConstLabels: labels,
		Help: "Events in the outbox waiting to be published or acknowledged.",
	}, func() float64 { d, _ := gauges(); return float64(d) })
	age := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tgnats_outbox_oldest_age_seconds", ConstLabels: labels,
		Help: "Age of the oldest event in the outbox, 0 when empty.",
	}, func() float64 { _, a := gauges(); return a.Seconds() })
	var errs []error
	for _, c := range []prometheus.Collector{m.published, m.duplicates, m.errors, m.rejected, m.latency, depth, age} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("publisher: register metrics: %w", err)
	}
	return m, nil
}
