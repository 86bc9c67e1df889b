package egress

import (
	"github.com/prometheus/client_golang/prometheus"
)

// paused returns how many chats a FLOOD_WAIT pauses now, and whether all
// calls are paused.
func (l *limiter) paused() (chats int, global bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, c := range l.chats {
		if c.pause.After(now) {
			chats++
		}
	}
	return chats, l.globalPause.After(now)
}

// registerPauses exposes the current FLOOD_WAIT pauses of an account as
// tgnats_command_paused{account, scope}: the number of chats paused now
// (scope "chat") and 1 while all calls are paused (scope "global").
// Registration errors (a second Egress of the same account) are ignored.
func registerPauses(reg prometheus.Registerer, account string, l *limiter) {
	if reg == nil {
		return
	}
	gauge := func(scope string, value func() float64) prometheus.GaugeFunc {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "tgnats_command_paused",
			Help:        "FLOOD_WAIT pauses in force: chats paused (scope chat), 1 while every call is paused (scope global).",
			ConstLabels: prometheus.Labels{"account": account, "scope": scope},
		}, value)
	}
	_ = reg.Register(gauge("chat", func() float64 { n, _ := l.paused(); return float64(n) }))
	_ = reg.Register(gauge("global", func() float64 {
		if _, g := l.paused(); g {
			return 1
		}
		return 0
	}))
}
