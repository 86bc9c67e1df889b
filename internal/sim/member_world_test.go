package sim

import (
	"errors"
	"slices"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// TestMemberChanges: each member change is a qts update (a join request
// also a pending count) returned by getDifference from the old state, and
// in the ledger with the id the connector's mapping gives the update (the
// e2e scenario TestScenarioMembers covers the pushes).
func TestMemberChanges(t *testing.T) {
	// A simulator of its own: the pending counts it makes are replayed by
	// the differences of the next minute, which the shared one's tests of
	// empty differences must not see.
	s, err := New(Config{Accounts: testAccounts()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := testCtx(t)
	alice, bob := s.CreateUser("Alice", "", ""), s.CreateUser("Bob", "", "")
	group, err := s.CreateChat(schema.PeerChat, "members group", alice)
	if err != nil {
		t.Fatal(err)
	}
	super, err := s.CreateChat(schema.PeerChannel, "members super", alice)
	if err != nil {
		t.Fatal(err)
	}
	st0, err := s.State("main")
	if err != nil {
		t.Fatal(err)
	}
	from := len(s.Ledger("main"))
	changes := []MemberChange{
		{Chat: group, Change: MemberJoin, User: bob},
		{Chat: group, Change: MemberPromote, User: bob, Rank: "boss"},
		{Chat: group, Change: MemberKick, User: bob},
		{Chat: super, Change: MemberRequest, User: bob, About: "hi"},
		{Chat: super, Change: MemberJoin, User: bob},
		{Chat: super, Change: MemberLeave, User: alice},
	}
	for _, c := range changes {
		if _, err := s.ChangeMember(ctx, c); err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	if _, err := s.ChangeMember(ctx, MemberChange{Chat: super, Change: MemberLeave, User: alice}); err == nil {
		t.Fatal("a user that is not a member left again")
	}
	// A request and the requester's join change the pending count too.
	wantActions := []string{"member.joined", "member.updated", "member.left", "member.join_requested", "member.join_pending",
		"member.joined", "member.join_pending", "member.left"}
	var gotActions, ledgerIDs []string
	for _, e := range s.Ledger("main")[from:] {
		gotActions = append(gotActions, e.Kind+"."+e.Action)
		ledgerIDs = append(ledgerIDs, e.ID)
	}
	if !slices.Equal(gotActions, wantActions) {
		t.Fatalf("ledger %v, want %v", gotActions, wantActions)
	}

	// After downtime: getDifference from the old state returns them, and
	// the connector's mapping of each gives the ledger's id.
	s.mu.Lock()
	res, err := s.onGetDifference(s.w.byName["main"], nil, &tg.UpdatesGetDifferenceRequest{Pts: st0.Pts, Qts: st0.Qts, Date: st0.Date})
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := res.(*tg.UpdatesDifference)
	if !ok {
		t.Fatalf("difference %T, want updates.difference", res)
	}
	var got []string
	for _, u := range d.OtherUpdates {
		evs, err := mapping.Update("main", u, tg.Entities{}, d.State.Date, nil)
		if errors.Is(err, mapping.ErrIgnored) {
			continue // updateChannelTooLong
		}
		if err != nil {
			t.Fatalf("%T: %v", u, err)
		}
		for _, ev := range evs {
			got = append(got, ev.ID)
		}
	}
	// (qts updates and the date-replayed pending counts come in two groups.)
	if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(ledgerIDs))) {
		t.Fatalf("difference ids %v, ledger ids %v", got, ledgerIDs)
	}
}
