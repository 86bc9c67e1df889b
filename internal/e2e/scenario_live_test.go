package e2e

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// Issue 12, live signals: typing and online status reach core NATS on
// tg.<account>.live.<kind>.<action>.<peer_kind>.<peer_id>, with the
// CloudEvents headers of their type, and never the stream.
func TestScenarioLiveSignals(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	ctx := context.Background()
	alice := sc.sim.CreateUser("Alice", "Live", "")
	group, err := sc.sim.CreateChat(schema.PeerChannel, "Live group", alice)
	if err != nil {
		t.Fatal(err)
	}
	sc.send(t, sim.Outgoing{Chat: group, From: alice, Text: "hello"})
	sc.checkLedger(t) // the connector is caught up

	nc, err := nats.Connect(sc.url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync(schema.LiveSubject("tg", sc.acc.Name, ">"))
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := sc.sim.Typing(ctx, group, alice, "upload_photo"); err != nil {
		t.Fatal(err)
	}
	if err := sc.sim.SetStatus(ctx, alice, true); err != nil {
		t.Fatal(err)
	}
	next := func() *nats.Msg {
		t.Helper()
		m, err := sub.NextMsg(20 * time.Second)
		if err != nil {
			t.Fatalf("live signal: %v", err)
		}
		return m
	}
	// Two pushes: their order on the wire is not promised.
	typing, status := next(), next()
	if typing.Header.Get("ce-type") != "org.tgnats.live.typing.v1" {
		typing, status = status, typing
	}
	if want := "tg." + sc.acc.Name + ".live.typing.upload_photo.channel." + strconv.FormatInt(group.ID, 10); typing.Subject != want {
		t.Fatalf("typing on %s, want %s", typing.Subject, want)
	}
	var tb schema.Typing
	if err := json.Unmarshal(typing.Data, &tb); err != nil {
		t.Fatal(err)
	}
	if tb.From.ID != alice || tb.Chat.Ref() != group || tb.Action != "upload_photo" || typing.Header.Get("ce-type") != "org.tgnats.live.typing.v1" {
		t.Fatalf("typing %+v, headers %v", tb, typing.Header)
	}
	if want := "tg." + sc.acc.Name + ".live.status.online.user." + strconv.FormatInt(alice, 10); status.Subject != want {
		t.Fatalf("status on %s, want %s", status.Subject, want)
	}
	var sb schema.UserStatus
	if err := json.Unmarshal(status.Data, &sb); err != nil {
		t.Fatal(err)
	}
	if sb.User.ID != alice || sb.Status != "online" || sb.Expires == nil {
		t.Fatalf("status %+v", sb)
	}
	// Not stored: the stream holds the ledger and nothing else.
	sc.send(t, sim.Outgoing{Chat: group, From: alice, Text: "after the signals"})
	sc.checkLedger(t)
}
