package egress

import (
	"github.com/gotd/neo"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, testutil.KnownLeaks()...)
}

type harness struct {
	t     *testing.T
	nc    *nats.Conn
	js    jetstream.JetStream
	store *state.Store
	api   *fakeAPI

	mu      sync.Mutex
	updates []tg.UpdatesClass
}

func newHarness(t *testing.T, now func() time.Time) *harness {
	t.Helper()
	return newHarnessOn(t, natstest.JetStream(t), now)
}

// streamMsgs is how many messages stream holds, -1 when it cannot be read.
func streamMsgs(js jetstream.JetStream, stream string) int64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1
	}
	return int64(info.State.Msgs)
}

// newHarnessOn is newHarness against the JetStream server of js.
func newHarnessOn(t *testing.T, js jetstream.JetStream, now func() time.Time) *harness {
	t.Helper()
	nc := js.Conn()
	store, err := state.Open(t.TempDir(), state.Options{NoSync: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	err = store.Commit(&state.Commit{Peers: []state.Peer{
		{Kind: schema.PeerUser, ID: 7, AccessHash: 70, Username: "annie"},
		{Kind: schema.PeerChannel, ID: 100, AccessHash: 1000, Username: "club"},
		{Kind: schema.PeerChannel, ID: 101, AccessHash: 1010},
	}})
	if err != nil {
		t.Fatal(err)
	}
	api := newFakeAPI()
	api.chans["news"] = &tg.Channel{ID: 200, AccessHash: 2000, Username: "news", Title: "News"}
	return &harness{t: t, nc: nc, js: js, store: store, api: api}
}

func (h *harness) config() Config {
	return Config{
		Account: "main", NC: h.nc, JS: h.js, API: h.api, Store: h.store,
		Updates: func(_ context.Context, u tg.UpdatesClass) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.updates = append(h.updates, u)
			return nil
		},
		RateGlobal: 1000, BurstGlobal: 100, RatePerChat: 1000, BurstPerChat: 100,
	}
}

// start runs an Egress until the returned stop is called (or the test ends).
func (h *harness) start(cfg Config) (stop func()) {
	h.t.Helper()
	e, err := New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				h.t.Errorf("Run: %v", err)
			}
		})
	}
	h.t.Cleanup(stop)
	return stop
}

func header(key string) nats.Header {
	h := nats.Header{}
	if key != "" {
		h.Set("ce-id", key)
	}
	return h
}

// rpc sends a request, retrying while the service is not up yet.
func (h *harness) rpc(action, body, key string) schema.CommandResult {
	h.t.Helper()
	msg := &nats.Msg{Subject: RPCSubject("tg", "main", action), Data: []byte(body), Header: header(key)}
	var reply *nats.Msg
	testutil.Eventually(h.t, 10*time.Second, "the service to answer "+action, func() bool {
		var err error
		reply, err = h.nc.RequestMsg(msg, 10*time.Second)
		if errors.Is(err, nats.ErrNoResponders) {
			return false
		}
		if err != nil {
			h.t.Fatalf("rpc %s: %v", action, err)
		}
		return true
	})
	var res schema.CommandResult
	if err := json.Unmarshal(reply.Data, &res); err != nil {
		h.t.Fatalf("rpc %s: reply %q: %v", action, reply.Data, err)
	}
	return res
}

func (h *harness) publish(action, body, key string) {
	h.t.Helper()
	msg := &nats.Msg{Subject: CommandSubject("tg", "main", action), Data: []byte(body), Header: header(key)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	testutil.Eventually(h.t, 10*time.Second, "the command stream to take "+action, func() bool {
		_, err := h.js.PublishMsg(ctx, msg)
		if err != nil && !errors.Is(err, jetstream.ErrNoStreamResponse) {
			h.t.Fatalf("publish %s: %v", action, err)
		}
		return err == nil
	})
}

// result waits for the command.completed/failed event of key in the outbox.
func (h *harness) result(key string) (schema.CommandResult, state.OutboxRecord) {
	h.t.Helper()
	var (
		res schema.CommandResult
		rec state.OutboxRecord
	)
	testutil.Eventually(h.t, 10*time.Second, "the result event of "+key, func() bool {
		recs, err := h.store.OutboxRead(0, 1000)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, r := range recs {
			if strings.HasPrefix(r.MsgID, "main:command:"+key+":") {
				if err := json.Unmarshal(r.Data, &res); err != nil {
					h.t.Fatal(err)
				}
				rec = r
				return true
			}
		}
		return false
	})
	return res, rec
}

var commandCases = []struct {
	name   string
	body   string
	method string
	check  func(t *testing.T, req any, res schema.CommandResult)
}{
	{schema.CommandMessageSend, `{"peer":7,"text":"*hi* there","parse_mode":"markdown","reply_to":3}`, "messages.sendMessage", func(t *testing.T, req any, res schema.CommandResult) {
		r := req.(*tg.MessagesSendMessageRequest)
		if r.Message != "hi there" || len(r.Entities) != 1 || r.Peer.(*tg.InputPeerUser).AccessHash != 70 {
			t.Errorf("request = %+v", r)
		}
		if res.Result == nil || res.Result.MessageID == 0 || res.Result.Date == nil {
			t.Errorf("result = %+v", res.Result)
		}
	}},
	{schema.CommandMessageEdit, `{"peer":-1000000000100,"message_id":5,"text":"<b>x</b>","parse_mode":"html"}`, "messages.editMessage", func(t *testing.T, req any, res schema.CommandResult) {
		r := req.(*tg.MessagesEditMessageRequest)
		if r.Message != "x" || len(r.Entities) != 1 || r.Peer.(*tg.InputPeerChannel).AccessHash != 1000 {
			t.Errorf("request = %+v", r)
		}
		if res.Result.MessageID != 5 || res.Result.Date == nil {
			t.Errorf("result = %+v", res.Result)
		}
	}},
	{schema.CommandMessageDelete, `{"peer":{"peer_kind":"channel","peer_id":100},"message_ids":[1,2]}`, "channels.deleteMessages", nil},
	{schema.CommandMessageDelete, `{"peer":7,"message_ids":[3]}`, "messages.deleteMessages", func(t *testing.T, req any, _ schema.CommandResult) {
		if !req.(*tg.MessagesDeleteMessagesRequest).Revoke {
			t.Error("revoke should default to true")
		}
	}},
	{schema.CommandMessageForward, `{"from_peer":"@club","to_peer":-400,"message_ids":[1,2]}`, "messages.forwardMessages", func(t *testing.T, req any, res schema.CommandResult) {
		r := req.(*tg.MessagesForwardMessagesRequest)
		if len(r.RandomID) != 2 || r.RandomID[0] == r.RandomID[1] {
			t.Errorf("random ids = %v", r.RandomID)
		}
		if len(res.Result.MessageIDs) != 2 {
			t.Errorf("result = %+v", res.Result)
		}
	}},
	{schema.CommandMessagePin, `{"peer":7,"message_id":4,"silent":true}`, "messages.updatePinnedMessage", nil},
	{schema.CommandMessageUnpin, `{"peer":7,"message_id":4}`, "messages.updatePinnedMessage", func(t *testing.T, req any, _ schema.CommandResult) {
		if !req.(*tg.MessagesUpdatePinnedMessageRequest).Unpin {
			t.Error("unpin not set")
		}
	}},
	{schema.CommandReactionSend, `{"peer":7,"message_id":4,"reaction":"👍"}`, "messages.sendReaction", nil},
	{schema.CommandChatAction, `{"peer":"@news","action":"typing"}`, "messages.setTyping", nil},
	{schema.CommandReadMark, `{"peer":7,"max_id":9}`, "messages.readHistory", nil},
	{schema.CommandReadMark, `{"peer":-1000000000100,"max_id":9}`, "channels.readHistory", nil},
	{schema.CommandCallbackAnswer, `{"query_id":"123456789012","text":"ok"}`, "messages.setBotCallbackAnswer", nil},
	{schema.CommandMediaSend, `{"peer":7,"media":{"type":"document","data":"aGVsbG8=","file_name":"a.txt"},"caption":"c"}`, "messages.sendMedia", func(t *testing.T, req any, _ schema.CommandResult) {
		r := req.(*tg.MessagesSendMediaRequest)
		doc, ok := r.Media.(*tg.InputMediaUploadedDocument)
		if !ok || doc.File.(*tg.InputFile).Parts != 1 || r.Message != "c" {
			t.Errorf("request = %+v", r)
		}
	}},
	// Answers to bot queries.
	{schema.CommandInlineAnswer, `{"query_id":"-77","results":[{"id":"a","title":"A","description":"d","text":"*bold*","parse_mode":"markdown"}],"cache_time":30,"is_personal":true,"next_offset":"1"}`, "messages.setInlineBotResults", func(t *testing.T, req any, _ schema.CommandResult) {
		r := req.(*tg.MessagesSetInlineBotResultsRequest)
		res, ok := r.Results[0].(*tg.InputBotInlineResult)
		if r.QueryID != -77 || !r.Private || r.CacheTime != 30 || r.NextOffset != "1" || len(r.Results) != 1 || !ok || res.Type != "article" || res.Title != "A" {
			t.Fatalf("request = %+v", r)
		}
		if msg, ok := res.SendMessage.(*tg.InputBotInlineMessageText); !ok || msg.Message != "bold" || len(msg.Entities) != 1 {
			t.Errorf("send message = %+v", res.SendMessage)
		}
	}},
	{schema.CommandPrecheckoutAnswer, `{"query_id":"78","ok":false,"error":"sold out"}`, "messages.setBotPrecheckoutResults", func(t *testing.T, req any, _ schema.CommandResult) {
		if r := req.(*tg.MessagesSetBotPrecheckoutResultsRequest); r.QueryID != 78 || r.Success || r.Error != "sold out" {
			t.Errorf("request = %+v", r)
		}
	}},
	{schema.CommandShippingAnswer, `{"query_id":"79","options":[{"id":"dhl","title":"DHL","prices":[{"label":"Parcel","amount":499}]}]}`, "messages.setBotShippingResults", func(t *testing.T, req any, _ schema.CommandResult) {
		r := req.(*tg.MessagesSetBotShippingResultsRequest)
		if r.QueryID != 79 || len(r.ShippingOptions) != 1 || r.ShippingOptions[0].Prices[0].Amount != 499 {
			t.Errorf("request = %+v", r)
		}
	}},
}

func TestCommandsOverRPCAndStream(t *testing.T) {
	h := newHarness(t, nil)
	h.start(h.config())
	for i, tc := range commandCases {
		for _, via := range []string{"rpc", "stream"} {
			t.Run(fmt.Sprintf("%s/%s/%d", via, tc.name, i), func(t *testing.T) {
				key := fmt.Sprintf("%s-%d", via, i)
				before := len(h.api.callsOf(tc.method))
				var res schema.CommandResult
				if via == "rpc" {
					res = h.rpc(tc.name, tc.body, key)
				} else {
					h.publish(tc.name, tc.body, key)
				}
				ev, rec := h.result(key)
				if via == "stream" {
					res = ev
				}
				if !res.OK || res.CommandID != key || res.Command != tc.name {
					t.Fatalf("result = %+v (error %+v)", res, res.Error)
				}
				if !strings.Contains(rec.Subject, ".events.command.completed.") {
					t.Errorf("event subject = %s", rec.Subject)
				}
				calls := h.api.callsOf(tc.method)
				if len(calls) != before+1 {
					t.Fatalf("%s called %d times, want 1", tc.method, len(calls)-before)
				}
				if tc.check != nil {
					tc.check(t, calls[len(calls)-1].req, res)
				}
			})
		}
	}
	// The username resolved once and is then served from the peer store.
	if n := len(h.api.callsOf("contacts.resolveUsername")); n != 1 {
		t.Errorf("resolveUsername called %d times, want 1", n)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.updates) == 0 {
		t.Error("no updates handed to ingest")
	}
}

func TestIdempotency(t *testing.T) {
	h := newHarness(t, nil)
	stop := h.start(h.config())
	body := `{"peer":7,"text":"once"}`
	first := h.rpc(schema.CommandMessageSend, body, "k-1")
	second := h.rpc(schema.CommandMessageSend, body, "k-1")
	if !first.OK || first.Result.MessageID != second.Result.MessageID {
		t.Fatalf("first %+v, second %+v", first, second)
	}
	// A stream command with the same key is the same command.
	h.publish(schema.CommandMessageSend, body, "k-1")
	testutil.Eventually(t, 10*time.Second, "stream drained", func() bool { return streamMsgs(h.js, StreamName("main")) == 0 })
	stop()

	// Across a restart on the same store.
	h.start(h.config())
	third := h.rpc(schema.CommandMessageSend, body, "k-1")
	if third.Result == nil || third.Result.MessageID != first.Result.MessageID {
		t.Fatalf("after restart: %+v", third)
	}
	if n := len(h.api.callsOf("messages.sendMessage")); n != 1 {
		t.Fatalf("sendMessage called %d times, want 1", n)
	}
	// A new key is a new command.
	if res := h.rpc(schema.CommandMessageSend, body, "k-2"); !res.OK || res.Result.MessageID == first.Result.MessageID {
		t.Fatalf("new key: %+v", res)
	}
}

func TestRandomIDDuplicateIsSuccess(t *testing.T) {
	h := newHarness(t, nil)
	h.start(h.config())
	// A send that reached Telegram but whose result was lost (a crash):
	// Telegram already knows the random_id derived from the key.
	c := &command{key: "lost"}
	h.api.randoms[c.randomID("main", 0)] = true
	res := h.rpc(schema.CommandMessageSend, `{"peer":7,"text":"x"}`, "lost")
	if !res.OK || !res.Duplicate {
		t.Fatalf("result = %+v", res)
	}
}

func TestBadCommands(t *testing.T) {
	h := newHarness(t, nil)
	h.api.failNext("messages.editMessage", tgerr.New(400, "MESSAGE_NOT_MODIFIED"))
	h.api.failNext("messages.sendMessage", tgerr.New(403, "CHAT_WRITE_FORBIDDEN"), tgerr.New(400, "PEER_ID_INVALID"), tgerr.New(500, "INTERNAL_SOMETHING"))
	cfg := h.config()
	cfg.MaxUploadBytes = 10
	h.start(cfg)
	tests := []struct {
		name     string
		action   string
		body     string
		wantErr  error
		wantMsg  string
		wantType string
	}{
		{name: "unknown action", action: "message.sned", body: `{}`, wantErr: schema.ErrUnknownAction, wantMsg: "unknown action"},
		{name: "not json", action: "message.send", body: `nope`, wantErr: schema.ErrInvalidArgument, wantMsg: "not valid JSON"},
		{name: "text too long", action: "message.send", body: `{"peer":7,"text":"` + strings.Repeat("x", 4097) + `"}`, wantErr: schema.ErrInvalidArgument, wantMsg: "text: longer than 4096 characters"},
		{name: "unknown peer", action: "message.send", body: `{"peer":999,"text":"x"}`, wantErr: schema.ErrPeerNotFound, wantMsg: "user:999 is unknown"},
		{name: "unknown username", action: "message.send", body: `{"peer":"@nobody","text":"x"}`, wantErr: schema.ErrPeerNotFound, wantType: "USERNAME_NOT_OCCUPIED"},
		{name: "upload too big", action: "media.send", body: `{"peer":7,"media":{"type":"photo","data":"` + strings.Repeat("A", 20) + `"}}`, wantErr: schema.ErrInvalidArgument, wantMsg: "media.data: 15 bytes, at most 10"},
		{name: "bad file ref", action: "media.send", body: `{"peer":7,"media":{"type":"photo","file_ref":"!!"}}`, wantErr: schema.ErrInvalidArgument, wantMsg: "media.file_ref"},
		{name: "not modified", action: "message.edit", body: `{"peer":7,"message_id":1,"text":"same"}`, wantErr: schema.ErrMessageNotModified, wantType: "MESSAGE_NOT_MODIFIED"},
		{name: "forbidden", action: "message.send", body: `{"peer":7,"text":"x"}`, wantErr: schema.ErrForbidden, wantType: "CHAT_WRITE_FORBIDDEN"},
		{name: "peer invalid", action: "message.send", body: `{"peer":7,"text":"x"}`, wantErr: schema.ErrPeerNotFound, wantType: "PEER_ID_INVALID"},
		{name: "other telegram error", action: "message.send", body: `{"peer":7,"text":"x"}`, wantErr: schema.ErrTelegramError, wantType: "INTERNAL_SOMETHING"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.rpc(tt.action, tt.body, fmt.Sprintf("bad-%d", i))
			if res.OK || res.Error == nil {
				t.Fatalf("result = %+v, want error", res)
			}
			if !errors.Is(res.Error, tt.wantErr) {
				t.Fatalf("error = %v, want %v", res.Error, tt.wantErr)
			}
			if !strings.Contains(res.Error.Message, tt.wantMsg) || res.Error.TelegramError != tt.wantType {
				t.Fatalf("error = %+v, want message containing %q and telegram_error %q", res.Error, tt.wantMsg, tt.wantType)
			}
			if ev, _ := h.result(fmt.Sprintf("bad-%d", i)); ev.OK || ev.Error.Code != res.Error.Code {
				t.Errorf("event = %+v", ev)
			}
		})
	}
	// Still serving.
	if res := h.rpc(schema.CommandMessageSend, `{"peer":7,"text":"fine"}`, "after"); !res.OK {
		t.Fatalf("after bad commands: %+v", res.Error)
	}
}

// TestPanicIsAnInternalError: a bug that panics below one command fails
// that command with INTERNAL, through both entry points, and the process
// goes on serving.
func TestPanicIsAnInternalError(t *testing.T) {
	h := newHarness(t, nil)
	h.api.failNext("messages.sendMessage", panicNow("boom"), panicNow("boom"))
	h.start(h.config())
	res := h.rpc(schema.CommandMessageSend, `{"peer":7,"text":"x"}`, "panic-rpc")
	if res.OK || !errors.Is(res.Error, schema.ErrInternal) {
		t.Fatalf("rpc result = %+v, want INTERNAL", res.Error)
	}
	h.publish(schema.CommandMessageSend, `{"peer":7,"text":"x"}`, "panic-stream")
	if res, _ := h.result("panic-stream"); res.OK || !errors.Is(res.Error, schema.ErrInternal) {
		t.Fatalf("stream result = %+v, want INTERNAL", res.Error)
	}
	if res := h.rpc(schema.CommandMessageSend, `{"peer":7,"text":"fine"}`, "after-panic"); !res.OK {
		t.Fatalf("after a panic: %+v", res.Error)
	}
}

func TestInvalidStreamCommandIsNotRedelivered(t *testing.T) {
	h := newHarness(t, nil)
	h.start(h.config())
	h.publish(schema.CommandMessageSend, `{"peer":7}`, "bad-stream")
	res, rec := h.result("bad-stream")
	if res.OK || res.Error.Code != schema.CodeInvalidArgument || !strings.Contains(rec.Subject, ".command.failed.") {
		t.Fatalf("result = %+v on %s", res, rec.Subject)
	}
	testutil.Eventually(t, 10*time.Second, "stream drained", func() bool { return streamMsgs(h.js, StreamName("main")) == 0 })
}

func TestStreamRetriesTransientFailure(t *testing.T) {
	h := newHarness(t, nil)
	h.api.failNext("messages.sendMessage", errors.New("connection reset"))
	h.start(h.config())
	h.publish(schema.CommandMessageSend, `{"peer":7,"text":"x"}`, "flaky")
	res, _ := h.result("flaky")
	if !res.OK {
		t.Fatalf("result = %+v", res.Error)
	}
	if n := len(h.api.callsOf("messages.sendMessage")); n != 2 {
		t.Fatalf("sendMessage called %d times, want 2", n)
	}
}

// TestStreamRetryKeepsItsTurn: a stream command whose call fails
// transiently is retried in its turn, before the chat's later commands.
// Before, it was handed back to the stream and came back behind them,
// its deadline still counted from its first turn: it failed FLOOD_WAIT
// ("after the command's deadline") once they had used that time up.
func TestStreamRetryKeepsItsTurn(t *testing.T) {
	h := newHarness(t, nil)
	h.api.failNext("messages.sendMessage", errors.New("connection reset"))
	cfg := h.config()
	// 30 commands at 10/s queue for about 3s, twice the deadline; each
	// waits at most 100ms for the chat's slot once its turn comes.
	cfg.RatePerChat, cfg.BurstPerChat = 10, 1
	cfg.DeadlinePerCommand = 1500 * time.Millisecond
	h.start(cfg)
	const n = 30
	for i := range n {
		h.publish(schema.CommandMessageSend, fmt.Sprintf(`{"peer":7,"text":"turn %d"}`, i), fmt.Sprintf("turn-%d", i))
	}
	for i := range n {
		if res, _ := h.result(fmt.Sprintf("turn-%d", i)); !res.OK {
			t.Errorf("command %d: %+v", i, res.Error)
		}
	}
	var texts []string
	for _, c := range h.api.callsOf("messages.sendMessage") {
		texts = append(texts, c.req.(*tg.MessagesSendMessageRequest).Message)
	}
	want := []string{"turn 0"} // the call that failed
	for i := range n {
		want = append(want, fmt.Sprintf("turn %d", i))
	}
	if !slices.Equal(texts, want) {
		t.Errorf("sendMessage calls %q, want %q: a failed call retried in its turn, then each once, in order", texts, want)
	}
}

func TestAllowList(t *testing.T) {
	h := newHarness(t, nil)
	cfg := h.config()
	cfg.AllowPeers = []string{"user:7", "@news"}
	h.start(cfg)
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{name: "listed id", body: `{"peer":7,"text":"x"}`, ok: true},
		{name: "listed username", body: `{"peer":"@news","text":"x"}`, ok: true},
		{name: "username of listed id", body: `{"peer":"@annie","text":"x"}`, ok: true},
		{name: "other channel", body: `{"peer":-1000000000100,"text":"x"}`},
		{name: "other channel by username", body: `{"peer":"@club","text":"x"}`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(h.api.callsOf("messages.sendMessage"))
			res := h.rpc(schema.CommandMessageSend, tt.body, fmt.Sprintf("allow-%d", i))
			if res.OK != tt.ok {
				t.Fatalf("result = %+v, want ok %v", res, tt.ok)
			}
			if !tt.ok {
				if !errors.Is(res.Error, schema.ErrNotAllowed) {
					t.Fatalf("error = %v", res.Error)
				}
				if n := len(h.api.callsOf("messages.sendMessage")); n != before {
					t.Fatal("Telegram was called for a denied peer")
				}
			}
		})
	}
	if _, err := New(Config{Account: "main", NC: h.nc, JS: h.js, API: h.api, Store: h.store, AllowPeers: []string{"group:1"}}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad allow list: err = %v", err)
	}
}

func TestFloodWait(t *testing.T) {
	clock := neo.NewTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	h := newHarness(t, clock.Now)
	h.api.failNext("messages.sendMessage", tgerr.New(420, "FLOOD_WAIT_60"))
	cfg := h.config()
	cfg.Now = clock.Now
	cfg.DeadlinePerCommand = 10 * time.Second
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	h.start(cfg)

	res := h.rpc(schema.CommandMessageSend, `{"peer":7,"text":"x"}`, "f1")
	if !errors.Is(res.Error, schema.ErrFloodWait) || res.Error.RetryAfter != 60 {
		t.Fatalf("result = %+v", res.Error)
	}
	// The chat is paused: no call to Telegram until the wait is over.
	res = h.rpc(schema.CommandMessageSend, `{"peer":7,"text":"x"}`, "f2")
	if !errors.Is(res.Error, schema.ErrFloodWait) || res.Error.RetryAfter != 60 {
		t.Fatalf("paused chat: %+v", res.Error)
	}
	if n := len(h.api.callsOf("messages.sendMessage")); n != 1 {
		t.Fatalf("sendMessage called %d times during the pause, want 1", n)
	}
	// Operators see the wait per account.
	for sample, want := range map[string]float64{
		`tgnats_command_errors_total{account="main",code="FLOOD_WAIT"}`: 2,
		`tgnats_flood_wait_seconds{account="main",scope="chat"}`:        60,
	} {
		if got := gathered(t, reg, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
	// Other chats go on.
	if res := h.rpc(schema.CommandMessageSend, `{"peer":-1000000000100,"text":"x"}`, "f3"); !res.OK {
		t.Fatalf("other chat: %+v", res.Error)
	}
	clock.Travel(61 * time.Second)
	if res := h.rpc(schema.CommandMessageSend, `{"peer":7,"text":"x"}`, "f4"); !res.OK {
		t.Fatalf("after the pause: %+v", res.Error)
	}
	// A FLOOD_WAIT result is not stored: the same key runs again.
	if res := h.rpc(schema.CommandMessageSend, `{"peer":7,"text":"x"}`, "f1"); !res.OK {
		t.Fatalf("retry of f1: %+v", res.Error)
	}
}

func TestFloodWaitWithinDeadlineIsWaited(t *testing.T) {
	h := newHarness(t, nil)
	h.api.failNext("messages.setBotCallbackAnswer", tgerr.New(420, "FLOOD_WAIT_1"))
	h.start(h.config())
	start := time.Now()
	res := h.rpc(schema.CommandCallbackAnswer, `{"query_id":"1"}`, "cb")
	if !res.OK {
		t.Fatalf("result = %+v", res.Error)
	}
	calls := h.api.callsOf("messages.setBotCallbackAnswer")
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	if gap := calls[1].at.Sub(calls[0].at); gap < 900*time.Millisecond || time.Since(start) > 5*time.Second {
		t.Fatalf("retried after %v, want about 1s", gap)
	}
}

func TestRateLimitSpreadsBurst(t *testing.T) {
	h := newHarness(t, nil)
	cfg := h.config()
	cfg.RatePerChat, cfg.BurstPerChat = 20, 1 // one call per 50ms to a chat
	h.start(cfg)
	const n = 5
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res := h.rpc(schema.CommandMessageSend, `{"peer":7,"text":"x"}`, fmt.Sprintf("burst-%d", i)); !res.OK {
				t.Errorf("burst %d: %+v", i, res.Error)
			}
		}()
	}
	wg.Wait()
	calls := h.api.callsOf("messages.sendMessage")
	if len(calls) != n {
		t.Fatalf("%d calls, want %d", len(calls), n)
	}
	if span := calls[n-1].at.Sub(calls[0].at); span < 150*time.Millisecond {
		t.Fatalf("%d calls within %v, want them spread over about %v", n, span, 200*time.Millisecond)
	}
}

// gathered returns the value of one sample, written as in the exposition
// format (name{label="value",...}), or -1 when reg has no such sample.
func gathered(t *testing.T, reg *prometheus.Registry, sample string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			if f.GetName()+"{"+strings.Join(labels, ",")+"}" != sample {
				continue
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return -1
}
