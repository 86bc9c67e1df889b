package egress

import (
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/state"
)

// sentMessage is what a send request said about its message: the text (a
// caption for media), its entities, the reply, silence and markup.
type sentMessage struct {
	text     string
	entities []tg.MessageEntityClass
	replyTo  tg.InputReplyToClass
	silent   bool
	markup   tg.ReplyMarkupClass
}

// expandShortSent turns the updateShortSentMessage Telegram answers a
// private send (text or media) with into the updateNewMessage it stands
// for, built from the request (peer, text, entities, reply, silent,
// markup) and the answer (id, date, pts, media, entities Telegram
// detected), inside a seq-less updates dated by Telegram: the ingest engine
// applies it like a pushed update, so the message.created event appears
// and pts moves on without a gap.
func expandShortSent(s *tg.UpdateShortSentMessage, req sentMessage, peer state.Peer) *tg.Updates {
	m := &tg.Message{
		Out:       true,
		Silent:    req.silent,
		ID:        s.ID,
		PeerID:    tgconv.PeerTL(peer.Ref()),
		Date:      s.Date,
		Message:   req.text,
		Entities:  req.entities,
		Media:     s.Media,
		TTLPeriod: s.TTLPeriod,
	}
	if len(s.Entities) > 0 {
		m.Entities = s.Entities
	}
	if r, ok := req.replyTo.(*tg.InputReplyToMessage); ok && r.ReplyToMsgID != 0 {
		m.ReplyTo = &tg.MessageReplyHeader{ReplyToMsgID: r.ReplyToMsgID, ReplyToTopID: r.TopMsgID}
	}
	if req.markup != nil {
		m.ReplyMarkup = req.markup
	}
	m.SetFlags()
	if h, ok := m.ReplyTo.(*tg.MessageReplyHeader); ok {
		h.SetFlags()
	}
	return &tg.Updates{
		Updates: []tg.UpdateClass{&tg.UpdateNewMessage{Message: m, Pts: s.Pts, PtsCount: s.PtsCount}},
		Date:    s.Date,
	}
}
