package simctl

import (
	"context"

	"github.com/tgnats/tgnats/internal/sim"
)

// Verbs of the bot queries a user makes of the simulated bot account
// (sim.BotQuery): inline.query, inline.send, inline.press, precheckout and
// shipping. Each answers a BotResult: the query id to answer (a decimal
// string, as in the events), the inline message id of inline.send and
// inline.press, and the id of the event the connector publishes.

// BotResult is the answer to the bot query verbs.
type BotResult = sim.BotQueryResult

// InlineQueryRequest makes user From type an inline query (inline.query);
// the connector publishes inline.query, answered with inline.answer.
type InlineQueryRequest struct {
	From   int64  `json:"from"`
	Query  string `json:"query"`
	Offset string `json:"offset,omitempty"`
}

// InlineSendRequest makes user From send result ResultID of an inline
// query (inline.send); the connector publishes inline.chosen.
type InlineSendRequest struct {
	From     int64  `json:"from"`
	Query    string `json:"query"`
	ResultID string `json:"result_id"`
}

// InlinePressRequest makes user From press a button with Data under an
// inline message (inline.press): the inline_message_id an inline.send
// answered, or a new one when empty. The connector publishes callback.query
// with inline_message_id, answered with callback.answer.
type InlinePressRequest struct {
	From            int64  `json:"from"`
	InlineMessageID string `json:"inline_message_id,omitempty"`
	Data            string `json:"data"`
}

// PrecheckoutRequest makes user From confirm a payment (precheckout); the
// connector publishes precheckout.query, answered with precheckout.answer.
type PrecheckoutRequest struct {
	From        int64  `json:"from"`
	Payload     string `json:"payload,omitempty"`
	Currency    string `json:"currency"`
	TotalAmount int64  `json:"total_amount"`
}

// ShippingRequest makes user From enter a shipping address (shipping); the
// connector publishes shipping.query, answered with shipping.answer.
type ShippingRequest struct {
	From    int64  `json:"from"`
	Payload string `json:"payload,omitempty"`
}

func checkFrom(from int64) error {
	if from <= 0 {
		return invalid("from %d: want the id of the user who asks", from)
	}
	return nil
}

func (r *InlineQueryRequest) validate() error { return checkFrom(r.From) }
func (r *InlinePressRequest) validate() error { return checkFrom(r.From) }
func (r *ShippingRequest) validate() error    { return checkFrom(r.From) }

func (r *InlineSendRequest) validate() error {
	if r.ResultID == "" {
		return invalid("result_id is required")
	}
	return checkFrom(r.From)
}

func (r *PrecheckoutRequest) validate() error {
	if r.Currency == "" || r.TotalAmount <= 0 {
		return invalid("currency and a positive total_amount are required")
	}
	return checkFrom(r.From)
}

// botQuery decodes a request of a bot query verb and makes the query.
func (s *Server) botQuery(ctx context.Context, body []byte, r request, q func() sim.BotQuery) (any, error) {
	if err := decodeValid(body, r); err != nil {
		return nil, err
	}
	bq := q()
	bq.Account = s.cfg.Account
	return s.cfg.Sim.BotQuery(ctx, bq)
}

func (s *Server) inlineQuery(ctx context.Context, body []byte) (any, error) {
	var r InlineQueryRequest
	return s.botQuery(ctx, body, &r, func() sim.BotQuery {
		return sim.BotQuery{Kind: sim.BotQueryInline, From: r.From, Query: r.Query, Offset: r.Offset}
	})
}

func (s *Server) inlineSend(ctx context.Context, body []byte) (any, error) {
	var r InlineSendRequest
	return s.botQuery(ctx, body, &r, func() sim.BotQuery {
		return sim.BotQuery{Kind: sim.BotQueryInlineSend, From: r.From, Query: r.Query, ResultID: r.ResultID}
	})
}

func (s *Server) inlinePress(ctx context.Context, body []byte) (any, error) {
	var r InlinePressRequest
	return s.botQuery(ctx, body, &r, func() sim.BotQuery {
		return sim.BotQuery{Kind: sim.BotQueryInlinePress, From: r.From, InlineMessageID: r.InlineMessageID, Data: []byte(r.Data)}
	})
}

func (s *Server) precheckout(ctx context.Context, body []byte) (any, error) {
	var r PrecheckoutRequest
	return s.botQuery(ctx, body, &r, func() sim.BotQuery {
		return sim.BotQuery{Kind: sim.BotQueryPrecheckout, From: r.From, Data: []byte(r.Payload), Currency: r.Currency, Amount: r.TotalAmount}
	})
}

func (s *Server) shipping(ctx context.Context, body []byte) (any, error) {
	var r ShippingRequest
	return s.botQuery(ctx, body, &r, func() sim.BotQuery {
		return sim.BotQuery{Kind: sim.BotQueryShipping, From: r.From, Data: []byte(r.Payload)}
	})
}
