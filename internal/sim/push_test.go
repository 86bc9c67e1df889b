package sim

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// pushed describes one pushed update the way a gap engine reads it.
type pushed struct {
	form     string // short, shortChat, updates, tooLong
	update   tg.UpdateClass
	pts      int
	ptsCount int
	seq      int
	msgID    int
}

func flatten(ups []tg.UpdatesClass) []pushed {
	var out []pushed
	for _, u := range ups {
		switch u := u.(type) {
		case *tg.UpdateShortMessage:
			out = append(out, pushed{form: "short", pts: u.Pts, ptsCount: u.PtsCount, msgID: u.ID})
		case *tg.UpdateShortChatMessage:
			out = append(out, pushed{form: "shortChat", pts: u.Pts, ptsCount: u.PtsCount, msgID: u.ID})
		case *tg.UpdatesTooLong:
			out = append(out, pushed{form: "tooLong"})
		case *tg.UpdateShort:
			// gotd hands updateShortMessage and updateShortChatMessage to
			// handlers converted into updateShort.
			p := pushed{form: "short", update: u.Update}
			if x, ok := u.Update.(*tg.UpdateNewMessage); ok {
				p.pts, p.ptsCount, p.msgID = x.Pts, x.PtsCount, x.Message.GetID()
			}
			out = append(out, p)
		case *tg.Updates:
			for _, x := range u.Updates {
				p := pushed{form: "updates", update: x, seq: u.Seq}
				switch x := x.(type) {
				case *tg.UpdateNewMessage:
					p.pts, p.ptsCount, p.msgID = x.Pts, x.PtsCount, x.Message.GetID()
				case *tg.UpdateEditMessage:
					p.pts, p.ptsCount, p.msgID = x.Pts, x.PtsCount, x.Message.GetID()
				case *tg.UpdateDeleteMessages:
					p.pts, p.ptsCount = x.Pts, x.PtsCount
				case *tg.UpdateNewChannelMessage:
					p.pts, p.ptsCount, p.msgID = x.Pts, x.PtsCount, x.Message.GetID()
				case *tg.UpdateEditChannelMessage:
					p.pts, p.ptsCount, p.msgID = x.Pts, x.PtsCount, x.Message.GetID()
				case *tg.UpdateDeleteChannelMessages:
					p.pts, p.ptsCount = x.Pts, x.PtsCount
				}
				out = append(out, p)
			}
		}
	}
	return out
}

func count(n int) func([]tg.UpdatesClass) bool {
	return func(ups []tg.UpdatesClass) bool { return len(flatten(ups)) >= n }
}

// untilTooLong waits for the updatesTooLong marker pushed after the changes
// under test: pushes of one account are delivered in order, so everything
// before the marker has arrived by then.
func untilTooLong(ups []tg.UpdatesClass) bool {
	for _, u := range ups {
		if _, ok := u.(*tg.UpdatesTooLong); ok {
			return true
		}
	}
	return false
}

func newTestUser(t *testing.T) int64 {
	t.Helper()
	return shared.CreateUser("Test", t.Name(), "")
}

func TestPushesCarryPtsAndSeq(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	group, err := shared.CreateChat(schema.PeerChat, "push group", u)
	if err != nil {
		t.Fatal(err)
	}
	super, err := shared.CreateChat(schema.PeerChannel, "push supergroup", u)
	if err != nil {
		t.Fatal(err)
	}
	before, err := shared.State("main")
	if err != nil {
		t.Fatal(err)
	}
	chPts, _ := shared.ChannelPts(super.ID)
	mark := mainRec.mark()

	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	var ids []int
	for range 2 {
		id, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: group, From: u, Text: "group"}); err != nil {
		t.Fatal(err)
	}
	if _, err := shared.SendMessage(ctx, Outgoing{Chat: super, From: u, Text: "super"}); err != nil {
		t.Fatal(err)
	}
	if err := shared.EditMessage(ctx, private, "main", ids[0], "hi (edited)"); err != nil {
		t.Fatal(err)
	}
	if err := shared.DeleteMessages(ctx, private, "main", ids...); err != nil {
		t.Fatal(err)
	}
	got := flatten(mainRec.waitFor(t, mark, count(6)))
	if len(got) != 6 {
		t.Fatalf("got %d pushes, want 6: %+v", len(got), got)
	}

	// gotd hands each received message to the handler on its own
	// goroutine: compare in pts order, not arrival order.
	slices.SortFunc(got, func(a, b pushed) int { return a.pts - b.pts })
	// Common box: pts advances by pts_count, containers advance seq by one,
	// short updates carry no seq.
	pts, seq := before.Pts, before.Seq
	var forms []string
	for _, p := range got {
		forms = append(forms, p.form)
		if _, ok := p.update.(*tg.UpdateNewChannelMessage); ok {
			if p.pts != chPts+1 || p.ptsCount != 1 || p.seq != 0 {
				t.Errorf("channel push pts=%d count=%d seq=%d, want pts=%d count=1 seq=0", p.pts, p.ptsCount, p.seq, chPts+1)
			}
			continue
		}
		if p.pts != pts+p.ptsCount {
			t.Errorf("%s push pts=%d count=%d after pts %d", p.form, p.pts, p.ptsCount, pts)
		}
		pts = p.pts
		if p.form == "updates" {
			if p.seq != seq+1 {
				t.Errorf("container seq=%d after seq %d", p.seq, seq)
			}
			seq = p.seq
		}
	}
	if pts != before.Pts+6 { // 2 new + group + edit + delete of 2
		t.Errorf("final pts %d, want %d", pts, before.Pts+6)
	}
	after, _ := shared.State("main")
	if after.Pts != pts || after.Seq != seq {
		t.Errorf("state after = pts %d seq %d, pushes ended at pts %d seq %d", after.Pts, after.Seq, pts, seq)
	}
	hasShort := false
	for _, f := range forms {
		hasShort = hasShort || f == "short" || f == "shortChat"
	}
	if !hasShort {
		t.Errorf("no short update form among %v", forms)
	}
}

func TestBasicGroupCopiesPerAccount(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	// Give "second" an extra private message so that the ids diverge.
	if _, err := shared.SendMessage(ctx, Outgoing{Account: "second", Chat: schema.PeerRef{Kind: schema.PeerUser, ID: u}, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	group, err := shared.CreateChat(schema.PeerChat, "copies", u)
	if err != nil {
		t.Fatal(err)
	}
	mainID, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: group, Text: "to both"})
	if err != nil {
		t.Fatal(err)
	}
	secondID, err := shared.SendMessage(ctx, Outgoing{Account: "second", Chat: group, Text: "again"})
	if err != nil {
		t.Fatal(err)
	}
	last := func(account string) LedgerEntry {
		l := shared.Ledger(account)
		return l[len(l)-1]
	}
	if e := last("second"); e.MessageID != secondID || e.Peer != group || e.Action != schema.ActionCreated {
		t.Errorf("second's last ledger entry = %+v, want created %d in %s", e, secondID, group)
	}
	if e := last("main"); e.Text != "again" || e.MessageID == secondID {
		t.Errorf("main's last ledger entry = %+v, want its own id for %q", e, "again")
	}
	// Editing main's copy edits second's copy too.
	if err := shared.EditMessage(ctx, group, "main", mainID, "edited for all"); err != nil {
		t.Fatal(err)
	}
	if e := last("second"); e.Action != schema.ActionEdited || e.Text != "edited for all" || e.Version == 0 {
		t.Errorf("second's last ledger entry = %+v, want the edit", e)
	}
}

func TestEditDatesStrictlyIncrease(t *testing.T) {
	ctx := testCtx(t)
	s, err := New(Config{Now: func() time.Time { return time.Unix(1_700_000_000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := s.CreateUser("A", "", "")
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	id, err := s.SendMessage(ctx, Outgoing{Chat: chat, Text: "v0"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.EditMessage(ctx, chat, "", id, "again"); err != nil {
			t.Fatal(err)
		}
	}
	var versions []int64
	for _, e := range s.Ledger("main") {
		if e.Action == schema.ActionEdited {
			versions = append(versions, e.Version)
		}
	}
	for i := 1; i < len(versions); i++ {
		if versions[i] <= versions[i-1] {
			t.Fatalf("edit versions %v do not strictly increase under a frozen clock", versions)
		}
	}
}

func TestFaults(t *testing.T) {
	u := newTestUser(t)
	super, err := shared.CreateChat(schema.PeerChannel, "faults", u)
	if err != nil {
		t.Fatal(err)
	}
	send := func(t *testing.T) int {
		t.Helper()
		id, err := shared.SendMessage(testCtx(t), Outgoing{Chat: super, From: u, Text: "fault"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	t.Run("withhold", func(t *testing.T) {
		mark := mainRec.mark()
		shared.Withhold(true)
		hidden := send(t)
		shared.Withhold(false)
		shared.PushTooLong("main")
		got := flatten(mainRec.waitFor(t, mark, untilTooLong))
		for _, p := range got {
			if p.msgID == hidden {
				t.Fatalf("withheld message %d was pushed", hidden)
			}
		}
		shown := send(t)
		got = flatten(mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool {
			for _, p := range flatten(ups) {
				if p.msgID == shown {
					return true
				}
			}
			return false
		}))
		last := got[len(got)-1]
		if pts, _ := shared.ChannelPts(super.ID); last.pts != pts {
			t.Errorf("pushed pts %d, channel pts %d", last.pts, pts)
		}
		// The withheld message is still reachable by getChannelDifference.
		diff, err := mainAPI.UpdatesGetChannelDifference(testCtx(t), &tg.UpdatesGetChannelDifferenceRequest{
			Channel: inputChannel(t, super.ID), Filter: &tg.ChannelMessagesFilterEmpty{}, Pts: last.pts - 2, Limit: 10,
		})
		if err != nil {
			t.Fatal(err)
		}
		d, ok := diff.(*tg.UpdatesChannelDifference)
		if !ok || len(d.NewMessages) != 2 || d.NewMessages[0].GetID() != hidden {
			t.Fatalf("channel difference = %v, want the withheld and the shown message", diff)
		}
	})

	t.Run("duplicate", func(t *testing.T) {
		mark := mainRec.mark()
		shared.DuplicateNext(1)
		id := send(t)
		mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool {
			n := 0
			for _, p := range flatten(ups) {
				if p.msgID == id {
					n++
				}
			}
			return n == 2
		})
	})

	t.Run("too long", func(t *testing.T) {
		mark := mainRec.mark()
		shared.PushTooLong("main")
		mainRec.waitFor(t, mark, untilTooLong)
	})

	t.Run("flood wait", func(t *testing.T) {
		shared.FloodWait(tg.UpdatesGetStateRequestTypeID, 7, 1)
		_, err := mainAPI.UpdatesGetState(testCtx(t))
		if d, ok := tgerr.AsFloodWait(err); !ok || d != 7*time.Second {
			t.Fatalf("first getState err = %v, want FLOOD_WAIT_7", err)
		}
		if _, err := mainAPI.UpdatesGetState(testCtx(t)); err != nil {
			t.Fatalf("second getState: %v", err)
		}
	})

	t.Run("drop connections", func(t *testing.T) {
		shared.DropConnections()
		// gotd reconnects on its own with the same auth key, which stays
		// logged in; its first request makes the new session the push target.
		testutil.Eventually(t, 15*time.Second, "one session of main", func() bool { return len(shared.sessionsOf("main")) == 1 })
		mark := mainRec.mark()
		id := send(t)
		mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool {
			for _, p := range flatten(ups) {
				if p.msgID == id {
					return true
				}
			}
			return false
		})
		if _, err := mainAPI.UpdatesGetState(testCtx(t)); err != nil {
			t.Fatalf("getState after reconnect: %v", err)
		}
		if n := shared.MaxConcurrentSessions("main"); n != 1 {
			t.Errorf("MaxConcurrentSessions = %d, want 1", n)
		}
	})
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		wantErr string
	}{
		{name: "wrong token", token: "1000:wrong", wantErr: "ACCESS_TOKEN_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := startUnauthorized(t, tt.token)
			if !tgerr.Is(err, tt.wantErr) {
				t.Fatalf("login err = %v, want %s", err, tt.wantErr)
			}
		})
	}
}

func TestUnauthorizedCalls(t *testing.T) {
	api, err := startUnauthorized(t, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.UpdatesGetState(testCtx(t))
	var rpcErr *tgerr.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != 401 || rpcErr.Type != "AUTH_KEY_UNREGISTERED" {
		t.Fatalf("getState before login err = %v, want 401 AUTH_KEY_UNREGISTERED", err)
	}
}

func inputChannel(t *testing.T, id int64) *tg.InputChannel {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	ch, ok := shared.w.channels[id]
	if !ok {
		t.Fatalf("no channel %d", id)
	}
	return &tg.InputChannel{ChannelID: id, AccessHash: ch.AccessHash}
}

// TestReorderNext checks the order pushes go on the wire: gotd hands each
// received message to its handler on a separate goroutine, so a client's
// handler cannot tell wire order apart.
func TestReorderNext(t *testing.T) {
	ctx := testCtx(t)
	s, err := New(Config{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: s.CreateUser("A", "", "")}
	s.ReorderNext(3)
	var ids []int
	for _, text := range []string{"one", "two", "three", "four"} {
		id, err := s.SendMessage(ctx, Outgoing{Chat: chat, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	var wire []int
	var ups []tg.UpdatesClass
	for _, q := range s.pushers["main"].take() {
		ups = append(ups, q.updates)
	}
	for _, p := range flatten(ups) {
		wire = append(wire, p.msgID)
	}
	want := []int{ids[2], ids[1], ids[0], ids[3]}
	if !slices.Equal(wire, want) {
		t.Fatalf("wire order %v, want %v", wire, want)
	}
}
