package connector

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Account states shown by /readyz and the tgnats_account_* metrics.
const (
	stateStarting = "starting" // connecting, logging in, catching up or not yet serving commands
	stateReady    = "ready"
	stateFailed   = "failed" // stopped until a person acts (login, key)
)

func (a *account) state() string {
	switch {
	case a.failed.Load():
		return stateFailed
	case a.ing.Ready() && (a.egr == nil || a.egr.Serving()):
		return stateReady
	}
	return stateStarting
}

// outboxStallAfter is how old the oldest event waiting in an outbox may
// grow before readiness reports publishing as stalled: a publisher that
// JetStream accepts keeps it within milliseconds.
const outboxStallAfter = 15 * time.Second

// readiness reports the process ready when NATS is connected, no account is
// still starting and at least one serves: an account that failed (a user
// account without a session, a refused bot token) does not hold the others
// back, but it is listed, with its error, in the detail. A store paused by
// a full disk, or an outbox whose oldest event has waited longer than
// outboxStallAfter (JetStream refusing writes), makes the process not
// ready, with the account and the reason in the detail.
func readiness(connected func() bool, accounts []*account, now func() time.Time) func() (bool, string) {
	return func() (bool, string) {
		var b strings.Builder
		starting, serving, blocked := false, false, false
		for _, a := range accounts {
			st := a.state()
			switch st {
			case stateStarting:
				starting = true
			case stateReady:
				serving = true
			}
			if st == stateFailed {
				fmt.Fprintf(&b, "account %s: %s: %s\n", a.name, st, oneLine(a.err.Error()))
			} else {
				fmt.Fprintf(&b, "account %s: %s\n", a.name, st)
			}
			if a.store.DiskFull() {
				blocked = true
				fmt.Fprintf(&b, "account %s: disk full: writes paused until space is freed in the data dir\n", a.name)
			}
			if depth, oldest := a.store.OutboxStats(); depth > 0 && now().Sub(oldest) > outboxStallAfter {
				blocked = true
				fmt.Fprintf(&b, "account %s: publishing stalled: %d events waiting, the oldest for %s (see the publisher's log)\n",
					a.name, depth, now().Sub(oldest).Round(time.Second))
			}
		}
		ok := connected()
		if !ok {
			b.WriteString("nats: disconnected\n")
		}
		return ok && serving && !starting && !blocked, b.String()
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// registerAccountMetrics exports each account's state as
// tgnats_account_ready and tgnats_account_failed (0 or 1).
func registerAccountMetrics(reg prometheus.Registerer, accounts []*account) error {
	for _, a := range accounts {
		for _, m := range []struct{ name, help, state string }{
			{"tgnats_account_ready", "1 while the account is logged in and caught up.", stateReady},
			{"tgnats_account_failed", "1 once the account stopped on an error that needs a person (see the log and /readyz).", stateFailed},
		} {
			g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: m.name, Help: m.help, ConstLabels: prometheus.Labels{"account": a.name},
			}, func() float64 {
				if a.state() == m.state {
					return 1
				}
				return 0
			})
			if err := reg.Register(g); err != nil {
				return fmt.Errorf("register %s: %w", m.name, err)
			}
		}
		g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "tgnats_state_disk_full",
			Help:        "1 while the account's state store pauses writes because the disk is full.",
			ConstLabels: prometheus.Labels{"account": a.name},
		}, func() float64 {
			if a.store.DiskFull() {
				return 1
			}
			return 0
		})
		if err := reg.Register(g); err != nil {
			return fmt.Errorf("register tgnats_state_disk_full: %w", err)
		}
	}
	return nil
}
