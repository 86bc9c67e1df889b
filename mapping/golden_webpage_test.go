package mapping_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

const pageID = 7340000000000000001

// pendingLink is Alice's message 15 with a link whose preview Telegram is
// still building, and the supergroup's message 26 with the same link.
func pendingLink(peer tg.PeerClass, id int) *tg.Message {
	return &tg.Message{
		ID: id, PeerID: peer, FromID: &tg.PeerUser{UserID: alice}, Date: date + 1300,
		Message:  "see https://go.dev/blog",
		Entities: []tg.MessageEntityClass{&tg.MessageEntityURL{Offset: 4, Length: 19}},
		Media:    &tg.MessageMediaWebPage{Webpage: &tg.WebPagePending{ID: pageID, URL: "https://go.dev/blog", Date: date + 1300}},
	}
}

// readyPage is the completed preview of pendingLink's page.
func readyPage() *tg.WebPage {
	return &tg.WebPage{
		ID: pageID, URL: "https://go.dev/blog", DisplayURL: "go.dev/blog", Hash: 41,
		SiteName: "The Go Programming Language", Title: "The Go Blog", Description: "News from the Go team",
		Photo: &tg.Photo{ID: 991, AccessHash: 992, FileReference: []byte{9}, DCID: 4,
			Sizes: []tg.PhotoSizeClass{&tg.PhotoSize{Type: "x", W: 800, H: 418, Size: 40000}}},
	}
}

// webPages is the in-memory twin of the state store's web page links:
// the messages as mapped when their preview was pending.
type webPages map[int64][]schema.Message

func (webPages) MessagePeer(int) (schema.PeerRef, bool) { return schema.PeerRef{}, false }

func (w webPages) WebPageMessages(id int64) []schema.Message { return w[id] }

var _ mapping.WebPageResolver = webPages(nil)

// remembered maps the pending messages as the connector did.
func remembered(t *testing.T) webPages {
	t.Helper()
	var out []schema.Message
	for _, m := range []*tg.Message{pendingLink(&tg.PeerUser{UserID: alice}, 15), pendingLink(&tg.PeerChannel{ChannelID: gophers}, 26)} {
		ev, ok, err := mapping.Message(account, m, entities())
		if err != nil || !ok {
			t.Fatalf("map pending message %d: %v", m.ID, err)
		}
		out = append(out, *ev.Data.(*schema.Message))
	}
	return webPages{pageID: out}
}

// TestGoldenWebPage: a message with a pending link preview, and the
// preview's arrival as message.edited of the messages remembered showing
// it, one box at a time.
func TestGoldenWebPage(t *testing.T) {
	ent := entities()
	r := remembered(t)
	for _, tc := range []goldenCase{
		{name: "webpage_pending", ent: ent, want: 1, update: &tg.UpdateNewMessage{Message: pendingLink(&tg.PeerUser{UserID: alice}, 15), Pts: 61, PtsCount: 1}},
		{name: "webpage_ready_private", ent: ent, r: r, want: 1, at: date + 1305, update: &tg.UpdateWebPage{Webpage: readyPage(), Pts: 62, PtsCount: 1}},
		{name: "webpage_ready_channel", ent: ent, r: r, want: 1, at: date + 1306, update: &tg.UpdateChannelWebPage{ChannelID: gophers, Webpage: readyPage(), Pts: 320, PtsCount: 1}},
		// No preview after all: the edit says so (the URL alone).
		{name: "webpage_failed", ent: ent, r: r, want: 1, at: date + 1307, update: &tg.UpdateWebPage{Webpage: &tg.WebPageEmpty{ID: pageID, URL: "https://go.dev/blog"}, Pts: 63, PtsCount: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := mapping.Update(account, tc.update, tc.ent, tc.at, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != tc.want {
				t.Fatalf("got %d events, want %d", len(evs), tc.want)
			}
			for i := range evs {
				assertValidCloudEvent(t, &evs[i])
			}
			compareGolden(t, tc.name, encodeGolden(t, evs))
		})
	}
}

// TestWebPageEditIDs: the preview's edit has the id of every replay of the
// update, a different page state another id; a page still pending, of
// another channel or remembered by no message gives no event.
func TestWebPageEditIDs(t *testing.T) {
	r := remembered(t)
	ids := func(u tg.UpdateClass) []string {
		t.Helper()
		evs, err := mapping.Update(account, u, tg.Entities{}, date+2000, r)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range evs {
			if ev.Kind != schema.KindMessage || ev.Action != schema.ActionEdited {
				t.Errorf("event %s is not a message edit", ev.ID)
			}
			out = append(out, ev.ID)
		}
		return out
	}
	first := ids(&tg.UpdateWebPage{Webpage: readyPage(), Pts: 62, PtsCount: 1})
	again := ids(&tg.UpdateWebPage{Webpage: readyPage(), Pts: 90, PtsCount: 1})
	if len(first) != 1 || len(again) != 1 || first[0] != again[0] {
		t.Fatalf("replayed preview ids %v then %v, want one and the same", first, again)
	}
	changed := readyPage()
	changed.Title, changed.Hash = "The Go Blog (new)", 42
	if got := ids(&tg.UpdateWebPage{Webpage: changed, Pts: 91, PtsCount: 1}); len(got) != 1 || got[0] == first[0] {
		t.Errorf("a changed preview's ids %v, want one other than %v", got, first)
	}
	refreshed := readyPage()
	refreshed.Photo.(*tg.Photo).FileReference = []byte{10}
	if got := ids(&tg.UpdateWebPage{Webpage: refreshed, Pts: 92, PtsCount: 1}); len(got) != 1 || got[0] != first[0] {
		t.Errorf("a preview whose photo's file reference was renewed: ids %v, want %v", got, first)
	}
	// After an edit of the message (remembered with its edit date), the
	// preview's version is above the edit's, whatever the digests.
	edited := pendingLink(&tg.PeerUser{UserID: alice}, 15)
	edited.Message, edited.EditDate = "see https://go.dev/blog (edited)", date+1302
	editEv, _, err := mapping.Message(account, edited, entities())
	if err != nil {
		t.Fatal(err)
	}
	editVersion := schema.EditVersion(date+1302, edited.Message, editEv.Data.(*schema.Message).Entities, "")
	for i := range 50 {
		w := readyPage()
		w.Title = fmt.Sprint("title ", i)
		evs, err := mapping.Update(account, &tg.UpdateWebPage{Webpage: w}, tg.Entities{}, date+2000, webPages{pageID: {*editEv.Data.(*schema.Message)}})
		if err != nil || len(evs) != 1 {
			t.Fatalf("preview after an edit: %v %v", evs, err)
		}
		if v := mapping.PreviewVersion(evs[0].Data.(*schema.Message)); v <= editVersion || !strings.HasSuffix(evs[0].ID, fmt.Sprint(":", v)) {
			t.Fatalf("preview %s (version %d) not after the edit's version %d", evs[0].ID, v, editVersion)
		}
	}
	for name, u := range map[string]tg.UpdateClass{
		"pending":       &tg.UpdateWebPage{Webpage: &tg.WebPagePending{ID: pageID}},
		"other channel": &tg.UpdateChannelWebPage{ChannelID: news, Webpage: readyPage()},
		"unknown page":  &tg.UpdateWebPage{Webpage: &tg.WebPage{ID: 5, URL: "https://example.org"}},
	} {
		if got := ids(u); len(got) != 0 {
			t.Errorf("%s: events %v, want none", name, got)
		}
	}
}
