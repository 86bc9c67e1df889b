package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/schema"
)

// TestJournalV1Loads restarts on a journal as the versions before typed
// ops wrote it (one flat op struct: "chat" on every line, "flag" for
// every kind's flag): every op of every kind replays, with its effect.
func TestJournalV1Loads(t *testing.T) {
	dir := t.TempDir()
	old, err := os.ReadFile(filepath.Join("testdata", "journal_v1", journalFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, journalFile), old, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	s, err := New(Config{Dir: dir, Accounts: testAccounts(), Now: fixedClock, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if strings.Contains(logs.String(), "not replayed") {
		t.Fatalf("ops not replayed:\n%s", logs.String())
	}
	private := schema.PeerRef{Kind: schema.PeerUser, ID: 100001}
	if m, _ := s.Message(private, "main", 1); !m.Deleted || m.Text != "hi2" {
		t.Errorf("message 1 = %+v, want edited to hi2, then deleted", m)
	}
	if m, _ := s.Message(private, "main", 2); !m.Pinned || m.Reactions["👍"] != 1 || !m.Out {
		t.Errorf("message 2 = %+v, want sent, pinned, with 👍", m)
	}
	if m, _ := s.Message(private, "main", 3); m.Text != "post" || m.Forwarded {
		t.Errorf("message 3 = %+v, want the post forwarded without author", m)
	}
	var methods []string
	for _, c := range s.ServedCalls("main") {
		methods = append(methods, c.Method)
	}
	want := []string{"messages.sendMessage", "messages.forwardMessages", "messages.updatePinnedMessage",
		"messages.sendReaction", "upload.saveFilePart", "messages.setBotCallbackAnswer", "messages.setTyping"}
	if !slices.Equal(methods, want) {
		t.Errorf("served calls %v, want %v", methods, want)
	}
	if st, _ := s.State("main"); st.Qts != 2 {
		t.Errorf("qts %d, want 2", st.Qts)
	}
	if pts, _ := s.ChannelPts(1500000002); pts != 5 {
		t.Errorf("history channel pts %d, want 5 (3 posts and an empty update)", pts)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.w
	if !w.forbiddenFor("main", schema.PeerRef{Kind: schema.PeerChat, ID: 200001}) {
		t.Error("chat 200001 is not write-forbidden")
	}
	if p, ok := w.resolve("bchan"); !ok || p.ID != 1500000001 {
		t.Errorf("bchan resolves to %v %v", p, ok)
	}
	if !w.channels[1500000001].Kicked["second"] || !w.channels[1500000002].member("main") {
		t.Error("channel membership not replayed")
	}
	if q := w.queries[5186765587527811855]; q == nil || !q.Answered {
		t.Errorf("callback query %+v, want answered", q)
	}
	if w.scen == nil || len(w.scen.Users) != 2 {
		t.Errorf("scenario world %+v, want 2 users", w.scen)
	}
}

// TestOpsRoundTrip writes every op of the old journal anew and reads it
// back: the same ops.
func TestOpsRoundTrip(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "journal_v1", journalFile))
	if err != nil {
		t.Fatal(err)
	}
	ops, _, err := readOps(bytes.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for i := range ops {
		b, err := json.Marshal(&ops[i])
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(append(b, '\n'))
	}
	again, _, err := readOps(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, ops) {
		t.Fatalf("ops differ after a round trip:\n%+v\nwant\n%+v", again, ops)
	}
}

// TestMalformedOps applies ops no version writes: each is refused with
// ErrCorrupt, without a panic, when read and when applied.
func TestMalformedOps(t *testing.T) {
	user := schema.PeerRef{Kind: schema.PeerUser, ID: 100001}
	tests := []struct {
		name string
		line string
		op   op
	}{
		{"no kind", `{"now":1}`, op{}},
		{"send without message", `{"op":"send","now":1}`, op{Body: &sendOp{}}},
		{"api send without message", `{"op":"api_send","now":1,"account":"main"}`, op{Body: &apiSendOp{Account: "main"}}},
		{"edit without id", `{"op":"edit","now":1,"chat":{"kind":"user","id":100001},"text":"x"}`, op{Body: &editOp{Chat: user, Text: "x"}}},
		{"pin without id", `{"op":"pin","now":1,"chat":{"kind":"user","id":100001}}`, op{Body: &pinOp{Chat: user}}},
		{"react without id", `{"op":"react","now":1,"chat":{"kind":"user","id":100001}}`, op{Body: &reactOp{Chat: user}}},
		{"press without id", `{"op":"press","now":1,"chat":{"kind":"user","id":100001}}`, op{Body: &pressOp{Chat: user}}},
		{"forward without destination", `{"op":"api_forward","now":1,"ids":[1],"random_ids":[2]}`, op{Body: &apiForwardOp{IDs: []int{1}, RandomIDs: []int64{2}}}},
		{"forward without ids", `{"op":"api_forward","now":1,"to":{"kind":"user","id":100001}}`, op{Body: &apiForwardOp{To: &user}}},
		{"forward ids without random ids", `{"op":"api_forward","now":1,"to":{"kind":"user","id":100001},"ids":[1,2],"random_ids":[3]}`,
			op{Body: &apiForwardOp{To: &user, IDs: []int{1, 2}, RandomIDs: []int64{3}}}},
		{"scenario without scenario", `{"op":"scenario","now":1}`, op{Body: &scenarioOp{}}},
		{"more private chats than users", `{"op":"scenario","now":1,"scenario":{"users":1,"privates":3}}`, op{Body: &scenarioOp{Scenario: &Scenario{Users: 1, Privates: 3}}}},
		{"negative private chats", `{"op":"scenario","now":1,"scenario":{"privates":-1}}`, op{Body: &scenarioOp{Scenario: &Scenario{Privates: -1}}}},
		{"qts count", `{"op":"qts","now":1,"count":-1}`, op{Body: &qtsOp{Count: -1}}},
		{"history count", `{"op":"history","now":1,"count":100000000}`, op{Body: &historyOp{Count: 100000000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := readOps(strings.NewReader(tt.line + "\n")); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "line 1") {
				t.Errorf("reading %s: %v, want ErrCorrupt naming line 1", tt.line, err)
			}
			w := newWorld(testAccounts())
			t.Cleanup(func() { _ = w.store.close() })
			before := fingerprint(w)
			if _, err := w.apply(&tt.op); !errors.Is(err, ErrCorrupt) {
				t.Errorf("apply: %v, want ErrCorrupt", err)
			}
			if after := fingerprint(w); after != before {
				t.Errorf("a refused op changed the world: %s, was %s", after, before)
			}
		})
	}
}

// fingerprint sums up what any op changes.
func fingerprint(w *world) string {
	var msgs, events int
	for _, a := range w.accounts {
		msgs += len(a.Box.Msgs)
		events += len(a.Box.Events) + a.Qts
	}
	return fmt.Sprint(len(w.users), len(w.chats), len(w.channels), w.nextLogic, w.ledgerSeq, w.callSeq,
		msgs, events, len(w.queries), len(w.uploads), len(w.forbidden), w.scen != nil)
}

// FuzzApplyOps applies whatever journal lines read back to a small world:
// applying never panics; an op is applied or refused with an error.
func FuzzApplyOps(f *testing.F) {
	old, err := os.ReadFile(filepath.Join("testdata", "journal_v1", journalFile))
	if err != nil {
		f.Fatal(err)
	}
	for line := range bytes.Lines(old) {
		f.Add(line)
	}
	f.Add([]byte(`{"op":"edit","now":1,"chat":{"kind":"channel","id":1500000001},"ids":[9],"text":"x"}` + "\n"))
	f.Add([]byte(`{"op":"api_forward","now":1,"chat":{"kind":"user","id":100001},"account":"main","ids":[1],"random_ids":[1],"to":{"kind":"chat","id":5}}` + "\n"))
	f.Add([]byte(`{"op":"pin","now":1,"chat":{"kind":"channel","id":1500000002},"account":"nobody","ids":[1]}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, _, err := readOps(bytes.NewReader(data))
		if err != nil {
			return
		}
		w := newWorld(testAccounts())
		defer w.store.close()
		setup, _, err := readOps(bytes.NewReader(old))
		if err != nil {
			t.Fatal(err)
		}
		for i := range setup[:6] { // users, chats, channels and messages to act on
			if _, err := w.apply(&setup[i]); err != nil {
				t.Fatal(err)
			}
		}
		for i := range ops {
			_, _ = w.apply(&ops[i])
		}
	})
}
