package schema

import (
	"fmt"
	"hash/fnv"
	"time"
)

// Kinds and actions of reaction events.
const (
	KindReaction = "reaction"

	// ActionUpdated (reaction.updated): the reaction counts of a message
	// changed (updateMessageReactions; for bots updateBotMessageReactions,
	// the anonymous counts of a channel post).
	ActionUpdated = "updated"
	// ActionChanged (reaction.changed): one user or chat changed its
	// reactions on a message (bots: updateBotMessageReaction).
	ActionChanged = "changed"
)

// Reaction is one reaction: a standard emoji, a custom emoji or a paid
// (star) reaction.
type Reaction struct {
	// Type is "emoji", "custom_emoji", "paid" or "unsupported".
	Type  string `json:"type"`
	Emoji string `json:"emoji,omitempty"` // type emoji
	// CustomEmojiID is the document id of a custom emoji (type custom_emoji).
	CustomEmojiID int64 `json:"custom_emoji_id,omitempty"`
	// Constructor is the TL name of a reaction of type "unsupported".
	Constructor string `json:"constructor,omitempty"`
}

// ReactionCount is how many chose one reaction.
type ReactionCount struct {
	Reaction Reaction `json:"reaction"`
	Count    int      `json:"count"`
	// Chosen is set when the account itself chose this reaction
	// (Telegram's chosen_order); ChosenOrder is its position among the
	// account's own reactions, from 1.
	Chosen      bool `json:"chosen,omitempty"`
	ChosenOrder int  `json:"chosen_order,omitempty"`
}

// RecentReaction is one recent reactor Telegram lists with the counts
// (small groups and private chats).
type RecentReaction struct {
	Peer     Sender    `json:"peer"`
	Reaction Reaction  `json:"reaction"`
	Date     time.Time `json:"date"`
	Big      bool      `json:"big,omitempty"`
	Unread   bool      `json:"unread,omitempty"`
	My       bool      `json:"my,omitempty"` // a reaction to the account's own message
}

// ReactionsUpdated is the body of reaction.updated: the reaction counts of
// a message now. Anonymous is set when it comes from
// updateBotMessageReactions (a bot's view of reactions that name no one).
type ReactionsUpdated struct {
	Account   string           `json:"account"`
	Chat      Chat             `json:"chat"`
	MessageID int              `json:"message_id"`
	Reactions []ReactionCount  `json:"reactions"`
	Recent    []RecentReaction `json:"recent,omitempty"`
	Anonymous bool             `json:"anonymous,omitempty"`
	// Min is Telegram's flag that the account's own choice is unknown.
	Min bool `json:"min,omitempty"`
}

// ReactionChanged is the body of reaction.changed (bots only): Actor
// changed its reactions on a message from Old to New. Qts is Telegram's
// sequence number of the change, also the version of the event id.
type ReactionChanged struct {
	Account   string     `json:"account"`
	Chat      Chat       `json:"chat"`
	MessageID int        `json:"message_id"`
	Actor     Sender     `json:"actor"`
	Date      time.Time  `json:"date"`
	Old       []Reaction `json:"old"`
	New       []Reaction `json:"new"`
	Qts       int        `json:"qts"`
}

// ReactionVersion is the version of a reaction.updated event id: date ×
// 1 000 000 + a digest of the counts modulo 1 000 000 when the update has
// a date (updateBotMessageReactions), the digest alone when it has none
// (updateMessageReactions). Telegram gives a count change no identity: the
// same counts of one message give the same id (a replay), different
// counts different ids. The digest is FNV-1a 64 over each count's
// reaction key (see Reaction.Key), count and chosen order, in order.
func ReactionVersion(date int, counts []ReactionCount) int64 {
	h := fnv.New64a()
	for _, c := range counts {
		fmt.Fprintf(h, "%s\x1f%d\x1f%d\x1e", c.Reaction.Key(), c.Count, c.ChosenOrder)
	}
	return int64(date)*editDigestRange + int64(h.Sum64()%editDigestRange)
}

// Key is a reaction as one string: "emoji:👍", "custom_emoji:<id>", "paid"
// or "unsupported:<constructor>".
func (r Reaction) Key() string {
	switch r.Type {
	case "emoji":
		return "emoji:" + r.Emoji
	case "custom_emoji":
		return fmt.Sprintf("custom_emoji:%d", r.CustomEmojiID)
	case "unsupported":
		return "unsupported:" + r.Constructor
	}
	return r.Type
}
