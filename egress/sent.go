package egress

import (
	"context"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/schema"
)

// sendResult reads the answer u (or err) of a call that sent messages with
// random ids: RANDOM_ID_DUPLICATE is an earlier attempt's success; else the
// updates are handed on and the new messages' ids read from them. asSent
// is what a send said about its message, to expand the short answer to a
// private send; nil for forwards.
func (e *Egress) sendResult(ctx context.Context, c *command, t target, rids []int64, asSent *sentMessage, u tg.UpdatesClass, err error) (*schema.CommandOutput, error) {
	if tgerr.Is(err, "RANDOM_ID_DUPLICATE") {
		c.duplicate = true
		return &schema.CommandOutput{}, nil
	}
	if err != nil {
		return nil, err
	}
	if s, ok := u.(*tg.UpdateShortSentMessage); ok && asSent != nil {
		u = expandShortSent(s, *asSent, t.peer)
	}
	e.updates(ctx, u)
	return sent(u, rids), nil
}

// updateList flattens the updates of a call's result.
func updateList(u tg.UpdatesClass) []tg.UpdateClass {
	switch u := u.(type) {
	case *tg.Updates:
		return u.Updates
	case *tg.UpdatesCombined:
		return u.Updates
	case *tg.UpdateShort:
		return []tg.UpdateClass{u.Update}
	}
	return nil
}

// sent reads the ids and date of messages sent with rids from a result.
func sent(u tg.UpdatesClass, rids []int64) *schema.CommandOutput {
	out := &schema.CommandOutput{}
	if s, ok := u.(*tg.UpdateShortSentMessage); ok {
		d := time.Unix(int64(s.Date), 0).UTC()
		out.MessageID, out.Date = s.ID, &d
		return out
	}
	byRandom := map[int64]int{}
	dates := map[int]int{}
	var news []int
	for _, up := range updateList(u) {
		var m tg.MessageClass
		switch up := up.(type) {
		case *tg.UpdateMessageID:
			byRandom[up.RandomID] = up.ID
		case *tg.UpdateNewMessage:
			m = up.Message
		case *tg.UpdateNewChannelMessage:
			m = up.Message
		case *tg.UpdateNewScheduledMessage:
			m = up.Message
		}
		if msg, ok := m.(*tg.Message); ok {
			dates[msg.ID] = msg.Date
			news = append(news, msg.ID)
		}
	}
	for _, rid := range rids {
		if id, ok := byRandom[rid]; ok {
			out.MessageIDs = append(out.MessageIDs, id)
		}
	}
	if len(out.MessageIDs) == 0 {
		out.MessageIDs = news
	}
	if len(out.MessageIDs) > 0 {
		out.MessageID = out.MessageIDs[0]
		if d, ok := dates[out.MessageID]; ok {
			t := time.Unix(int64(d), 0).UTC()
			out.Date = &t
		}
	}
	if len(rids) <= 1 {
		out.MessageIDs = nil
	}
	return out
}
