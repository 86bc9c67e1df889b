package egress

import (
	"errors"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/schema"
)

// metrics are one account's view of the command metrics, which several
// accounts in one process share under an account label.
type metrics struct {
	commands  *prometheus.CounterVec // account, action (the command name), result
	errors    *prometheus.CounterVec // code
	queued    prometheus.Gauge
	floodWait *prometheus.CounterVec // scope
	fileBytes *prometheus.CounterVec // direction: download, upload
	transfers *prometheus.GaugeVec   // direction
	autoFiles *prometheus.CounterVec // result: stored, cached, failed, timeout
}

func newMetrics(reg prometheus.Registerer, account string) *metrics {
	v := struct {
		commands  *prometheus.CounterVec
		errors    *prometheus.CounterVec
		queued    *prometheus.GaugeVec
		floodWait *prometheus.CounterVec
		fileBytes *prometheus.CounterVec
		transfers *prometheus.GaugeVec
		autoFiles *prometheus.CounterVec
	}{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgnats_commands_total",
			Help: "Commands handled, by account, action and result (completed, failed, replayed, retried).",
		}, []string{"account", "action", "result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgnats_command_errors_total",
			Help: "Failed commands by account and error code.",
		}, []string{"account", "code"}),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgnats_commands_queued",
			Help: "Commands received and not yet answered, by account.",
		}, []string{"account"}),
		floodWait: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgnats_flood_wait_seconds",
			Help: "Seconds of FLOOD_WAIT imposed by Telegram, by account and scope (chat or global).",
		}, []string{"account", "scope"}),
		fileBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgnats_file_bytes_total",
			Help: "File bytes moved between Telegram and the Object Store, by account and direction (download, upload).",
		}, []string{"account", "direction"}),
		transfers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgnats_file_transfers_in_flight",
			Help: "File transfers under way, by account and direction (download, upload).",
		}, []string{"account", "direction"}),
		autoFiles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgnats_auto_downloads_total",
			Help: "Files of files.auto_download by account and result (stored, cached, failed, timeout: the event was published without its object).",
		}, []string{"account", "result"}),
	}
	if reg != nil {
		v.commands = register(reg, v.commands)
		v.errors = register(reg, v.errors)
		v.queued = register(reg, v.queued)
		v.floodWait = register(reg, v.floodWait)
		v.fileBytes = register(reg, v.fileBytes)
		v.transfers = register(reg, v.transfers)
		v.autoFiles = register(reg, v.autoFiles)
	}
	acct := prometheus.Labels{"account": account}
	return &metrics{
		commands:  v.commands,
		errors:    v.errors.MustCurryWith(acct),
		queued:    v.queued.With(acct),
		floodWait: v.floodWait.MustCurryWith(acct),
		fileBytes: v.fileBytes.MustCurryWith(acct),
		transfers: v.transfers.MustCurryWith(acct),
		autoFiles: v.autoFiles.MustCurryWith(acct),
	}
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

// commandLabel bounds the "action" label to the names of commands.
func commandLabel(name string) string {
	if slices.Contains(schema.CommandNames(), name) {
		return name
	}
	return "unknown"
}
