package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/provision"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// TestReadmeShowsThisFile keeps the README's Go consumer and this program
// the same text, so the README's code is the code tested below.
func TestReadmeShowsThisFile(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- consumer-example: internal/examples/consumer/main.go -->\n```go\n")
	if !ok {
		t.Fatal("README has no consumer example block")
	}
	block, _, _ := strings.Cut(after, "```\n")
	if block != string(src) {
		t.Fatal("README's consumer example differs from internal/examples/consumer/main.go: copy the file into the README")
	}
}

// TestConsume: events in both content modes come out decoded, with their
// typed bodies, and each is acknowledged (a second run sees nothing new).
func TestConsume(t *testing.T) {
	js := natstest.JetStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := provision.EnsureEventStream(ctx, js, provision.EventStream{Prefix: "tg", Account: "main"}); err != nil {
		t.Fatal(err)
	}
	chat := schema.Chat{Kind: schema.PeerChannel, ID: 500, Title: "Gophers"}
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	created := schema.Event{
		ID: schema.EventID("main", chat.Ref(), 7, schema.KindMessage, schema.ActionCreated, 0), Account: "main",
		Kind: schema.KindMessage, Action: schema.ActionCreated, Peer: chat.Ref(), MessageID: 7, Time: at,
		Data: &schema.Message{Account: "main", Chat: chat, MessageID: 7, Date: at, Text: "hello"},
	}
	deleted := schema.Event{
		ID: schema.EventID("main", chat.Ref(), 7, schema.KindMessage, schema.ActionDeleted, 0), Account: "main",
		Kind: schema.KindMessage, Action: schema.ActionDeleted, Peer: chat.Ref(), MessageID: 7, Time: at,
		Data: &schema.MessageDeleted{Account: "main", Chat: chat, MessageID: 7},
	}
	for _, c := range []struct {
		ev   *schema.Event
		mode schema.Mode
	}{{&created, schema.ModeBinary}, {&deleted, schema.ModeStructured}} {
		msg, err := schema.Encoder{Mode: c.mode}.Encode(c.ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	url := js.Conn().ConnectedUrl()
	var out bytes.Buffer
	if err := consume(ctx, url, "main", "test", 2, &out); err != nil {
		t.Fatal(err)
	}
	want := "org.tgnats.message.created.v1 channel:500 #7 \"hello\"\norg.tgnats.message.deleted.v1 channel:500 #7\n"
	if out.String() != want {
		t.Fatalf("printed\n%s\nwant\n%s", out.String(), want)
	}
	cons, err := js.Consumer(ctx, schema.EventStreamName("main"), "test")
	if err != nil {
		t.Fatal(err)
	}
	// Acks are asynchronous: the server may take a moment to count them.
	testutil.Eventually(t, 10*time.Second, "no pending and no ack-pending messages after consuming everything", func() bool {
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.NumPending == 0 && info.NumAckPending == 0
	})
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
