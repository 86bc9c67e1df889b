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
	if a := f.call(t, "chat.rename", fmt.Sprintf(`{"chat":{"kind":"chat","id":%d},"title":"X","username":"x"}`, group.Chat.ID)); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Fatalf("a username for a basic group: %+v", a)
	}
	if a := f.call(t, "chat.rename", `{"chat":{"kind":"user","id":1},"title":"X"}`); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Fatalf("renaming a private chat: %+v", a)
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

// TestChannelAndUserChangeVerbs: chat.rename of a supergroup and
// user.change enter the ledger with the ids of the chat.updated (the
// channel as the connector fetches it: a Snapshot entry) and user.updated
// events the connector publishes.
func TestChannelAndUserChangeVerbs(t *testing.T) {
	f := newFixture(t)
	var alice struct {
		UserID int64 `json:"user_id"`
	}
	f.ok(t, "user.create", `{"first_name":"Alice"}`, &alice)
	var super struct {
		Chat Chat `json:"chat"`
	}
	f.ok(t, "chat.create", fmt.Sprintf(`{"type":"supergroup","title":"G","members":[%d]}`, alice.UserID), &super)
	var before LedgerPage
	f.ok(t, "ledger", `{}`, &before)
	f.ok(t, "chat.rename", fmt.Sprintf(`{"chat":{"kind":"channel","id":%d},"title":"Gophers","username":"gophers"}`, super.Chat.ID), nil)
	f.ok(t, "user.change", fmt.Sprintf(`{"user":%d,"change":"emoji_status","emoji_status_id":"5368324170671202286"}`, alice.UserID), nil)
	if a := f.call(t, "user.change", fmt.Sprintf(`{"user":%d,"change":"photo"}`, alice.UserID)); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Fatalf("an unknown user change: %+v", a)
	}
	var page LedgerPage
	f.ok(t, "ledger", fmt.Sprintf(`{"from":%d}`, before.Total), &page)
	if len(page.Entries) != 2 {
		t.Fatalf("ledger %+v, want 2 entries", page.Entries)
	}
	chat := schema.NewChat(super.Chat)
	chat.Title, chat.Username = "Gophers", "gophers"
	want := []string{
		schema.EventID(f.acc, super.Chat, 0, schema.KindChat, schema.ActionChatUpdated, schema.ChatVersion(&schema.ChatUpdate{Chat: chat, Known: true})),
		schema.EventID(f.acc, schema.PeerRef{Kind: schema.PeerUser, ID: alice.UserID}, 0, schema.KindUser, schema.ActionUserUpdated,
			schema.UserVersion(&schema.UserUpdate{Change: schema.UserChangeEmojiStatus, EmojiStatusID: 5368324170671202286})),
	}
	for i, e := range page.Entries {
		if e.EventID != want[i] {
			t.Errorf("entry %d: id %s, want %s", i, e.EventID, want[i])
		}
	}
	var group struct {
		Chat Chat `json:"chat"`
	}
	f.ok(t, "chat.create", fmt.Sprintf(`{"type":"group","title":"F","members":[%d]}`, alice.UserID), &group)
	f.ok(t, "chat.members", fmt.Sprintf(`{"chat":{"kind":"chat","id":%d}}`, group.Chat.ID), nil)
	if a := f.call(t, "chat.members", fmt.Sprintf(`{"chat":{"kind":"channel","id":%d}}`, super.Chat.ID)); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Fatalf("a member list of a supergroup: %+v", a)
	}
	var members LedgerPage
	f.ok(t, "ledger", fmt.Sprintf(`{"from":%d}`, page.Total), &members)
	if n := len(members.Entries); n != 1 || members.Entries[0].Kind != schema.KindChat || members.Entries[0].Action != schema.ActionChatMembers || !members.Entries[0].Live {
		t.Fatalf("ledger after chat.members: %+v", members.Entries)
	}
	if !page.Entries[0].Snapshot {
		t.Errorf("channel rename entry %+v is not a Snapshot", page.Entries[0])
	}
}
