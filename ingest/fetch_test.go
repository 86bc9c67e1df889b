package ingest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// channelChanged is the id of the chat.updated event the engine publishes
// when channels.getChannels returns c for channel id after an
// updateChannel dated date.
func channelChanged(t *testing.T, id int64, c tg.ChatClass, date int) string {
	t.Helper()
	ev, err := mapping.Channel(account, id, c, date)
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID
}

// chatUpdate decodes the body of the outbox record with id.
func chatUpdate(t *testing.T, store *memStore, id string) schema.ChatUpdate {
	t.Helper()
	for _, r := range store.Records() {
		if r.MsgID == id {
			var b schema.ChatUpdate
			if err := json.Unmarshal(r.Data, &b); err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no record %s in the outbox %v", id, store.ids())
	return schema.ChatUpdate{}
}

// updateChannel names only the channel: the engine fetches it and
// publishes what changed (a new title and username, a lost membership or
// access) as chat.updated; the same state fetched again is the same event.
func TestEngineChannelUpdateFetchesTheChannel(t *testing.T) {
	ft := newFakeTelegram()
	store := newMemStore()
	h := newHarness(t, ft, store)
	const ch = 800
	at := func(d int) *tg.Updates {
		return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateChannel{ChannelID: ch}}, Date: d,
			Chats: []tg.ChatClass{&tg.Channel{ID: ch, AccessHash: 77, Title: "stale title sent with the update"}}}
	}

	renamed := &tg.Channel{ID: ch, AccessHash: 77, Title: "Gopher News", Username: "gophernews", Broadcast: true,
		Photo: &tg.ChatPhoto{PhotoID: 4242}}
	ft.setChannel(ch, func(c *fakeChannel) { c.state = renamed })
	h.push(at(1700000100))
	id := channelChanged(t, ch, renamed, 1700000100)
	h.eventually("rename published", func() bool { return slices.Contains(store.ids(), id) })
	if b := chatUpdate(t, store, id); b.Chat.Title != "Gopher News" || b.Chat.Username != "gophernews" || b.PhotoID != 4242 || !b.Known || b.Left || b.Forbidden {
		t.Fatalf("rename published as %+v", b)
	}
	// The same state again (a difference replaying the update): one event.
	h.push(at(1700000100))
	h.eventually("second fetch", func() bool { return ft.count("getChannels") == 2 })
	h.eventually("nothing new in the outbox", func() bool { return len(h.eng.in) == 0 })

	kicked := &tg.ChannelForbidden{ID: ch, AccessHash: 77, Title: "Gopher News", Broadcast: true}
	ft.setChannel(ch, func(c *fakeChannel) { c.state = kicked })
	h.push(at(1700000200))
	id = channelChanged(t, ch, kicked, 1700000200)
	h.eventually("ban published", func() bool { return slices.Contains(store.ids(), id) })
	if b := chatUpdate(t, store, id); !b.Forbidden || !b.Known || b.Chat.Title != "Gopher News" {
		t.Fatalf("ban published as %+v", b)
	}

	ft.setChannel(ch, func(c *fakeChannel) { c.fetchErr = tgerr.New(406, "CHANNEL_PRIVATE") })
	h.push(at(1700000300))
	id = channelChanged(t, ch, nil, 1700000300)
	h.eventually("refusal published", func() bool { return slices.Contains(store.ids(), id) })
	if b := chatUpdate(t, store, id); !b.Forbidden || b.Known {
		t.Fatalf("refusal published as %+v", b)
	}
	// The outbox may hold an event twice (the same state fetched
	// again); JetStream drops the second by its Nats-Msg-Id.
	ids := store.ids()
	slices.Sort(ids)
	if got := len(slices.Compact(ids)); got != 3 {
		t.Fatalf("outbox holds %d distinct events (%v), want 3", got, store.ids())
	}
}

// A channel that cannot be fetched now holds the stored state date
// before its updateChannel, so that a restart's getDifference returns the
// update again; fetched later, it is published and the date moves on.
func TestEngineChannelFetchFailureHoldsTheStateDate(t *testing.T) {
	ft := newFakeTelegram()
	store := newMemStore()
	h := newHarness(t, ft, store)
	const ch = 900
	ft.setChannel(ch, func(c *fakeChannel) { c.fetchErr = errors.New("connection lost") })
	ft.date += 10
	h.push(&tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateChannel{ChannelID: ch}}, Date: ft.date})
	h.eventually("fetch tried", func() bool { return ft.count("getChannels") >= 1 })
	changedAt := ft.date

	ft.date += 10
	later := ft.newMessage(1, 7, "a common update ten seconds later")
	h.push(&tg.Updates{Updates: []tg.UpdateClass{later}, Date: ft.date})
	h.eventually("the common update committed", func() bool { return store.state().Pts == later.Pts })
	if got := store.state().Date; got >= changedAt {
		t.Fatalf("stored state date %d is not before the unfetched updateChannel (%d): a restart would not get it again", got, changedAt)
	}

	ft.setChannel(ch, func(c *fakeChannel) { c.fetchErr = nil })
	id := channelChanged(t, ch, plainChannel(ch), changedAt)
	h.travelUntil("channel fetched after the backoff", 500*time.Millisecond, func() bool { return slices.Contains(store.ids(), id) })
	h.eventually("state date moved on", func() bool { return store.state().Date == ft.date })
}

// poll.updated names only the poll: the engine remembers the message a
// poll was first seen in (a stored poll link, committed with the message)
// and the event's body links it; the id stays the poll's.
func TestEnginePollUpdateLinksItsMessage(t *testing.T) {
	ft := newFakeTelegram()
	store := newMemStore()
	h := newHarness(t, ft, store)
	const ch, pollID = 1200, int64(-5)
	chats := []tg.ChatClass{&tg.Channel{ID: ch, AccessHash: 5, Title: "votes", Megagroup: true}}
	post := ft.channelMessage(ch, "")
	post.Message.(*tg.Message).Media = &tg.MessageMediaPoll{Poll: tg.Poll{ID: pollID, Question: "Lunch?"}}
	h.push(&tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateChannel{ChannelID: ch}}, Chats: chats})
	h.push(&tg.Updates{Updates: []tg.UpdateClass{post}, Chats: chats})
	h.travelUntil("poll message committed", 100*time.Millisecond, func() bool { return store.channel(ch).Pts == post.Pts })
	if ref, id, ok := store.PollMessage(pollID); !ok || ref != channelRef(ch) || id != post.Message.GetID() {
		t.Fatalf("poll link = %v %d %v, want message %d of %v", ref, id, ok, post.Message.GetID(), channelRef(ch))
	}

	results := &tg.UpdateMessagePoll{PollID: pollID, Results: tg.PollResults{TotalVoters: 1,
		Results: []tg.PollAnswerVoters{{Option: []byte("0"), Voters: 1}}}}
	h.push(&tg.Updates{Updates: []tg.UpdateClass{results}, Date: ft.date})
	evs, err := mapping.Update(account, results, tg.Entities{}, ft.date, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.eventually("poll.updated published", func() bool { return slices.Contains(store.ids(), evs[0].ID) })
	for _, r := range store.Records() {
		if r.MsgID != evs[0].ID {
			continue
		}
		var b schema.PollUpdated
		if err := json.Unmarshal(r.Data, &b); err != nil {
			t.Fatal(err)
		}
		if b.Message == nil || b.Message.Chat.Ref() != channelRef(ch) || b.Message.MessageID != post.Message.GetID() {
			t.Fatalf("poll.updated links %+v, want message %d of %v", b.Message, post.Message.GetID(), channelRef(ch))
		}
	}
}
