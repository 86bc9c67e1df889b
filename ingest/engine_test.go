package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotd/neo"
	"github.com/gotd/td/tg"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const account = "main"

type harness struct {
	t     *testing.T
	tg    *fakeTelegram
	store *memStore
	clock *neo.Time
	eng   *Engine
	done  chan error
	stop  context.CancelFunc
	// configure, when set, adjusts the engine's config before each start.
	configure func(*EngineConfig)
}

func newHarness(t *testing.T, tg *fakeTelegram, store *memStore) *harness {
	t.Helper()
	return newHarnessWith(t, tg, store, nil)
}

func newHarnessWith(t *testing.T, tg *fakeTelegram, store *memStore, configure func(*EngineConfig)) *harness {
	t.Helper()
	h := &harness{t: t, tg: tg, store: store, clock: neo.NewTime(time.Unix(1700000000, 0)), configure: configure}
	h.start()
	t.Cleanup(func() { h.halt() })
	return h
}

func (h *harness) start() {
	h.t.Helper()
	cfg := EngineConfig{Account: account, Self: 1, API: h.tg, Store: h.store, Clock: h.clock, Encoder: schema.Encoder{Prefix: "tg"}}
	if h.configure != nil {
		h.configure(&cfg)
	}
	eng, err := NewEngine(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.eng, h.stop, h.done = eng, cancel, make(chan error, 1)
	go func() { h.done <- eng.Run(ctx) }()
	h.eventually("engine caught up", eng.CaughtUp)
}

// halt stops the engine and returns what Run returned.
func (h *harness) halt() error {
	if h.stop == nil {
		return nil
	}
	h.stop()
	h.stop = nil
	select {
	case err := <-h.done:
		return err
	case <-time.After(10 * time.Second):
		h.t.Fatal("engine did not stop")
		return nil
	}
}

func (h *harness) push(u tg.UpdatesClass) {
	h.t.Helper()
	if err := h.eng.Handle(context.Background(), u); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	testutil.Eventually(h.t, 10*time.Second, what, cond)
}

// travelUntil moves the fake clock forward in steps until cond holds.
func (h *harness) travelUntil(what string, step time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for: %s", what)
		}
		h.clock.Travel(step)
		time.Sleep(time.Millisecond)
	}
}

func created(peer schema.PeerRef, id int) string {
	return schema.EventID(account, peer, id, schema.KindMessage, schema.ActionCreated, 0)
}

func user(id int64) schema.PeerRef { return schema.PeerRef{Kind: schema.PeerUser, ID: id} }

// joinedNow is the updateChannel Telegram pushes when the account joins
// channel ch: the channel's date is the join date, now.
func joinedNow(ft *fakeTelegram, ch int64) *tg.Updates {
	return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateChannel{ChannelID: ch}}, Date: ft.date,
		Chats: []tg.ChatClass{&tg.Channel{ID: ch, AccessHash: 9, Title: "joined", Date: ft.date}}}
}

func wrap(us ...tg.UpdateClass) *tg.Updates {
	return &tg.Updates{Updates: us, Date: 1700000000}
}

func TestEngineFirstStartFollowsCurrentState(t *testing.T) {
	ft := newFakeTelegram()
	ft.newMessage(1, 7, "before the connector existed")
	h := newHarness(t, ft, newMemStore())
	if got := h.store.state().Pts; got != ft.pts {
		t.Fatalf("stored pts = %d, want Telegram's current %d", got, ft.pts)
	}
	if len(h.store.ids()) != 0 {
		t.Fatalf("first start emitted history: %v", h.store.ids())
	}
}

func TestEngineAppliesInOrderAndSkipsDuplicates(t *testing.T) {
	ft := newFakeTelegram()
	h := newHarness(t, ft, newMemStore())
	u1 := ft.newMessage(1, 7, "one")
	u2 := ft.newMessage(2, 7, "two")
	h.push(wrap(u1))
	h.push(wrap(u1)) // duplicate push
	h.push(wrap(u2))
	h.eventually("pts advanced", func() bool { return h.store.state().Pts == ft.pts })
	want := []string{created(user(7), 1), created(user(7), 2)}
	if got := h.store.ids(); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	if n := ft.count("getDifference"); n != 0 {
		t.Fatalf("getDifference called %d times for an in-order stream", n)
	}
}

func TestEngineBuffersOutOfOrderPushesUntilTheGapFills(t *testing.T) {
	ft := newFakeTelegram()
	h := newHarness(t, ft, newMemStore())
	u1 := ft.newMessage(1, 7, "one")
	u2 := ft.newMessage(2, 7, "two")
	u3 := ft.newMessage(3, 7, "three")
	h.push(wrap(u1, u3)) // u2 missing: u3 waits
	h.eventually("u1 committed", func() bool { return h.store.state().Pts == u1.Pts })
	h.push(wrap(u2))
	h.eventually("gap filled", func() bool { return h.store.state().Pts == u3.Pts })
	want := []string{created(user(7), 1), created(user(7), 2), created(user(7), 3)}
	if got := h.store.ids(); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	if n := ft.count("getDifference"); n != 0 {
		t.Fatalf("a gap that filled in time caused %d getDifference calls", n)
	}
}

func TestEngineRecoversAGapThatDoesNotFill(t *testing.T) {
	ft := newFakeTelegram()
	h := newHarness(t, ft, newMemStore())
	u1 := ft.newMessage(1, 7, "one")
	ft.newMessage(2, 7, "two (never pushed)")
	del := ft.deleteMessages(1)
	u4 := ft.newMessage(3, 8, "three")
	h.push(wrap(u1))
	h.push(wrap(u4)) // held behind the gap
	h.eventually("u1 committed", func() bool { return h.store.state().Pts == u1.Pts })
	if n := ft.count("getDifference"); n != 0 {
		t.Fatalf("getDifference before the gap timeout: %d calls", n)
	}
	h.travelUntil("gap recovered", 100*time.Millisecond, func() bool { return h.store.state().Pts == ft.pts })
	_ = del
	want := []string{
		created(user(7), 1),
		created(user(7), 2),
		created(user(8), 3),
		schema.EventID(account, user(7), 1, schema.KindMessage, schema.ActionDeleted, 0),
	}
	got := h.store.ids()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want exactly %v", got, want)
	}
}

func TestEngineUpdatesTooLongAndIdleAskForTheDifference(t *testing.T) {
	ft := newFakeTelegram()
	h := newHarness(t, ft, newMemStore())
	ft.newMessage(1, 7, "missed")
	h.push(&tg.UpdatesTooLong{})
	h.eventually("recovered after updatesTooLong", func() bool { return h.store.state().Pts == ft.pts })

	ft.newMessage(2, 7, "missed while idle")
	h.travelUntil("recovered after idle", time.Minute, func() bool { return h.store.state().Pts == ft.pts })
	if got := len(h.store.ids()); got != 2 {
		t.Fatalf("outbox holds %d events, want 2", got)
	}
}

func TestEngineResumesFromTheLastDurablePosition(t *testing.T) {
	ft := newFakeTelegram()
	store := newMemStore()
	h := newHarness(t, ft, store)
	u1 := ft.newMessage(1, 7, "one")
	h.push(wrap(u1))
	h.eventually("u1 committed", func() bool { return store.state().Pts == u1.Pts })

	// The store fails: the engine must stop without advancing anything.
	store.FailCommits(errors.New("disk full"))
	u2 := ft.newMessage(2, 7, "two")
	h.push(wrap(u2))
	select {
	case err := <-h.done:
		if err == nil {
			t.Fatal("Run returned nil after a failed commit")
		}
		h.stop = nil
	case <-time.After(10 * time.Second):
		t.Fatal("engine kept running after a failed commit")
	}
	if got := store.state().Pts; got != u1.Pts {
		t.Fatalf("pts advanced to %d past a failed commit", got)
	}

	// Restart: the difference brings u2, exactly once.
	store.FailCommits(nil)
	ft.newMessage(3, 7, "three")
	h.start()
	h.eventually("caught up", func() bool { return store.state().Pts == ft.pts })
	want := []string{created(user(7), 1), created(user(7), 2), created(user(7), 3)}
	if got := store.ids(); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
}

func TestEngineDifferenceSlicesAndTooLong(t *testing.T) {
	ft := newFakeTelegram()
	store := newMemStore()
	h := newHarness(t, ft, store)
	u1 := ft.newMessage(1, 7, "seen")
	h.push(wrap(u1))
	h.eventually("u1 committed", func() bool { return store.state().Pts == u1.Pts })
	if err := h.halt(); err != nil {
		t.Fatal(err)
	}

	// Downtime with slices: every message recovered, state committed per slice.
	ft.slice = 3
	for i := 2; i <= 8; i++ {
		ft.newMessage(i, 7, fmt.Sprint("offline ", i))
	}
	h.start()
	h.eventually("sliced recovery", func() bool { return store.state().Pts == ft.pts })
	if got := len(store.ids()); got != 8 {
		t.Fatalf("after slices the outbox holds %d events, want 8", got)
	}
	if n := ft.count("getDifference"); n < 3 {
		t.Fatalf("expected several slices, got %d getDifference calls", n)
	}
	if err := h.halt(); err != nil {
		t.Fatal(err)
	}

	// Downtime too long: messages are backfilled by id, state jumps.
	ft.tooLong = 2
	for i := 9; i <= 14; i++ {
		ft.newMessage(i, 7, fmt.Sprint("long offline ", i))
	}
	h.start()
	h.eventually("too-long recovery", func() bool { return store.state().Pts == ft.pts })
	ids := store.ids()
	if len(ids) != 14 || ids[13] != created(user(7), 14) {
		t.Fatalf("after too-long the outbox is %v, want the 6 new messages backfilled", ids)
	}
	if ft.count("getMessages") == 0 {
		t.Fatal("too-long difference did not backfill")
	}
}

// A position-less update (a rename) that every part of a sliced difference
// hands over again is committed once: the repeats would only be stored and
// published for JetStream to drop.
func TestEngineDifferenceRepeatedRenameCommittedOnce(t *testing.T) {
	ft := newFakeTelegram()
	store := newMemStore()
	h := newHarness(t, ft, store)
	u1 := ft.newMessage(1, 7, "seen")
	h.push(wrap(u1))
	h.eventually("u1 committed", func() bool { return store.state().Pts == u1.Pts })
	if err := h.halt(); err != nil {
		t.Fatal(err)
	}

	ft.slice = 3
	for i := 2; i <= 8; i++ {
		ft.newMessage(i, 7, fmt.Sprint("offline ", i))
	}
	ft.users = []tg.UserClass{&tg.User{ID: 7, AccessHash: 7, FirstName: "Old"}}
	ft.repeat = []tg.UpdateClass{&tg.UpdateUserName{UserID: 7, FirstName: "New"}}
	h.start()
	h.eventually("sliced recovery", func() bool { return store.state().Pts == ft.pts })
	if n := ft.count("getDifference"); n < 3 {
		t.Fatalf("expected several slices, got %d getDifference calls", n)
	}
	renames := 0
	for _, id := range store.ids() {
		if strings.Contains(id, ":"+schema.KindUser+"."+schema.ActionUserUpdated) {
			renames++
		}
	}
	if got := len(store.ids()); renames != 1 || got != 9 {
		t.Fatalf("the outbox holds %d events, %d of them the rename; want 9 (8 messages) and 1: %v", got, renames, store.ids())
	}
}

func TestEngineChannelGapUsesChannelDifference(t *testing.T) {
	ft := newFakeTelegram()
	store := newMemStore()
	h := newHarness(t, ft, store)
	const ch = 500
	channel := schema.PeerRef{Kind: schema.PeerChannel, ID: ch}
	entities := []tg.ChatClass{&tg.Channel{ID: ch, AccessHash: 99, Title: "news", Broadcast: true}}
	c1 := ft.channelMessage(ch, "first")
	ft.channelMessage(ch, "lost push")
	c3 := ft.channelMessage(ch, "third")
	h.push(joinedNow(ft, ch)) // joined: the channel starts at its first push
	h.push(&tg.Updates{Updates: []tg.UpdateClass{c1}, Chats: entities})
	h.travelUntil("c1 committed", 100*time.Millisecond, func() bool { return store.channel(ch).Pts == c1.Pts })
	h.push(&tg.Updates{Updates: []tg.UpdateClass{c3}, Chats: entities})
	h.travelUntil("channel gap recovered", 100*time.Millisecond, func() bool { return store.channel(ch).Pts == c3.Pts })
	want := []string{channelChanged(t, ch, plainChannel(ch), 1700000000), created(channel, 1), created(channel, 2), created(channel, 3)}
	if got := store.ids(); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	if store.channel(ch).AccessHash != 99 {
		t.Fatal("channel access hash not stored")
	}
}

// A short push names its sender by id only. For a sender never seen before
// the engine fetches the difference, which carries the user and its access
// hash (without it a later command to that chat finds no peer); a known
// sender's short push is applied as it is.
func TestEngineShortMessageFromAnUnknownUserFetchesTheDifference(t *testing.T) {
	ft := newFakeTelegram()
	ft.users = []tg.UserClass{&tg.User{ID: 7, AccessHash: 4242, FirstName: "Ann"}}
	h := newHarness(t, ft, newMemStore())
	// gotd's client turns updateShortMessage into this form before any
	// handler sees it; the engine handles both.
	short := func(id int) tg.UpdatesClass {
		u := ft.newMessage(id, 7, "hi")
		if id%2 == 1 {
			return &tg.UpdateShort{Update: u, Date: u.Message.(*tg.Message).Date}
		}
		return &tg.UpdateShortMessage{ID: id, UserID: 7, Message: "hi", Pts: u.Pts, PtsCount: 1, Date: u.Message.(*tg.Message).Date}
	}

	h.push(short(1))
	h.eventually("first message committed", func() bool { return h.store.state().Pts == ft.pts })
	if n := ft.count("getDifference"); n != 1 {
		t.Fatalf("getDifference called %d times for a short push from an unknown user, want 1", n)
	}
	p, err := h.store.Peer(user(7))
	if err != nil || p.AccessHash != 4242 {
		t.Fatalf("stored peer = %+v, %v; want the access hash from the difference", p, err)
	}

	h.push(short(2))
	h.eventually("second message committed", func() bool { return h.store.state().Pts == ft.pts })
	if n := ft.count("getDifference"); n != 1 {
		t.Fatalf("getDifference called %d times in all; a known sender's short push needs none", n)
	}
	if got, want := h.store.ids(), []string{created(user(7), 1), created(user(7), 2)}; !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
}
