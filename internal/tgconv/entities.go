package tgconv

import (
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Entities converts Telegram message entities to schema entities, in order.
// Nil elements (never sent by Telegram) are skipped; unknown constructors
// become schema.Unsupported with the constructor name, offset and length
// kept. It returns nil for no entities.
func Entities(in []tg.MessageEntityClass) []schema.Entity {
	if len(in) == 0 {
		return nil
	}
	out := make([]schema.Entity, 0, len(in))
	for _, e := range in {
		if Absent(e) {
			continue
		}
		out = append(out, entity(e))
	}
	return out
}

func entity(e tg.MessageEntityClass) schema.Entity {
	se := schema.Entity{Offset: e.GetOffset(), Length: e.GetLength()}
	switch e := e.(type) {
	case *tg.MessageEntityMention:
		se.Type = schema.EntityMention
	case *tg.MessageEntityHashtag:
		se.Type = schema.EntityHashtag
	case *tg.MessageEntityBotCommand:
		se.Type = schema.EntityBotCommand
	case *tg.MessageEntityURL:
		se.Type = schema.EntityURL
	case *tg.MessageEntityEmail:
		se.Type = schema.EntityEmail
	case *tg.MessageEntityBold:
		se.Type = schema.EntityBold
	case *tg.MessageEntityItalic:
		se.Type = schema.EntityItalic
	case *tg.MessageEntityCode:
		se.Type = schema.EntityCode
	case *tg.MessageEntityPre:
		se.Type = schema.EntityPre
		se.Language = e.Language
	case *tg.MessageEntityTextURL:
		se.Type = schema.EntityTextURL
		se.URL = e.URL
	case *tg.MessageEntityMentionName:
		se.Type = schema.EntityMentionName
		se.UserID = e.UserID
	case *tg.InputMessageEntityMentionName:
		se.Type = schema.EntityMentionName
		if u, ok := e.UserID.(*tg.InputUser); ok && u != nil {
			se.UserID = u.UserID
		}
	case *tg.MessageEntityPhone:
		se.Type = schema.EntityPhoneNumber
	case *tg.MessageEntityCashtag:
		se.Type = schema.EntityCashtag
	case *tg.MessageEntityUnderline:
		se.Type = schema.EntityUnderline
	case *tg.MessageEntityStrike:
		se.Type = schema.EntityStrikethrough
	case *tg.MessageEntityBankCard:
		se.Type = schema.EntityBankCard
	case *tg.MessageEntitySpoiler:
		se.Type = schema.EntitySpoiler
	case *tg.MessageEntityCustomEmoji:
		se.Type = schema.EntityCustomEmoji
		se.EmojiID = e.DocumentID
	case *tg.MessageEntityBlockquote:
		se.Type = schema.EntityBlockquote
	default: // messageEntityUnknown and constructors of later layers
		se.Type = schema.Unsupported
		se.Constructor = e.TypeName()
	}
	return se
}

// EntityTL converts e to the Telegram entity as Telegram delivers it
// (mention_name as messageEntityMentionName). It returns false for a type
// schema.KnownEntityType does not know, schema.Unsupported included.
func EntityTL(e schema.Entity) (tg.MessageEntityClass, bool) {
	o, l := e.Offset, e.Length
	switch e.Type {
	case schema.EntityMention:
		return &tg.MessageEntityMention{Offset: o, Length: l}, true
	case schema.EntityHashtag:
		return &tg.MessageEntityHashtag{Offset: o, Length: l}, true
	case schema.EntityBotCommand:
		return &tg.MessageEntityBotCommand{Offset: o, Length: l}, true
	case schema.EntityURL:
		return &tg.MessageEntityURL{Offset: o, Length: l}, true
	case schema.EntityEmail:
		return &tg.MessageEntityEmail{Offset: o, Length: l}, true
	case schema.EntityBold:
		return &tg.MessageEntityBold{Offset: o, Length: l}, true
	case schema.EntityItalic:
		return &tg.MessageEntityItalic{Offset: o, Length: l}, true
	case schema.EntityCode:
		return &tg.MessageEntityCode{Offset: o, Length: l}, true
	case schema.EntityPre:
		return &tg.MessageEntityPre{Offset: o, Length: l, Language: e.Language}, true
	case schema.EntityTextURL:
		return &tg.MessageEntityTextURL{Offset: o, Length: l, URL: e.URL}, true
	case schema.EntityMentionName:
		return &tg.MessageEntityMentionName{Offset: o, Length: l, UserID: e.UserID}, true
	case schema.EntityPhoneNumber:
		return &tg.MessageEntityPhone{Offset: o, Length: l}, true
	case schema.EntityCashtag:
		return &tg.MessageEntityCashtag{Offset: o, Length: l}, true
	case schema.EntityUnderline:
		return &tg.MessageEntityUnderline{Offset: o, Length: l}, true
	case schema.EntityStrikethrough:
		return &tg.MessageEntityStrike{Offset: o, Length: l}, true
	case schema.EntityBankCard:
		return &tg.MessageEntityBankCard{Offset: o, Length: l}, true
	case schema.EntitySpoiler:
		return &tg.MessageEntitySpoiler{Offset: o, Length: l}, true
	case schema.EntityCustomEmoji:
		return &tg.MessageEntityCustomEmoji{Offset: o, Length: l, DocumentID: e.EmojiID}, true
	case schema.EntityBlockquote:
		return &tg.MessageEntityBlockquote{Offset: o, Length: l}, true
	}
	return nil, false
}

// InputEntityTL is EntityTL for a request to Telegram: mention_name becomes
// inputMessageEntityMentionName with the user's access hash from userHash.
func InputEntityTL(e schema.Entity, userHash func(int64) int64) (tg.MessageEntityClass, bool) {
	if e.Type == schema.EntityMentionName {
		return &tg.InputMessageEntityMentionName{Offset: e.Offset, Length: e.Length,
			UserID: &tg.InputUser{UserID: e.UserID, AccessHash: userHash(e.UserID)}}, true
	}
	return EntityTL(e)
}
