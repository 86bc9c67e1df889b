package mapping

import (
	"fmt"
	"strconv"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// callbackQuery maps an updateBotCallbackQuery to a callback.query event in
// the chat of the message carrying the button. The update has no date of
// its own: date is the containing Updates'. The query id versions the event
// id, so each press is its own event and a redelivered press keeps its id.
func callbackQuery(account string, u *tg.UpdateBotCallbackQuery, ent tg.Entities, date int) ([]schema.Event, error) {
	peer, err := PeerOf(u.Peer)
	if err != nil {
		return nil, fmt.Errorf("%w: callback query %d peer: %w", ErrMalformed, u.QueryID, err)
	}
	if u.UserID <= 0 {
		return nil, fmt.Errorf("%w: callback query %d: user id %d", ErrMalformed, u.QueryID, u.UserID)
	}
	body := &schema.CallbackQuery{
		Account:       account,
		Chat:          chatOf(peer, ent),
		From:          *senderOf(schema.PeerRef{Kind: schema.PeerUser, ID: u.UserID}, ent),
		MessageID:     u.MsgID,
		QueryID:       strconv.FormatInt(u.QueryID, 10),
		ChatInstance:  strconv.FormatInt(u.ChatInstance, 10),
		GameShortName: u.GameShortName,
	}
	body.Data, body.DataText = bytesAndText(u.Data)
	return []schema.Event{{
		ID:        schema.EventID(account, peer, u.MsgID, schema.KindCallback, schema.ActionQuery, u.QueryID),
		Account:   account,
		Kind:      schema.KindCallback,
		Action:    schema.ActionQuery,
		Peer:      peer,
		MessageID: u.MsgID,
		Time:      unix(date),
		Data:      body,
	}}, nil
}
