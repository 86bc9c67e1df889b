package e2e

import (
	"context"
	"strconv"
	"testing"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// Issue 12, chats and users: renames reach the stream as user.updated and
// chat.updated with the ledger's ids, pushed live and, after downtime,
// from getDifference's other_updates.
func TestScenarioRenames(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	ctx := context.Background()
	alice := sc.sim.CreateUser("Alice", "Renamed", "")
	group, err := sc.sim.CreateChat(schema.PeerChat, "Before", alice)
	if err != nil {
		t.Fatal(err)
	}
	sc.send(t, sim.Outgoing{Chat: group, From: alice, Text: "before the renames"})
	if err := sc.sim.RenameUser(ctx, alice, "Alicia", "R", "alicia"); err != nil {
		t.Fatal(err)
	}
	if err := sc.sim.RenameChat(ctx, group, "After", ""); err != nil {
		t.Fatal(err)
	}
	sc.checkLedger(t)

	sc.c.stop(t)
	if err := sc.sim.RenameUser(ctx, alice, "Ally", "", ""); err != nil {
		t.Fatal(err)
	}
	sc.c = sc.cfgC()
	sc.send(t, sim.Outgoing{Chat: group, From: alice, Text: "after the downtime"})
	sc.checkLedger(t)

	user := schema.PeerRef{Kind: schema.PeerUser, ID: alice}
	id := schema.EventID(sc.acc.Name, user, 0, schema.KindUser, schema.ActionUserUpdated,
		schema.UserVersion(&schema.UserUpdate{Change: schema.UserChangeName, User: schema.Sender{FirstName: "Ally"}}))
	var body schema.UserUpdate
	if got, want := streamBody(t, sc, id, &body), "tg."+sc.acc.Name+".events.user.updated.user."+strconv.FormatInt(alice, 10); got != want {
		t.Errorf("%s on %q, want %s", id, got, want)
	}
	if body.User.ID != alice || body.User.FirstName != "Ally" || body.Change != schema.UserChangeName || body.Chat.Ref() != user {
		t.Fatalf("rename after downtime %s: body %+v", id, body)
	}
}
