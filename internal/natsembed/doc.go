// Package natsembed runs an in-process nats-server with JetStream for
// tgnats deployments that configure no NATS URL (DESIGN.md §7).
//
// Start returns only once the server accepts client connections, or with an
// error that says why it could not (the listen address is taken, the store
// directory is unusable). JetStream keeps its data on disk under
// Config.StoreDir, so streams and their duplicate windows survive restarts.
// The server's own log lines are bridged into log/slog: debug, trace and
// notice become Debug, warnings Warn, errors and fatal errors Error.
//
// Limits: a single standalone server with default limits and no
// authentication; it listens on the configured address only (keep it on
// loopback unless other processes must reach it). It installs no signal
// handlers; the owner calls Shutdown.
package natsembed
