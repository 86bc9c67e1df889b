package mapping_test

import (
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
)

// Bot queries: the query id versions the id; inline.chosen, without an id,
// is versioned by its date and content, so a redelivery keeps its id.
func TestBotQueryIDs(t *testing.T) {
	first := func(u tg.UpdateClass, at int) schema.Event {
		t.Helper()
		evs, err := mapping.Update(account, u, entities(), at, nil)
		if err != nil || len(evs) != 1 {
			t.Fatalf("Update(%T) = %v, %v", u, evs, err)
		}
		return evs[0]
	}
	user := schema.PeerRef{Kind: schema.PeerUser, ID: alice}
	for _, tt := range []struct {
		u            tg.UpdateClass
		kind, action string
		version      int64
	}{
		{&tg.UpdateBotInlineQuery{QueryID: -9, UserID: alice, Query: "q"}, schema.KindInline, schema.ActionQuery, -9},
		{&tg.UpdateBotPrecheckoutQuery{QueryID: 10, UserID: alice, Currency: "XTR", TotalAmount: 5}, schema.KindPrecheckout, schema.ActionQuery, 10},
		{&tg.UpdateBotShippingQuery{QueryID: 11, UserID: alice}, schema.KindShipping, schema.ActionQuery, 11},
		{&tg.UpdateInlineBotCallbackQuery{QueryID: 12, UserID: alice, MsgID: &tg.InputBotInlineMessageID{DCID: 1, ID: 2, AccessHash: 3}}, schema.KindCallback, schema.ActionQuery, 12},
	} {
		ev := first(tt.u, date)
		if want := schema.EventID(account, user, 0, tt.kind, tt.action, tt.version); ev.ID != want || ev.Peer != user || ev.MessageID != 0 {
			t.Errorf("%T: id %s peer %v msg %d, want %s on %v", tt.u, ev.ID, ev.Peer, ev.MessageID, want, user)
		}
	}

	send := func(result string) *tg.UpdateBotInlineSend {
		return &tg.UpdateBotInlineSend{UserID: alice, Query: "q", ID: result}
	}
	a, again, other, later := first(send("a"), date), first(send("a"), date), first(send("b"), date), first(send("a"), date+1)
	if a.ID != again.ID || a.ID == other.ID || a.ID == later.ID {
		t.Errorf("inline.chosen ids: %s, again %s, other result %s, a second later %s", a.ID, again.ID, other.ID, later.ID)
	}
	if want := schema.EventID(account, user, 0, schema.KindInline, schema.ActionChosen, schema.InlineChosenVersion(date, "a", "q", "")); a.ID != want {
		t.Errorf("inline.chosen id %s, want %s", a.ID, want)
	}
}
