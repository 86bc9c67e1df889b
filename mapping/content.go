package mapping

import (
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// entities maps message entities in order (see tgconv.Entities).
func entities(in []tg.MessageEntityClass) []schema.Entity { return tgconv.Entities(in) }

// replyTo maps a reply header and derives the thread: the explicit thread
// top when set, else the replied message for a reply to a forum topic's
// first message.
func replyTo(h tg.MessageReplyHeaderClass) (*schema.ReplyTo, int) {
	switch h := h.(type) {
	case *tg.MessageReplyHeader:
		if h == nil {
			return nil, 0
		}
		r := &schema.ReplyTo{MessageID: h.ReplyToMsgID, TopID: h.ReplyToTopID, Quote: h.Quote,
			QuoteText: h.QuoteText, QuoteEntities: entities(h.QuoteEntities), QuoteOffset: h.QuoteOffset}
		if !absent(h.ReplyToPeerID) {
			if p, err := PeerOf(h.ReplyToPeerID); err == nil {
				r.Peer = &p
			}
		}
		thread := h.ReplyToTopID
		if thread == 0 && h.ForumTopic {
			thread = h.ReplyToMsgID
		}
		return r, thread
	case *tg.MessageReplyStoryHeader:
		if h == nil {
			return nil, 0
		}
		r := &schema.ReplyTo{StoryID: h.StoryID}
		if h.UserID > 0 {
			r.Peer = &schema.PeerRef{Kind: schema.PeerUser, ID: h.UserID}
		}
		return r, 0
	}
	return nil, 0
}

// forward maps a forward header.
func forward(h tg.MessageFwdHeader) *schema.ForwardOrigin {
	f := &schema.ForwardOrigin{
		Date:       unix(h.Date),
		FromName:   h.FromName,
		MessageID:  h.ChannelPost,
		PostAuthor: h.PostAuthor,
	}
	if !absent(h.FromID) {
		if p, err := PeerOf(h.FromID); err == nil {
			f.From = &p
		}
	}
	return f
}
