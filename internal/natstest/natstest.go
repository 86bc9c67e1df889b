// Package natstest starts an in-process nats-server with JetStream for a
// test and connects to it; everything stops at the test's cleanup.
package natstest

import (
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/natsembed"
)

// JetStream starts a server on a free port with its store in a temporary
// directory and returns a JetStream client of it.
func JetStream(t testing.TB) jetstream.JetStream {
	t.Helper()
	srv, err := natsembed.Start(natsembed.Config{Listen: "127.0.0.1:-1", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return Connect(t, srv.ClientURL())
}

// Connect returns a JetStream client of the server at url, closed at cleanup.
func Connect(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
