package simctl

import (
	"fmt"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

// TestRenameVerbs: user.rename and chat.rename enter the ledger with the
// ids of the user.updated and chat.updated events the connector publishes.
func TestRenameVerbs(t *testing.T) {
	f := newFixture(t)
	var alice struct {
		UserID int64 `json:"user_id"`
	}
	f.ok(t, "user.create", `{"first_name":"Alice"}`, &alice)
	var group struct {
		Chat Chat `json:"chat"`
	}
	f.ok(t, "chat.create", fmt.Sprintf(`{"type":"group","title":"G","members":[%d]}`, alice.UserID), &group)
	f.ok(t, "user.rename", fmt.Sprintf(`{"user":%d,"first_name":"Alicia","last_name":"S","username":"alicia"}`, alice.UserID), nil)
	f.ok(t, "chat.rename", fmt.Sprintf(`{"chat":{"kind":"chat","id":%d},"title":"Family"}`, group.Chat.ID), nil)
	if a := f.call(t, "chat.rename", `{"chat":{"kind":"channel","id":1},"title":"X"}`); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Fatalf("renaming a channel: %+v", a)
	}
	var page LedgerPage
	f.ok(t, "ledger", `{}`, &page)
	if len(page.Entries) != 2 {
		t.Fatalf("ledger %+v, want 2 entries", page.Entries)
	}
	user := schema.PeerRef{Kind: schema.PeerUser, ID: alice.UserID}
	uv := schema.UserVersion(&schema.UserUpdate{Change: schema.UserChangeName, User: schema.Sender{FirstName: "Alicia", LastName: "S"}, Usernames: []string{"alicia"}})
	chat := schema.NewChat(group.Chat)
	chat.Title = "Family"
	cv := schema.ChatVersion(&schema.ChatUpdate{Chat: chat, Known: true})
	want := []string{
		schema.EventID(f.acc, user, 0, schema.KindUser, schema.ActionUserUpdated, uv),
		schema.EventID(f.acc, group.Chat, 0, schema.KindChat, schema.ActionChatUpdated, cv),
	}
	for i, e := range page.Entries {
		if e.EventID != want[i] {
			t.Errorf("entry %d: id %s, want %s", i, e.EventID, want[i])
		}
	}
}
