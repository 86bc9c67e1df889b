package simctl

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

// reaction.set and message.pin change the world as a member would; the
// ledger lists what the connector publishes for them, with the ids it
// derives: a bot's reaction.changed versioned by qts, then the pin.
func TestReactionAndPinVerbs(t *testing.T) {
	f := newFixture(t)
	user, created, sg := f.chatWithUser(t, "supergroup", "Gophers")
	var msg MessageResult
	f.ok(t, "message.inject", `{"chat":`+string(sg)+`,"from":`+itoa(user)+`,"text":"hello"}`, &msg)
	id := itoa(int64(msg.MessageID))
	f.ok(t, "reaction.set", `{"chat":`+string(sg)+`,"message_id":`+id+`,"from":`+itoa(user)+`,"emoji":"👍"}`, nil)
	f.ok(t, "message.pin", `{"chat":`+string(sg)+`,"message_id":`+id+`}`, nil)

	var led LedgerPage
	f.ok(t, "ledger", `{}`, &led)
	var got []string
	for _, e := range led.Entries {
		if e.Peer != created {
			continue
		}
		got = append(got, e.EventKind()+"."+e.Action)
		if want := schema.EventID(f.acc, e.Peer, e.MessageID, e.EventKind(), e.Action, e.Version); e.EventID != want {
			t.Errorf("event id %q, want %q", e.EventID, want)
		}
		if !strings.HasPrefix(e.Subject, "tg."+f.acc+".events."+e.EventKind()+"."+e.Action+".channel.") {
			t.Errorf("subject %q", e.Subject)
		}
		if e.Kind == schema.KindReaction && (e.Version != 1 || e.From != user) {
			t.Errorf("reaction entry %+v: want version = qts 1, from the user", e.LedgerEntry)
		}
	}
	if strings.Join(got, "|") != "message.created|reaction.changed|message.pinned" {
		t.Fatalf("ledger of the supergroup: %q", got)
	}

	for _, tc := range []struct{ verb, body, field string }{
		{"reaction.set", `{"chat":` + string(sg) + `,"message_id":` + id + `}`, "from"},
		{"reaction.set", `{"chat":` + string(sg) + `,"from":1}`, "message_id"},
		{"message.pin", `{"chat":{"kind":"chat","id":0},"message_id":1}`, "chat.id"},
	} {
		a := f.call(t, tc.verb, tc.body)
		if a.OK || a.Error.Code != CodeInvalidArgument || !strings.Contains(a.Error.Message, tc.field) {
			t.Errorf("%s %s: %+v, want INVALID_ARGUMENT naming %s", tc.verb, tc.body, a.Error, tc.field)
		}
	}
	if a := f.call(t, "reaction.set", `{"chat":`+string(sg)+`,"message_id":999,"from":`+itoa(user)+`,"emoji":"👍"}`); a.OK || a.Error.Code != CodeNotFound {
		t.Errorf("reaction on a missing message: %+v, want NOT_FOUND", a.Error)
	}
}

// read marks a basic group read: the ledger lists read.inbox and
// read.outbox of the account's box, versioned by their pts.
func TestReadVerb(t *testing.T) {
	f := newFixture(t)
	user, created, g := f.chatWithUser(t, "group", "Family")
	var msg MessageResult
	f.ok(t, "message.inject", `{"chat":`+string(g)+`,"from":`+itoa(user)+`,"text":"hello"}`, &msg)
	id := itoa(int64(msg.MessageID))
	f.ok(t, "read", `{"chat":`+string(g)+`,"max_id":`+id+`}`, nil)
	f.ok(t, "read", `{"chat":`+string(g)+`,"max_id":`+id+`,"outbox":true}`, nil)
	var led LedgerPage
	f.ok(t, "ledger", `{}`, &led)
	var got []string
	for _, e := range led.Entries {
		if e.Peer == created && e.Kind == schema.KindRead {
			got = append(got, e.Action)
			if e.MessageID != msg.MessageID || e.Version <= 0 || !strings.HasSuffix(e.EventID, ":read."+e.Action+":"+itoa(e.Version)) {
				t.Errorf("entry %+v", e)
			}
		}
	}
	if strings.Join(got, "|") != "inbox|outbox" {
		t.Fatalf("read entries %q", got)
	}
	if a := f.call(t, "read", `{"chat":`+string(g)+`,"max_id":0}`); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Errorf("read without max_id: %+v", a.Error)
	}
	if a := f.call(t, "read", `{"chat":{"kind":"channel","id":1},"max_id":1}`); a.OK {
		t.Error("a channel read was accepted; the simulator does not simulate them")
	}
}

// poll.send posts the bot's poll; poll.vote tells the bot: poll.voted
// (its qts) on the voter's private chat, and poll.updated, pushed only.
func TestPollVerbs(t *testing.T) {
	f := newFixture(t)
	user, _, sg := f.chatWithUser(t, "supergroup", "Votes")
	var msg MessageResult
	f.ok(t, "poll.send", `{"chat":`+string(sg)+`}`, &msg)
	f.ok(t, "poll.vote", `{"chat":`+string(sg)+`,"message_id":`+itoa(int64(msg.MessageID))+`,"from":`+itoa(user)+`,"options":[1]}`, nil)
	var led LedgerPage
	f.ok(t, "ledger", `{}`, &led)
	var got []string
	for _, e := range led.Entries {
		if e.Kind == schema.KindPoll {
			got = append(got, e.Action)
			switch e.Action {
			case schema.ActionVoted:
				if e.Peer != (schema.PeerRef{Kind: schema.PeerUser, ID: user}) || e.Version != 1 || e.Live {
					t.Errorf("vote entry %+v", e.LedgerEntry)
				}
			case schema.ActionUpdated:
				if e.Peer.Kind != schema.PeerUnknown || !e.Live || e.Version == 0 {
					t.Errorf("results entry %+v", e.LedgerEntry)
				}
			}
		}
	}
	if strings.Join(got, "|") != "voted|updated" {
		t.Fatalf("poll entries %q", got)
	}
	if a := f.call(t, "poll.vote", `{"chat":`+string(sg)+`,"message_id":`+itoa(int64(msg.MessageID))+`,"from":`+itoa(user)+`,"options":[7]}`); a.OK || a.Error.Code != CodeInvalidArgument {
		t.Errorf("vote for a missing answer: %+v", a.Error)
	}
}

// chatWithUser creates user Alice and a chat of typ with her; it returns
// her id, the chat and the chat as JSON.
func (f *fixture) chatWithUser(t *testing.T, typ, title string) (int64, Chat, string) {
	t.Helper()
	var user struct {
		UserID int64 `json:"user_id"`
	}
	f.ok(t, "user.create", `{"first_name":"Alice"}`, &user)
	var created struct {
		Chat Chat `json:"chat"`
	}
	f.ok(t, "chat.create", `{"type":"`+typ+`","title":"`+title+`","members":[`+itoa(user.UserID)+`]}`, &created)
	b, _ := json.Marshal(created.Chat)
	return user.UserID, created.Chat, string(b)
}
