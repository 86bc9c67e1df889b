package sim

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// TestReadReceiptsPushedAndInDifference: a read receipt moves the common
// box's pts, is pushed as updateReadHistoryInbox/Outbox and comes back in
// getDifference's other_updates, each with its ledger entry (read_world.go).
func TestReadReceiptsPushedAndInDifference(t *testing.T) {
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	ids := sendN(t, shared, "main", chat, 2)
	st, _ := shared.State("main")
	ledger := len(shared.Ledger("main"))
	mark := mainRec.mark()
	if err := shared.MarkRead("main", chat, ids[1], false); err != nil {
		t.Fatal(err)
	}
	if err := shared.MarkRead("main", chat, ids[0], true); err != nil {
		t.Fatal(err)
	}
	mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool {
		in, out := false, false
		for _, u := range ups {
			s := u.String()
			in = in || strings.Contains(s, "UpdateReadHistoryInbox")
			out = out || strings.Contains(s, "UpdateReadHistoryOutbox")
		}
		return in && out
	})
	if n := len(shared.Ledger("main")); n != ledger+2 {
		t.Errorf("read receipts made %d ledger entries, want 2 (read.inbox, read.outbox)", n-ledger)
	}
	d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Date: st.Date}).(*tg.UpdatesDifference)
	if !ok {
		t.Fatalf("difference is not full: %T", d)
	}
	var other []tg.UpdateClass // other tests' qts updates are there too
	for _, u := range d.OtherUpdates {
		switch u.(type) {
		case *tg.UpdateReadHistoryInbox, *tg.UpdateReadHistoryOutbox:
			other = append(other, u)
		}
	}
	if len(other) != 2 {
		t.Fatalf("other updates %v, want the two receipts", other)
	}
	in, ok := other[0].(*tg.UpdateReadHistoryInbox)
	if !ok || in.MaxID != ids[1] || in.Pts != st.Pts+1 || in.PtsCount != 1 {
		t.Errorf("other[0] = %v, want the inbox receipt up to %d at pts %d", other[0], ids[1], st.Pts+1)
	}
	outbox, ok := other[1].(*tg.UpdateReadHistoryOutbox)
	if !ok || outbox.MaxID != ids[0] || outbox.Pts != st.Pts+2 {
		t.Errorf("other[1] = %v, want the outbox receipt up to %d at pts %d", other[1], ids[0], st.Pts+2)
	}
	if err := shared.MarkRead("main", chat, 1<<30, false); err == nil {
		t.Error("a receipt of an unknown message was accepted")
	}
}

// TestUserAccountTraffic: generated traffic in a world with a user
// account has the account's own actions: messages from another device,
// edits and deletions of its own messages, read receipts both ways; the
// bot's traffic has none.
func TestUserAccountTraffic(t *testing.T) {
	user := Account{Name: "alice", Phone: "+15550004001", UserID: 4001, FirstName: "Alice"}
	s, err := New(Config{Accounts: []Account{DefaultAccount(), user}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Produce(context.Background(), Scenario{Seed: 3}, 600); err != nil {
		t.Fatal(err)
	}
	var sent, edited, deleted int
	for _, e := range s.Ledger("alice") {
		switch {
		case e.Action == schema.ActionCreated && e.From == user.UserID:
			sent++
		case e.Action == schema.ActionEdited && strings.HasPrefix(e.Text, "edited on another device: "):
			edited++
		case e.Action == schema.ActionDeleted:
			deleted++
		}
	}
	s.mu.Lock()
	reads := map[bool]int{}
	for _, ev := range s.w.byName["alice"].Box.Events {
		if ev.Kind == evRead || ev.Kind == evReadOut {
			reads[ev.Kind == evReadOut]++
		}
	}
	botReads := 0
	for _, ev := range s.w.byName["main"].Box.Events {
		if ev.Kind == evRead || ev.Kind == evReadOut {
			botReads++
		}
	}
	s.mu.Unlock()
	if sent == 0 || edited == 0 || deleted == 0 || reads[false] == 0 || reads[true] == 0 {
		t.Errorf("user traffic: %d sent from another device, %d own edits, %d deletions, %d inbox and %d outbox receipts; want some of each",
			sent, edited, deleted, reads[false], reads[true])
	}
	if botReads != 0 {
		t.Errorf("the bot got %d read receipts", botReads)
	}
}

// TestEnsureDialogChannels: the channels are created once; a second call
// (as after a restart) adds only the missing ones.
func TestEnsureDialogChannels(t *testing.T) {
	s, err := New(Config{Accounts: []Account{{Name: "alice", Phone: "+15550004001", UserID: 4001}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, tc := range []struct{ n, created int }{{5, 5}, {5, 0}, {7, 2}} {
		got, err := s.EnsureDialogChannels(ctx, tc.n)
		if err != nil || got != tc.created {
			t.Fatalf("EnsureDialogChannels(%d) = %d, %v; want %d created", tc.n, got, err, tc.created)
		}
	}
	if n := len(s.Ledger("alice")); n != 7 {
		t.Errorf("%d ledger entries, want one post in each of 7 channels", n)
	}
}

// TestUserAccountReactionsPushedOnly: a user account learns another user's
// reaction only from an updateMessageReactions push, which carries no pts
// or qts, so getDifference does not replay it and its ledger entry is Live
// (a connector offline then never learns it). The bot in the same group
// gets the qts update, replayed: a required entry. The user account's own
// reaction through messages.sendReaction is the call's result: required.
func TestUserAccountReactionsPushedOnly(t *testing.T) {
	alice := Account{Name: "alice", Phone: "+15550004001", UserID: 4001, FirstName: "Alice"}
	s, err := New(Config{Accounts: []Account{DefaultAccount(), alice}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	bob := s.CreateUser("Bob", "", "")
	group, err := s.CreateChat(schema.PeerChat, "reactions", bob)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.SendMessage(ctx, Outgoing{Account: "alice", Chat: group, From: bob, Text: "react to me"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.State("alice")
	if err != nil {
		t.Fatal(err)
	}
	last := func(account string) LedgerEntry {
		t.Helper()
		led := s.Ledger(account)
		if len(led) == 0 {
			t.Fatalf("%s has no ledger", account)
		}
		return led[len(led)-1]
	}

	if err := s.React(ctx, "alice", group, id, bob, "👍"); err != nil {
		t.Fatal(err)
	}
	if e := last("alice"); e.Kind != schema.KindReaction || e.Action != schema.ActionUpdated || !e.Live {
		t.Errorf("alice's entry of bob's reaction %+v, want a Live reaction.updated", e)
	}
	if e := last("main"); e.Kind != schema.KindReaction || e.Action != schema.ActionChanged || e.Live {
		t.Errorf("the bot's entry of bob's reaction %+v, want a required reaction.changed", e)
	}
	s.mu.Lock()
	d, err := s.onGetDifference(s.w.byName["alice"], nil, &tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Qts: st.Qts, Date: st.Date})
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fmt.Sprint(d), "UpdateMessageReactions") {
		t.Errorf("alice's difference replays the reaction push: %v", d)
	}

	own := &op{Body: &reactOp{Chat: group, Account: "alice", IDs: []int{id}, From: alice.UserID, Emoji: "❤"},
		Call: &Call{Account: "alice", Method: "messages.sendReaction", Peer: group, MessageIDs: []int{id}}}
	if _, err := s.change(own); err != nil {
		t.Fatal(err)
	}
	if e := last("alice"); e.Kind != schema.KindReaction || e.From != alice.UserID || e.Live {
		t.Errorf("alice's entry of her own sendReaction %+v, want a required reaction.updated", e)
	}
	if e := last("main"); e.Kind != schema.KindReaction || e.From != alice.UserID || e.Live {
		t.Errorf("the bot's entry of alice's reaction %+v, want a required reaction.changed", e)
	}
}
