package tgconv

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gotd/td/tg"
)

func TestInlineMessageIDRoundTrip(t *testing.T) {
	for _, id := range []tg.InputBotInlineMessageIDClass{
		&tg.InputBotInlineMessageID{DCID: 2, ID: -5, AccessHash: 7},
		&tg.InputBotInlineMessageID64{DCID: 4, OwnerID: 100, ID: 42, AccessHash: -9},
	} {
		s := InlineMessageID(id)
		if s == "" || s != InlineMessageID(id) {
			t.Fatalf("InlineMessageID(%v) = %q, not stable", id, s)
		}
		got, err := ParseInlineMessageID(s)
		if err != nil || !reflect.DeepEqual(got, id) {
			t.Fatalf("ParseInlineMessageID(%q) = %v, %v; want %v", s, got, err, id)
		}
	}
	if InlineMessageID(nil) != "" {
		t.Error("nil id encodes")
	}
	for _, bad := range []string{"", "!!", "AAAA"} {
		if _, err := ParseInlineMessageID(bad); !errors.Is(err, ErrInvalidInlineMessageID) {
			t.Errorf("ParseInlineMessageID(%q) = %v", bad, err)
		}
	}
}
