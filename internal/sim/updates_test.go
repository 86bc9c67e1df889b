package sim

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// A member's reaction, a read receipt and a pin that were never pushed
// (withheld) come back through getDifference as Telegram sequences them:
// the bot's updateBotMessageReaction at the next qts, updateReadHistoryInbox
// and updatePinnedMessages at their pts, each ledger entry carrying the
// version the connector derives from that update.
func TestUpdatesKindsInDifference(t *testing.T) {
	ctx, u, group, st := withheldGroup(t)
	id, err := shared.SendMessage(ctx, Outgoing{Chat: group, From: u, Text: "react"})
	if err != nil {
		t.Fatal(err)
	}
	from := len(shared.Ledger("main"))
	if err := shared.React(ctx, "main", group, id, u, "👍"); err != nil {
		t.Fatal(err)
	}
	if err := shared.Read(ctx, "main", group, id, false); err != nil {
		t.Fatal(err)
	}
	if err := shared.Pin(ctx, "main", group, id, false); err != nil {
		t.Fatal(err)
	}
	d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Qts: st.Qts, Date: st.Date}).(*tg.UpdatesDifference)
	if !ok {
		t.Fatal("not a complete difference")
	}
	var reaction *tg.UpdateBotMessageReaction
	var read *tg.UpdateReadHistoryInbox
	var pin *tg.UpdatePinnedMessages
	for _, x := range d.OtherUpdates {
		switch x := x.(type) {
		case *tg.UpdateBotMessageReaction:
			reaction = x
		case *tg.UpdateReadHistoryInbox:
			read = x
		case *tg.UpdatePinnedMessages:
			pin = x
		}
	}
	switch {
	case reaction == nil || reaction.Qts != st.Qts+1 || reaction.MsgID != id || len(reaction.NewReactions) != 1 || len(reaction.OldReactions) != 0:
		t.Fatalf("reaction update %+v", reaction)
	case read == nil || read.MaxID != id || read.PtsCount != 1:
		t.Fatalf("read update %+v", read)
	case pin == nil || !pin.Pinned || pin.Pts != read.Pts+1:
		t.Fatalf("pin update %+v (read at pts %d)", pin, read.Pts)
	}
	if p, ok := reaction.Actor.(*tg.PeerUser); !ok || p.UserID != u {
		t.Errorf("actor %v, want user %d", reaction.Actor, u)
	}
	var got []string
	for _, e := range shared.Ledger("main")[from:] {
		got = append(got, e.EventKind()+"."+e.Action)
		want := map[string]int64{"reaction.changed": int64(reaction.Qts), "read.inbox": int64(read.Pts), "message.pinned": int64(pin.Pts)}[e.EventKind()+"."+e.Action]
		if e.Version != want || e.MessageID != id || e.Peer != group {
			t.Errorf("ledger entry %+v, want version %d", e, want)
		}
	}
	if len(got) != 3 {
		t.Fatalf("ledger entries %v", got)
	}
}

// A vote in the bot's poll reaches the bot as updateMessagePollVote (its
// qts, replayed by getDifference) and updateMessagePoll (pushed only, a
// Live ledger entry); the poll message itself renders its results.
func TestPollVoteInDifference(t *testing.T) {
	ctx, u, group, _ := withheldGroup(t)
	id, err := shared.SendPoll(ctx, "main", group)
	if err != nil {
		t.Fatal(err)
	}
	st, err := shared.State("main")
	if err != nil {
		t.Fatal(err)
	}
	from := len(shared.Ledger("main"))
	if err := shared.Vote(ctx, "main", group, id, u, []int{2}); err != nil {
		t.Fatal(err)
	}
	if err := shared.Vote(ctx, "main", group, id, u, []int{5}); err == nil {
		t.Error("a vote for a missing answer was accepted")
	}
	if err := shared.EditMessage(ctx, group, "main", id, "no"); err == nil {
		t.Error("a poll message was edited")
	}
	d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Qts: st.Qts, Date: st.Date}).(*tg.UpdatesDifference)
	if !ok {
		t.Fatal("not a complete difference")
	}
	var vote *tg.UpdateMessagePollVote
	for _, x := range d.OtherUpdates {
		if v, ok := x.(*tg.UpdateMessagePollVote); ok {
			vote = v
		}
	}
	if vote == nil || vote.Qts != st.Qts+1 || len(vote.Options) != 1 || string(vote.Options[0]) != "2" {
		t.Fatalf("vote update %+v", vote)
	}
	led := shared.Ledger("main")[from:]
	if len(led) != 2 || led[0].Kind != schema.KindPoll || led[0].Action != schema.ActionVoted || led[0].Version != int64(vote.Qts) ||
		led[1].Action != schema.ActionUpdated || !led[1].Live {
		t.Fatalf("ledger entries %+v", led)
	}
}

// withheldGroup withholds pushes until the test ends and makes a basic
// group with a new user; it returns the user, the group and main's state
// before anything of the test's was sent.
func withheldGroup(t *testing.T) (context.Context, int64, schema.PeerRef, tg.UpdatesState) {
	t.Helper()
	shared.Withhold(true)
	t.Cleanup(func() { shared.Withhold(false) })
	u := newTestUser(t)
	group, err := shared.CreateChat(schema.PeerChat, t.Name(), u)
	if err != nil {
		t.Fatal(err)
	}
	st, err := shared.State("main")
	if err != nil {
		t.Fatal(err)
	}
	return testCtx(t), u, group, st
}

// A message with a link shows its page pending; WebPageReady completes
// it: getDifference replays updateWebPage at its pts with the completed
// page (the message renders it too), the ledger has a message.edited
// whose version is the connector's (the completed preview as mapped),
// and a second completion is refused.
func TestWebPageReadyInDifference(t *testing.T) {
	ctx, u, group, _ := withheldGroup(t)
	id, err := shared.SendMessage(ctx, Outgoing{Chat: group, From: u, Media: "link"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := shared.State("main")
	if err != nil {
		t.Fatal(err)
	}
	from := len(shared.Ledger("main"))
	if err := shared.WebPageReady(ctx, "main", group, id); err != nil {
		t.Fatal(err)
	}
	if err := shared.WebPageReady(ctx, "main", group, id); err == nil {
		t.Error("a completed preview was completed again")
	}
	d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st.Pts, Qts: st.Qts, Date: st.Date}).(*tg.UpdatesDifference)
	if !ok {
		t.Fatal("not a complete difference")
	}
	var up *tg.UpdateWebPage
	for _, x := range d.OtherUpdates {
		if w, ok := x.(*tg.UpdateWebPage); ok {
			up = w
		}
	}
	if up == nil || up.Pts != st.Pts+1 {
		t.Fatalf("web page update %+v (state pts %d)", up, st.Pts)
	}
	view, ok := shared.Message(group, "main", id)
	if !ok {
		t.Fatal("message gone")
	}
	ready, ok := up.Webpage.(*tg.WebPage)
	if !ok || ready.Title == "" || ready.URL == "" || ready.ID != view.MediaID {
		t.Fatalf("web page %+v, want a completed page", up.Webpage)
	}
	led := shared.Ledger("main")[from:]
	if len(led) != 1 || led[0].Action != schema.ActionEdited || led[0].MessageID != id || led[0].Peer != group {
		t.Fatalf("ledger entries %+v", led)
	}
	// The connector maps the message with the completed page.
	ev, _, err := mapping.Message("main", &tg.Message{ID: id, PeerID: &tg.PeerChat{ChatID: group.ID}, Date: int(view.Date.Unix()),
		Message: view.Text, Media: &tg.MessageMediaWebPage{Webpage: ready}}, tg.Entities{})
	if err != nil {
		t.Fatal(err)
	}
	if want := mapping.PreviewVersion(ev.Data.(*schema.Message)); led[0].Version != want {
		t.Errorf("ledger version %d, want %d", led[0].Version, want)
	}
}
