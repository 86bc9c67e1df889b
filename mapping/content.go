package mapping

import (
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Entity type names: stable snake_case, following the Bot API where it has
// a name (except mention_name, which the Bot API calls text_mention).
const (
	EntityMention       = "mention"
	EntityHashtag       = "hashtag"
	EntityBotCommand    = "bot_command"
	EntityURL           = "url"
	EntityEmail         = "email"
	EntityBold          = "bold"
	EntityItalic        = "italic"
	EntityCode          = "code"
	EntityPre           = "pre"
	EntityTextURL       = "text_url"
	EntityMentionName   = "mention_name"
	EntityPhoneNumber   = "phone_number"
	EntityCashtag       = "cashtag"
	EntityUnderline     = "underline"
	EntityStrikethrough = "strikethrough"
	EntityBankCard      = "bank_card"
	EntitySpoiler       = "spoiler"
	EntityCustomEmoji   = "custom_emoji"
	EntityBlockquote    = "blockquote"

	// Unsupported is the type of entities, media and service actions this
	// version does not map; their Constructor names the TL constructor.
	Unsupported = "unsupported"
)

// entities maps message entities in order. Nil elements (never sent by
// Telegram) are skipped; unknown constructors become "unsupported" with the
// constructor name and their offset and length kept.
func entities(in []tg.MessageEntityClass) []schema.Entity {
	if len(in) == 0 {
		return nil
	}
	out := make([]schema.Entity, 0, len(in))
	for _, e := range in {
		if absent(e) {
			continue
		}
		se := schema.Entity{Offset: e.GetOffset(), Length: e.GetLength()}
		switch e := e.(type) {
		case *tg.MessageEntityMention:
			se.Type = EntityMention
		case *tg.MessageEntityHashtag:
			se.Type = EntityHashtag
		case *tg.MessageEntityBotCommand:
			se.Type = EntityBotCommand
		case *tg.MessageEntityURL:
			se.Type = EntityURL
		case *tg.MessageEntityEmail:
			se.Type = EntityEmail
		case *tg.MessageEntityBold:
			se.Type = EntityBold
		case *tg.MessageEntityItalic:
			se.Type = EntityItalic
		case *tg.MessageEntityCode:
			se.Type = EntityCode
		case *tg.MessageEntityPre:
			se.Type = EntityPre
			se.Language = e.Language
		case *tg.MessageEntityTextURL:
			se.Type = EntityTextURL
			se.URL = e.URL
		case *tg.MessageEntityMentionName:
			se.Type = EntityMentionName
			se.UserID = e.UserID
		case *tg.InputMessageEntityMentionName:
			se.Type = EntityMentionName
			if u, ok := e.UserID.(*tg.InputUser); ok && u != nil {
				se.UserID = u.UserID
			}
		case *tg.MessageEntityPhone:
			se.Type = EntityPhoneNumber
		case *tg.MessageEntityCashtag:
			se.Type = EntityCashtag
		case *tg.MessageEntityUnderline:
			se.Type = EntityUnderline
		case *tg.MessageEntityStrike:
			se.Type = EntityStrikethrough
		case *tg.MessageEntityBankCard:
			se.Type = EntityBankCard
		case *tg.MessageEntitySpoiler:
			se.Type = EntitySpoiler
		case *tg.MessageEntityCustomEmoji:
			se.Type = EntityCustomEmoji
			se.EmojiID = e.DocumentID
		case *tg.MessageEntityBlockquote:
			se.Type = EntityBlockquote
		default: // messageEntityUnknown and constructors of later layers
			se.Type = Unsupported
			se.Constructor = e.TypeName()
		}
		out = append(out, se)
	}
	return out
}

// replyTo maps a reply header and derives the thread: the explicit thread
// top when set, else the replied message for a reply to a forum topic's
// first message.
func replyTo(h tg.MessageReplyHeaderClass) (*schema.ReplyTo, int) {
	switch h := h.(type) {
	case *tg.MessageReplyHeader:
		if h == nil {
			return nil, 0
		}
		r := &schema.ReplyTo{MessageID: h.ReplyToMsgID, TopID: h.ReplyToTopID, Quote: h.Quote}
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
