package sim

import (
	"errors"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// waitUpdate waits until main's client got an update matching f after mark.
func waitUpdate(t *testing.T, mark int, f func(tg.UpdateClass) bool) {
	t.Helper()
	mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool {
		for _, p := range flatten(ups) {
			if p.update != nil && f(p.update) {
				return true
			}
		}
		return false
	})
}

func TestBotQueries(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	query := func(q BotQuery) BotQueryResult {
		t.Helper()
		q.From = u
		res, err := shared.BotQuery(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q.Kind, err)
		}
		e := lastLedger("main")
		if !e.Live || e.Peer != private || e.MessageID != 0 || e.EventID() != res.EventID || e.From != u {
			t.Fatalf("%s: ledger entry %+v, result %+v", q.Kind, e, res)
		}
		return res
	}

	t.Run("inline query and answer", func(t *testing.T) {
		mark := mainRec.mark()
		res := query(BotQuery{Kind: BotQueryInline, Query: "gophers", Offset: "5"})
		waitUpdate(t, mark, func(x tg.UpdateClass) bool {
			q, ok := x.(*tg.UpdateBotInlineQuery)
			return ok && q.QueryID == res.QueryID && q.UserID == u && q.Query == "gophers" && q.Offset == "5"
		})
		if want := schema.EventID("main", private, 0, schema.KindInline, schema.ActionQuery, res.QueryID); res.EventID != want {
			t.Errorf("event id %s, want %s", res.EventID, want)
		}
		answer := func(q int64, ids ...string) error {
			var results []tg.InputBotInlineResultClass
			for _, id := range ids {
				results = append(results, &tg.InputBotInlineResult{ID: id, Type: "article", Title: id,
					SendMessage: &tg.InputBotInlineMessageText{Message: "text of " + id}})
			}
			_, err := mainAPI.MessagesSetInlineBotResults(ctx, &tg.MessagesSetInlineBotResultsRequest{QueryID: q, Results: results, CacheTime: 9, NextOffset: "10"})
			return err
		}
		wantRPCError(t, answer(res.QueryID, "a", "a"), "RESULT_ID_DUPLICATE")
		if err := answer(res.QueryID, "a", "b"); err != nil {
			t.Fatal(err)
		}
		if c := lastCall(t, "main"); c.Method != "messages.setInlineBotResults" || c.Peer != private || c.Text != "text of a" ||
			!strings.Contains(c.Detail, "results=a,b") || !strings.Contains(c.Detail, "next_offset=10") {
			t.Errorf("answer call %+v", c)
		}
		wantRPCError(t, answer(res.QueryID, "a"), "QUERY_ID_INVALID")
	})

	t.Run("inline send and press", func(t *testing.T) {
		mark := mainRec.mark()
		sent := query(BotQuery{Kind: BotQueryInlineSend, Query: "gophers", ResultID: "b"})
		if sent.QueryID != 0 || sent.InlineMessageID == "" {
			t.Fatalf("inline send result %+v", sent)
		}
		waitUpdate(t, mark, func(x tg.UpdateClass) bool {
			s, ok := x.(*tg.UpdateBotInlineSend)
			return ok && s.UserID == u && s.ID == "b" && tgconv.InlineMessageID(s.MsgID) == sent.InlineMessageID
		})
		mark = mainRec.mark()
		press := query(BotQuery{Kind: BotQueryInlinePress, InlineMessageID: sent.InlineMessageID, Data: []byte("like")})
		waitUpdate(t, mark, func(x tg.UpdateClass) bool {
			p, ok := x.(*tg.UpdateInlineBotCallbackQuery)
			return ok && p.QueryID == press.QueryID && string(p.Data) == "like" && tgconv.InlineMessageID(p.MsgID) == sent.InlineMessageID
		})
		if want := schema.EventID("main", private, 0, schema.KindCallback, schema.ActionQuery, press.QueryID); press.EventID != want {
			t.Errorf("event id %s, want %s", press.EventID, want)
		}
		if _, err := mainAPI.MessagesSetBotCallbackAnswer(ctx, &tg.MessagesSetBotCallbackAnswerRequest{QueryID: press.QueryID, Message: "liked"}); err != nil {
			t.Fatal(err)
		}
		if c := lastCall(t, "main"); c.Method != "messages.setBotCallbackAnswer" || c.Text != "liked" || c.Peer != private {
			t.Errorf("answer call %+v", c)
		}
	})

	t.Run("payments", func(t *testing.T) {
		mark := mainRec.mark()
		pre := query(BotQuery{Kind: BotQueryPrecheckout, Data: []byte("order-1"), Currency: "EUR", Amount: 1299})
		ship := query(BotQuery{Kind: BotQueryShipping, Data: []byte("order-1")})
		waitUpdate(t, mark, func(x tg.UpdateClass) bool {
			p, ok := x.(*tg.UpdateBotPrecheckoutQuery)
			return ok && p.QueryID == pre.QueryID && p.Currency == "EUR" && p.TotalAmount == 1299 && string(p.Payload) == "order-1"
		})
		waitUpdate(t, mark, func(x tg.UpdateClass) bool {
			s, ok := x.(*tg.UpdateBotShippingQuery)
			return ok && s.QueryID == ship.QueryID && s.ShippingAddress.CountryISO2 != ""
		})
		// An answer of the wrong kind is refused.
		_, err := mainAPI.MessagesSetBotCallbackAnswer(ctx, &tg.MessagesSetBotCallbackAnswerRequest{QueryID: pre.QueryID})
		wantRPCError(t, err, "QUERY_ID_INVALID")
		_, err = mainAPI.MessagesSetBotPrecheckoutResults(ctx, &tg.MessagesSetBotPrecheckoutResultsRequest{QueryID: pre.QueryID})
		wantRPCError(t, err, "ERROR_TEXT_EMPTY")
		if _, err := mainAPI.MessagesSetBotPrecheckoutResults(ctx, &tg.MessagesSetBotPrecheckoutResultsRequest{QueryID: pre.QueryID, Success: true}); err != nil {
			t.Fatal(err)
		}
		if c := lastCall(t, "main"); c.Method != "messages.setBotPrecheckoutResults" || !strings.Contains(c.Detail, "success") {
			t.Errorf("answer call %+v", c)
		}
		if _, err := mainAPI.MessagesSetBotShippingResults(ctx, &tg.MessagesSetBotShippingResultsRequest{QueryID: ship.QueryID,
			ShippingOptions: []tg.ShippingOption{{ID: "dhl", Title: "DHL", Prices: []tg.LabeledPrice{{Label: "Parcel", Amount: 499}}}}}); err != nil {
			t.Fatal(err)
		}
		if c := lastCall(t, "main"); c.Method != "messages.setBotShippingResults" || !strings.Contains(c.Detail, "options=dhl") {
			t.Errorf("answer call %+v", c)
		}
	})

	t.Run("refused", func(t *testing.T) {
		for _, q := range []BotQuery{
			{Kind: BotQueryInline, From: 1 << 40},
			{Kind: BotQueryInlineSend, From: u},
			{Kind: BotQueryPrecheckout, From: u, Currency: "EUR"},
			{Kind: BotQueryInlinePress, From: u, InlineMessageID: "!"},
		} {
			if _, err := shared.BotQuery(ctx, q); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: %v", q, err)
			}
		}
		if _, err := shared.BotQuery(ctx, BotQuery{Kind: "nope", From: u}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown kind: %v", err)
		}
	})
}
