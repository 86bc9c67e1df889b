package e2e

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// Issue 12, members: joins, promotions, kicks, join requests and a user
// stopping and restarting the bot reach the stream as member.* and bot.*
// events with the ledger's ids, pushed live and replayed by getDifference
// after downtime; the kick's body names the actor and the ban.
func TestScenarioMembers(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	ctx := context.Background()
	alice := sc.sim.CreateUser("Alice", "Member", "")
	bob := sc.sim.CreateUser("Bob", "Member", "")
	group, err := sc.sim.CreateChat(schema.PeerChat, "Members group", alice)
	if err != nil {
		t.Fatal(err)
	}
	super, err := sc.sim.CreateChat(schema.PeerChannel, "Members super", alice)
	if err != nil {
		t.Fatal(err)
	}
	sc.send(t, sim.Outgoing{Chat: super, From: alice, Text: "before the members change"})

	change := func(c sim.MemberChange) int {
		t.Helper()
		qts, err := sc.sim.ChangeMember(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return qts
	}
	// Live.
	change(sim.MemberChange{Chat: super, Change: sim.MemberJoin, User: bob})
	change(sim.MemberChange{Chat: super, Change: sim.MemberPromote, User: bob, Rank: "mod"})
	kick := change(sim.MemberChange{Chat: super, Change: sim.MemberKick, User: bob})
	change(sim.MemberChange{Chat: group, Change: sim.MemberRequest, User: bob, About: "let me in"})
	if _, err := sc.sim.StopBot(ctx, sc.acc.Name, alice, true); err != nil {
		t.Fatal(err)
	}
	sc.checkLedger(t)

	// Downtime: getDifference returns the qts updates.
	sc.c.stop(t)
	change(sim.MemberChange{Chat: group, Change: sim.MemberJoin, User: bob})
	change(sim.MemberChange{Chat: super, Change: sim.MemberLeave, User: alice})
	if _, err := sc.sim.StopBot(ctx, sc.acc.Name, alice, false); err != nil {
		t.Fatal(err)
	}
	sc.c = sc.cfgC()
	sc.send(t, sim.Outgoing{Chat: group, From: alice, Text: "after the downtime"})
	sc.checkLedger(t)

	kickID := schema.EventID(sc.acc.Name, super, 0, schema.KindMember, schema.ActionMemberLeft, int64(kick))
	var body schema.MemberChange
	streamBody(t, sc, kickID, &body)
	if body.User.ID != bob || body.Actor == nil || body.Actor.ID != sc.acc.UserID || !body.Kicked ||
		body.Status != schema.MemberBanned || body.PrevStatus != schema.MemberAdmin || body.Chat.Ref() != super {
		t.Fatalf("kick %s: body %+v", kickID, body)
	}
}

// streamBody decodes the body of the event id in the account's stream
// into v and returns the subject it was published on ("" when absent).
func streamBody(t *testing.T, sc *scenario, id string, v any) string {
	t.Helper()
	var subject string
	eachStreamMsg(t, sc.url, sc.acc.Name, len(sc.want()), func(msg jetstream.Msg) {
		if msg.Headers().Get(schema.HeaderMsgID) != id {
			return
		}
		ev, err := schema.Decode(&nats.Msg{Subject: msg.Subject(), Header: msg.Headers(), Data: msg.Data()})
		if err != nil {
			t.Fatal(err)
		}
		if err := ev.DataAs(v); err != nil {
			t.Fatal(err)
		}
		subject = msg.Subject()
	})
	return subject
}
