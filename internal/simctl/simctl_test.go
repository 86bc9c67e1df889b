package simctl

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixture is an in-process simulator (not serving MTProto: the control
// surface only changes its world) and nats-server with a control server.
type fixture struct {
	sim *sim.Sim
	nc  *nats.Conn
	acc string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, func(s *sim.Sim) Simulator { return s })
}

// newFixtureWith serves the simulator as wrap returns it.
func newFixtureWith(t *testing.T, wrap func(*sim.Sim) Simulator) *fixture {
	t.Helper()
	s, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	nc := natstest.JetStream(t).Conn()
	acc := sim.DefaultAccount().Name
	ctl, err := New(Config{Sim: wrap(s), NC: nc, Account: acc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = ctl.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	f := &fixture{sim: s, nc: nc, acc: acc}
	// Run subscribes asynchronously: wait until a request is answered.
	testutil.Eventually(t, 5*time.Second, "the control surface to answer", func() bool {
		_, err := nc.Request(schema.ControlSubject(schema.DefaultControlPrefix, acc, "actions"), nil, 100*time.Millisecond)
		return err == nil
	})
	return f
}

type answer struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  *failure        `json:"error"`
}

// call sends body to verb and returns the decoded answer.
func (f *fixture) call(t *testing.T, verb, body string) answer {
	t.Helper()
	m, err := f.nc.Request(schema.ControlSubject(schema.DefaultControlPrefix, f.acc, verb), []byte(body), 5*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", verb, err)
	}
	var a answer
	if err := json.Unmarshal(m.Data, &a); err != nil {
		t.Fatalf("%s: reply %s: %v", verb, m.Data, err)
	}
	if a.OK == (a.Error != nil) {
		t.Fatalf("%s: reply %s: ok and error disagree", verb, m.Data)
	}
	return a
}

// ok calls verb, requires success and decodes the result into out.
func (f *fixture) ok(t *testing.T, verb, body string, out any) {
	t.Helper()
	a := f.call(t, verb, body)
	if !a.OK {
		t.Fatalf("%s %s: %s", verb, body, a.Error)
	}
	if out != nil {
		if err := json.Unmarshal(a.Result, out); err != nil {
			t.Fatalf("%s: result %s: %v", verb, a.Result, err)
		}
	}
}

func TestWorldAndTraffic(t *testing.T) {
	f := newFixture(t)
	var user struct {
		UserID int64 `json:"user_id"`
	}
	f.ok(t, "user.create", `{"first_name":"Alice","username":"alice"}`, &user)
	if user.UserID <= 0 {
		t.Fatalf("user id %d", user.UserID)
	}
	chats := map[string]Chat{}
	for _, typ := range []string{"private", "group", "supergroup", "channel"} {
		body := map[string]any{"type": typ, "title": typ + " chat"}
		switch typ {
		case "private":
			body = map[string]any{"type": typ, "user": user.UserID}
		case "group", "supergroup":
			body["members"] = []int64{user.UserID}
		}
		b, _ := json.Marshal(body)
		var r struct {
			Chat Chat `json:"chat"`
		}
		f.ok(t, "chat.create", string(b), &r)
		chats[typ] = r.Chat
	}
	wantKinds := map[string]schema.PeerKind{"private": schema.PeerUser, "group": schema.PeerChat, "supergroup": schema.PeerChannel, "channel": schema.PeerChannel}
	for typ, c := range chats {
		if c.Kind != wantKinds[typ] || c.ID <= 0 {
			t.Errorf("%s chat: %+v", typ, c)
		}
	}
	if chats["private"].ID != user.UserID {
		t.Errorf("private chat %+v is not the chat with user %d", chats["private"], user.UserID)
	}

	// Inject, edit, delete in the supergroup; the ledger shows all three
	// with the event ids and subjects the connector uses.
	sg, _ := json.Marshal(chats["supergroup"])
	var msg MessageResult
	f.ok(t, "message.inject", `{"chat":`+string(sg)+`,"from":`+itoa(user.UserID)+`,"text":"hello"}`, &msg)
	if msg.MessageID <= 0 {
		t.Fatalf("message id %d", msg.MessageID)
	}
	f.ok(t, "message.edit", `{"chat":`+string(sg)+`,"message_id":`+itoa(int64(msg.MessageID))+`,"text":"hello, edited"}`, nil)
	f.ok(t, "callback.press", `{"chat":`+string(sg)+`,"message_id":`+itoa(int64(msg.MessageID))+`,"from":`+itoa(user.UserID)+`,"data":"yes"}`, nil)
	f.ok(t, "message.delete", `{"chat":`+string(sg)+`,"message_ids":[`+itoa(int64(msg.MessageID))+`]}`, nil)

	var led struct {
		Total   int           `json:"total"`
		Entries []LedgerEntry `json:"entries"`
	}
	f.ok(t, "ledger", `{}`, &led)
	var got []string
	for _, e := range led.Entries {
		if e.Peer == chats["supergroup"] {
			got = append(got, e.Action+":"+e.Text)
			if !strings.HasPrefix(e.Subject, "tg."+f.acc+".events.message."+e.Action+".channel.") {
				t.Errorf("subject %q", e.Subject)
			}
			if want := schema.EventID(f.acc, e.Peer, e.MessageID, schema.KindMessage, e.Action, e.Version); e.EventID != want {
				t.Errorf("event id %q, want %q", e.EventID, want)
			}
		}
	}
	if strings.Join(got, "|") != "created:hello|edited:hello, edited|deleted:" {
		t.Fatalf("ledger of the supergroup: %q", got)
	}
	var tail struct {
		Entries []LedgerEntry `json:"entries"`
	}
	f.ok(t, "ledger", `{"from":`+itoa(int64(led.Total-1))+`}`, &tail)
	if len(tail.Entries) != 1 || tail.Entries[0].Action != schema.ActionDeleted {
		t.Fatalf("ledger from %d: %+v", led.Total-1, tail.Entries)
	}

	// Generated traffic grows the ledger until stopped.
	f.ok(t, "traffic", `{"rate":200,"seed":3}`, nil)
	testutil.Eventually(t, 10*time.Second, "traffic to produce 20 ledger entries", func() bool {
		return len(f.sim.Ledger(f.acc)) >= led.Total+20
	})
	f.ok(t, "traffic", `{"rate":0}`, nil)
	n := len(f.sim.Ledger(f.acc))
	f.ok(t, "actions", ``, nil) // a round trip after the stop
	if m := len(f.sim.Ledger(f.acc)); m != n {
		t.Fatalf("traffic went on after rate 0: %d → %d entries", n, m)
	}
}

func TestFaults(t *testing.T) {
	f := newFixture(t)
	f.ok(t, "flood_wait", `{"method":"messages.sendMessage","seconds":3,"times":2}`, nil)
	f.ok(t, "flood_wait", `{"method":"*","times":1}`, nil)
	f.ok(t, "flood_wait", `{"method":"messages.sendMessage","times":0}`, nil)
	f.ok(t, "gap.withhold", `{"on":true}`, nil)
	f.ok(t, "gap.withhold", `{"on":false}`, nil)
	f.ok(t, "gap.too_long", ``, nil)
	var acts struct {
		Actions []sim.Call `json:"actions"`
	}
	f.ok(t, "actions", `{}`, &acts)
	if acts.Actions == nil {
		t.Fatal("actions is null, want []")
	}
}

func TestBadRequests(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, verb, body, code, msg string
	}{
		{"unknown verb", "message.explode", `{}`, CodeUnknownVerb, "message.inject"},
		{"not json", "message.inject", `{chat`, CodeInvalidArgument, "body:"},
		{"unknown field", "user.create", `{"first_name":"A","age":3}`, CodeInvalidArgument, "age"},
		{"trailing data", "gap.withhold", `{"on":true} {}`, CodeInvalidArgument, "trailing"},
		{"wrong type", "gap.withhold", `{"on":"yes"}`, CodeInvalidArgument, "on"},
		{"missing chat", "message.inject", `{"text":"x"}`, CodeInvalidArgument, "chat.kind"},
		{"no text", "message.inject", `{"chat":{"kind":"user","id":5}}`, CodeInvalidArgument, "text"},
		{"bad media", "message.inject", `{"chat":{"kind":"user","id":5},"media":"gif"}`, CodeInvalidArgument, "media"},
		{"unknown chat", "message.inject", `{"chat":{"kind":"channel","id":999999},"text":"x"}`, CodeNotFound, "999999"},
		{"unknown message", "message.edit", `{"chat":{"kind":"channel","id":999999},"message_id":1,"text":"x"}`, CodeNotFound, ""},
		{"no ids", "message.delete", `{"chat":{"kind":"chat","id":1}}`, CodeInvalidArgument, "message_ids"},
		{"bad id", "message.delete", `{"chat":{"kind":"chat","id":1},"message_ids":[0]}`, CodeInvalidArgument, "message_id 0"},
		{"press without user", "callback.press", `{"chat":{"kind":"chat","id":1},"message_id":1}`, CodeInvalidArgument, "from"},
		{"user without name", "user.create", `{}`, CodeInvalidArgument, "first_name"},
		{"chat type", "chat.create", `{"type":"forum","title":"x"}`, CodeInvalidArgument, "forum"},
		{"chat title", "chat.create", `{"type":"group"}`, CodeInvalidArgument, "title"},
		{"channel members", "chat.create", `{"type":"channel","title":"x","members":[1]}`, CodeInvalidArgument, "members"},
		{"flood method", "flood_wait", `{"method":"messages.sendTelepathy"}`, CodeInvalidArgument, "sendTelepathy"},
		{"flood constructor", "flood_wait", `{"method":"inputPeerEmpty"}`, CodeInvalidArgument, "inputPeerEmpty"},
		{"flood seconds", "flood_wait", `{"seconds":-1}`, CodeInvalidArgument, "seconds"},
		{"traffic rate", "traffic", `{"rate":-2}`, CodeInvalidArgument, "rate"},
		{"ledger from", "ledger", `{"from":-1}`, CodeInvalidArgument, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := f.call(t, tt.verb, tt.body)
			if a.OK {
				t.Fatalf("ok: %s", a.Result)
			}
			if a.Error.Code != tt.code || !strings.Contains(a.Error.Message, tt.msg) {
				t.Fatalf("error %s, want code %s with %q", a.Error, tt.code, tt.msg)
			}
		})
	}
	// The surface still serves after all that.
	f.ok(t, "actions", `{}`, nil)
}

func TestConfigValidate(t *testing.T) {
	s, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	nc := &nats.Conn{}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no sim", Config{NC: nc, Account: "main"}, "Sim is required"},
		{"no nats", Config{Sim: s, Account: "main"}, "NC is required"},
		{"bad account", Config{Sim: s, NC: nc, Account: "Main!"}, "invalid account"},
		{"bad prefix", Config{Sim: s, NC: nc, Account: "main", Prefix: "a.b"}, "invalid prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want %q", err, tt.want)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// panickingSim is a simulator with a bug in one method.
type panickingSim struct{ Simulator }

func (panickingSim) Calls(string) map[string]int { panic("bug") }

// TestPanicIsInternal: a verb that panics answers INTERNAL; the surface
// and the process go on.
func TestPanicIsInternal(t *testing.T) {
	f := newFixtureWith(t, func(s *sim.Sim) Simulator { return panickingSim{s} })
	a := f.call(t, "calls", "{}")
	if a.OK || a.Error.Code != CodeInternal {
		t.Fatalf("a panicking verb answered %+v, want INTERNAL", a)
	}
	f.ok(t, "actions", "{}", nil)
}

// injectRecorder records the faults the surface injects.
type injectRecorder struct {
	*sim.Sim
	mu    sync.Mutex
	kinds []string
}

func (r *injectRecorder) Inject(_ context.Context, f sim.Fault) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds = append(r.kinds, f.Kind)
	return 0, nil
}

// TestFaultVerbServesEveryKind checks that every kind of sim.Fault is
// reachable through the fault verb.
func TestFaultVerbServesEveryKind(t *testing.T) {
	rec := &injectRecorder{}
	f := newFixtureWith(t, func(s *sim.Sim) Simulator { rec.Sim = s; return rec })
	for _, kind := range sim.FaultKinds() {
		f.ok(t, "fault", `{"kind":"`+kind+`","channel":1,"n":1,"method":"messages.sendMessage","code":500,"error":"X"}`, nil)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !slices.Equal(rec.kinds, sim.FaultKinds()) {
		t.Fatalf("injected %v, want %v", rec.kinds, sim.FaultKinds())
	}
}
