package ingest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// pending gives message m a link preview Telegram is still building.
func pending(m tg.MessageClass, page int64) {
	msg := m.(*tg.Message)
	msg.Message = "see https://go.dev"
	msg.Media = &tg.MessageMediaWebPage{Webpage: &tg.WebPagePending{ID: page, URL: "https://go.dev"}}
}

// webPageReady is the common box's updateWebPage of page w.
func (f *fakeTelegram) webPageReady(w tg.WebPageClass) *tg.UpdateWebPage {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pts++
	u := &tg.UpdateWebPage{Webpage: w, Pts: f.pts, PtsCount: 1}
	f.common = append(f.common, u)
	return u
}

// channelWebPageReady is channel's updateChannelWebPage of page w.
func (f *fakeTelegram) channelWebPageReady(channel int64, w tg.WebPageClass) *tg.UpdateChannelWebPage {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channel(channel)
	f.news[channel] = true
	c.pts++
	u := &tg.UpdateChannelWebPage{ChannelID: channel, Webpage: w, Pts: c.pts, PtsCount: 1}
	c.updates = append(c.updates, u)
	return u
}

// edits returns the message.edited bodies in the outbox, by event id.
func (m *memStore) edits(t *testing.T) map[string]schema.Message {
	t.Helper()
	out := map[string]schema.Message{}
	for _, r := range m.Records() {
		if !strings.Contains(r.Subject, ".message.edited.") {
			continue
		}
		var body schema.Message
		if err := json.Unmarshal(r.Data, &body); err != nil {
			t.Fatalf("edit %s: %v", r.MsgID, err)
		}
		out[r.MsgID] = body
	}
	return out
}

// A link preview completed after the message (updateWebPage,
// updateChannelWebPage) is published as message.edited of each message
// that showed it pending, with the message's text and the completed
// preview, once: the link is remembered with the message's commit (or
// read from the same batch), and a redelivered update is a duplicate.
func TestEngineLinkPreviewIsAnEdit(t *testing.T) {
	ft := newFakeTelegram()
	store := newMemStore()
	h := newHarness(t, ft, store)
	const ch, page = 1300, int64(77)
	ready := &tg.WebPage{ID: page, URL: "https://go.dev", DisplayURL: "go.dev", Hash: 3, SiteName: "Go", Title: "The Go Programming Language", Description: "Build simple, secure, scalable systems with Go"}

	// A channel post with the link, committed before its preview arrives.
	chats := []tg.ChatClass{&tg.Channel{ID: ch, AccessHash: 5, Title: "links", Megagroup: true}}
	post := ft.channelMessage(ch, "")
	pending(post.Message, page)
	h.push(&tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateChannel{ChannelID: ch}}, Chats: chats})
	h.push(&tg.Updates{Updates: []tg.UpdateClass{post}, Chats: chats})
	h.travelUntil("pending post committed", 100*time.Millisecond, func() bool { return store.channel(ch).Pts == post.Pts })
	if got := store.WebPageMessages(page); len(got) != 1 || got[0].MessageID != post.Message.GetID() || got[0].Peer != channelRef(ch) {
		t.Fatalf("web page links after the post = %+v, want its message", got)
	}

	// A private message with the same link and its preview in one push.
	msg := ft.newMessage(1, 7, "")
	pending(msg.Message, page)
	preview := ft.webPageReady(ready)
	h.push(wrap(msg, preview))
	h.eventually("private preview committed", func() bool { return store.state().Pts == preview.Pts })
	channelPreview := ft.channelWebPageReady(ch, ready)
	h.push(&tg.Updates{Updates: []tg.UpdateClass{channelPreview}, Chats: chats})
	h.eventually("channel preview committed", func() bool { return store.channel(ch).Pts == channelPreview.Pts })

	// Redelivered: duplicates of positions already applied.
	h.push(wrap(preview))
	h.push(&tg.Updates{Updates: []tg.UpdateClass{channelPreview}, Chats: chats})
	after := ft.newMessage(2, 7, "after the previews")
	h.push(wrap(after))
	h.eventually("next message committed", func() bool { return store.state().Pts == after.Pts })

	edits := store.edits(t)
	if len(edits) != 2 {
		t.Fatalf("%d message.edited events, want 2 (one per message): %v", len(edits), store.ids())
	}
	seen := map[schema.PeerRef]int{}
	for id, e := range edits {
		seen[schema.PeerRef{Kind: e.Chat.Kind, ID: e.Chat.ID}] = e.MessageID
		m := e.Media
		if e.Text != "see https://go.dev" || m == nil || m.Type != "webpage" || m.Pending || m.Title != ready.Title ||
			m.SiteName != "Go" || m.DisplayURL != "go.dev" || m.Description != ready.Description || m.WebPageID != "77" {
			t.Errorf("edit %s: text %q media %+v, want the completed preview", id, e.Text, m)
		}
	}
	if seen[user(7)] != 1 || seen[channelRef(ch)] != post.Message.GetID() {
		t.Errorf("edited messages %v, want private message 1 and post %d", seen, post.Message.GetID())
	}
}

// editMessage is the common box's updateEditMessage of m.
func (f *fakeTelegram) editMessage(m *tg.Message) *tg.UpdateEditMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pts++
	u := &tg.UpdateEditMessage{Message: m, Pts: f.pts, PtsCount: 1}
	f.common = append(f.common, u)
	return u
}

// A message edited after its preview completed keeps its link with the
// edited body: a later updateWebPage of the page (it changed) publishes
// the edited text with the new preview, not the text first remembered.
func TestEngineLinkPreviewAfterAnEdit(t *testing.T) {
	ft := newFakeTelegram()
	store := newMemStore()
	h := newHarness(t, ft, store)
	const page = int64(78)
	ready := &tg.WebPage{ID: page, URL: "https://go.dev", Hash: 3, Title: "Go"}
	msg := ft.newMessage(1, 7, "")
	pending(msg.Message, page)
	preview := ft.webPageReady(ready)
	h.push(wrap(msg, preview))
	edited := *msg.Message.(*tg.Message)
	edited.Message, edited.EditDate = "see https://go.dev (edited)", edited.Date+5
	edited.Media = &tg.MessageMediaWebPage{Webpage: ready}
	edit := ft.editMessage(&edited)
	changed := *ready
	changed.Title, changed.Hash = "Go (new)", 4
	again := ft.webPageReady(&changed)
	h.push(wrap(edit))
	h.push(wrap(again))
	h.eventually("second preview committed", func() bool { return store.state().Pts == again.Pts })
	var titles []string
	for _, e := range store.edits(t) {
		if e.Media != nil && e.Media.Title == "Go (new)" {
			titles = append(titles, e.Text)
		}
	}
	if len(titles) != 1 || titles[0] != edited.Message {
		t.Fatalf("edits with the changed preview have texts %q, want the edited text once", titles)
	}
}
