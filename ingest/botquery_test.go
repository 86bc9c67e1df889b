package ingest

import (
	"slices"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Inline queries, chosen results, inline-mode button presses and payment
// queries carry no pts or qts: like a button press, each is emitted where
// it arrives, on the asking user's private chat, without a difference.
func TestEngineEmitsBotQueriesInPlace(t *testing.T) {
	ft := newFakeTelegram()
	h := newHarness(t, ft, newMemStore())
	u1 := ft.newMessage(1, 7, "hello bot")
	h.push(wrap(u1))
	h.eventually("message committed", func() bool { return h.store.state().Pts == u1.Pts })

	inline := &tg.UpdateBotInlineQuery{QueryID: 81, UserID: 7, Query: "cats"}
	send := &tg.UpdateBotInlineSend{UserID: 7, Query: "cats", ID: "r1"}
	press := &tg.UpdateInlineBotCallbackQuery{QueryID: 82, UserID: 7, MsgID: &tg.InputBotInlineMessageID{DCID: 2, ID: 3, AccessHash: 4}, Data: []byte("x")}
	pre := &tg.UpdateBotPrecheckoutQuery{QueryID: 83, UserID: 7, Currency: "XTR", TotalAmount: 10}
	ship := &tg.UpdateBotShippingQuery{QueryID: 84, UserID: 7, ShippingAddress: tg.PostAddress{City: "Rome", CountryISO2: "IT"}}
	for _, u := range []interface{ SetFlags() }{inline, send, press, pre} {
		u.SetFlags()
	}
	const date = 1700000100
	h.push(&tg.Updates{Updates: []tg.UpdateClass{inline, send, press, pre, ship}, Users: []tg.UserClass{&tg.User{ID: 7, AccessHash: 5, FirstName: "Ann"}}, Date: date})
	u2 := ft.newMessage(2, 7, "thanks")
	h.push(wrap(u2))
	h.eventually("second message committed", func() bool { return h.store.state().Pts == u2.Pts })

	want := []string{
		created(user(7), 1),
		schema.EventID(account, user(7), 0, schema.KindInline, schema.ActionQuery, 81),
		schema.EventID(account, user(7), 0, schema.KindInline, schema.ActionChosen, schema.InlineChosenVersion(date, "r1", "cats", "")),
		schema.EventID(account, user(7), 0, schema.KindCallback, schema.ActionQuery, 82),
		schema.EventID(account, user(7), 0, schema.KindPrecheckout, schema.ActionQuery, 83),
		schema.EventID(account, user(7), 0, schema.KindShipping, schema.ActionQuery, 84),
		created(user(7), 2),
	}
	if got := h.store.ids(); !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	if n := ft.count("getDifference"); n != 0 {
		t.Fatalf("getDifference called %d times; bot queries need none", n)
	}
}
