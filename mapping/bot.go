package mapping

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// The bot queries that name no chat (inline-mode button presses, inline
// queries and their chosen results, pre-checkout and shipping queries) are
// published on the asking user's private chat with the bot: peer kind
// user, the user's id, message id 0, so that one user's queries keep their
// order. None of these updates has a date: it is the containing Updates'.
// Query kinds are versioned by the query id; inline.chosen, which has no
// id, by schema.InlineChosenVersion.

// userQuery is the private chat of the user who asked, with their sender.
func userQuery(what string, queryID, userID int64, ent tg.Entities) (schema.PeerRef, schema.Chat, schema.Sender, error) {
	if userID <= 0 {
		return schema.PeerRef{}, schema.Chat{}, schema.Sender{}, fmt.Errorf("%w: %s %d: user id %d", ErrMalformed, what, queryID, userID)
	}
	peer := schema.PeerRef{Kind: schema.PeerUser, ID: userID}
	return peer, chatOf(peer, ent), *senderOf(peer, ent), nil
}

// botEvent is the event of a bot query on peer.
func botEvent(in input, peer schema.PeerRef, kind, action string, version int64, body any) []schema.Event {
	return []schema.Event{{
		ID:      schema.EventID(in.account, peer, 0, kind, action, version),
		Account: in.account,
		Kind:    kind,
		Action:  action,
		Peer:    peer,
		Time:    unix(in.date),
		Data:    body,
	}}
}

// inlineCallbackQuery maps an updateInlineBotCallbackQuery, a press of a
// button under a message sent via the bot in inline mode, to a
// callback.query event carrying the inline message id.
func inlineCallbackQuery(in input, u *tg.UpdateInlineBotCallbackQuery) ([]schema.Event, error) {
	peer, chat, from, err := userQuery("inline callback query", u.QueryID, u.UserID, in.ent)
	if err != nil {
		return nil, err
	}
	msgID := tgconv.InlineMessageID(u.MsgID)
	if msgID == "" {
		return nil, fmt.Errorf("%w: inline callback query %d: no inline message id", ErrMalformed, u.QueryID)
	}
	body := &schema.CallbackQuery{
		Account:         in.account,
		Chat:            chat,
		From:            from,
		InlineMessageID: msgID,
		QueryID:         strconv.FormatInt(u.QueryID, 10),
		ChatInstance:    strconv.FormatInt(u.ChatInstance, 10),
		GameShortName:   u.GameShortName,
	}
	body.Data, body.DataText = bytesAndText(u.Data)
	return botEvent(in, peer, schema.KindCallback, schema.ActionQuery, u.QueryID, body), nil
}

// inlineQuery maps an updateBotInlineQuery to an inline.query event.
func inlineQuery(in input, u *tg.UpdateBotInlineQuery) ([]schema.Event, error) {
	peer, chat, from, err := userQuery("inline query", u.QueryID, u.UserID, in.ent)
	if err != nil {
		return nil, err
	}
	body := &schema.InlineQuery{
		Account:  in.account,
		Chat:     chat,
		From:     from,
		QueryID:  strconv.FormatInt(u.QueryID, 10),
		Query:    u.Query,
		Offset:   u.Offset,
		PeerType: inlinePeerType(u.PeerType),
		Geo:      geoPoint(u.Geo),
	}
	return botEvent(in, peer, schema.KindInline, schema.ActionQuery, u.QueryID, body), nil
}

// inlineSend maps an updateBotInlineSend to an inline.chosen event.
func inlineSend(in input, u *tg.UpdateBotInlineSend) ([]schema.Event, error) {
	peer, chat, from, err := userQuery("inline send", 0, u.UserID, in.ent)
	if err != nil {
		return nil, err
	}
	body := &schema.InlineChosen{
		Account:         in.account,
		Chat:            chat,
		From:            from,
		ResultID:        u.ID,
		Query:           u.Query,
		Geo:             geoPoint(u.Geo),
		InlineMessageID: tgconv.InlineMessageID(u.MsgID),
	}
	version := schema.InlineChosenVersion(in.date, u.ID, u.Query, body.InlineMessageID)
	return botEvent(in, peer, schema.KindInline, schema.ActionChosen, version, body), nil
}

// precheckoutQuery maps an updateBotPrecheckoutQuery to a precheckout.query event.
func precheckoutQuery(in input, u *tg.UpdateBotPrecheckoutQuery) ([]schema.Event, error) {
	peer, chat, from, err := userQuery("pre-checkout query", u.QueryID, u.UserID, in.ent)
	if err != nil {
		return nil, err
	}
	body := &schema.PrecheckoutQuery{
		Account:          in.account,
		Chat:             chat,
		From:             from,
		QueryID:          strconv.FormatInt(u.QueryID, 10),
		Currency:         u.Currency,
		TotalAmount:      u.TotalAmount,
		ShippingOptionID: u.ShippingOptionID,
	}
	body.Payload, body.PayloadText = bytesAndText(u.Payload)
	body.OrderInfo = orderInfo(u.Info)
	return botEvent(in, peer, schema.KindPrecheckout, schema.ActionQuery, u.QueryID, body), nil
}

// shippingQuery maps an updateBotShippingQuery to a shipping.query event.
func shippingQuery(in input, u *tg.UpdateBotShippingQuery) ([]schema.Event, error) {
	peer, chat, from, err := userQuery("shipping query", u.QueryID, u.UserID, in.ent)
	if err != nil {
		return nil, err
	}
	body := &schema.ShippingQuery{
		Account:         in.account,
		Chat:            chat,
		From:            from,
		QueryID:         strconv.FormatInt(u.QueryID, 10),
		ShippingAddress: postAddress(u.ShippingAddress),
	}
	body.Payload, body.PayloadText = bytesAndText(u.Payload)
	return botEvent(in, peer, schema.KindShipping, schema.ActionQuery, u.QueryID, body), nil
}

// bytesAndText returns b (nil when empty) and b as text when valid UTF-8.
func bytesAndText(b []byte) ([]byte, string) {
	if len(b) == 0 {
		return nil, ""
	}
	if utf8.Valid(b) {
		return b, string(b)
	}
	return b, ""
}

func inlinePeerType(t tg.InlineQueryPeerTypeClass) string {
	switch t.(type) {
	case *tg.InlineQueryPeerTypeSameBotPM:
		return schema.InlinePeerSameBotPM
	case *tg.InlineQueryPeerTypePM:
		return schema.InlinePeerPM
	case *tg.InlineQueryPeerTypeChat:
		return schema.InlinePeerChat
	case *tg.InlineQueryPeerTypeMegagroup:
		return schema.InlinePeerMegagroup
	case *tg.InlineQueryPeerTypeBroadcast:
		return schema.InlinePeerBroadcast
	case *tg.InlineQueryPeerTypeBotPM:
		return schema.InlinePeerBotPM
	}
	return ""
}

func geoPoint(g tg.GeoPointClass) *schema.Geo {
	p, ok := g.(*tg.GeoPoint)
	if !ok || p == nil {
		return nil
	}
	return &schema.Geo{Latitude: p.Lat, Longitude: p.Long, AccuracyRadius: p.AccuracyRadius}
}

// orderInfo maps the info of a pre-checkout query; nil when empty. It
// reads fields, not flags, so a hand-built update maps as a decoded one.
func orderInfo(i tg.PaymentRequestedInfo) *schema.OrderInfo {
	out := &schema.OrderInfo{Name: i.Name, Phone: i.Phone, Email: i.Email}
	if i.ShippingAddress != (tg.PostAddress{}) {
		addr := postAddress(i.ShippingAddress)
		out.ShippingAddress = &addr
	}
	if *out == (schema.OrderInfo{}) {
		return nil
	}
	return out
}

func postAddress(a tg.PostAddress) schema.PostAddress {
	return schema.PostAddress{StreetLine1: a.StreetLine1, StreetLine2: a.StreetLine2, City: a.City,
		State: a.State, CountryCode: a.CountryISO2, PostCode: a.PostCode}
}
