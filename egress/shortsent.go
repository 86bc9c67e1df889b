package egress

import (
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/state"
)

// expandShortSent turns the updateShortSentMessage Telegram answers a
// private text send with into the updateNewMessage it stands for, built
// from the request (peer, text, entities, reply, silent, markup) and the
// answer (id, date, pts, media, entities Telegram detected), inside a
// seq-less updates: the ingest engine applies it like a pushed update, so
// the message.created event appears and pts moves on.
func expandShortSent(s *tg.UpdateShortSentMessage, req *tg.MessagesSendMessageRequest, peer state.Peer) *tg.Updates {
	m := &tg.Message{
		Out:       true,
		Silent:    req.Silent,
		ID:        s.ID,
		PeerID:    mapping.TLPeer(peer.Ref()),
		Date:      s.Date,
		Message:   req.Message,
		Entities:  req.Entities,
		Media:     s.Media,
		TTLPeriod: s.TTLPeriod,
	}
	if len(s.Entities) > 0 {
		m.Entities = s.Entities
	}
	if r, ok := req.ReplyTo.(*tg.InputReplyToMessage); ok && r.ReplyToMsgID != 0 {
		m.ReplyTo = &tg.MessageReplyHeader{ReplyToMsgID: r.ReplyToMsgID, ReplyToTopID: r.TopMsgID}
	}
	if req.ReplyMarkup != nil {
		m.ReplyMarkup = req.ReplyMarkup
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
