package sim

import (
	"reflect"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// TestSendMessageKeepsEveryEntityType: a message sent with an entity of
// every type schema knows, built as egress builds them, is stored with
// those types and delivered back with Telegram's constructors, none of
// them unsupported or messageEntityUnknown (the simulator used to know
// only nine types: an underline came back unsupported).
func TestSendMessageKeepsEveryEntityType(t *testing.T) {
	u := newTestUser(t)
	text := "abcdefghijklmnopqrstuvwxyz0123456789"
	want := []schema.Entity{
		{Type: schema.EntityMention, Offset: 0, Length: 1},
		{Type: schema.EntityHashtag, Offset: 1, Length: 1},
		{Type: schema.EntityBotCommand, Offset: 2, Length: 1},
		{Type: schema.EntityURL, Offset: 3, Length: 1},
		{Type: schema.EntityEmail, Offset: 4, Length: 1},
		{Type: schema.EntityBold, Offset: 5, Length: 1},
		{Type: schema.EntityItalic, Offset: 6, Length: 1},
		{Type: schema.EntityCode, Offset: 7, Length: 1},
		{Type: schema.EntityPre, Offset: 8, Length: 1, Language: "go"},
		{Type: schema.EntityTextURL, Offset: 9, Length: 1, URL: "https://example.org"},
		{Type: schema.EntityMentionName, Offset: 10, Length: 1, UserID: u},
		{Type: schema.EntityPhoneNumber, Offset: 11, Length: 1},
		{Type: schema.EntityCashtag, Offset: 12, Length: 1},
		{Type: schema.EntityUnderline, Offset: 13, Length: 1},
		{Type: schema.EntityStrikethrough, Offset: 14, Length: 1},
		{Type: schema.EntityBankCard, Offset: 15, Length: 1},
		{Type: schema.EntitySpoiler, Offset: 16, Length: 1},
		{Type: schema.EntityCustomEmoji, Offset: 17, Length: 1, EmojiID: 42},
		{Type: schema.EntityBlockquote, Offset: 18, Length: 1},
	}
	sent := make([]tg.MessageEntityClass, len(want))
	for i, e := range want {
		sent[i], _ = tgconv.InputEntityTL(e, func(id int64) int64 { return accessHash("user", id) })
	}
	rid := nextRandom()
	res, err := mainAPI.MessagesSendMessage(testCtx(t), &tg.MessagesSendMessageRequest{
		Peer: inputUser(u), Message: text, RandomID: rid, Entities: sent,
	})
	if err != nil {
		t.Fatal(err)
	}
	up, ok := res.(*tg.Updates)
	if !ok {
		t.Fatalf("result %T, want *tg.Updates", res)
	}
	id := sentID(t, up, rid)

	v, ok := shared.Message(schema.PeerRef{Kind: schema.PeerUser, ID: u}, "main", id)
	if !ok {
		t.Fatal("sent message not found")
	}
	if !reflect.DeepEqual(v.Entities, want) {
		t.Errorf("stored entities\n%+v\nwant\n%+v", v.Entities, want)
	}

	var got []tg.MessageEntityClass
	for _, x := range up.Updates {
		if nm, ok := x.(*tg.UpdateNewMessage); ok {
			got = nm.Message.(*tg.Message).Entities
		}
	}
	if len(got) != len(sent) {
		t.Fatalf("delivered %d entities, want %d: %v", len(got), len(sent), got)
	}
	for i, e := range got {
		if w, _ := tgconv.EntityTL(want[i]); !reflect.DeepEqual(e, w) {
			t.Errorf("delivered entity %d: %+v, want %+v", i, e, w)
		}
	}
}
