package sim

import (
	"slices"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// TestMemberChanges: each member change is a qts update pushed to the
// account, returned again by getDifference from the old qts, and in the
// ledger with the id the connector's mapping gives the update.
func TestMemberChanges(t *testing.T) {
	ctx := testCtx(t)
	alice, bob := newTestUser(t), newTestUser(t)
	group, err := shared.CreateChat(schema.PeerChat, "members group", alice)
	if err != nil {
		t.Fatal(err)
	}
	super, err := shared.CreateChat(schema.PeerChannel, "members super", alice)
	if err != nil {
		t.Fatal(err)
	}
	st0, err := mainAPI.UpdatesGetState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	from := len(shared.Ledger("main"))
	mark := mainRec.mark()
	changes := []MemberChange{
		{Chat: group, Change: MemberJoin, User: bob},
		{Chat: group, Change: MemberPromote, User: bob, Rank: "boss"},
		{Chat: group, Change: MemberKick, User: bob},
		{Chat: super, Change: MemberRequest, User: bob, About: "hi"},
		{Chat: super, Change: MemberJoin, User: bob},
		{Chat: super, Change: MemberLeave, User: alice},
	}
	for _, c := range changes {
		if _, err := shared.ChangeMember(ctx, c); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	if _, err := shared.ChangeMember(ctx, MemberChange{Chat: super, Change: MemberLeave, User: alice}); err == nil {
		t.Fatal("a user that is not a member left again")
	}
	// A request and the requester's join change the pending count too.
	wantActions := []string{"member.joined", "member.updated", "member.left", "member.join_requested", "member.join_pending",
		"member.joined", "member.join_pending", "member.left"}
	ledger := shared.Ledger("main")[from:]
	var gotActions, ledgerIDs, pendingIDs []string
	for _, e := range ledger {
		gotActions = append(gotActions, e.Kind+"."+e.Action)
		if e.Action == schema.ActionJoinPending {
			pendingIDs = append(pendingIDs, e.ID)
			continue
		}
		ledgerIDs = append(ledgerIDs, e.ID)
	}
	if !slices.Equal(gotActions, wantActions) {
		t.Fatalf("ledger %v, want %v", gotActions, wantActions)
	}

	// Pushed: the mapping of each update gives the ledger's id.
	ups := mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool { return len(qtsIDs(t, ups)) >= len(changes) })
	// (Pushes may arrive in any order: another test may reorder them.)
	sorted := slices.Sorted(slices.Values(ledgerIDs))
	if got := slices.Sorted(slices.Values(qtsIDs(t, ups))); !slices.Equal(got, sorted) {
		t.Fatalf("pushed ids %v, ledger ids %v", got, ledgerIDs)
	}
	// After downtime: getDifference from the old qts returns them again.
	d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st0.Pts, Qts: st0.Qts, Date: st0.Date}).(*tg.UpdatesDifference)
	if !ok {
		t.Fatalf("difference %T, want updates.difference", d)
	}
	diff := &tg.Updates{Updates: d.OtherUpdates, Users: d.Users, Chats: d.Chats}
	if got := qtsIDs(t, []tg.UpdatesClass{diff}); !slices.Equal(got, ledgerIDs) {
		t.Fatalf("difference ids %v, ledger ids %v", got, ledgerIDs)
	}
	// And the pending counts (no qts: by date).
	var pending []string
	for _, u := range d.OtherUpdates {
		if p, ok := u.(*tg.UpdatePendingJoinRequests); ok {
			evs, err := mapping.Update("main", p, tg.Entities{}, d.State.Date, nil)
			if err != nil {
				t.Fatal(err)
			}
			pending = append(pending, evs[0].ID)
		}
	}
	if !slices.Equal(pending, pendingIDs) {
		t.Fatalf("difference pending ids %v, ledger %v", pending, pendingIDs)
	}
}

// qtsIDs maps the member updates among ups as the connector does and
// returns their event ids.
func qtsIDs(t *testing.T, ups []tg.UpdatesClass) []string {
	t.Helper()
	var ids []string
	for _, u := range ups {
		us, ok := u.(*tg.Updates)
		if !ok {
			continue
		}
		ent := tg.Entities{Users: map[int64]*tg.User{}, Chats: map[int64]*tg.Chat{}, Channels: map[int64]*tg.Channel{}}
		for _, x := range us.Updates {
			switch x.(type) {
			case *tg.UpdateChatParticipant, *tg.UpdateChannelParticipant, *tg.UpdateBotChatInviteRequester:
			default:
				continue
			}
			evs, err := mapping.Update("main", x, ent, us.Date, nil)
			if err != nil {
				t.Fatalf("%T: %v", x, err)
			}
			for _, ev := range evs {
				ids = append(ids, ev.ID)
			}
		}
	}
	return ids
}
