package statetest

import (
	"github.com/gotd/neo"

	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// Store is every call the consumers of the state store (ingest, egress,
// the publisher) make. *state.Store and *MemStore satisfy it.
type Store interface {
	Commit(c *state.Commit) error
	UpdateState() (state.UpdateState, bool, error)
	Channels() ([]state.ChannelState, error)
	MessagePeer(msgID int) (schema.PeerRef, bool)
	PollMessage(pollID int64) (schema.PeerRef, int, bool)
	WebPageMessages(pageID int64) []state.WebPageEntry
	Peer(ref schema.PeerRef) (state.Peer, error)
	PeerByUsername(username string) (state.Peer, error)
	PutResult(key string, value []byte, ttl time.Duration) error
	Result(key string) ([]byte, error)
	OutboxRead(after uint64, limit int) ([]state.OutboxRecord, error)
	OutboxAck(seqs ...uint64) error
	OutboxNotify() <-chan struct{}
	OutboxStats() (depth int, oldest time.Time)
}

var _ Store = (*state.Store)(nil)

// Opener returns a new, empty store for one test, whose clock is now.
type Opener func(t *testing.T, now func() time.Time) Store

// Run checks the behaviour the consumers rely on against stores made by
// open: run it for *state.Store and for every in-memory fake.
func Run(t *testing.T, open Opener) {
	cases := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Empty", testEmpty},
		{"CommitIsWhole", testCommitIsWhole},
		{"InvalidCommitChangesNothing", testInvalidCommit},
		{"OutboxOrderAndPaging", testOutboxOrder},
		{"AckDeletes", testAck},
		{"SeqsNeverReused", testSeqsNeverReused},
		{"Notify", testNotify},
		{"ChannelsByID", testChannels},
		{"PeerMerge", testPeerMerge},
		{"Results", testResults},
		{"PollLinks", testPollLinks},
		{"WebPageLinks", testWebPageLinks},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open) })
	}
}

func openAt(t *testing.T, open Opener) (Store, *neo.Time) {
	c := neo.NewTime(time.Unix(1700000000, 0))
	return open(t, c.Now), c
}

func record(id string) state.OutboxRecord {
	return state.OutboxRecord{
		Subject: "tg.acc.events.message.created.user.7",
		MsgID:   id,
		Header:  map[string][]string{"Nats-Msg-Id": {id}},
		Data:    []byte(`{"id":"` + id + `"}`),
	}
}

func commit(t *testing.T, s Store, c *state.Commit) {
	t.Helper()
	if err := s.Commit(c); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func readAll(t *testing.T, s Store) []state.OutboxRecord {
	t.Helper()
	recs, err := s.OutboxRead(0, 1000)
	if err != nil {
		t.Fatalf("OutboxRead: %v", err)
	}
	return recs
}

func msgIDs(recs []state.OutboxRecord) []string {
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.MsgID)
	}
	return out
}

func seqs(recs []state.OutboxRecord) []uint64 {
	out := make([]uint64, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.Seq)
	}
	return out
}

var (
	alice = state.Peer{Kind: schema.PeerUser, ID: 7, AccessHash: 70, FirstName: "Alice", Username: "Alice"}
	chat  = schema.PeerRef{Kind: schema.PeerChat, ID: 9}
)

func testEmpty(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	if _, has, err := s.UpdateState(); has || err != nil {
		t.Errorf("UpdateState of an empty store: has %v, err %v", has, err)
	}
	if chs, err := s.Channels(); len(chs) != 0 || err != nil {
		t.Errorf("Channels of an empty store: %v, %v", chs, err)
	}
	if recs := readAll(t, s); len(recs) != 0 {
		t.Errorf("OutboxRead of an empty store: %v", recs)
	}
	if d, oldest := s.OutboxStats(); d != 0 || !oldest.IsZero() {
		t.Errorf("OutboxStats of an empty store: %d, %v", d, oldest)
	}
	if _, ok := s.MessagePeer(1); ok {
		t.Error("MessagePeer of an empty store found a peer")
	}
	if _, err := s.Peer(alice.Ref()); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Peer of an empty store: %v, want ErrNotFound", err)
	}
	if _, err := s.PeerByUsername("alice"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("PeerByUsername of an empty store: %v, want ErrNotFound", err)
	}
	if _, err := s.Result("k"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Result of an empty store: %v, want ErrNotFound", err)
	}
}

// Events, position, channels, index and peers of one Commit are all read
// back; the commit's events get their Seq and Created written back.
func testCommitIsWhole(t *testing.T, open Opener) {
	s, clk := openAt(t, open)
	given := time.Unix(1600000000, 5)
	c := &state.Commit{
		Events:   []state.OutboxRecord{record("a"), record("b")},
		State:    &state.UpdateState{Pts: 12, Qts: 3, Seq: 4, Date: 1700000000, MaxMessageID: 2},
		Channels: []state.ChannelState{{ID: 100, Pts: 5, MaxMessageID: 8, AccessHash: 1000}},
		Index:    []state.IndexEntry{{MessageID: 2, Peer: chat}},
		Peers:    []state.Peer{alice},
	}
	c.Events[1].Created = given
	commit(t, s, c)
	if c.Events[0].Seq == 0 || c.Events[1].Seq <= c.Events[0].Seq {
		t.Errorf("seqs written back: %v, want increasing from 1", seqs(c.Events))
	}
	if !c.Events[0].Created.Equal(clk.Now()) || !c.Events[1].Created.Equal(given) {
		t.Errorf("created written back: %v, %v; want the clock's %v, then the given %v",
			c.Events[0].Created, c.Events[1].Created, clk.Now(), given)
	}
	recs := readAll(t, s)
	if !slices.Equal(msgIDs(recs), []string{"a", "b"}) || !slices.Equal(seqs(recs), seqs(c.Events)) {
		t.Fatalf("outbox = %v %v, want a b with seqs %v", msgIDs(recs), seqs(recs), seqs(c.Events))
	}
	if r := recs[0]; r.Subject != c.Events[0].Subject || string(r.Data) != string(c.Events[0].Data) ||
		r.Header["Nats-Msg-Id"][0] != "a" || !r.Created.Equal(clk.Now()) {
		t.Errorf("record read back = %+v, want %+v", r, c.Events[0])
	}
	if !recs[1].Created.Equal(given) {
		t.Errorf("created read back %v, want %v", recs[1].Created, given)
	}
	if st, has, err := s.UpdateState(); !has || err != nil || st != *c.State {
		t.Errorf("UpdateState = %+v %v %v, want %+v", st, has, err, *c.State)
	}
	if chs, err := s.Channels(); err != nil || !slices.Equal(chs, c.Channels) {
		t.Errorf("Channels = %+v %v, want %+v", chs, err, c.Channels)
	}
	if ref, ok := s.MessagePeer(2); !ok || ref != chat {
		t.Errorf("MessagePeer(2) = %v %v, want %v", ref, ok, chat)
	}
	if p, err := s.Peer(alice.Ref()); err != nil || p != alice {
		t.Errorf("Peer = %+v %v, want %+v", p, err, alice)
	}
	if d, oldest := s.OutboxStats(); d != 2 || !oldest.Equal(clk.Now()) {
		t.Errorf("OutboxStats = %d %v, want 2 %v", d, oldest, clk.Now())
	}
}

// A commit the store refuses leaves everything, the seq counter included,
// as it was: a position never moves without its events.
func testInvalidCommit(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	commit(t, s, &state.Commit{Events: []state.OutboxRecord{record("a")}, State: &state.UpdateState{Pts: 1}})
	first := readAll(t, s)[0].Seq
	bad := []*state.Commit{
		nil,
		{Events: []state.OutboxRecord{record("b"), {Subject: "tg.x"}}, State: &state.UpdateState{Pts: 2}},
		{Events: []state.OutboxRecord{record("b")}, State: &state.UpdateState{Pts: 2}, Channels: []state.ChannelState{{ID: 0}}},
		{Events: []state.OutboxRecord{record("b")}, State: &state.UpdateState{Pts: 2}, Index: []state.IndexEntry{{MessageID: 3}}},
		{Events: []state.OutboxRecord{record("b")}, State: &state.UpdateState{Pts: 2}, Peers: []state.Peer{{Kind: "planet", ID: 1}}},
	}
	for i, c := range bad {
		if err := s.Commit(c); !errors.Is(err, state.ErrInvalid) {
			t.Errorf("bad commit %d: %v, want ErrInvalid", i, err)
		}
	}
	if st, _, _ := s.UpdateState(); st.Pts != 1 {
		t.Errorf("pts %d after refused commits, want 1", st.Pts)
	}
	if ids := msgIDs(readAll(t, s)); !slices.Equal(ids, []string{"a"}) {
		t.Errorf("outbox %v after refused commits, want [a]", ids)
	}
	if chs, _ := s.Channels(); len(chs) != 0 {
		t.Errorf("channels %v after refused commits", chs)
	}
	c := &state.Commit{Events: []state.OutboxRecord{record("c")}}
	commit(t, s, c)
	if c.Events[0].Seq != first+1 {
		t.Errorf("seq %d after refused commits, want %d: a refused commit used seqs", c.Events[0].Seq, first+1)
	}
}

// Records come back in commit order; after and limit page through them.
func testOutboxOrder(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	var want []string
	for i := range 3 {
		var evs []state.OutboxRecord
		for j := range 3 {
			id := string(rune('a'+i)) + string(rune('0'+j))
			evs = append(evs, record(id))
			want = append(want, id)
		}
		commit(t, s, &state.Commit{Events: evs})
	}
	all := readAll(t, s)
	if !slices.Equal(msgIDs(all), want) {
		t.Fatalf("outbox = %v, want %v", msgIDs(all), want)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Fatalf("seqs %v not strictly increasing", seqs(all))
		}
	}
	var paged []string
	after := uint64(0)
	for {
		page, err := s.OutboxRead(after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("OutboxRead(%d, 2) returned %d records", after, len(page))
		}
		paged = append(paged, msgIDs(page)...)
		after = page[len(page)-1].Seq
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged outbox = %v, want %v", paged, want)
	}
	if recs, err := s.OutboxRead(all[len(all)-1].Seq, 10); err != nil || len(recs) != 0 {
		t.Errorf("OutboxRead after the last seq = %v, %v; want none", msgIDs(recs), err)
	}
	if recs, err := s.OutboxRead(^uint64(0), 10); err != nil || len(recs) != 0 {
		t.Errorf("OutboxRead after the largest seq = %v, %v; want none", msgIDs(recs), err)
	}
	if _, err := s.OutboxRead(0, 0); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("OutboxRead with limit 0: %v, want ErrInvalid", err)
	}
}

// Acked records are gone from reads and stats, in any order; unknown and
// repeated seqs are ignored.
func testAck(t *testing.T, open Opener) {
	s, clk := openAt(t, open)
	var evs []state.OutboxRecord
	for i := range 4 {
		r := record(string(rune('a' + i)))
		r.Created = clk.Now().Add(time.Duration(i) * time.Second)
		evs = append(evs, r)
	}
	commit(t, s, &state.Commit{Events: evs})
	all := readAll(t, s)
	if err := s.OutboxAck(all[1].Seq, all[1].Seq, 9999); err != nil {
		t.Fatal(err)
	}
	if ids := msgIDs(readAll(t, s)); !slices.Equal(ids, []string{"a", "c", "d"}) {
		t.Errorf("outbox after acking b = %v", ids)
	}
	if d, oldest := s.OutboxStats(); d != 3 || !oldest.Equal(evs[0].Created) {
		t.Errorf("stats after acking b = %d %v, want 3 %v", d, oldest, evs[0].Created)
	}
	if err := s.OutboxAck(all[0].Seq); err != nil {
		t.Fatal(err)
	}
	if d, oldest := s.OutboxStats(); d != 2 || !oldest.Equal(evs[2].Created) {
		t.Errorf("stats after acking a = %d %v, want 2 %v (c's)", d, oldest, evs[2].Created)
	}
	if err := s.OutboxAck(all[1].Seq, all[0].Seq); err != nil {
		t.Fatalf("acking again: %v", err)
	}
	if err := s.OutboxAck(); err != nil {
		t.Fatalf("acking nothing: %v", err)
	}
	if err := s.OutboxAck(all[3].Seq, all[2].Seq); err != nil {
		t.Fatal(err)
	}
	if recs := readAll(t, s); len(recs) != 0 {
		t.Errorf("outbox after acking all = %v", msgIDs(recs))
	}
	if d, oldest := s.OutboxStats(); d != 0 || !oldest.IsZero() {
		t.Errorf("stats of a drained outbox = %d %v", d, oldest)
	}
}

// A drained outbox does not hand out a seq again.
func testSeqsNeverReused(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	c := &state.Commit{Events: []state.OutboxRecord{record("a"), record("b")}}
	commit(t, s, c)
	if err := s.OutboxAck(seqs(c.Events)...); err != nil {
		t.Fatal(err)
	}
	next := &state.Commit{Events: []state.OutboxRecord{record("c")}}
	commit(t, s, next)
	if next.Events[0].Seq <= c.Events[1].Seq {
		t.Errorf("seq %d after a drained outbox that reached %d: reused", next.Events[0].Seq, c.Events[1].Seq)
	}
	if recs := readAll(t, s); !slices.Equal(msgIDs(recs), []string{"c"}) || recs[0].Seq != next.Events[0].Seq {
		t.Errorf("outbox = %v %v", msgIDs(recs), seqs(recs))
	}
}

// OutboxNotify is signalled by a commit with events, without blocking the
// writer when nobody reads, and not by a commit without.
func testNotify(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	drain := func() bool {
		select {
		case <-s.OutboxNotify():
			return true
		default:
			return false
		}
	}
	drain()
	commit(t, s, &state.Commit{State: &state.UpdateState{Pts: 1}})
	if drain() {
		t.Error("notified by a commit without events")
	}
	commit(t, s, &state.Commit{Events: []state.OutboxRecord{record("a")}})
	commit(t, s, &state.Commit{Events: []state.OutboxRecord{record("b")}}) // must not block
	if !drain() {
		t.Error("not notified by commits with events")
	}
	if drain() {
		t.Error("notified twice: the channel is to hold one signal for many commits")
	}
}

// Channels are listed by id; a later commit replaces a channel's state.
func testChannels(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	commit(t, s, &state.Commit{Channels: []state.ChannelState{{ID: 300, Pts: 1}, {ID: 20, Pts: 1}}})
	commit(t, s, &state.Commit{Channels: []state.ChannelState{{ID: 100, Pts: 1}, {ID: 300, Pts: 7, AccessHash: 3}}})
	want := []state.ChannelState{{ID: 20, Pts: 1}, {ID: 100, Pts: 1}, {ID: 300, Pts: 7, AccessHash: 3}}
	if chs, err := s.Channels(); err != nil || !slices.Equal(chs, want) {
		t.Errorf("Channels = %+v %v, want %+v", chs, err, want)
	}
}

// A min peer or a zero hash never replaces a usable access hash; names
// follow the peer, case-insensitively and with or without "@".
func testPeerMerge(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	commit(t, s, &state.Commit{Peers: []state.Peer{alice}})
	min := alice
	min.AccessHash, min.Min, min.FirstName = 71, true, "Alice B"
	commit(t, s, &state.Commit{Peers: []state.Peer{min}})
	p, err := s.Peer(alice.Ref())
	if err != nil || p.AccessHash != 70 || p.Min || p.FirstName != "Alice B" {
		t.Errorf("after a min peer: %+v %v; want hash 70, not min, the new name", p, err)
	}
	zero := alice
	zero.AccessHash = 0
	commit(t, s, &state.Commit{Peers: []state.Peer{zero}})
	if p, _ := s.Peer(alice.Ref()); p.AccessHash != 70 {
		t.Errorf("after a zero hash: hash %d, want 70", p.AccessHash)
	}
	for _, name := range []string{"alice", "@ALICE", "Alice"} {
		if p, err := s.PeerByUsername(name); err != nil || p.ID != alice.ID {
			t.Errorf("PeerByUsername(%q) = %+v %v", name, p, err)
		}
	}
	renamed := alice
	renamed.Username = "alice2"
	commit(t, s, &state.Commit{Peers: []state.Peer{renamed}})
	if _, err := s.PeerByUsername("alice"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("old name after a rename: %v, want ErrNotFound", err)
	}
	if p, err := s.PeerByUsername("alice2"); err != nil || p.ID != alice.ID {
		t.Errorf("new name: %+v %v", p, err)
	}
}

// A command result is read back until its ttl passes by the store's clock.
func testResults(t *testing.T, open Opener) {
	s, clk := openAt(t, open)
	if err := s.PutResult("k", []byte(`{"ok":true}`), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Result("k"); err != nil || string(v) != `{"ok":true}` {
		t.Errorf("Result = %q %v", v, err)
	}
	if err := s.PutResult("k", []byte(`{"ok":false}`), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Result("k"); string(v) != `{"ok":false}` {
		t.Errorf("Result after a second put = %q, want the second value", v)
	}
	clk.Travel(time.Minute)
	if _, err := s.Result("k"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Result after its ttl: %v, want ErrNotFound", err)
	}
	if err := s.PutResult("", []byte("x"), time.Minute); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("PutResult without key: %v, want ErrInvalid", err)
	}
	if err := s.PutResult("k", []byte("x"), 0); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("PutResult without ttl: %v, want ErrInvalid", err)
	}
}

// testPollLinks: a poll keeps the first message it was seen in, also when
// the same commit or a later one names another (a forwarded poll); an
// invalid link fails the commit.
func testPollLinks(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	group := schema.PeerRef{Kind: schema.PeerChat, ID: 5}
	super := schema.PeerRef{Kind: schema.PeerChannel, ID: 6}
	if _, _, ok := s.PollMessage(42); ok {
		t.Fatal("PollMessage of an empty store found a link")
	}
	if err := s.Commit(&state.Commit{Polls: []state.PollEntry{{PollID: 42, Peer: group, MessageID: 3}, {PollID: 42, Peer: super, MessageID: 9}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(&state.Commit{Polls: []state.PollEntry{{PollID: 42, Peer: super, MessageID: 10}, {PollID: -7, Peer: super, MessageID: 11}}}); err != nil {
		t.Fatal(err)
	}
	if ref, id, ok := s.PollMessage(42); !ok || ref != group || id != 3 {
		t.Errorf("PollMessage(42) = %v %d %v, want %v 3", ref, id, ok, group)
	}
	if ref, id, ok := s.PollMessage(-7); !ok || ref != super || id != 11 {
		t.Errorf("PollMessage(-7) = %v %d %v, want %v 11", ref, id, ok, super)
	}
	if err := s.Commit(&state.Commit{Polls: []state.PollEntry{{PollID: 43, Peer: schema.PeerRef{Kind: schema.PeerUnknown}, MessageID: 1}}}); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("a poll link to an unknown chat: err = %v, want ErrInvalid", err)
	}
	if _, _, ok := s.PollMessage(43); ok {
		t.Error("an invalid poll link was stored")
	}
}

// testWebPageLinks: a pending web page lists every message linked to it,
// a message linked again (edited) keeps its latest body, an invalid link
// fails the commit, and links expire after WebPageLinkTTL and beyond
// WebPageLinkLimit, the oldest first.
func testWebPageLinks(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	group := schema.PeerRef{Kind: schema.PeerChat, ID: 5}
	super := schema.PeerRef{Kind: schema.PeerChannel, ID: 6}
	bodies := func(es []state.WebPageEntry) map[string]string {
		out := map[string]string{}
		for _, e := range es {
			out[fmt.Sprintf("%d/%s/%d", e.WebPageID, e.Peer, e.MessageID)] = string(e.Message)
		}
		return out
	}
	if got := s.WebPageMessages(7); len(got) != 0 {
		t.Fatalf("WebPageMessages of an empty store = %v", got)
	}
	commit(t, s, &state.Commit{WebPages: []state.WebPageEntry{
		{WebPageID: 7, Peer: group, MessageID: 3, Message: []byte(`{"v":1}`)},
		{WebPageID: 7, Peer: super, MessageID: 9, Message: []byte(`{"v":2}`)},
		{WebPageID: 8, Peer: super, MessageID: 10, Message: []byte(`{"v":3}`)},
	}})
	commit(t, s, &state.Commit{WebPages: []state.WebPageEntry{{WebPageID: 7, Peer: group, MessageID: 3, Message: []byte(`{"v":4}`)}}})
	want := map[string]string{
		fmt.Sprintf("7/%s/3", group): `{"v":4}`,
		fmt.Sprintf("7/%s/9", super): `{"v":2}`,
	}
	if got := bodies(s.WebPageMessages(7)); !maps.Equal(got, want) {
		t.Errorf("WebPageMessages(7) = %v, want %v", got, want)
	}
	if got := s.WebPageMessages(8); len(got) != 1 || got[0].MessageID != 10 {
		t.Errorf("WebPageMessages(8) = %v, want message 10", got)
	}
	for _, bad := range []state.WebPageEntry{
		{WebPageID: 9, Peer: schema.PeerRef{Kind: schema.PeerUnknown}, MessageID: 1, Message: []byte(`{}`)},
		{WebPageID: 9, Peer: group, MessageID: 0, Message: []byte(`{}`)},
		{WebPageID: 9, Peer: group, MessageID: 1},
	} {
		if err := s.Commit(&state.Commit{WebPages: []state.WebPageEntry{bad}}); !errors.Is(err, state.ErrInvalid) {
			t.Errorf("web page link %+v: err = %v, want ErrInvalid", bad, err)
		}
	}
	if got := s.WebPageMessages(9); len(got) != 0 {
		t.Errorf("an invalid web page link was stored: %v", got)
	}

	// A day later, the links of pages 7 and 8 have expired once a commit
	// adds another.
	clock.Travel(state.WebPageLinkTTL + time.Second)
	commit(t, s, &state.Commit{WebPages: []state.WebPageEntry{{WebPageID: 11, Peer: group, MessageID: 20, Message: []byte(`{}`)}}})
	if got := len(s.WebPageMessages(7)) + len(s.WebPageMessages(8)); got != 0 {
		t.Errorf("%d expired web page links kept", got)
	}

	// Beyond the limit, the oldest go first.
	for i := range state.WebPageLinkLimit {
		clock.Travel(time.Millisecond)
		commit(t, s, &state.Commit{WebPages: []state.WebPageEntry{{WebPageID: 12, Peer: super, MessageID: 100 + i, Message: []byte(`{}`)}}})
	}
	if got := s.WebPageMessages(11); len(got) != 0 {
		t.Errorf("the oldest link was kept beyond the limit: %v", got)
	}
	if got := s.WebPageMessages(12); len(got) != state.WebPageLinkLimit {
		t.Errorf("%d links of page 12, want %d", len(got), state.WebPageLinkLimit)
	}
}
