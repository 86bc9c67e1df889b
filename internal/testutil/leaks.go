package testutil

import "go.uber.org/goleak"

// KnownLeaks are goroutines of dependencies that outlive their use through
// no fault of the code under test; goleak checks ignore them.
//
// nats.go v1.55.0: every ObjectStore.Put makes a JetStream context of its
// own and starts resetPendingAcksOnReconnect for its async publishes; Put
// clears the context's status channel when it returns, and a goroutine that
// had not read the channel yet then waits on a nil channel for ever (seen
// after small, fast puts). One goroutine per such Put; it holds no
// connection. Tests put objects with it; the connector writes its own
// (egress/objwrite.go).
//
// nats-server v2.15.2: a stream whose creation is still being served when
// an embedded server shuts down (a connector stopped while it provisions
// its stream, as the simulate tests do) keeps its file store's flush loop
// and the access-time ticker it registered. Seen once in the cmd/connector
// tests' leak check; the server is gone, the goroutines only wait.
func KnownLeaks() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreTopFunction("github.com/nats-io/nats.go/jetstream.(*jetStream).resetPendingAcksOnReconnect"),
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*fileStore).flushStreamStateLoop"),
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server/ats.Register.func1"),
	}
}
