package tgnats_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/testcontainers/testcontainers-go"

	tgnats "github.com/tgnats/tgnats/testcontainers"
)

// TestExample is how a team tests its service against tgnats: a user
// writes in a group, the service (here: inline) answers through a
// command, and the simulated Telegram shows the answer.
func TestExample(t *testing.T) {
	imgs := images(t) // your tgnats and NATS images, e.g. "tgnats:latest", "nats:2.12"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	ctr, err := tgnats.Run(ctx, imgs.connector, tgnats.WithNATSContainer(imgs.nats))
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	logsOnFailure(t, "tgnats", ctr)
	url, err := ctr.NATSURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	// The service listens for new messages.
	created := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe("tg.main.events.message.created.>", created)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	// A user writes in a group the bot administers.
	alice, err := ctr.CreateUser(ctx, "Alice", "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	chat, err := ctr.CreateChat(ctx, tgnats.ChatSpec{Type: "supergroup", Title: "Support", Members: []int64{alice}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctr.InjectMessage(ctx, tgnats.Message{Chat: chat, From: alice, Text: "ping"}); err != nil {
		t.Fatal(err)
	}

	var msg *nats.Msg
	select {
	case msg = <-created:
	case <-ctx.Done():
		t.Fatal("no message.created event")
	}
	if got := msg.Header.Get("ce-type"); got != "org.tgnats.message.created.v1" {
		t.Fatalf("ce-type %q", got)
	}
	var ev struct {
		Chat struct {
			Kind string `json:"kind"`
			ID   int64  `json:"id"`
		} `json:"chat"`
		MessageID int    `json:"message_id"`
		Text      string `json:"text"`
	}
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Text != "ping" || ev.Chat.ID != chat.ID {
		t.Fatalf("event %s", msg.Data)
	}

	// The service answers with a command on JetStream.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := json.Marshal(map[string]any{
		"peer":     map[string]any{"kind": ev.Chat.Kind, "id": ev.Chat.ID},
		"text":     "pong",
		"reply_to": ev.MessageID,
	})
	if _, err := js.Publish(ctx, "tg.main.commands.message.send", cmd, jetstream.WithMsgID("reply-to-ping")); err != nil {
		t.Fatal(err)
	}

	// The simulated Telegram holds the answer, sent by the bot.
	waitText(ctx, t, ctr, chat, "pong")

	// Or request-reply, waiting for the result: Command.
	res, err := ctr.Command(ctx, "message.send", map[string]any{"peer": chat, "text": "pong again"}, "reply-again")
	if err != nil || res.Result == nil || res.Peer == nil || *res.Peer != chat {
		t.Fatalf("Command: %+v, %v", res, err)
	}
	waitText(ctx, t, ctr, chat, "pong again")
	var ce *tgnats.CommandError
	if _, err := ctr.Command(ctx, "message.send", map[string]any{"peer": "@nobody_here", "text": "x"}, ""); !errors.As(err, &ce) || ce.Code != "PEER_NOT_FOUND" {
		t.Fatalf("Command to an unknown username: %v, want PEER_NOT_FOUND", err)
	}
}

// waitText waits until the simulated Telegram holds a message text in chat.
func waitText(ctx context.Context, t *testing.T, ctr *tgnats.Container, chat tgnats.Chat, text string) {
	t.Helper()
	for {
		ledger, err := ctr.Ledger(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ledger {
			if e.Action == "created" && e.Peer == chat && e.Text == text {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no %q in the ledger: %+v", text, ledger)
		case <-time.After(200 * time.Millisecond): // polling the ledger
		}
	}
}
