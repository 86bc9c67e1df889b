package schema

// Actions of pin events (kind message).
const (
	// ActionPinned (message.pinned): a message was pinned in its chat
	// (updatePinnedMessages, updatePinnedChannelMessages).
	ActionPinned = "pinned"
	// ActionUnpinned (message.unpinned): a message was unpinned.
	ActionUnpinned = "unpinned"
)

// MessagePin is the body of message.pinned and message.unpinned events: one
// event per message of the update. Pts is the position of the update in
// its box (the common box or the channel's), Telegram's identity of the
// change in pushes and differences alike, and the version of the event id.
type MessagePin struct {
	Account   string `json:"account"`
	Chat      Chat   `json:"chat"`
	MessageID int    `json:"message_id"`
	Pinned    bool   `json:"pinned"`
	Pts       int    `json:"pts"`
}
