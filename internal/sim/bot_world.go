package sim

import (
	"context"
	"fmt"
	"slices"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// Bot queries a user makes of a bot account: inline queries and the
// results they send, presses of buttons under messages sent via the bot
// (inline mode), and the pre-checkout and shipping queries of invoices.
// Like button presses under chat messages they carry no pts or qts:
// Telegram pushes them to the bot's live sessions only, and a query made
// while the bot is disconnected is never delivered (getDifference does not
// return them). They enter the ledger marked Live, with the id of the
// event the connector publishes when it gets them.

// Kinds of BotQuery.
const (
	BotQueryInline      = "inline"       // updateBotInlineQuery
	BotQueryInlineSend  = "inline_send"  // updateBotInlineSend: the user sent a result
	BotQueryInlinePress = "inline_press" // updateInlineBotCallbackQuery
	BotQueryPrecheckout = "precheckout"  // updateBotPrecheckoutQuery
	BotQueryShipping    = "shipping"     // updateBotShippingQuery
)

// BotQuery is one query of user From to bot account Account (Sim.BotQuery).
type BotQuery struct {
	Account string `json:"account,omitempty"`
	Kind    string `json:"kind"`
	From    int64  `json:"from"`
	// Query is the inline query's text (inline, inline_send); Offset the
	// offset asked for (inline).
	Query  string `json:"query,omitempty"`
	Offset string `json:"offset,omitempty"`
	// ResultID is the result the user sent (inline_send).
	ResultID string `json:"result_id,omitempty"`
	// InlineMessageID is the message whose button is pressed (inline_press),
	// as a BotQueryResult of an inline_send gave it; "" for a new one.
	InlineMessageID string `json:"inline_message_id,omitempty"`
	// Data is the button's callback data (inline_press) or the invoice
	// payload (precheckout, shipping).
	Data []byte `json:"data,omitempty"`
	// Currency and Amount are the invoice's (precheckout).
	Currency string `json:"currency,omitempty"`
	Amount   int64  `json:"amount,omitempty"`
}

// BotQueryResult is what a BotQuery made.
type BotQueryResult struct {
	// QueryID is the query id to answer (0 for inline_send).
	QueryID int64 `json:"query_id,string,omitempty"`
	// InlineMessageID is the inline message of an inline_send or
	// inline_press (opaque, as the connector publishes it).
	InlineMessageID string `json:"inline_message_id,omitempty"`
	// EventID is the id of the event the connector publishes.
	EventID string `json:"event_id"`
}

// BotQuery makes q: the bot's sessions get the update (no pts or qts, not
// subject to faults); the ledger gets a Live entry.
func (s *Sim) BotQuery(ctx context.Context, q BotQuery) (BotQueryResult, error) {
	if err := ctx.Err(); err != nil {
		return BotQueryResult{}, err
	}
	if q.Account == "" {
		q.Account = s.cfg.Accounts[0].Name
	}
	if err := (&botQueryOp{BotQuery: q}).check(); err != nil {
		return BotQueryResult{}, fmt.Errorf("%w: bot query kind %q", ErrInvalid, q.Kind)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _, err := s.changeLocked(&op{Body: &botQueryOp{BotQuery: q}}, nil)
	if err != nil {
		return BotQueryResult{}, fmt.Errorf("bot query: %w", err)
	}
	bq := s.w.queries[id]
	a := s.w.byName[q.Account]
	e := a.Ledger[len(a.Ledger)-1]
	res := BotQueryResult{InlineMessageID: bq.InlineMsg, EventID: e.EventID()}
	if bq.Kind != BotQueryInlineSend {
		res.QueryID = bq.ID
	}
	return res, nil
}

// botQueryOp is Sim.BotQuery.
type botQueryOp struct {
	BotQuery
}

func (*botQueryOp) kind() string { return opBotQuery }
func (o *botQueryOp) check() error {
	switch o.Kind {
	case BotQueryInline, BotQueryInlineSend, BotQueryInlinePress, BotQueryPrecheckout, BotQueryShipping:
		return nil
	}
	return corrupt(opBotQuery, "kind %q", o.Kind)
}
func (o *botQueryOp) apply(w *world, date int, _ *Call) (int64, error) {
	return w.botQuery(&o.BotQuery, date)
}

// botQuery registers a bot query (in w.queries, answerable by its kind's
// method), records its ledger entry and queues its push.
func (w *world) botQuery(o *BotQuery, date int) (int64, error) {
	a, err := w.account(o.Account)
	if err != nil {
		return 0, err
	}
	if a.BotToken == "" {
		return 0, fmt.Errorf("%w: %s is not a bot: only bots get bot queries", ErrInvalid, a.Name)
	}
	if _, ok := w.users[o.From]; !ok || w.isAccountUser(o.From) {
		return 0, fmt.Errorf("%w: user %d", ErrNotFound, o.From)
	}
	if o.Kind == BotQueryInlineSend && o.ResultID == "" {
		return 0, fmt.Errorf("%w: inline_send without result_id", ErrInvalid)
	}
	if o.Kind == BotQueryPrecheckout && (o.Currency == "" || o.Amount <= 0) {
		return 0, fmt.Errorf("%w: precheckout wants a currency and a positive amount", ErrInvalid)
	}
	if o.InlineMessageID != "" {
		if _, err := tgconv.ParseInlineMessageID(o.InlineMessageID); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	w.nextQuery++
	q := &callbackQuery{
		ID: accessHash("query", w.nextQuery), Account: a.Name, Kind: o.Kind, From: o.From, Date: date,
		Chat: schema.PeerRef{Kind: schema.PeerUser, ID: o.From}, Data: slices.Clone(o.Data),
		Query: o.Query, Offset: o.Offset, ResultID: o.ResultID, Currency: o.Currency, Amount: o.Amount,
		InlineMsg: o.InlineMessageID,
	}
	if q.InlineMsg == "" && (o.Kind == BotQueryInlineSend || o.Kind == BotQueryInlinePress) {
		q.InlineMsg = tgconv.InlineMessageID(&tg.InputBotInlineMessageID64{
			DCID: 1, OwnerID: o.From, ID: int(w.nextQuery), AccessHash: accessHash("inline", w.nextQuery),
		})
	}
	w.queries[q.ID] = q
	kind, action, version := q.event()
	w.ledgerSeq++
	a.Ledger = append(a.Ledger, LedgerEntry{
		Seq: w.ledgerSeq, Account: a.Name, Kind: kind, Action: action, Peer: q.Chat, Version: version,
		Time: unixTime(date), Text: q.Query, From: q.From, Live: true,
	})
	if w.live {
		w.pushes = append(w.pushes, push{Account: a.Name, Callback: q})
	}
	return q.ID, nil
}

// event is the kind, action and id version of the event the connector
// publishes for q, a bot query (schema.EventID on the user's private chat,
// message id 0).
func (q *callbackQuery) event() (kind, action string, version int64) {
	switch q.Kind {
	case BotQueryInline:
		return schema.KindInline, schema.ActionQuery, q.ID
	case BotQueryInlineSend:
		return schema.KindInline, schema.ActionChosen, schema.InlineChosenVersion(q.Date, q.ResultID, q.Query, q.InlineMsg)
	case BotQueryPrecheckout:
		return schema.KindPrecheckout, schema.ActionQuery, q.ID
	case BotQueryShipping:
		return schema.KindShipping, schema.ActionQuery, q.ID
	}
	return schema.KindCallback, schema.ActionQuery, q.ID
}

// answerable reports whether account may answer q with a method for
// queries of kinds.
func (q *callbackQuery) answerable(account string, kinds ...string) bool {
	return q != nil && q.Account == account && !q.Answered && slices.Contains(kinds, q.Kind)
}

// botQueryUpdate renders q, a bot query, as the update Telegram pushes.
func botQueryUpdate(q *callbackQuery) tg.UpdateClass {
	switch q.Kind {
	case BotQueryInline:
		u := &tg.UpdateBotInlineQuery{QueryID: q.ID, UserID: q.From, Query: q.Query, Offset: q.Offset,
			PeerType: &tg.InlineQueryPeerTypeSameBotPM{}}
		u.SetFlags()
		return u
	case BotQueryInlineSend:
		u := &tg.UpdateBotInlineSend{UserID: q.From, Query: q.Query, ID: q.ResultID}
		if id, err := tgconv.ParseInlineMessageID(q.InlineMsg); err == nil {
			u.MsgID = id
		}
		u.SetFlags()
		return u
	case BotQueryInlinePress:
		id, _ := tgconv.ParseInlineMessageID(q.InlineMsg) // checked when made
		u := &tg.UpdateInlineBotCallbackQuery{QueryID: q.ID, UserID: q.From, MsgID: id,
			ChatInstance: accessHash("instance", q.From), Data: slices.Clone(q.Data)}
		u.SetFlags()
		return u
	case BotQueryPrecheckout:
		u := &tg.UpdateBotPrecheckoutQuery{QueryID: q.ID, UserID: q.From, Payload: slices.Clone(q.Data),
			Currency: q.Currency, TotalAmount: q.Amount}
		u.SetFlags()
		return u
	case BotQueryShipping:
		return &tg.UpdateBotShippingQuery{QueryID: q.ID, UserID: q.From, Payload: slices.Clone(q.Data),
			ShippingAddress: tg.PostAddress{StreetLine1: "1 Simulated Way", City: "Simville", CountryISO2: "DE", PostCode: "10115"}}
	}
	return &tg.UpdateBotCallbackQuery{
		QueryID: q.ID, UserID: q.From, Peer: tgconv.PeerTL(q.Chat), MsgID: q.MsgID,
		ChatInstance: accessHash("instance", q.Chat.ID), Data: slices.Clone(q.Data),
	}
}
