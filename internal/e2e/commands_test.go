package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/egress"
	"github.com/tgnats/tgnats/internal/natsembed"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// commandEnv is one simulator, NATS server and connector shared by the
// command tests, with chats the connector already knows.
type commandEnv struct {
	w     *world
	nsrv  *natsembed.Server
	cfg   *config.Config
	conn  *running
	cl    *commandClient
	from  int   // ledger length when the connector first started
	alice int64 // a user who writes in every chat
	user  schema.PeerRef
	group schema.PeerRef
	super schema.PeerRef
	// outside is a channel the connector knows but the allow list leaves out.
	outside schema.PeerRef
	// extra are more channels (commandEnvOptions.extraChats), all allowed.
	extra []schema.PeerRef
}

// commandEnvOptions configure newCommandEnv.
type commandEnvOptions struct {
	// limits are the connector's rate limits; zero lifts them.
	limits config.Commands
	// extraChats is how many more channels to create and introduce.
	extraChats int
	// simNow is the simulated world's clock; nil is time.Now.
	simNow func() time.Time
	// allowAll leaves the allow list empty: every chat may be addressed.
	allowAll bool
	// files, when set, replaces the connector's files section.
	files *config.Files
}

// newCommandEnv starts the shared world. The allow list holds every chat
// but env.outside.
func newCommandEnv(t testing.TB, opts commandEnvOptions) *commandEnv {
	t.Helper()
	w := newWorld(t, sim.Config{Now: opts.simNow})
	env := &commandEnv{w: w}
	env.nsrv = startNATS(t, t.TempDir(), "127.0.0.1:-1")
	t.Cleanup(env.nsrv.Shutdown)

	var err error
	env.alice = w.sim.CreateUser("Alice", "", "alice_cmd")
	env.user = schema.PeerRef{Kind: schema.PeerUser, ID: env.alice}
	if env.group, err = w.sim.CreateChat(schema.PeerChat, "group", env.alice); err != nil {
		t.Fatal(err)
	}
	if env.super, err = w.sim.CreateChat(schema.PeerChannel, "super", env.alice); err != nil {
		t.Fatal(err)
	}
	if env.outside, err = w.sim.CreateChat(schema.PeerChannel, "outside", env.alice); err != nil {
		t.Fatal(err)
	}

	allow := []string{env.user.PartitionKey(), env.group.PartitionKey(), env.super.PartitionKey()}
	for i := range opts.extraChats {
		ch, err := w.sim.CreateChat(schema.PeerChannel, fmt.Sprintf("extra %d", i), env.alice)
		if err != nil {
			t.Fatal(err)
		}
		env.extra = append(env.extra, ch)
		allow = append(allow, ch.PartitionKey())
	}

	env.cfg = w.connectorConfig(filepath.Join(t.TempDir(), "data"), env.nsrv.ClientURL(), "127.0.0.1:0")
	env.cfg.Commands = opts.limits
	if env.cfg.Commands.RateGlobal == 0 {
		// Lifted limits: these tests are about behaviour, not pacing.
		env.cfg.Commands = config.Commands{RateGlobal: 1e6, BurstGlobal: 1000, RatePerChat: 1e6, BurstPerChat: 1000}
	}
	if env.cfg.Commands.Deadline == 0 {
		env.cfg.Commands.Deadline = config.Default().Commands.Deadline
	}
	if !opts.allowAll {
		env.cfg.Commands.AllowPeers = allow
	}
	if opts.files != nil {
		env.cfg.Files = *opts.files
	}
	env.from = len(w.sim.Ledger(w.acc.Name))
	env.conn = w.startConnector(t, env.cfg)
	env.cl = newCommandClient(t, env.nsrv.ClientURL(), w.acc.Name)
	// The connector learns each chat and its access hash from a message
	// (from the difference, when the simulator sends it as
	// updateShortMessage, which names the user by id only).
	for _, chat := range append([]schema.PeerRef{env.user, env.group, env.super, env.outside}, env.extra...) {
		env.post(t, sim.Outgoing{Chat: chat, From: env.alice, Text: "hello " + string(chat.Kind)})
	}
	return env
}

// restart stops the connector and starts it again on the same data.
func (env *commandEnv) restart(t testing.TB) {
	t.Helper()
	env.conn.stop(t)
	env.conn = env.w.startConnector(t, env.cfg)
}

// post makes a message appear in the simulator and waits until the
// connector published its message.created event.
func (env *commandEnv) post(t testing.TB, m sim.Outgoing) int {
	t.Helper()
	m.Account = env.w.acc.Name
	id, err := env.w.sim.SendMessage(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	env.cl.events.wait(t, schema.EventID(env.w.acc.Name, m.Chat, id, schema.KindMessage, schema.ActionCreated, 0))
	return id
}

// own posts a message of the bot itself (one it may edit and delete).
func (env *commandEnv) own(t testing.TB, chat schema.PeerRef, text string) int {
	return env.post(t, sim.Outgoing{Chat: chat, From: env.w.acc.UserID, Text: text})
}

// message returns what the simulator holds.
func (env *commandEnv) message(t testing.TB, chat schema.PeerRef, id int) sim.MessageView {
	t.Helper()
	m, ok := env.w.sim.Message(chat, env.w.acc.Name, id)
	if !ok {
		t.Fatalf("simulator has no message %d in %s", id, chat)
	}
	return m
}

// botQuery makes a bot query of the connector's account.
func (env *commandEnv) botQuery(t testing.TB, q sim.BotQuery) sim.BotQueryResult {
	t.Helper()
	q.Account = env.w.acc.Name
	res, err := env.w.sim.BotQuery(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// botEvent waits for the event of a bot query, checks that it is on the
// asking user's private chat subject, and decodes its body into v.
func (env *commandEnv) botEvent(t testing.TB, q sim.BotQueryResult, v any) {
	t.Helper()
	ev := env.cl.events.wait(t, q.EventID)
	parts := strings.Split(q.EventID, ":") // account:user:<id>:0:<kind>.<action>:<version>
	if want := fmt.Sprintf("tg.%s.events.%s.user.%d", env.w.acc.Name, parts[4], env.alice); ev.subject != want {
		t.Errorf("%s on %s, want %s", q.EventID, ev.subject, want)
	}
	if err := json.Unmarshal(ev.data, v); err != nil {
		t.Fatalf("%s body: %v", q.EventID, err)
	}
}

// lastAction returns the last call the simulator served.
func (env *commandEnv) lastAction(t testing.TB) sim.Call {
	t.Helper()
	acts := env.w.sim.ServedCalls(env.w.acc.Name)
	if len(acts) == 0 {
		t.Fatal("simulator served no call")
	}
	return acts[len(acts)-1]
}

// entryPoint runs a command through one of the two entry points.
type entryPoint struct {
	name string
	run  func(c *commandClient, t testing.TB, action, body string, s sent) schema.CommandResult
}

var entryPoints = []entryPoint{
	{"rpc", (*commandClient).rpc},
	{"stream", (*commandClient).stream},
}

// call is one command of a test case, through the case's entry point.
type call struct {
	env *commandEnv
	via entryPoint
}

// do runs a command and checks that the message events its Telegram call
// caused (the ledger entries added meanwhile) reach the stream with the
// command's traceparent. It returns the result and how many such events.
func (c call) do(t testing.TB, action, body string) (schema.CommandResult, int) {
	t.Helper()
	env := c.env
	before := len(env.w.sim.Ledger(env.w.acc.Name))
	s := sent{key: env.cl.key(action), traceParent: newTraceParent()}
	res := c.via.run(env.cl, t, action, body, s)
	if res.Command != action || res.CommandID != s.key {
		t.Errorf("result names %s %q, want %s %q", res.Command, res.CommandID, action, s.key)
	}
	want := expected(env.w.acc.Name, env.w.sim.Ledger(env.w.acc.Name), env.from)[before-env.from:]
	for _, w := range want {
		ev := env.cl.events.wait(t, w.id)
		if got := ev.header.Get("traceparent"); got != s.traceParent {
			t.Errorf("%s: traceparent %q, want the command's %q", w.id, got, s.traceParent)
		}
		if ev.subject != w.subject {
			t.Errorf("%s on %s, want %s", w.id, ev.subject, w.subject)
		}
	}
	return res, len(want)
}

// ok runs a command that must succeed and produce events message events.
func (c call) ok(t testing.TB, action, body string, events int) *schema.CommandOutput {
	t.Helper()
	res, n := c.do(t, action, body)
	if !res.OK || res.Result == nil {
		b, _ := json.Marshal(res)
		t.Fatalf("%s failed: %s", action, b)
	}
	if n != events {
		t.Errorf("%s caused %d message events, want %d", action, n, events)
	}
	return res.Result
}

// TestCommands runs every action through both entry points against one
// simulator and connector, then a table of bad commands, then checks that
// a key used before a connector restart still returns its stored result.
func TestCommands(t *testing.T) {
	env := newCommandEnv(t, commandEnvOptions{})
	acc := env.w.acc
	ctx := context.Background()

	actions := []struct {
		name string
		run  func(t *testing.T, c call)
	}{
		{"message.send/text", func(t *testing.T, c call) {
			out := c.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "plain text"}`, peerJSON(env.user)), 1)
			m := env.message(t, env.user, out.MessageID)
			if m.Text != "plain text" || !m.Out || out.Date == nil {
				t.Fatalf("simulator holds %+v; result date %v", m, out.Date)
			}
		}},
		{"message.send/markdown", func(t *testing.T, c call) {
			out := c.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "*bold* and _it_", "parse_mode": "markdown"}`, peerJSON(env.super)), 1)
			m := env.message(t, env.super, out.MessageID)
			if m.Text != "bold and it" || len(m.Entities) != 2 || m.Entities[0].Type != "bold" || m.Entities[1].Type != "italic" {
				t.Fatalf("simulator holds %q %+v", m.Text, m.Entities)
			}
		}},
		{"message.send/html", func(t *testing.T, c call) {
			out := c.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "<b>b</b> <a href=\"https://example.org\">link</a>", "parse_mode": "html"}`, peerJSON(env.group)), 1)
			m := env.message(t, env.group, out.MessageID)
			if m.Text != "b link" || len(m.Entities) != 2 || m.Entities[1].Type != "text_url" || m.Entities[1].URL != "https://example.org" {
				t.Fatalf("simulator holds %q %+v", m.Text, m.Entities)
			}
		}},
		{"message.send/reply silent no_webpage", func(t *testing.T, c call) {
			to := env.post(t, sim.Outgoing{Chat: env.group, From: env.alice, Text: "question"})
			out := c.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "answer https://example.org", "reply_to": %d, "silent": true, "no_webpage": true}`, peerJSON(env.group), to), 1)
			if m := env.message(t, env.group, out.MessageID); m.ReplyTo != to {
				t.Fatalf("reply_to %d, want %d", m.ReplyTo, to)
			}
			d := env.lastAction(t).Detail
			for _, w := range []string{fmt.Sprintf("reply_to=%d", to), "silent", "no_webpage"} {
				if !strings.Contains(d, w) {
					t.Errorf("call detail %q lacks %s", d, w)
				}
			}
		}},
		{"message.send/inline keyboard", func(t *testing.T, c call) {
			c.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "choose", "reply_markup": {"inline_keyboard": [[{"text": "yes", "callback_data": "y"}, {"text": "no", "callback_data": "n"}], [{"text": "site", "url": "https://example.org"}]]}}`, peerJSON(env.super)), 1)
			if a := env.lastAction(t); a.Method != "messages.sendMessage" || !strings.Contains(a.Detail, "markup=inline:2") {
				t.Fatalf("last call %s %q, want sendMessage with a 2-row inline keyboard", a.Method, a.Detail)
			}
		}},
		{"message.edit", func(t *testing.T, c call) {
			id := env.own(t, env.super, "draft")
			out := c.ok(t, schema.CommandMessageEdit, fmt.Sprintf(`{"peer": %s, "message_id": %d, "text": "final"}`, peerJSON(env.super), id), 1)
			m := env.message(t, env.super, id)
			if m.Text != "final" || m.EditDate.IsZero() || out.MessageID != id || out.Date == nil {
				t.Fatalf("simulator holds %+v, result %+v", m, out)
			}
		}},
		{"message.delete", func(t *testing.T, c call) {
			id := env.own(t, env.user, "oops")
			out := c.ok(t, schema.CommandMessageDelete, fmt.Sprintf(`{"peer": %s, "message_ids": [%d]}`, peerJSON(env.user), id), 1)
			if m := env.message(t, env.user, id); !m.Deleted || len(out.MessageIDs) != 1 {
				t.Fatalf("simulator holds %+v, result %+v", m, out)
			}
		}},
		{"message.delete/channel", func(t *testing.T, c call) {
			id := env.own(t, env.super, "oops")
			c.ok(t, schema.CommandMessageDelete, fmt.Sprintf(`{"peer": %s, "message_ids": [%d]}`, peerJSON(env.super), id), 1)
			if m := env.message(t, env.super, id); !m.Deleted {
				t.Fatalf("simulator holds %+v", m)
			}
		}},
		{"message.forward", func(t *testing.T, c call) {
			id := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Text: "worth sharing"})
			out := c.ok(t, schema.CommandMessageForward, fmt.Sprintf(`{"from_peer": %s, "to_peer": %s, "message_ids": [%d]}`, peerJSON(env.super), peerJSON(env.group), id), 1)
			if m := env.message(t, env.group, out.MessageID); !m.Forwarded || m.Text != "worth sharing" {
				t.Fatalf("simulator holds %+v", m)
			}
		}},
		{"message.pin and unpin", func(t *testing.T, c call) {
			id := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Text: "rules"})
			c.ok(t, schema.CommandMessagePin, fmt.Sprintf(`{"peer": %s, "message_id": %d, "silent": true}`, peerJSON(env.super), id), 1) // message.pinned
			if m := env.message(t, env.super, id); !m.Pinned {
				t.Fatal("not pinned")
			}
			c.ok(t, schema.CommandMessageUnpin, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(env.super), id), 1) // message.unpinned
			if m := env.message(t, env.super, id); m.Pinned {
				t.Fatal("still pinned")
			}
		}},
		{"reaction.send", func(t *testing.T, c call) {
			id := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Text: "nice"})
			c.ok(t, schema.CommandReactionSend, fmt.Sprintf(`{"peer": %s, "message_id": %d, "reaction": "👍"}`, peerJSON(env.super), id), 1) // reaction.updated
			if m := env.message(t, env.super, id); m.Reactions["👍"] != 1 {
				t.Fatalf("reactions %v", m.Reactions)
			}
		}},
		{"chat.action", func(t *testing.T, c call) {
			c.ok(t, schema.CommandChatAction, fmt.Sprintf(`{"peer": %s, "action": "typing"}`, peerJSON(env.user)), 0)
			if a := env.lastAction(t); a.Method != "messages.setTyping" || a.Peer != env.user || !strings.Contains(a.Detail, "typing") {
				t.Fatalf("last call %+v", a)
			}
		}},
		{"read.mark", func(t *testing.T, c call) {
			id := env.post(t, sim.Outgoing{Chat: env.user, From: env.alice, Text: "read me"})
			c.ok(t, schema.CommandReadMark, fmt.Sprintf(`{"peer": %s, "max_id": %d}`, peerJSON(env.user), id), 1) // read.inbox
			if a := env.lastAction(t); a.Method != "messages.readHistory" || a.Peer != env.user {
				t.Fatalf("last call %+v", a)
			}
			c.ok(t, schema.CommandReadMark, fmt.Sprintf(`{"peer": %s, "max_id": %d}`, peerJSON(env.super), 1), 0)
			if a := env.lastAction(t); a.Method != "channels.readHistory" || a.Peer != env.super {
				t.Fatalf("last call %+v", a)
			}
		}},
		{"callback.answer", func(t *testing.T, c call) {
			// The whole bot flow: send a keyboard, a user presses a button,
			// the press arrives as a callback.query event, the bot answers
			// with the query id the event carries.
			out := c.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "menu", "reply_markup": {"inline_keyboard": [[{"text": "yes", "callback_data": "y"}]]}}`, peerJSON(env.super)), 1)
			q, err := env.w.sim.PressButton(ctx, acc.Name, env.super, out.MessageID, env.alice, []byte("y"))
			if err != nil {
				t.Fatal(err)
			}
			ev := env.cl.events.waitFor(t, "callback.query for message "+strconv.Itoa(out.MessageID), func(e loggedEvent) bool {
				return e.header.Get("ce-type") == schema.TypeName(schema.KindCallback, schema.ActionQuery) &&
					e.header.Get("ce-subject") == fmt.Sprintf("%s/%d/%d", env.super.Kind, env.super.ID, out.MessageID)
			})
			if want := fmt.Sprintf("tg.%s.events.callback.query.%s.%d", acc.Name, env.super.Kind, env.super.ID); ev.subject != want {
				t.Errorf("callback.query on %s, want %s", ev.subject, want)
			}
			var press schema.CallbackQuery
			if err := json.Unmarshal(ev.data, &press); err != nil {
				t.Fatalf("callback.query body: %v", err)
			}
			if press.Chat.Ref() != env.super || press.From.ID != env.alice || press.MessageID != out.MessageID ||
				press.DataText != "y" || string(press.Data) != "y" || press.QueryID != strconv.FormatInt(q, 10) {
				t.Fatalf("callback.query body %+v; pressed query %d by %d under %d", press, q, env.alice, out.MessageID)
			}
			c.ok(t, schema.CommandCallbackAnswer, fmt.Sprintf(`{"query_id": %q, "text": "done"}`, press.QueryID), 0)
			if a := env.lastAction(t); a.Method != "messages.setBotCallbackAnswer" || a.Text != "done" || a.MessageIDs[0] != out.MessageID {
				t.Fatalf("last call %+v", a)
			}
		}},
		// Bot queries: each arrives as its event on the user's private
		// chat, with the id the simulator's ledger holds, and is answered
		// with the query id the event carries.
		{"callback.answer/inline", func(t *testing.T, c call) {
			sent := env.botQuery(t, sim.BotQuery{Kind: sim.BotQueryInlineSend, From: env.alice, Query: "gophers", ResultID: "r1"})
			var chosen schema.InlineChosen
			env.botEvent(t, sent, &chosen)
			if chosen.ResultID != "r1" || chosen.Query != "gophers" || chosen.InlineMessageID != sent.InlineMessageID {
				t.Fatalf("inline.chosen body %+v, sent %+v", chosen, sent)
			}
			q := env.botQuery(t, sim.BotQuery{Kind: sim.BotQueryInlinePress, From: env.alice, InlineMessageID: sent.InlineMessageID, Data: []byte("like")})
			var press schema.CallbackQuery
			env.botEvent(t, q, &press)
			if press.InlineMessageID != sent.InlineMessageID || press.MessageID != 0 || press.DataText != "like" || press.QueryID != strconv.FormatInt(q.QueryID, 10) {
				t.Fatalf("callback.query body %+v, pressed %+v", press, q)
			}
			c.ok(t, schema.CommandCallbackAnswer, fmt.Sprintf(`{"query_id": %q, "text": "liked"}`, press.QueryID), 0)
			if a := env.lastAction(t); a.Method != "messages.setBotCallbackAnswer" || a.Text != "liked" || a.Peer != env.user {
				t.Fatalf("last call %+v", a)
			}
		}},
		{"inline.answer", func(t *testing.T, c call) {
			q := env.botQuery(t, sim.BotQuery{Kind: sim.BotQueryInline, From: env.alice, Query: "gophers", Offset: "5"})
			var body schema.InlineQuery
			env.botEvent(t, q, &body)
			if body.Query != "gophers" || body.Offset != "5" || body.From.ID != env.alice || body.QueryID != strconv.FormatInt(q.QueryID, 10) {
				t.Fatalf("inline.query body %+v, query %+v", body, q)
			}
			c.ok(t, schema.CommandInlineAnswer, fmt.Sprintf(`{"query_id": %q, "results": [{"id": "a", "title": "A", "text": "*first*", "parse_mode": "markdown"}, {"id": "b", "title": "B", "text": "second"}], "cache_time": 5, "next_offset": "10"}`, body.QueryID), 0)
			if a := env.lastAction(t); a.Method != "messages.setInlineBotResults" || a.Peer != env.user || a.Text != "first" ||
				!strings.Contains(a.Detail, "results=a,b") || !strings.Contains(a.Detail, "next_offset=10") {
				t.Fatalf("last call %+v", a)
			}
		}},
		{"precheckout.answer", func(t *testing.T, c call) {
			q := env.botQuery(t, sim.BotQuery{Kind: sim.BotQueryPrecheckout, From: env.alice, Data: []byte("order-1"), Currency: "EUR", Amount: 1299})
			var body schema.PrecheckoutQuery
			env.botEvent(t, q, &body)
			if body.Currency != "EUR" || body.TotalAmount != 1299 || body.PayloadText != "order-1" {
				t.Fatalf("precheckout.query body %+v", body)
			}
			c.ok(t, schema.CommandPrecheckoutAnswer, fmt.Sprintf(`{"query_id": %q, "ok": false, "error": "sold out"}`, body.QueryID), 0)
			if a := env.lastAction(t); a.Method != "messages.setBotPrecheckoutResults" || a.Text != "sold out" || strings.Contains(a.Detail, "success") {
				t.Fatalf("last call %+v", a)
			}
		}},
		{"shipping.answer", func(t *testing.T, c call) {
			q := env.botQuery(t, sim.BotQuery{Kind: sim.BotQueryShipping, From: env.alice, Data: []byte("order-2")})
			var body schema.ShippingQuery
			env.botEvent(t, q, &body)
			if body.PayloadText != "order-2" || body.ShippingAddress.CountryCode == "" {
				t.Fatalf("shipping.query body %+v", body)
			}
			c.ok(t, schema.CommandShippingAnswer, fmt.Sprintf(`{"query_id": %q, "options": [{"id": "dhl", "title": "DHL", "prices": [{"label": "Parcel", "amount": 499}]}]}`, body.QueryID), 0)
			if a := env.lastAction(t); a.Method != "messages.setBotShippingResults" || !strings.Contains(a.Detail, "options=dhl") {
				t.Fatalf("last call %+v", a)
			}
		}},
		{"media.send/bytes", func(t *testing.T, c call) {
			data := []byte(strings.Repeat("tgnats ", 100_000)) // two upload parts
			out := c.ok(t, schema.CommandMediaSend, fmt.Sprintf(`{"peer": %s, "caption": "the file", "media": {"type": "document", "file_name": "notes.txt", "mime_type": "text/plain", "data": %q}}`,
				peerJSON(env.user), base64.StdEncoding.EncodeToString(data)), 1)
			m := env.message(t, env.user, out.MessageID)
			if m.Media != "document" || m.MediaSize != int64(len(data)) || m.FileName != "notes.txt" || m.Text != "the file" {
				t.Fatalf("simulator holds %+v", m)
			}
		}},
		{"media.send/file_ref", func(t *testing.T, c call) {
			src := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Media: "photo"})
			ev := env.cl.events.wait(t, schema.EventID(acc.Name, env.super, src, schema.KindMessage, schema.ActionCreated, 0))
			var body struct {
				Media struct {
					FileRef string `json:"file_ref"`
				} `json:"media"`
			}
			if err := json.Unmarshal(ev.data, &body); err != nil || body.Media.FileRef == "" {
				t.Fatalf("event %s has no file_ref (%v)", ev.data, err)
			}
			out := c.ok(t, schema.CommandMediaSend, fmt.Sprintf(`{"peer": %s, "media": {"type": "photo", "file_ref": %q}}`, peerJSON(env.group), body.Media.FileRef), 1)
			m := env.message(t, env.group, out.MessageID)
			if orig := env.message(t, env.super, src); m.Media != "photo" || m.MediaID != orig.MediaID {
				t.Fatalf("simulator holds %+v, want photo %d", m, orig.MediaID)
			}
		}},
	}
	for _, via := range entryPoints {
		for _, tc := range actions {
			t.Run(via.name+"/"+tc.name, func(t *testing.T) { tc.run(t, call{env: env, via: via}) })
		}
	}

	t.Run("bad commands", func(t *testing.T) { badCommands(t, env) })
	t.Run("global FLOOD_WAIT", func(t *testing.T) { globalFloodWait(t, env) })

	t.Run("idempotency across restart", func(t *testing.T) {
		for _, via := range entryPoints {
			s := sent{key: env.cl.key("restart-" + via.name)}
			body := fmt.Sprintf(`{"peer": %s, "text": "only once via %s"}`, peerJSON(env.user), via.name)
			first := via.run(env.cl, t, schema.CommandMessageSend, body, s)
			env.restart(t)
			var again schema.CommandResult
			if via.name == "stream" {
				// The stream's duplicate window swallows a republish with
				// the same Nats-Msg-Id; use ce-id for the same key instead.
				again = env.cl.rpc(t, schema.CommandMessageSend, body, s)
			} else {
				again = via.run(env.cl, t, schema.CommandMessageSend, body, s)
			}
			if !first.OK || !again.OK || again.Result == nil || again.Result.MessageID != first.Result.MessageID {
				t.Fatalf("first %+v, after restart %+v: want the stored result", first, again)
			}
			n := 0
			for _, a := range env.w.sim.ServedCalls(acc.Name) {
				if a.Text == "only once via "+via.name {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("simulator served the send %d times", n)
			}
		}
	})
}

// badCommands publishes commands that must fail, through both entry
// points, and checks each code and message, that stream commands are
// terminated, and that the connector still serves afterwards.
func badCommands(t *testing.T, env *commandEnv) {
	own := env.own(t, env.super, "fixed")
	unknownUser := schema.PeerRef{Kind: schema.PeerUser, ID: 987654321}
	cases := []struct {
		name, action, body string
		prepare            func(t *testing.T) func()
		code               string
		message            string // a part of the human message
	}{
		{name: "malformed JSON", action: schema.CommandMessageSend, body: `{"peer": `, code: schema.CodeInvalidArgument, message: "JSON"},
		{name: "unknown action", action: "message.explode", body: `{}`, code: schema.CodeUnknownAction, message: "message.explode"},
		{name: "missing field", action: schema.CommandMessageSend, body: fmt.Sprintf(`{"peer": %s}`, peerJSON(env.user)), code: schema.CodeInvalidArgument, message: "text"},
		{name: "wrong type", action: schema.CommandMessageSend, body: fmt.Sprintf(`{"peer": %s, "text": 5}`, peerJSON(env.user)), code: schema.CodeInvalidArgument, message: "text"},
		{name: "text too long", action: schema.CommandMessageSend, body: fmt.Sprintf(`{"peer": %s, "text": %q}`, peerJSON(env.user), strings.Repeat("a", 4097)), code: schema.CodeInvalidArgument, message: "4096"},
		{name: "caption too long", action: schema.CommandMediaSend, body: fmt.Sprintf(`{"peer": %s, "caption": %q, "media": {"type": "document", "data": "aGk="}}`, peerJSON(env.user), strings.Repeat("a", 1025)), code: schema.CodeInvalidArgument, message: "1024"},
		{name: "unknown peer", action: schema.CommandMessageSend, body: fmt.Sprintf(`{"peer": %s, "text": "hi"}`, peerJSON(unknownUser)), code: schema.CodePeerNotFound, message: "unknown"},
		{name: "unknown username", action: schema.CommandMessageSend, body: `{"peer": "@nobody_here", "text": "hi"}`, code: schema.CodePeerNotFound, message: "username"},
		{name: "outside allow list", action: schema.CommandMessageSend, body: fmt.Sprintf(`{"peer": %s, "text": "hi"}`, peerJSON(env.outside)), code: schema.CodeNotAllowed, message: "allow list"},
		{name: "message not modified", action: schema.CommandMessageEdit, body: fmt.Sprintf(`{"peer": %s, "message_id": %d, "text": "fixed"}`, peerJSON(env.super), own), code: schema.CodeMessageNotModified, message: "changes nothing"},
		{name: "no such message", action: schema.CommandMessageEdit, body: fmt.Sprintf(`{"peer": %s, "message_id": 99999, "text": "x"}`, peerJSON(env.super)), code: schema.CodeInvalidArgument, message: "no such message"},
		{name: "write forbidden", action: schema.CommandMessageSend, body: fmt.Sprintf(`{"peer": %s, "text": "hi"}`, peerJSON(env.group)), code: schema.CodeForbidden, message: "cannot write",
			prepare: func(t *testing.T) func() {
				if err := env.w.sim.SetWriteForbidden(env.group, env.w.acc.Name, true); err != nil {
					t.Fatal(err)
				}
				return func() {
					if err := env.w.sim.SetWriteForbidden(env.group, env.w.acc.Name, false); err != nil {
						t.Fatal(err)
					}
				}
			}},
	}
	for _, via := range entryPoints {
		for _, tc := range cases {
			t.Run(via.name+"/"+tc.name, func(t *testing.T) {
				if tc.prepare != nil {
					defer tc.prepare(t)()
				}
				res := via.run(env.cl, t, tc.action, tc.body, sent{key: env.cl.key("bad"), traceParent: newTraceParent()})
				if res.OK || res.Error == nil {
					t.Fatalf("succeeded: %+v", res)
				}
				if res.Error.Code != tc.code || !strings.Contains(strings.ToLower(res.Error.Message), strings.ToLower(tc.message)) {
					t.Fatalf("error %s %q, want %s mentioning %q", res.Error.Code, res.Error.Message, tc.code, tc.message)
				}
			})
		}
	}
	// The failed stream commands were terminated, not left for redelivery.
	env.cl.consumerIdle(t)

	// Still serving, through both entry points.
	for _, via := range entryPoints {
		res := via.run(env.cl, t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "still here"}`, peerJSON(env.user)), sent{key: env.cl.key("after")})
		if !res.OK {
			t.Fatalf("%s after bad commands: %+v", via.name, res.Error)
		}
	}
}

// TestCommandShortSentMessage: Telegram answers a private text send with
// updateShortSentMessage; the connector still publishes the message.created
// event (with the command's traceparent) and its pts stay consistent, so a
// later incoming message arrives without a gap recovery.
func TestCommandShortSentMessage(t *testing.T) {
	env := newCommandEnv(t, commandEnvOptions{})
	env.w.sim.ShortSentReplies(true)
	c := call{env: env, via: entryPoints[0]}
	out := c.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "*short* answer", "parse_mode": "markdown"}`, peerJSON(env.user)), 1)
	ev := env.cl.events.wait(t, schema.EventID(env.w.acc.Name, env.user, out.MessageID, schema.KindMessage, schema.ActionCreated, 0))
	var body struct {
		Text     string          `json:"text"`
		Out      bool            `json:"out"`
		Entities []schema.Entity `json:"entities"`
	}
	if err := json.Unmarshal(ev.data, &body); err != nil {
		t.Fatal(err)
	}
	if body.Text != "short answer" || len(body.Entities) != 1 || body.Entities[0].Type != "bold" {
		t.Fatalf("event body %s", ev.data)
	}
	if a := env.lastAction(t); a.Method != "messages.sendMessage" {
		t.Fatalf("last call %+v", a)
	}
	// pts moved with the short answer: the next push applies at once,
	// without a gap to recover. Set-up recovered some (a first message
	// from a new user comes with the difference, for its access hash):
	// count from here.
	gaps := fmt.Sprintf(`tgnats_gaps_recovered_total{account=%q,box="common"}`, env.w.acc.Name)
	before := metricValue(t, env.conn.http, gaps)
	env.post(t, sim.Outgoing{Chat: env.user, From: env.alice, Text: "after"})
	if n := metricValue(t, env.conn.http, gaps) - before; n != 0 {
		t.Errorf("%v gaps recovered after the short answer, want none", n)
	}

	// A media send answered in the short form too: the event carries the
	// media Telegram returned, and no gap follows.
	diffs := env.w.sim.Calls(env.w.acc.Name)["updates.getDifference"]
	out = c.ok(t, schema.CommandMediaSend, fmt.Sprintf(`{"peer": %s, "caption": "a file", "media": {"type": "document", "file_name": "a.txt", "mime_type": "text/plain", "data": "aGk="}}`, peerJSON(env.user)), 1)
	ev = env.cl.events.wait(t, schema.EventID(env.w.acc.Name, env.user, out.MessageID, schema.KindMessage, schema.ActionCreated, 0))
	var media struct {
		Text  string        `json:"text"`
		Media *schema.Media `json:"media"`
	}
	if err := json.Unmarshal(ev.data, &media); err != nil {
		t.Fatal(err)
	}
	if media.Text != "a file" || media.Media == nil || media.Media.Type != "document" {
		t.Fatalf("media event body %s", ev.data)
	}
	env.post(t, sim.Outgoing{Chat: env.user, From: env.alice, Text: "after the file"})
	if n := env.w.sim.Calls(env.w.acc.Name)["updates.getDifference"] - diffs; n != 0 {
		t.Errorf("%d getDifference calls after the short media answer, want none", n)
	}
}

// globalFloodWait: a FLOOD_WAIT on a call about no chat (a callback answer)
// pauses every call for the wait; the rpc command waits it out (it ends
// within the deadline) and succeeds, and a send to another chat issued
// meanwhile reaches Telegram only after the wait.
func globalFloodWait(t *testing.T, env *commandEnv) {
	const wait = 2
	acc := env.w.acc.Name
	id := env.own(t, env.super, "menu")
	q, err := env.w.sim.PressButton(context.Background(), acc, env.super, id, env.alice, []byte("y"))
	if err != nil {
		t.Fatal(err)
	}
	before := len(env.w.sim.Floods())
	env.w.sim.FloodWait(tg.MessagesSetBotCallbackAnswerRequestTypeID, wait, 1)
	answered := make(chan error, 1)
	go func() {
		reply, err := env.cl.nc.Request(egress.RPCSubject("tg", acc, schema.CommandCallbackAnswer), []byte(fmt.Sprintf(`{"query_id": "%d"}`, q)), 30*time.Second)
		if err == nil && !strings.Contains(string(reply.Data), `"ok":true`) {
			err = fmt.Errorf("reply %s", reply.Data)
		}
		answered <- err
	}()
	testutil.Eventually(t, 10*time.Second, "the FLOOD_WAIT answer", func() bool { return len(env.w.sim.Floods()) > before })
	f := env.w.sim.Floods()[before]
	pausedAll := fmt.Sprintf(`tgnats_command_paused{account=%q,scope="global"}`, acc)
	testutil.Eventually(t, time.Second, pausedAll+" = 1 during the wait", func() bool { return metricValue(t, env.conn.http, pausedAll) == 1 })
	out := call{env: env, via: entryPoints[0]}.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "after the wait"}`, peerJSON(env.user)), 1)
	if err := <-answered; err != nil {
		t.Fatalf("callback answer: %v", err)
	}
	var served time.Time
	for _, a := range env.w.sim.ServedCalls(acc) {
		if a.Method == "messages.sendMessage" && len(a.MessageIDs) == 1 && a.MessageIDs[0] == out.MessageID {
			served = a.Served
		}
	}
	if until := f.At.Add(wait * time.Second); served.Before(until) {
		t.Fatalf("send served at %v, inside the global FLOOD_WAIT until %v", served, until)
	}
	if v := metricValue(t, env.conn.http, pausedAll); v != 0 {
		t.Errorf("%s = %v after the wait, want 0", pausedAll, v)
	}
}
