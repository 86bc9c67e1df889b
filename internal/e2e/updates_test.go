package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/schemacheck"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// Reactions, pins and read receipts reach the stream as Telegram tells a
// bot: a user's reaction as reaction.changed (a qts update, also through
// getDifference after a withheld push), a broadcast post's anonymous
// counts as reaction.updated, pins as message.pinned / message.unpinned,
// reads as read.inbox / read.outbox (also withheld, then recovered), each
// once, with the ledger's id and subject.
func TestReactionsPinsAndReads(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	s := sc.sim
	ctx := context.Background()
	alice := s.CreateUser("Alice", "", "alice")
	super, err := s.CreateChat(schema.PeerChannel, "Gophers", alice)
	if err != nil {
		t.Fatal(err)
	}
	group, err := s.CreateChat(schema.PeerChat, "Family", alice)
	if err != nil {
		t.Fatal(err)
	}
	news, err := s.CreateBroadcast("News")
	if err != nil {
		t.Fatal(err)
	}
	inSuper := sc.send(t, sim.Outgoing{Chat: super, From: alice, Text: "react to me"})
	inGroup := sc.send(t, sim.Outgoing{Chat: group, From: alice, Text: "and me"})
	post := sc.send(t, sim.Outgoing{Chat: news, Text: "a post"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.React(ctx, "", super, inSuper, alice, "👍"))
	must(s.React(ctx, "", news, post, alice, "🔥"))
	// A withheld qts update comes back through getDifference once the next
	// one reveals the gap.
	s.Withhold(true)
	must(s.React(ctx, "", group, inGroup, alice, "❤"))
	s.Withhold(false)
	must(s.React(ctx, "", super, inSuper, alice, ""))
	must(s.Pin(ctx, "", super, inSuper, false))
	must(s.Pin(ctx, "", group, inGroup, false))
	must(s.Pin(ctx, "", group, inGroup, true))
	private := schema.PeerRef{Kind: schema.PeerUser, ID: alice}
	inPrivate := sc.send(t, sim.Outgoing{Chat: private, Text: "read me"})
	s.Withhold(true)
	must(s.Read(ctx, "", private, inPrivate, false))
	s.Withhold(false)
	must(s.Read(ctx, "", group, inGroup, true))

	evs := sc.checkLedger(t)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.kind+"."+e.action]++
	}
	for ka, n := range map[string]int{"reaction.changed": 3, "reaction.updated": 1, "message.pinned": 2, "message.unpinned": 1, "read.inbox": 1, "read.outbox": 1} {
		if kinds[ka] != n {
			t.Errorf("%d %s events, want %d (all: %v)", kinds[ka], ka, n, kinds)
		}
	}
	// The first reaction is the bot's qts 1: its id names it.
	want := fmt.Sprintf("%s:channel:%d:%d:reaction.changed:1", sc.acc.Name, super.ID, inSuper)
	found := false
	for _, e := range evs {
		found = found || e.id == want
	}
	if !found {
		t.Errorf("no event %s", want)
	}
}

// TestSimulatedEventsMatchSchemas runs generated traffic of every kind the
// simulator makes (messages of every chat kind, edits, deletions, service
// messages, reactions, pins, read receipts, polls and votes, link
// previews, with faults) through the connector and checks
// each event's body against the JSON Schema its dataschema names.
func TestSimulatedEventsMatchSchemas(t *testing.T) {
	sc := newScenario(t, sim.Config{SliceLimit: 40})
	if err := sc.sim.Produce(context.Background(), sim.Scenario{Seed: 12, Faults: 0.1, Updates: 0.3}, 300); err != nil {
		t.Fatal(err)
	}
	want := sc.want()
	assertExactlyOnce(t, readWanted(t, sc.url, sc.acc.Name, want), want)
	types := map[string]int{}
	previews := 0 // message.edited with a completed link preview
	eachStreamMsg(t, sc.url, sc.acc.Name, 0, func(msg jetstream.Msg) {
		ev, err := schema.Decode(&nats.Msg{Subject: msg.Subject(), Header: msg.Headers(), Data: msg.Data()})
		if err != nil {
			t.Fatalf("%s: %v", msg.Subject(), err)
		}
		types[ev.Type()]++
		if err := schemacheck.Body(ev.DataSchema(), ev.Data()); err != nil {
			t.Errorf("%s: %v", ev.ID(), err)
		}
		var m schema.Message
		if ev.Type() == schema.TypeName(schema.KindMessage, schema.ActionEdited) && json.Unmarshal(ev.Data(), &m) == nil &&
			m.Media != nil && m.Media.Type == "webpage" && !m.Media.Pending {
			previews++
		}
	})
	if previews == 0 {
		t.Errorf("no message.edited with a completed link preview in the traffic: %v", types)
	}
	for _, typ := range []string{"created", "edited", "deleted", "pinned", "unpinned"} {
		if types[schema.TypeName(schema.KindMessage, typ)] == 0 {
			t.Errorf("no message.%s event in the traffic: %v", typ, types)
		}
	}
	for _, ka := range [][2]string{
		{schema.KindReaction, schema.ActionChanged}, {schema.KindReaction, schema.ActionUpdated},
		{schema.KindRead, schema.ActionInbox}, {schema.KindRead, schema.ActionOutbox},
		{schema.KindPoll, schema.ActionVoted}, {schema.KindPoll, schema.ActionUpdated},
		{schema.KindChat, schema.ActionChatUpdated}, {schema.KindChat, schema.ActionChatMembers}, {schema.KindUser, schema.ActionUserUpdated},
	} {
		if types[schema.TypeName(ka[0], ka[1])] == 0 {
			t.Errorf("no %s.%s event in the traffic: %v", ka[0], ka[1], types)
		}
	}
}

// A vote in the bot's poll reaches the stream as poll.voted on the voter's
// private chat (also when its push was withheld: the qts gap brings it
// back) and poll.updated with the results, linked to the poll's message;
// the poll message is a message.created with poll media.
func TestPollVotes(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	s := sc.sim
	ctx := context.Background()
	alice := s.CreateUser("Alice", "", "alice")
	bob := s.CreateUser("Bob", "", "bob")
	super, err := s.CreateChat(schema.PeerChannel, "Votes", alice, bob)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.SendPoll(ctx, "", super)
	if err != nil {
		t.Fatal(err)
	}
	// The poll's message in the stream first: a poll.updated that outruns
	// it (a new channel's first pushes wait for the reorder window) has no
	// link yet.
	sc.checkLedger(t)
	s.Withhold(true)
	if err := s.Vote(ctx, "", super, id, alice, []int{0}); err != nil {
		t.Fatal(err)
	}
	s.Withhold(false)
	if err := s.Vote(ctx, "", super, id, bob, []int{1}); err != nil {
		t.Fatal(err)
	}
	evs := sc.checkLedger(t)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.kind+"."+e.action]++
	}
	if kinds["poll.voted"] != 2 || kinds["poll.updated"] < 1 {
		t.Errorf("events by type %v, want 2 poll.voted and the pushed poll.updated", kinds)
	}
	want := fmt.Sprintf("%s:user:%d:0:poll.voted:1", sc.acc.Name, alice)
	found := false
	for _, e := range evs {
		found = found || e.id == want
	}
	if !found {
		t.Errorf("no event %s", want)
	}
	// poll.updated names the poll only; its body links the poll's message.
	for _, e := range evs {
		if e.kind != schema.KindPoll || e.action != schema.ActionUpdated {
			continue
		}
		var body schema.PollUpdated
		streamBody(t, sc, e.id, &body)
		if body.Message == nil || body.Message.Chat.Ref() != super || body.Message.MessageID != id {
			t.Errorf("%s links %+v, want message %d of %v", e.id, body.Message, id, super)
		}
	}
}
