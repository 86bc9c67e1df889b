package e2e

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// Issue 12, channels and users: a channel renamed (updateChannel names
// only the id: the connector fetches the channel) reaches the stream as
// chat.updated with the new title and username, the account kicked as
// chat.updated with forbidden set; channel read receipts
// (updateReadChannelInbox/Outbox) as read.inbox / read.outbox; a user's
// new phone, emoji status and profile as user.updated; a basic group's
// member list (updateChatParticipants) as chat.members. Each once, with
// the ledger's id; the optional entries (fetched states, pushed-only
// reads) are required here, since the connector ran throughout.
func TestChannelAndUserChanges(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	s := sc.sim
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	alice := s.CreateUser("Alice", "", "alice")
	super, err := s.CreateChat(schema.PeerChannel, "Gophers", alice)
	must(err)
	group, err := s.CreateChat(schema.PeerChat, "Family", alice)
	must(err)
	in := sc.send(t, sim.Outgoing{Chat: super, From: alice, Text: "read me"})
	mine := sc.send(t, sim.Outgoing{Chat: super, From: sc.acc.UserID, Text: "and mine"})
	sc.checkLedger(t)

	must(s.RenameChat(ctx, super, "Gopher Club", "gopherclub"))
	must(s.Read(ctx, "", super, in, false))
	must(s.Read(ctx, "", super, mine, true))
	must(s.ChangeUser(ctx, alice, schema.UserChangePhone, "15550100", 0))
	must(s.ChangeUser(ctx, alice, schema.UserChangeEmojiStatus, "", 5368324170671202286))
	must(s.ChangeUser(ctx, alice, schema.UserChangeProfile, "", 0))
	must(s.SendMembers(ctx, group))
	sc.checkLedger(t)
	_, err = s.Inject(ctx, sim.Fault{Kind: sim.FaultLeave, Channel: super.ID})
	must(err)

	// Every entry, optional ones included, reaches the stream.
	want := sc.want()
	testutil.Eventually(t, time.Minute, "every ledger entry in the stream", func() bool {
		have := map[string]bool{}
		for _, e := range readEvents(t, sc.url, sc.acc.Name, 0) {
			have[e.id] = true
		}
		for _, w := range want {
			if !have[w.id] {
				return false
			}
		}
		return true
	})
	evs := sc.checkLedger(t)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.kind+"."+e.action]++
	}
	for ka, n := range map[string]int{"chat.updated": 2, "chat.members": 1, "read.inbox": 1, "read.outbox": 1, "user.updated": 3} {
		if kinds[ka] != n {
			t.Errorf("%d %s events, want %d (all: %v)", kinds[ka], ka, n, kinds)
		}
	}

	var renamed, kicked *sim.LedgerEntry
	for _, e := range s.Ledger(sc.acc.Name)[sc.from:] {
		if e.Kind == schema.KindChat {
			if renamed == nil {
				renamed = &e
			} else {
				kicked = &e
			}
		}
	}
	if renamed == nil || kicked == nil || !renamed.Snapshot {
		t.Fatalf("ledger: rename %+v, kick %+v", renamed, kicked)
	}
	var body schema.ChatUpdate
	if subject := streamBody(t, sc, renamed.ID, &body); subject != "tg."+sc.acc.Name+".events.chat.updated.channel."+strconv.FormatInt(super.ID, 10) {
		t.Errorf("rename on %q", subject)
	}
	if body.Chat.Title != "Gopher Club" || body.Chat.Username != "gopherclub" || !body.Known || body.Left || body.Forbidden {
		t.Errorf("rename: body %+v", body)
	}
	body = schema.ChatUpdate{}
	streamBody(t, sc, kicked.ID, &body)
	if !body.Forbidden || !body.Known || body.Chat.Title != "Gopher Club" || body.Chat.Ref() != super {
		t.Errorf("kick: body %+v", body)
	}
	var user schema.UserUpdate
	phone := schema.EventID(sc.acc.Name, schema.PeerRef{Kind: schema.PeerUser, ID: alice}, 0, schema.KindUser, schema.ActionUserUpdated,
		schema.UserVersion(&schema.UserUpdate{Change: schema.UserChangePhone, Phone: "15550100"}))
	streamBody(t, sc, phone, &user)
	if user.Change != schema.UserChangePhone || user.Phone != "15550100" || user.User.ID != alice {
		t.Errorf("phone change: body %+v", user)
	}
	var members schema.ChatMembers
	for _, e := range s.Ledger(sc.acc.Name)[sc.from:] {
		if e.Action == schema.ActionChatMembers {
			streamBody(t, sc, e.ID, &members)
		}
	}
	if len(members.Members) != 2 || members.Members[0].Status != schema.MemberCreator || members.Members[0].User.ID != sc.acc.UserID ||
		members.Members[1].User.ID != alice || members.Members[1].Status != schema.MemberMember || members.Chat.Ref() != group || members.Version != 1 {
		t.Errorf("member list: body %+v", members)
	}
	// A channel read names no pts: its id's version is 0.
	read := schema.EventID(sc.acc.Name, super, in, schema.KindRead, schema.ActionInbox, 0)
	if !slices.ContainsFunc(evs, func(e streamEvent) bool { return e.id == read }) {
		t.Errorf("no event %s", read)
	}
}
