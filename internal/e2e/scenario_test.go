package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// Defect 1: short pushes (updateShortMessage, updateShortChatMessage) must
// give events the same sender and chat fields as full containers.
func TestScenarioShortPushNames(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	u := sc.sim.CreateUser("Short", "Names", "short_names")
	group, err := sc.sim.CreateChat(schema.PeerChat, "Short group", u)
	if err != nil {
		t.Fatal(err)
	}
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	// The simulator pushes every other common-box message in the short form.
	for i := range 4 {
		sc.send(t, sim.Outgoing{Chat: private, From: u, Text: fmt.Sprintf("private %d", i)})
		sc.send(t, sim.Outgoing{Chat: group, From: u, Text: fmt.Sprintf("group %d", i)})
	}
	evs := sc.checkLedger(t)
	n := 0
	for _, ev := range evs {
		if ev.msg == nil || ev.action != schema.ActionCreated {
			continue
		}
		n++
		s := ev.msg.Sender
		if s == nil || s.FirstName != "Short" || s.LastName != "Names" || s.Username != "short_names" {
			t.Errorf("%s: sender %+v, want Short Names @short_names", ev.id, s)
		}
		if ev.msg.Chat.Kind == schema.PeerChat && ev.msg.Chat.Title != "Short group" {
			t.Errorf("%s: chat title %q, want %q", ev.id, ev.msg.Chat.Title, "Short group")
		}
	}
	if n != 8 {
		t.Fatalf("%d message.created events, want 8", n)
	}
}

// Defect 2: a channel whose getChannelDifference is refused (the account
// was kicked) must not make the engine spin, and a rejoin revives it.
func TestScenarioKickedChannelRejoin(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	u := sc.sim.CreateUser("Kim", "Kick", "")
	ch, err := sc.sim.CreateChat(schema.PeerChannel, "Kicked", u)
	if err != nil {
		t.Fatal(err)
	}
	sc.send(t, sim.Outgoing{Chat: ch, From: u, Text: "before"})
	testutil.Eventually(t, 30*time.Second, "the first channel message", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })

	// A gap in the channel, then the account is kicked before the gap
	// timeout: the difference that would fill it is refused.
	diffs := sc.calls("updates.getChannelDifference")
	sc.sim.Withhold(true)
	sc.send(t, sim.Outgoing{Chat: ch, From: u, Text: "withheld"})
	sc.sim.Withhold(false)
	sc.send(t, sim.Outgoing{Chat: ch, From: u, Text: "after the gap"})
	sc.inject(t, sim.Fault{Kind: sim.FaultLeave, Channel: ch.ID})
	testutil.Eventually(t, 30*time.Second, "a refused getChannelDifference", func() bool {
		return sc.calls("updates.getChannelDifference") > diffs
	})

	// Idle: the process (simulator, NATS and connector) must stay quiet.
	// The second is a measuring window, not a wait for something.
	cpu0, calls0 := cpuTime(t), sc.calls("updates.getChannelDifference")
	time.Sleep(time.Second)
	cpu, calls := cpuTime(t)-cpu0, sc.calls("updates.getChannelDifference")-calls0
	t.Logf("idle second after the refusal: %s CPU, %d getChannelDifference calls", cpu, calls)
	if cpu > 300*time.Millisecond {
		t.Errorf("idle engine used %s CPU in one second after CHANNEL_PRIVATE, want < 300ms (spinning)", cpu)
	}
	if calls > 3 {
		t.Errorf("%d getChannelDifference calls in an idle second after CHANNEL_PRIVATE", calls)
	}

	// Rejoin: the channel comes back, with what happened meanwhile.
	sc.inject(t, sim.Fault{Kind: sim.FaultJoin, Channel: ch.ID})
	sc.send(t, sim.Outgoing{Chat: ch, From: u, Text: "after the rejoin"})
	sc.checkLedger(t)
}

// Defect 3: an updateNewChannelMessage carrying messageEmpty (no peer)
// belongs to the channel; the next private message must not be dropped.
func TestScenarioMessageEmptyChannelUpdate(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	u := sc.sim.CreateUser("Emma", "Empty", "")
	ch, err := sc.sim.CreateChat(schema.PeerChannel, "Empty updates", u)
	if err != nil {
		t.Fatal(err)
	}
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	for i := range 3 {
		sc.send(t, sim.Outgoing{Chat: private, From: u, Text: fmt.Sprintf("private %d", i)})
	}
	// The messageEmpty update's pts is the common box's next pts: an engine
	// that sequences it in the common box takes it as the next private
	// update and drops the real one as a duplicate.
	st, err := sc.sim.State(sc.acc.Name)
	if err != nil {
		t.Fatal(err)
	}
	for pts, _ := sc.sim.ChannelPts(ch.ID); pts+1 < st.Pts+1; pts, _ = sc.sim.ChannelPts(ch.ID) {
		sc.send(t, sim.Outgoing{Chat: ch, From: u, Text: fmt.Sprintf("channel %d", pts)})
	}
	testutil.Eventually(t, 30*time.Second, "the messages so far", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })
	sc.inject(t, sim.Fault{Kind: sim.FaultChannelEmpty, Channel: ch.ID})
	sc.send(t, sim.Outgoing{Chat: private, From: u, Text: "private after messageEmpty"})
	sc.send(t, sim.Outgoing{Chat: ch, From: u, Text: "channel after messageEmpty"})
	sc.checkLedger(t)
}

// Defect 4: a container whose seq_start is at or below the client's seq is
// ignored: a replayed container changes nothing.
func TestScenarioStaleContainerSeq(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	u := sc.sim.CreateUser("Sam", "Stale", "")
	group, err := sc.sim.CreateChat(schema.PeerChat, "Stale seq", u)
	if err != nil {
		t.Fatal(err)
	}
	// A container of several updates (seq_start..seq), then the same again.
	sc.inject(t, sim.Fault{Kind: sim.FaultCombine, N: 3})
	for i := range 3 {
		sc.send(t, sim.Outgoing{Chat: group, From: u, Text: fmt.Sprintf("combined %d", i)})
	}
	testutil.Eventually(t, 30*time.Second, "the combined container's events", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })
	diffs := sc.calls("updates.getDifference")
	sc.inject(t, sim.Fault{Kind: sim.FaultReplay})
	sc.inject(t, sim.Fault{Kind: sim.FaultReplay})
	sc.send(t, sim.Outgoing{Chat: group, From: u, Text: "after the replays"})
	sc.checkLedger(t)
	if d := sc.calls("updates.getDifference") - diffs; d > 0 {
		t.Errorf("a stale container cost %d getDifference calls, want 0 (it is to be ignored)", d)
	}
}

// Defect 5: qts updates pushed out of order are buffered like pts, not
// answered with an immediate getDifference.
func TestScenarioReorderedQts(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	u := sc.sim.CreateUser("Quinn", "Qts", "")
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	sc.send(t, sim.Outgoing{Chat: private, From: u, Text: "before the qts updates"})
	testutil.Eventually(t, 30*time.Second, "the first message", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })

	diffs := sc.calls("updates.getDifference")
	for range 3 {
		sc.sim.ReorderNext(2) // qts n+2 arrives before n+1
		sc.inject(t, sim.Fault{Kind: sim.FaultQts, N: 2, User: u})
	}
	sc.send(t, sim.Outgoing{Chat: private, From: u, Text: "after the qts updates"})
	sc.checkLedger(t)
	if d := sc.calls("updates.getDifference") - diffs; d > 0 {
		t.Errorf("reordered qts pushes cost %d getDifference calls, want 0 (buffered within the gap timeout)", d)
	}
	st, err := sc.sim.State(sc.acc.Name)
	if err != nil || st.Qts != 6 {
		t.Fatalf("simulator qts %d (%v), want 6", st.Qts, err)
	}
}

// Defect 6: the timeout of a channel difference is honoured: a channel
// Telegram does not push is polled after it.
func TestScenarioChannelDifferenceTimeout(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	u := sc.sim.CreateUser("Tim", "Timeout", "")
	ch, err := sc.sim.CreateChat(schema.PeerChannel, "Quiet", u)
	if err != nil {
		t.Fatal(err)
	}
	sc.send(t, sim.Outgoing{Chat: ch, From: u, Text: "pushed"})
	testutil.Eventually(t, 30*time.Second, "the pushed message", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })

	// Telegram stops pushing the channel and asks to be polled every second.
	sc.inject(t, sim.Fault{Kind: sim.FaultQuiet, Channel: ch.ID, Seconds: 1})
	diffs := sc.calls("updates.getChannelDifference")
	sc.inject(t, sim.Fault{Kind: sim.FaultChannelTooLong, Channel: ch.ID})
	testutil.Eventually(t, 30*time.Second, "a getChannelDifference (timeout 1s)", func() bool {
		return sc.calls("updates.getChannelDifference") > diffs
	})
	sc.send(t, sim.Outgoing{Chat: ch, From: u, Text: "only a poll finds me"})
	want := sc.want()
	testutil.Eventually(t, 10*time.Second, "the quiet channel's message fetched after a 1s channel difference timeout", func() bool {
		return streamCount(t, sc.url, sc.acc.Name) >= len(want)
	})
	sc.checkLedger(t)
}

// Defect 7: start-up and reconnect cost O(1) + O(channels with news)
// calls, not one getChannelDifference per known channel.
func TestScenarioStartupCallCount(t *testing.T) {
	const channels = 500
	sc := newScenario(t, sim.Config{})
	var chats []schema.PeerRef
	for i := range channels {
		ch, err := sc.sim.CreateBroadcast(fmt.Sprintf("Bulk %d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		chats = append(chats, ch)
	}
	// The connector learns every channel from one post each.
	for _, ch := range chats {
		sc.send(t, sim.Outgoing{Chat: ch, Text: "hello"})
	}
	testutil.Eventually(t, 2*time.Minute, "a post of every channel", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })
	// A later private message moves the account's date past the posts, so
	// getDifference names only channels with news.
	u := sc.sim.CreateUser("Dana", "Date", "")
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	testutil.Eventually(t, 5*time.Second, "the clock to pass the posts' second", func() bool {
		st, _ := sc.sim.State(sc.acc.Name)
		return time.Now().Unix() > int64(st.Date)
	})
	sc.send(t, sim.Outgoing{Chat: private, From: u, Text: "date"})
	testutil.Eventually(t, 30*time.Second, "the private message", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })
	sc.c.stop(t)

	// While it is down, three channels get news.
	for _, ch := range chats[:3] {
		sc.send(t, sim.Outgoing{Chat: ch, Text: "news"})
	}
	before := sc.sim.Calls(sc.acc.Name)
	sc.c = sc.cfgC()
	testutil.Eventually(t, 60*time.Second, "the news", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })
	start := diffCalls(before, sc.sim.Calls(sc.acc.Name))
	t.Logf("start-up with %d channels, 3 with news: %v", channels, start)
	if n := start["updates.getChannelDifference"]; n > 3+3 {
		t.Errorf("start-up made %d getChannelDifference calls for %d channels of which 3 have news, want ≤ 6", n, channels)
	}

	// A reconnect costs as little.
	before = sc.sim.Calls(sc.acc.Name)
	sc.sim.DropConnections()
	sc.send(t, sim.Outgoing{Chat: private, From: u, Text: "after the reconnect"})
	testutil.Eventually(t, 60*time.Second, "the message after the reconnect", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })
	re := diffCalls(before, sc.sim.Calls(sc.acc.Name))
	t.Logf("reconnect: %v", re)
	if n := re["updates.getChannelDifference"]; n > 3 {
		t.Errorf("a reconnect made %d getChannelDifference calls for %d channels without news, want ≤ 3", n, channels)
	}
	sc.checkLedger(t)
}

func diffCalls(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for m, n := range after {
		if d := n - before[m]; d > 0 {
			out[m] = d
		}
	}
	return out
}

// Defect 8: joining a channel with a long history publishes from the join
// on, without backfilling its old posts.
func TestScenarioJoinLongHistory(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	id := sc.inject(t, sim.Fault{Kind: sim.FaultHistory, N: 150, Title: "Long history"})
	ch := schema.PeerRef{Kind: schema.PeerChannel, ID: id}
	if pts, _ := sc.sim.ChannelPts(id); pts < 150 {
		t.Fatalf("channel pts %d after 150 posts", pts)
	}
	sc.inject(t, sim.Fault{Kind: sim.FaultJoin, Channel: id})
	for i := range 3 {
		sc.send(t, sim.Outgoing{Chat: ch, Text: fmt.Sprintf("after the join %d", i)})
	}
	// The three posts, and the join itself: updateChannel, the channel
	// fetched and published as chat.updated.
	kinds := map[string]int{}
	for _, w := range sc.want() {
		kinds[w.entry.EventKind()+"."+w.entry.Action]++
	}
	if len(kinds) != 2 || kinds["message.created"] != 3 || kinds["chat.updated"] != 1 {
		t.Fatalf("ledger since the join: %v, want 3 message.created and the join's chat.updated", kinds)
	}
	sc.checkLedger(t)
}

// Defect 9: two edits of one message within one second are two events,
// the later text last.
func TestScenarioTwoEditsOneSecond(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	u := sc.sim.CreateUser("Eddie", "Edit", "")
	ch, err := sc.sim.CreateChat(schema.PeerChannel, "Edits", u)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var msgID int
	// Retry when the pair straddles a second boundary (then their
	// edit_dates differ and the case is not produced).
	for attempt := 0; ; attempt++ {
		msgID = sc.send(t, sim.Outgoing{Chat: ch, From: u, Text: "original"})
		for _, text := range []string{"first edit", "second edit"} {
			if err := sc.sim.EditMessageSameSecond(ctx, ch, "", msgID, text); err != nil {
				t.Fatal(err)
			}
		}
		led := sc.sim.Ledger(sc.acc.Name)
		a, b := led[len(led)-2], led[len(led)-1]
		// The version is edit_date × 1e6 + a content digest (schema.EditVersion).
		if a.Version/1_000_000 == b.Version/1_000_000 {
			if a.Version == b.Version {
				t.Fatalf("two different edits within one second share the id version %d", a.Version)
			}
			break
		}
		if attempt == 5 {
			t.Fatal("could not produce two edits within one second")
		}
	}
	want := sc.want()
	evs := readEvents(t, sc.url, sc.acc.Name, len(want)-1)
	// Let the stream settle: the second edit may still be on its way.
	testutil.Eventually(t, 10*time.Second, "both edits in the stream", func() bool {
		evs = readEvents(t, sc.url, sc.acc.Name, 0)
		n := 0
		for _, ev := range evs {
			if ev.msgID == msgID && ev.action == schema.ActionEdited {
				n++
			}
		}
		return n >= 2
	})
	var last string
	ids := map[string]bool{}
	for _, ev := range evs {
		if ev.msgID == msgID && ev.action == schema.ActionEdited && ev.msg != nil {
			last = ev.msg.Text
			ids[ev.id] = true
		}
	}
	if last != "second edit" || len(ids) != 2 {
		t.Fatalf("edited events of message %d: %d distinct ids, last text %q; want 2 and %q", msgID, len(ids), last, "second edit")
	}
}

// Defect 7, second half: a channel whose difference meets FLOOD_WAIT backs
// off alone; the other chats keep flowing meanwhile.
func TestScenarioChannelFloodWaitAlone(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	u := sc.sim.CreateUser("Fay", "Flood", "")
	slow, err := sc.sim.CreateChat(schema.PeerChannel, "Flooded", u)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := sc.sim.CreateChat(schema.PeerChannel, "Flowing", u)
	if err != nil {
		t.Fatal(err)
	}
	sc.send(t, sim.Outgoing{Chat: slow, From: u, Text: "slow 1"})
	sc.send(t, sim.Outgoing{Chat: fast, From: u, Text: "fast 1"})
	testutil.Eventually(t, 30*time.Second, "the first messages", func() bool { return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want()) })

	// A gap in the slow channel whose difference answers FLOOD_WAIT_8.
	sc.inject(t, sim.Fault{Kind: sim.FaultCallError, Method: "updates.getChannelDifference", Code: 420, Seconds: 8})
	diffs := sc.calls("updates.getChannelDifference")
	sc.sim.Withhold(true)
	sc.send(t, sim.Outgoing{Chat: slow, From: u, Text: "slow 2 (withheld)"})
	sc.sim.Withhold(false)
	sc.send(t, sim.Outgoing{Chat: slow, From: u, Text: "slow 3"})
	testutil.Eventually(t, 30*time.Second, "the flooded getChannelDifference", func() bool {
		return sc.calls("updates.getChannelDifference") > diffs
	})
	// The other channel and private chats flow while it waits.
	before := streamCount(t, sc.url, sc.acc.Name)
	sc.send(t, sim.Outgoing{Chat: fast, From: u, Text: "fast 2"})
	sc.send(t, sim.Outgoing{Chat: schema.PeerRef{Kind: schema.PeerUser, ID: u}, From: u, Text: "private"})
	testutil.Eventually(t, 4*time.Second, "the 2 events of other chats while one channel waits out FLOOD_WAIT_8", func() bool {
		return streamCount(t, sc.url, sc.acc.Name) >= before+2
	})
	sc.checkLedger(t)
}
