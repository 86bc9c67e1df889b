package tgnats

import "context"

// BotQuery is what a simulated bot query made: the query id to answer
// (0 for an inline send), the inline message id of an inline send or press,
// and the id of the event the connector publishes for it.
type BotQuery struct {
	QueryID         int64  `json:"query_id,string,omitempty"`
	InlineMessageID string `json:"inline_message_id,omitempty"`
	EventID         string `json:"event_id"`
}

// InlineQuery makes user from type an inline query for the bot. The
// connector publishes inline.query (answer it with inline.answer).
func (c *Container) InlineQuery(ctx context.Context, from int64, query, offset string) (BotQuery, error) {
	var r BotQuery
	err := c.Control(ctx, "inline.query", map[string]any{"from": from, "query": query, "offset": offset}, &r)
	return r, err
}

// InlineSend makes user from send result resultID of an inline query. The
// connector publishes inline.chosen; r.InlineMessageID names the message
// sent, for PressInlineButton.
func (c *Container) InlineSend(ctx context.Context, from int64, query, resultID string) (BotQuery, error) {
	var r BotQuery
	err := c.Control(ctx, "inline.send", map[string]any{"from": from, "query": query, "result_id": resultID}, &r)
	return r, err
}

// PressInlineButton makes user from press a button with callback data
// under an inline message (inlineMessageID from InlineSend, "" for a new
// one). The connector publishes callback.query with inline_message_id
// (answer it with callback.answer).
func (c *Container) PressInlineButton(ctx context.Context, from int64, inlineMessageID, data string) (BotQuery, error) {
	var r BotQuery
	err := c.Control(ctx, "inline.press", map[string]any{"from": from, "inline_message_id": inlineMessageID, "data": data}, &r)
	return r, err
}

// PrecheckoutQuery makes user from confirm a payment of totalAmount (in
// the currency's smallest units). The connector publishes
// precheckout.query (answer it with precheckout.answer).
func (c *Container) PrecheckoutQuery(ctx context.Context, from int64, payload, currency string, totalAmount int64) (BotQuery, error) {
	var r BotQuery
	err := c.Control(ctx, "precheckout", map[string]any{"from": from, "payload": payload, "currency": currency, "total_amount": totalAmount}, &r)
	return r, err
}

// ShippingQuery makes user from enter a shipping address for an invoice.
// The connector publishes shipping.query (answer it with shipping.answer).
func (c *Container) ShippingQuery(ctx context.Context, from int64, payload string) (BotQuery, error) {
	var r BotQuery
	err := c.Control(ctx, "shipping", map[string]any{"from": from, "payload": payload}, &r)
	return r, err
}
