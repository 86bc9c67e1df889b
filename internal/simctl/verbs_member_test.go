package simctl

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

// TestMemberVerbs: the member and bot verbs change the world, answer the
// qts of the update, and the ledger lists each change with the event id
// and subject the connector publishes.
func TestMemberVerbs(t *testing.T) {
	f := newFixture(t)
	var alice, bob struct {
		UserID int64 `json:"user_id"`
	}
	f.ok(t, "user.create", `{"first_name":"Alice"}`, &alice)
	f.ok(t, "user.create", `{"first_name":"Bob"}`, &bob)
	var group struct {
		Chat Chat `json:"chat"`
	}
	f.ok(t, "chat.create", fmt.Sprintf(`{"type":"supergroup","title":"G","members":[%d]}`, alice.UserID), &group)
	chat, _ := json.Marshal(group.Chat)
	var qts []int
	for _, step := range []struct{ verb, body string }{
		{"member.join", fmt.Sprintf(`{"chat":%s,"user":%d}`, chat, bob.UserID)},
		{"member.promote", fmt.Sprintf(`{"chat":%s,"user":%d,"rank":"mod"}`, chat, bob.UserID)},
		{"member.demote", fmt.Sprintf(`{"chat":%s,"user":%d}`, chat, bob.UserID)},
		{"member.kick", fmt.Sprintf(`{"chat":%s,"user":%d}`, chat, bob.UserID)},
		{"member.request", fmt.Sprintf(`{"chat":%s,"user":%d,"about":"me again"}`, chat, bob.UserID)},
		{"member.leave", fmt.Sprintf(`{"chat":%s,"user":%d}`, chat, alice.UserID)},
		{"bot.stop", fmt.Sprintf(`{"user":%d}`, alice.UserID)},
		{"bot.restart", fmt.Sprintf(`{"user":%d}`, alice.UserID)},
	} {
		var r MemberResult
		f.ok(t, step.verb, step.body, &r)
		qts = append(qts, r.Qts)
	}
	if !slices.Equal(qts, []int{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Fatalf("qts %v, want 1 to 8", qts)
	}
	if a := f.call(t, "member.leave", fmt.Sprintf(`{"chat":%s,"user":%d}`, chat, alice.UserID)); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Fatalf("leaving twice: %+v", a)
	}
	if a := f.call(t, "member.join", `{"chat":{"kind":"user","id":5},"user":1}`); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Fatalf("joining a private chat: %+v", a)
	}
	var page LedgerPage
	f.ok(t, "ledger", `{}`, &page)
	var got []string
	for _, e := range page.Entries {
		got = append(got, e.EventID+" "+e.Subject)
	}
	g := fmt.Sprintf("%s:channel:%d:0:", f.acc, group.Chat.ID)
	subj := fmt.Sprintf("tg.%s.events.%%s.channel.%d", f.acc, group.Chat.ID)
	priv := fmt.Sprintf("%s:user:%d:0:", f.acc, alice.UserID)
	privSubj := fmt.Sprintf("tg.%s.events.%%s.user.%d", f.acc, alice.UserID)
	want := []string{
		g + "member.joined:1 " + fmt.Sprintf(subj, "member.joined"),
		g + "member.updated:2 " + fmt.Sprintf(subj, "member.updated"),
		g + "member.updated:3 " + fmt.Sprintf(subj, "member.updated"),
		g + "member.left:4 " + fmt.Sprintf(subj, "member.left"),
		g + "member.join_requested:5 " + fmt.Sprintf(subj, "member.join_requested"),
		g + "member.join_pending:" + fmt.Sprint(schema.JoinPendingVersion(1, []int64{bob.UserID})) + " " + fmt.Sprintf(subj, "member.join_pending"),
		g + "member.left:6 " + fmt.Sprintf(subj, "member.left"),
		priv + "bot.stopped:7 " + fmt.Sprintf(privSubj, "bot.stopped"),
		priv + "bot.restarted:8 " + fmt.Sprintf(privSubj, "bot.restarted"),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ledger\n%v\nwant\n%v", got, want)
	}
}

// TestLiveVerbs: typing and status are answered and recorded nowhere.
func TestLiveVerbs(t *testing.T) {
	f := newFixture(t)
	var alice struct {
		UserID int64 `json:"user_id"`
	}
	f.ok(t, "user.create", `{"first_name":"Alice"}`, &alice)
	f.ok(t, "typing", fmt.Sprintf(`{"chat":{"kind":"user","id":%d},"action":"record_voice"}`, alice.UserID), nil)
	f.ok(t, "status", fmt.Sprintf(`{"user":%d,"online":true}`, alice.UserID), nil)
	if a := f.call(t, "typing", fmt.Sprintf(`{"chat":{"kind":"user","id":%d},"action":"dance"}`, alice.UserID)); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Fatalf("an unknown action: %+v", a)
	}
	var page LedgerPage
	f.ok(t, "ledger", `{}`, &page)
	if page.Total != 0 {
		t.Fatalf("live signals in the ledger: %+v", page.Entries)
	}
}
