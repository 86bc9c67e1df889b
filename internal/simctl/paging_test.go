package simctl

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// TestLedgerPages reads a ledger bigger than NATS's 1 MB payload limit:
// every page stays under it, and the pages add up to the whole ledger.
func TestLedgerPages(t *testing.T) {
	f := newFixture(t)
	u := f.sim.CreateUser("Big", "", "")
	text := strings.Repeat("четыре ", 500) // 3500 UTF-16 units, 7 KB of JSON
	for range 300 {
		if _, err := f.sim.SendMessage(context.Background(), sim.Outgoing{Chat: schema.PeerRef{Kind: schema.PeerUser, ID: u}, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	total := len(f.sim.Ledger(f.acc))
	read, pages, from := 0, 0, 0
	for {
		m, err := f.nc.Request(schema.ControlSubject(schema.DefaultControlPrefix, f.acc, "ledger"), []byte(`{"from":`+strconv.Itoa(from)+`,"limit":10000}`), 10*time.Second)
		if err != nil {
			t.Fatalf("ledger page from %d: %v", from, err)
		}
		if len(m.Data) > 1<<20 {
			t.Fatalf("ledger page of %d bytes passes NATS's 1 MB limit", len(m.Data))
		}
		var a struct {
			OK     bool       `json:"ok"`
			Result LedgerPage `json:"result"`
		}
		if err := json.Unmarshal(m.Data, &a); err != nil || !a.OK {
			t.Fatalf("ledger page from %d: %s", from, m.Data[:min(len(m.Data), 300)])
		}
		pages++
		read += len(a.Result.Entries)
		if a.Result.Next == 0 {
			break
		}
		if a.Result.Next != from+len(a.Result.Entries) {
			t.Fatalf("next %d after %d entries from %d", a.Result.Next, len(a.Result.Entries), from)
		}
		from = a.Result.Next
	}
	if read != total || pages < 2 {
		t.Fatalf("read %d entries in %d pages, want %d in 2 or more", read, pages, total)
	}
	var small LedgerPage
	f.ok(t, "ledger", `{"limit":5}`, &small)
	if len(small.Entries) != 5 || small.Next != 5 || small.Total != total {
		t.Fatalf("ledger limit 5: %d entries, next %d, total %d", len(small.Entries), small.Next, small.Total)
	}
}

// TestFaultVerb injects faults through the control surface.
func TestFaultVerb(t *testing.T) {
	f := newFixture(t)
	var ch struct {
		Chat Chat `json:"chat"`
	}
	f.ok(t, "fault", `{"kind":"channel.history","n":3,"title":"Old"}`, &ch)
	if ch.Chat.Kind != schema.PeerChannel || ch.Chat.ID <= 0 {
		t.Fatalf("channel.history answered %+v", ch)
	}
	id := strconv.FormatInt(ch.Chat.ID, 10)
	f.ok(t, "fault", `{"kind":"channel.join","channel":`+id+`}`, nil)
	f.ok(t, "fault", `{"kind":"channel.leave","channel":`+id+`}`, nil)
	f.ok(t, "fault", `{"kind":"call.error","method":"updates.getDifference","code":500,"error":"HISTORY_GET_FAILED"}`, nil)
	f.ok(t, "fault", `{"kind":"combine","n":2,"drop":true}`, nil)
	f.call(t, "user.create", `{"first_name":"Q"}`)
	f.ok(t, "fault", `{"kind":"qts","n":2}`, nil)
	var calls struct {
		Calls map[string]int `json:"calls"`
	}
	f.ok(t, "calls", `{}`, &calls)
	for _, tc := range []struct{ body, code string }{
		{`{"kind":"frob"}`, CodeInvalidArgument},
		{`{"kind":"channel.leave"}`, CodeInvalidArgument},
		{`{"kind":"qts","n":1,"account":"other"}`, CodeInvalidArgument},
		{`{"kind":"channel.join","channel":42}`, CodeNotFound},
		{`{"kind":"replay"}`, CodeNotFound},
	} {
		a := f.call(t, "fault", tc.body)
		if a.OK || a.Error.Code != tc.code {
			t.Errorf("fault %s: %+v, want %s", tc.body, a.Error, tc.code)
		}
	}
}
