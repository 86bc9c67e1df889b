package schema

// Entity type names: stable snake_case, following the Bot API where it has
// a name (except mention_name, which the Bot API calls text_mention). The
// same names are valid in events and in commands.
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
	// Commands cannot carry it.
	Unsupported = "unsupported"
)

// KnownEntityType reports whether t is one of the Entity* types above
// (Unsupported is not).
func KnownEntityType(t string) bool {
	switch t {
	case EntityMention, EntityHashtag, EntityBotCommand, EntityURL, EntityEmail,
		EntityBold, EntityItalic, EntityCode, EntityPre, EntityTextURL,
		EntityMentionName, EntityPhoneNumber, EntityCashtag, EntityUnderline,
		EntityStrikethrough, EntityBankCard, EntitySpoiler, EntityCustomEmoji, EntityBlockquote:
		return true
	}
	return false
}
