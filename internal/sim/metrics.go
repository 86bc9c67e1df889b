package sim

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	mu            sync.Mutex
	pushesSent    map[string]uint64
	pushesDropped map[string]uint64
	faults        map[string]uint64
	calls         map[callKey]uint64
}

// callKey counts served calls by account ("" before login) and TL method.
type callKey struct{ account, method string }

func newMetrics() *metrics {
	return &metrics{pushesSent: map[string]uint64{}, pushesDropped: map[string]uint64{}, faults: map[string]uint64{}, calls: map[callKey]uint64{}}
}

func (m *metrics) add(counter *map[string]uint64, key string) {
	m.mu.Lock()
	(*counter)[key]++
	m.mu.Unlock()
}

func (m *metrics) fault(kind string) { m.add(&m.faults, kind) }

var (
	descLedger  = prometheus.NewDesc("tgsim_ledger_entries", "Changes recorded in the ledger.", []string{"account", "action"}, nil)
	descLive    = prometheus.NewDesc("tgsim_live_sessions", "Auth keys of the account connected now.", []string{"account"}, nil)
	descMaxLive = prometheus.NewDesc("tgsim_max_concurrent_sessions", "Most auth keys of the account connected at one time.", []string{"account"}, nil)
	descSent    = prometheus.NewDesc("tgsim_pushes_sent_total", "Updates pushed to a session.", []string{"account"}, nil)
	descDropped = prometheus.NewDesc("tgsim_pushes_dropped_total", "Updates that found no live session or failed to send.", []string{"account"}, nil)
	descFaults  = prometheus.NewDesc("tgsim_faults_total", "Injected faults by kind.", []string{"fault"}, nil)
	descCalls   = prometheus.NewDesc("tgsim_calls_total", "RPC calls served (answered with a result or an error) by TL method.", []string{"account", "method"}, nil)
)

// tlNames maps TL constructor ids to their names (without "#id").
var tlNames = sync.OnceValue(func() map[uint32]string {
	m := map[uint32]string{}
	for name, id := range tg.NamesMap() {
		m[id] = name
	}
	return m
})

// methodName returns the TL name of a method id, or its hex id.
func methodName(id uint32) string {
	if n, ok := tlNames()[id]; ok {
		return n
	}
	return fmt.Sprintf("%#08x", id)
}

// countCall counts a call of method by sess's account.
func (s *Sim) countCall(req *tgtest.Request, method uint32) {
	s.net.Lock()
	acc, ok := s.authKeys[req.Session.AuthKey.ID]
	s.net.Unlock()
	if !ok {
		acc, _ = s.dcs.accountOn(req.DC, req.Session.AuthKey.ID)
	}
	s.metrics.mu.Lock()
	s.metrics.calls[callKey{acc, methodName(method)}]++
	s.metrics.mu.Unlock()
}

// Calls returns how many calls of each TL method (e.g.
// "updates.getChannelDifference") account made since the simulator
// started, counting those answered with an error (FLOOD_WAIT included).
func (s *Sim) Calls(account string) map[string]int {
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	out := map[string]int{}
	for k, n := range s.metrics.calls {
		if k.account == account {
			out[k.method] = int(n)
		}
	}
	return out
}

type collector struct{ s *Sim }

// Collector exports ledger counts by account and action, live sessions,
// pushes and injected faults.
func (s *Sim) Collector() prometheus.Collector { return collector{s: s} }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLedger, descLive, descMaxLive, descSent, descDropped, descFaults, descCalls} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	type key struct{ account, action string }
	counts := map[key]int{}
	var names []string
	s.mu.Lock()
	for _, a := range s.w.accounts {
		names = append(names, a.Name)
		for _, e := range a.Ledger {
			counts[key{a.Name, e.Action}]++
		}
		for action, n := range a.Trimmed {
			counts[key{a.Name, action}] += n
		}
	}
	s.mu.Unlock()
	for _, k := range slices.SortedFunc(maps.Keys(counts), func(a, b key) int {
		if a.account != b.account {
			return cmp.Compare(a.account, b.account)
		}
		return cmp.Compare(a.action, b.action)
	}) {
		ch <- prometheus.MustNewConstMetric(descLedger, prometheus.GaugeValue, float64(counts[k]), k.account, k.action)
	}
	live := s.liveSessionCounts()
	for _, n := range names {
		ch <- prometheus.MustNewConstMetric(descLive, prometheus.GaugeValue, float64(live[n]), n)
		ch <- prometheus.MustNewConstMetric(descMaxLive, prometheus.GaugeValue, float64(s.MaxConcurrentSessions(n)), n)
	}
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	for _, n := range names {
		ch <- prometheus.MustNewConstMetric(descSent, prometheus.CounterValue, float64(s.metrics.pushesSent[n]), n)
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(s.metrics.pushesDropped[n]), n)
	}
	for _, f := range slices.Sorted(maps.Keys(s.metrics.faults)) {
		ch <- prometheus.MustNewConstMetric(descFaults, prometheus.CounterValue, float64(s.metrics.faults[f]), f)
	}
	for k, n := range s.metrics.calls {
		ch <- prometheus.MustNewConstMetric(descCalls, prometheus.CounterValue, float64(n), k.account, k.method)
	}
}
