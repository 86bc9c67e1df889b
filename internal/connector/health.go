package connector

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// Account states shown by /readyz and the tgnats_account_* metrics.
const (
	stateStarting = "starting" // connecting, logging in or catching up
	stateReady    = "ready"
	stateFailed   = "failed" // stopped until a person acts (login, key)
)

func (a *account) state() string {
	switch {
	case a.failed.Load():
		return stateFailed
	case a.ing.Ready():
		return stateReady
	}
	return stateStarting
}

// readiness reports the process ready when NATS is connected, no account is
// still starting and at least one serves: an account that failed (a user
// account without a session, a refused bot token) does not hold the others
// back, but it is listed, with its error, in the detail.
func readiness(nc *nats.Conn, accounts []*account) func() (bool, string) {
	return func() (bool, string) {
		var b strings.Builder
		starting, serving := false, false
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
		}
		if !nc.IsConnected() {
			b.WriteString("nats: disconnected\n")
		}
		return nc.IsConnected() && serving && !starting, b.String()
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
	}
	return nil
}
