package mapping_test

import (
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// Two edits of one message within the same second are two changes: they
// get different ids. A replay of one edit keeps its id. Edits without a
// new edit_date (reactions or views changed) never take a real edit's id.
func TestEditIDsWithinOneSecond(t *testing.T) {
	editID := func(t *testing.T, m *tg.Message) string {
		t.Helper()
		evs, err := mapping.Update(account, &tg.UpdateEditChannelMessage{Message: m, Pts: 5, PtsCount: 1}, entities(), date, nil)
		if err != nil || len(evs) != 1 {
			t.Fatalf("Update = %v, %v", evs, err)
		}
		return evs[0].ID
	}
	msg := func(editDate int, text string) *tg.Message {
		return &tg.Message{ID: 7, PeerID: &tg.PeerChannel{ChannelID: news}, Post: true, Date: date, EditDate: editDate, Message: text}
	}
	bold := func(m *tg.Message) *tg.Message {
		m.Entities = []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 2}}
		return m
	}
	withPhoto := func(m *tg.Message, id int64, ref []byte) *tg.Message {
		m.Media = &tg.MessageMediaPhoto{Photo: &tg.Photo{ID: id, AccessHash: 1, FileReference: ref, DCID: 2,
			Sizes: []tg.PhotoSizeClass{&tg.PhotoSize{Type: "x", W: 10, H: 10, Size: 100}}}}
		return m
	}

	first := editID(t, msg(date+10, "one"))
	tests := []struct {
		name string
		m    *tg.Message
		same bool
	}{
		{"replay of the same edit", msg(date+10, "one"), true},
		{"second edit in the same second", msg(date+10, "two"), false},
		{"same text, new entities", bold(msg(date+10, "one")), false},
		{"same text, new media", withPhoto(msg(date+10, "one"), 42, []byte{1}), false},
		{"later edit", msg(date+11, "one"), false},
		{"reaction-only edit of a never edited message", msg(0, "one"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := editID(t, tt.m)
			if (got == first) != tt.same {
				t.Fatalf("id %s, first edit %s: same = %v, want %v", got, first, got == first, tt.same)
			}
		})
	}

	// A renewed file reference is not a new edit: the media is the same.
	a := editID(t, withPhoto(msg(date+10, "one"), 42, []byte{1}))
	b := editID(t, withPhoto(msg(date+10, "one"), 42, []byte{2}))
	if a != b {
		t.Fatalf("a renewed file reference changed the edit id: %s vs %s", a, b)
	}
	// A reaction-only edit replayed keeps its id.
	if x, y := editID(t, msg(0, "one")), editID(t, msg(0, "one")); x != y {
		t.Fatalf("a replayed edit without edit_date changed id: %s vs %s", x, y)
	}
}

// The version rule is schema.EditVersion, which the simulator's ledger
// uses too: mapping must agree with it.
func TestEditVersionMatchesSchemaRule(t *testing.T) {
	m := &tg.Message{ID: 7, PeerID: &tg.PeerChannel{ChannelID: news}, Post: true, Date: date, EditDate: date + 10, Message: "one",
		Entities: []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 2}}}
	evs, err := mapping.Update(account, &tg.UpdateEditChannelMessage{Message: m}, entities(), date, nil)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Update = %v, %v", evs, err)
	}
	v := schema.EditVersion(date+10, "one", []schema.Entity{{Type: "bold", Offset: 0, Length: 2}}, "")
	want := schema.EventID(account, schema.PeerRef{Kind: schema.PeerChannel, ID: news}, 7, schema.KindMessage, schema.ActionEdited, v)
	if evs[0].ID != want {
		t.Fatalf("id %s, want %s", evs[0].ID, want)
	}
}
