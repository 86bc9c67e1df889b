package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/schema"
)

func inject(t *testing.T, f Fault) int64 {
	t.Helper()
	id, err := shared.Inject(context.Background(), f)
	if err != nil {
		t.Fatalf("inject %+v: %v", f, err)
	}
	return id
}

func TestFaultValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    Fault
	}{
		{"unknown kind", Fault{Kind: "frob"}},
		{"channel required", Fault{Kind: FaultLeave}},
		{"n required", Fault{Kind: FaultCombine}},
		{"n too big", Fault{Kind: FaultQts, N: maxFaultN + 1}},
		{"unknown method", Fault{Kind: FaultCallError, Method: "updates.frob", Code: 400, Error: "X"}},
		{"bad code", Fault{Kind: FaultCallError, Method: "updates.getDifference", Code: 200, Error: "X"}},
		{"error required", Fault{Kind: FaultCallError, Method: "updates.getDifference", Code: 400}},
		{"bad error type", Fault{Kind: FaultCallError, Code: 400, Error: "lower case"}},
		{"seconds", Fault{Kind: FaultQuiet, Channel: 1, Seconds: -1}},
		{"hold without method", Fault{Kind: FaultHoldReply}},
		{"hold of any method", Fault{Kind: FaultHoldReply, Method: "*"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := shared.Inject(context.Background(), tc.f); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Inject(%+v) = %v, want ErrInvalid", tc.f, err)
			}
		})
	}
}

func TestFaultQts(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	st0, err := mainAPI.UpdatesGetState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mark := mainRec.mark()
	inject(t, Fault{Kind: FaultQts, N: 3, User: u})
	ups := mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool { return countQts(ups) >= 3 })
	if n := countQts(ups); n != 3 {
		t.Fatalf("%d qts pushes, want 3", n)
	}
	st, err := mainAPI.UpdatesGetState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Qts != st0.Qts+3 || st.Pts != st0.Pts {
		t.Fatalf("state %+v after 3 qts updates from %+v", st, st0)
	}
	// getDifference from the old qts returns them in other_updates.
	d, ok := getDiff(t, tg.UpdatesGetDifferenceRequest{Pts: st0.Pts, Qts: st0.Qts, Date: st0.Date}).(*tg.UpdatesDifference)
	if !ok {
		t.Fatalf("difference %T, want updates.difference", d)
	}
	var qts []int
	for _, u := range d.OtherUpdates {
		if b, ok := u.(*tg.UpdateBotStopped); ok {
			qts = append(qts, b.Qts)
		}
	}
	if len(qts) != 3 || qts[0] != st0.Qts+1 || qts[2] != st0.Qts+3 || d.State.Qts != st.Qts {
		t.Fatalf("difference qts %v, state qts %d; want %d..%d", qts, d.State.Qts, st0.Qts+1, st0.Qts+3)
	}
	if calls := shared.Calls("main")["updates.getDifference"]; calls == 0 {
		t.Fatalf("Calls counted no updates.getDifference: %v", shared.Calls("main"))
	}
}

func countQts(ups []tg.UpdatesClass) int {
	n := 0
	for _, u := range ups {
		if us, ok := u.(*tg.Updates); ok {
			for _, x := range us.Updates {
				if _, ok := x.(*tg.UpdateBotStopped); ok {
					n++
				}
			}
		}
	}
	return n
}

func TestFaultCombineAndReplay(t *testing.T) {
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	mark := mainRec.mark()
	inject(t, Fault{Kind: FaultCombine, N: 3})
	sendN(t, shared, "main", chat, 3)
	ups := mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool {
		for _, u := range ups {
			if c, ok := u.(*tg.UpdatesCombined); ok && len(c.Updates) == 3 {
				return true
			}
		}
		return false
	})
	var c *tg.UpdatesCombined
	for _, u := range ups {
		if x, ok := u.(*tg.UpdatesCombined); ok {
			c = x
		}
	}
	if c.SeqStart == 0 || c.Seq < c.SeqStart {
		t.Fatalf("updatesCombined seq_start %d seq %d", c.SeqStart, c.Seq)
	}
	mark = mainRec.mark()
	inject(t, Fault{Kind: FaultReplay})
	mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool {
		for _, u := range ups {
			if x, ok := u.(*tg.UpdatesCombined); ok && x.Seq == c.Seq {
				return true
			}
		}
		return false
	})

	// A lost container: nothing arrives, the seq moves on.
	st0, _ := shared.State("main")
	mark = mainRec.mark()
	inject(t, Fault{Kind: FaultCombine, N: 2, Drop: true})
	sendN(t, shared, "main", chat, 3)
	ups = mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool { return len(ups) >= 1 })
	st, _ := shared.State("main")
	if st.Seq <= st0.Seq || len(ups) != 1 {
		t.Fatalf("after a lost container: seq %d → %d, %d pushes (want 1: the message after it)", st0.Seq, st.Seq, len(ups))
	}
}

func TestFaultChannelLeaveJoin(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	ch, err := shared.CreateChat(schema.PeerChannel, "leave", u)
	if err != nil {
		t.Fatal(err)
	}
	sendN(t, shared, "main", ch, 1)
	in := &tg.InputChannel{ChannelID: ch.ID, AccessHash: accessHash("channel", ch.ID)}
	mark := mainRec.mark()
	inject(t, Fault{Kind: FaultLeave, Channel: ch.ID})
	mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool { return hasUpdateChannel(ups, ch.ID) })
	_, err = mainAPI.UpdatesGetChannelDifference(ctx, &tg.UpdatesGetChannelDifferenceRequest{Channel: in, Filter: &tg.ChannelMessagesFilterEmpty{}, Pts: 1, Limit: 10})
	if !tgerr.Is(err, "CHANNEL_PRIVATE") {
		t.Fatalf("getChannelDifference of a left channel: %v, want CHANNEL_PRIVATE", err)
	}
	// Changes meanwhile are not pushed but stay in the ledger.
	mark = mainRec.mark()
	ledger := len(shared.Ledger("main"))
	sendN(t, shared, "main", ch, 2)
	if n := len(shared.Ledger("main")) - ledger; n != 2 {
		t.Fatalf("ledger grew by %d while left, want 2", n)
	}
	inject(t, Fault{Kind: FaultJoin, Channel: ch.ID})
	ups := mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool { return hasUpdateChannel(ups, ch.ID) })
	if len(ups) != 1 {
		t.Fatalf("pushes while left and the rejoin: %s, want only updateChannel", describe(ups))
	}
	d, err := mainAPI.UpdatesGetChannelDifference(ctx, &tg.UpdatesGetChannelDifferenceRequest{Channel: in, Filter: &tg.ChannelMessagesFilterEmpty{}, Pts: 2, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if cd, ok := d.(*tg.UpdatesChannelDifference); !ok || len(cd.NewMessages) != 2 {
		t.Fatalf("difference after the rejoin: %+v, want the 2 messages", d)
	}
}

func hasUpdateChannel(ups []tg.UpdatesClass, id int64) bool {
	for _, u := range ups {
		if us, ok := u.(*tg.Updates); ok {
			for _, x := range us.Updates {
				if c, ok := x.(*tg.UpdateChannel); ok && c.ChannelID == id {
					return true
				}
			}
		}
	}
	return false
}

func TestFaultHistoryQuietEmptyAndCallError(t *testing.T) {
	ctx := testCtx(t)
	ledger := len(shared.Ledger("main"))
	id := inject(t, Fault{Kind: FaultHistory, N: 20})
	if n := len(shared.Ledger("main")) - ledger; n != 0 {
		t.Fatalf("history of a channel no account is in entered the ledger: %d entries", n)
	}
	if pts, _ := shared.ChannelPts(id); pts != 21 {
		t.Fatalf("channel pts %d after 20 posts, want 21", pts)
	}
	in := &tg.InputChannel{ChannelID: id, AccessHash: accessHash("channel", id)}
	req := &tg.UpdatesGetChannelDifferenceRequest{Channel: in, Filter: &tg.ChannelMessagesFilterEmpty{}, Pts: 21, Limit: 10}
	if _, err := mainAPI.UpdatesGetChannelDifference(ctx, req); !tgerr.Is(err, "CHANNEL_PRIVATE") {
		t.Fatalf("difference before joining: %v, want CHANNEL_PRIVATE", err)
	}
	inject(t, Fault{Kind: FaultJoin, Channel: id})
	inject(t, Fault{Kind: FaultQuiet, Channel: id, Seconds: 3})
	inject(t, Fault{Kind: FaultChannelEmpty, Channel: id})
	d, err := mainAPI.UpdatesGetChannelDifference(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	cd, ok := d.(*tg.UpdatesChannelDifference)
	if !ok || cd.Timeout != 3 || cd.Pts != 22 || len(cd.NewMessages) != 1 {
		t.Fatalf("difference of a quiet channel after messageEmpty: %+v", d)
	}
	if _, ok := cd.NewMessages[0].(*tg.MessageEmpty); !ok {
		t.Fatalf("new message %T, want messageEmpty", cd.NewMessages[0])
	}
	inject(t, Fault{Kind: FaultQuiet, Channel: id})

	inject(t, Fault{Kind: FaultCallError, Method: "updates.getDifference", Code: 500, Error: "HISTORY_GET_FAILED", Times: 2})
	for range 2 {
		if _, err := mainAPI.UpdatesGetDifference(ctx, &tg.UpdatesGetDifferenceRequest{Pts: 1, Date: 1}); !tgerr.Is(err, "HISTORY_GET_FAILED") {
			t.Fatalf("refused getDifference: %v", err)
		}
	}
	if _, err := mainAPI.UpdatesGetState(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestFaultCallReplies injects the faults of call results through Inject:
// a held reply (the call takes effect, its caller never hears of it) and
// short sent replies.
func TestFaultCallReplies(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	// The test client resends an unanswered call every 100 ms, a few
	// times: hold more replies than it makes attempts.
	inject(t, Fault{Kind: FaultHoldReply, Method: "messages.setTyping", Times: 100})
	held, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := mainAPI.MessagesSetTyping(held, &tg.MessagesSetTypingRequest{Peer: inputUser(u), Action: &tg.SendMessageTypingAction{}})
	if _, rpcErr := tgerr.As(err); err == nil || rpcErr {
		t.Fatalf("held setTyping = %v, want no answer", err)
	}
	shared.HoldReplies(tg.MessagesSetTypingRequestTypeID, 0)
	if c := lastCall(t, "main"); c.Method != "messages.setTyping" || c.Peer.ID != u {
		t.Fatalf("last served call %+v, want the held setTyping", c)
	}
	if _, err := mainAPI.MessagesSetTyping(ctx, &tg.MessagesSetTypingRequest{Peer: inputUser(u), Action: &tg.SendMessageTypingAction{}}); err != nil {
		t.Fatalf("setTyping after the held one: %v", err)
	}

	inject(t, Fault{Kind: FaultShortSent, On: true})
	t.Cleanup(func() { shared.ShortSentReplies(false) })
	res, err := mainAPI.MessagesSendMessage(ctx, &tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: "short", RandomID: nextRandom()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.(*tg.UpdateShortSentMessage); !ok {
		t.Fatalf("send with short sent replies answered %T", res)
	}
	inject(t, Fault{Kind: FaultShortSent})
	if res, _ := sendText(t, inputUser(u), "long"); len(res.Updates) == 0 {
		t.Fatal("send after short sent replies off answered no updates")
	}
}

// A call error injected for one account answers only that account's
// calls: its FLOOD_WAIT does not touch the other account, which is how
// per-account isolation is watched in a simulator serving several.
func TestFaultCallErrorOfOneAccount(t *testing.T) {
	ctx := testCtx(t)
	inject(t, Fault{Kind: FaultCallError, Account: "second", Method: "updates.getState", Code: 420, Seconds: 7, Times: 1})
	if _, err := mainAPI.UpdatesGetState(ctx); err != nil {
		t.Fatalf("main's call met second's fault: %v", err)
	}
	if _, err := secondAPI.UpdatesGetState(ctx); !tgerr.Is(err, "FLOOD_WAIT") {
		t.Fatalf("second's call: %v, want FLOOD_WAIT", err)
	}
	if _, err := secondAPI.UpdatesGetState(ctx); err != nil {
		t.Fatalf("second's next call: %v, want the rule used up", err)
	}
}
