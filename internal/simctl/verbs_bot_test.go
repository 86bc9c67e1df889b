package simctl

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

func TestBotQueryVerbs(t *testing.T) {
	f := newFixture(t)
	var user struct {
		UserID int64 `json:"user_id"`
	}
	f.ok(t, "user.create", `{"first_name":"Ann"}`, &user)
	from := itoa(user.UserID)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: user.UserID}

	var q, sent, press, pre, ship BotResult
	f.ok(t, "inline.query", `{"from":`+from+`,"query":"cats","offset":"5"}`, &q)
	f.ok(t, "inline.send", `{"from":`+from+`,"query":"cats","result_id":"r1"}`, &sent)
	f.ok(t, "inline.press", `{"from":`+from+`,"inline_message_id":"`+sent.InlineMessageID+`","data":"like"}`, &press)
	f.ok(t, "precheckout", `{"from":`+from+`,"payload":"order-1","currency":"EUR","total_amount":1299}`, &pre)
	f.ok(t, "shipping", `{"from":`+from+`,"payload":"order-1"}`, &ship)
	if q.QueryID == 0 || sent.QueryID != 0 || sent.InlineMessageID == "" || press.InlineMessageID != sent.InlineMessageID || pre.QueryID == 0 || ship.QueryID == 0 {
		t.Fatalf("results %+v %+v %+v %+v %+v", q, sent, press, pre, ship)
	}
	want := map[string]string{
		q.EventID:     schema.EventID(f.acc, private, 0, schema.KindInline, schema.ActionQuery, q.QueryID),
		press.EventID: schema.EventID(f.acc, private, 0, schema.KindCallback, schema.ActionQuery, press.QueryID),
		pre.EventID:   schema.EventID(f.acc, private, 0, schema.KindPrecheckout, schema.ActionQuery, pre.QueryID),
		ship.EventID:  schema.EventID(f.acc, private, 0, schema.KindShipping, schema.ActionQuery, ship.QueryID),
	}
	for got, w := range want {
		if got != w {
			t.Errorf("event id %s, want %s", got, w)
		}
	}

	// The ledger lists each, live, with its event id and subject.
	var led LedgerPage
	f.ok(t, "ledger", `{}`, &led)
	seen := map[string]bool{}
	for _, e := range led.Entries {
		if e.Kind == "" {
			continue
		}
		seen[e.EventID] = true
		wantSubject := "tg." + f.acc + ".events." + e.Kind + "." + e.Action + ".user." + strconv.FormatInt(user.UserID, 10)
		if !e.Live || e.Subject != wantSubject {
			t.Errorf("ledger entry %+v, want live on %s", e, wantSubject)
		}
	}
	for _, id := range []string{q.EventID, sent.EventID, press.EventID, pre.EventID, ship.EventID} {
		if !seen[id] {
			t.Errorf("ledger lacks %s", id)
		}
	}

	for _, tt := range []struct{ verb, body, msg string }{
		{"inline.query", `{"query":"x"}`, "from"},
		{"inline.send", `{"from":` + from + `}`, "result_id"},
		{"inline.press", `{"from":0}`, "from"},
		{"precheckout", `{"from":` + from + `,"currency":"EUR"}`, "total_amount"},
		{"shipping", `{"from":` + from + `,"city":"x"}`, "city"},
	} {
		a := f.call(t, tt.verb, tt.body)
		if a.OK || a.Error.Code != CodeInvalidArgument || !strings.Contains(a.Error.Message, tt.msg) {
			t.Errorf("%s %s: %+v, want INVALID_ARGUMENT with %q", tt.verb, tt.body, a, tt.msg)
		}
	}
	if a := f.call(t, "shipping", `{"from":999999999}`); a.OK || a.Error.Code != CodeNotFound {
		t.Errorf("unknown user: %+v", a)
	}
}
