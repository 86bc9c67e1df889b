package schema

import (
	"fmt"
	"hash/fnv"
)

// Kinds and actions of the bot query events (issue 12): inline queries,
// chosen inline results, and the payment queries of a bot's invoices.
// Inline-mode button presses are callback.query events (see CallbackQuery).
const (
	KindInline      = "inline"
	KindPrecheckout = "precheckout"
	KindShipping    = "shipping"

	ActionChosen = "chosen" // inline.chosen: a user sent one of the bot's inline results
)

// Inline query peer types: where the user typed the inline query.
const (
	InlinePeerSameBotPM = "same_bot_pm" // the private chat with the bot itself
	InlinePeerPM        = "pm"          // a private chat with another user
	InlinePeerChat      = "chat"        // a basic group
	InlinePeerMegagroup = "megagroup"   // a supergroup
	InlinePeerBroadcast = "broadcast"   // a broadcast channel
	InlinePeerBotPM     = "bot_pm"      // a private chat with another bot
)

// Geo is a point on the map, as a user's device reported it.
type Geo struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	// AccuracyRadius is the radius of uncertainty in meters, when known.
	AccuracyRadius int `json:"accuracy_radius,omitempty"`
}

// InlineQuery is the body of inline.query events: a user typed
// "@<bot> <query>" in some chat. The event is on the user's private chat
// with the bot (peer kind user, the user's id), message id 0. The bot
// answers with the inline.answer command, passing QueryID. Telegram
// delivers these only live: a query while the connector is disconnected
// is lost (and the user has moved on).
type InlineQuery struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"` // the user's private chat with the bot
	From    Sender `json:"from"` // the user who typed the query
	// QueryID is the int64 query id as a decimal string: the query_id of
	// inline.answer.
	QueryID string `json:"query_id"`
	Query   string `json:"query"`
	// Offset is the next_offset of the bot's previous answer, when the user
	// scrolled to load more results.
	Offset string `json:"offset"`
	// PeerType is where the query was typed (InlinePeer…), when Telegram says.
	PeerType string `json:"peer_type,omitempty"`
	// Geo is the user's location, for bots that ask for it.
	Geo *Geo `json:"geo,omitempty"`
}

// InlineChosen is the body of inline.chosen events: a user sent one of the
// bot's inline results (Telegram reports these only to bots that enabled
// inline feedback). The event is on the user's private chat with the bot.
type InlineChosen struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"` // the user's private chat with the bot
	From    Sender `json:"from"` // the user who chose the result
	// ResultID is the id the bot gave the result in inline.answer.
	ResultID string `json:"result_id"`
	Query    string `json:"query"`
	Geo      *Geo   `json:"geo,omitempty"`
	// InlineMessageID identifies the sent message (opaque), when the result
	// had an inline keyboard: presses of its buttons carry the same id.
	InlineMessageID string `json:"inline_message_id,omitempty"`
}

// InlineChosenVersion is the version of an inline.chosen event id.
// updateBotInlineSend carries no id of its own, so the version is the date
// of the containing updates times 1 000 000 plus an FNV-1a 64 digest,
// modulo 1 000 000, of result id, NUL, query, NUL, inline message id: a
// redelivery of one choice keeps its id; two choices differ unless the
// same user sends the same result for the same query within one second.
func InlineChosenVersion(date int, resultID, query, inlineMessageID string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", resultID, query, inlineMessageID)
	return int64(date)*editDigestRange + int64(h.Sum64()%editDigestRange)
}

// PostAddress is a shipping address.
type PostAddress struct {
	StreetLine1 string `json:"street_line1"`
	StreetLine2 string `json:"street_line2,omitempty"`
	City        string `json:"city"`
	State       string `json:"state,omitempty"`
	CountryCode string `json:"country_code"` // ISO 3166-1 alpha-2
	PostCode    string `json:"post_code"`
}

// OrderInfo is what the user entered on the invoice, as far as the bot
// asked for it.
type OrderInfo struct {
	Name            string       `json:"name,omitempty"`
	Phone           string       `json:"phone,omitempty"`
	Email           string       `json:"email,omitempty"`
	ShippingAddress *PostAddress `json:"shipping_address,omitempty"`
}

// PrecheckoutQuery is the body of precheckout.query events: a user
// confirmed a payment of the bot's invoice; the bot must answer with the
// precheckout.answer command (ok, or an error shown to the user) within
// 10 seconds. The event is on the user's private chat with the bot.
type PrecheckoutQuery struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"` // the user's private chat with the bot
	From    Sender `json:"from"` // the paying user
	// QueryID is the int64 query id as a decimal string: the query_id of
	// precheckout.answer.
	QueryID string `json:"query_id"`
	// Payload is the invoice's bot-defined payload (base64 in JSON);
	// PayloadText repeats it when it is valid UTF-8.
	Payload     []byte `json:"payload,omitempty"`
	PayloadText string `json:"payload_text,omitempty"`
	// Currency is the ISO 4217 code ("XTR" for Telegram Stars).
	Currency string `json:"currency"`
	// TotalAmount is in the smallest units of the currency.
	TotalAmount      int64      `json:"total_amount"`
	ShippingOptionID string     `json:"shipping_option_id,omitempty"`
	OrderInfo        *OrderInfo `json:"order_info,omitempty"`
}

// ShippingQuery is the body of shipping.query events: a user entered the
// shipping address of an invoice with flexible prices; the bot answers
// with the shipping.answer command (options or an error). The event is on
// the user's private chat with the bot.
type ShippingQuery struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"` // the user's private chat with the bot
	From    Sender `json:"from"` // the paying user
	// QueryID is the int64 query id as a decimal string: the query_id of
	// shipping.answer.
	QueryID         string      `json:"query_id"`
	Payload         []byte      `json:"payload,omitempty"`
	PayloadText     string      `json:"payload_text,omitempty"`
	ShippingAddress PostAddress `json:"shipping_address"`
}
