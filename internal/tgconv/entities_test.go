package tgconv

import (
	"reflect"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// TestEntitiesRoundTrip: every entity type schema knows converts to a
// Telegram entity and back unchanged, as delivered and as requested.
func TestEntitiesRoundTrip(t *testing.T) {
	all := []schema.Entity{
		{Type: schema.EntityMention}, {Type: schema.EntityHashtag}, {Type: schema.EntityBotCommand},
		{Type: schema.EntityURL}, {Type: schema.EntityEmail}, {Type: schema.EntityBold},
		{Type: schema.EntityItalic}, {Type: schema.EntityCode}, {Type: schema.EntityPre, Language: "go"},
		{Type: schema.EntityTextURL, URL: "https://example.org"}, {Type: schema.EntityMentionName, UserID: 7},
		{Type: schema.EntityPhoneNumber}, {Type: schema.EntityCashtag}, {Type: schema.EntityUnderline},
		{Type: schema.EntityStrikethrough}, {Type: schema.EntityBankCard}, {Type: schema.EntitySpoiler},
		{Type: schema.EntityCustomEmoji, EmojiID: 42}, {Type: schema.EntityBlockquote},
	}
	for i := range all {
		all[i].Offset, all[i].Length = i, 1
		if !schema.KnownEntityType(all[i].Type) {
			t.Errorf("schema does not know %q", all[i].Type)
		}
	}
	for _, input := range []bool{false, true} {
		var tl []tg.MessageEntityClass
		for _, e := range all {
			conv, ok := EntityTL(e)
			if input {
				conv, ok = InputEntityTL(e, func(int64) int64 { return 99 })
			}
			if !ok {
				t.Fatalf("%q: not converted", e.Type)
			}
			tl = append(tl, conv)
		}
		if got := Entities(tl); !reflect.DeepEqual(got, all) {
			t.Errorf("input %v: round trip\n%+v\nwant\n%+v", input, got, all)
		}
	}
	if _, ok := EntityTL(schema.Entity{Type: schema.Unsupported}); ok {
		t.Error("unsupported converted to a Telegram entity")
	}
	got := Entities([]tg.MessageEntityClass{nil, (*tg.MessageEntityBold)(nil), &tg.MessageEntityUnknown{Offset: 1, Length: 2}})
	want := []schema.Entity{{Type: schema.Unsupported, Offset: 1, Length: 2, Constructor: "messageEntityUnknown"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nil and unknown: %+v, want %+v", got, want)
	}
}
