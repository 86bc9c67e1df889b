// Package provision creates, or updates in place, the JetStream streams and
// KV buckets tgnats uses: an account's event stream, its commands work
// queue, the lease bucket and the checkpoint bucket. The configuration of
// each lives here and only here; their names come from schema (names.go).
// Callers (the connector, egress, the lease tests) decide when and how
// often to try.
package provision
