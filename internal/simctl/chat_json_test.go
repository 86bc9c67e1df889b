package simctl

import (
	"fmt"
	"strings"
	"testing"
)

// TestChatSpellings: a chat is accepted as {"kind","id"} and as the
// commands' {"peer_kind","peer_id"}; anything else in it is still refused.
func TestChatSpellings(t *testing.T) {
	f := newFixture(t)
	var user struct {
		UserID int64 `json:"user_id"`
	}
	f.ok(t, "user.create", `{"first_name":"Spell"}`, &user)
	var created struct {
		Chat Chat `json:"chat"`
	}
	f.ok(t, "chat.create", fmt.Sprintf(`{"type":"supergroup","title":"spellings","members":[%d]}`, user.UserID), &created)
	ch := created.Chat
	for _, chat := range []string{
		fmt.Sprintf(`{"kind":%q,"id":%d}`, ch.Kind, ch.ID),
		fmt.Sprintf(`{"peer_kind":%q,"peer_id":%d}`, ch.Kind, ch.ID),
	} {
		var msg MessageResult
		f.ok(t, "message.inject", fmt.Sprintf(`{"chat":%s,"from":%d,"text":"spelled"}`, chat, user.UserID), &msg)
		if msg.Chat != ch || msg.MessageID <= 0 {
			t.Fatalf("chat %s: result %+v, want a message in %v", chat, msg, ch)
		}
	}
	for _, chat := range []string{
		fmt.Sprintf(`{"peer_kind":%q,"peer_id":%d,"title":"x"}`, ch.Kind, ch.ID),
		fmt.Sprintf(`{"kind":%q,"peer_kind":%q,"id":%d}`, ch.Kind, ch.Kind, ch.ID),
	} {
		a := f.call(t, "message.inject", fmt.Sprintf(`{"chat":%s,"from":%d,"text":"x"}`, chat, user.UserID))
		if a.OK || a.Error.Code != CodeInvalidArgument || !strings.Contains(a.Error.Message, "unknown field") {
			t.Errorf("chat %s: %+v, want INVALID_ARGUMENT naming the unknown field", chat, a)
		}
	}
}
