package schema

// Kinds and actions of read receipts.
const (
	KindRead = "read"

	// ActionInbox (read.inbox): incoming messages up to max_id were read
	// by the account (on another of its sessions).
	ActionInbox = "inbox"
	// ActionOutbox (read.outbox): the other side read the account's
	// messages up to max_id.
	ActionOutbox = "outbox"
	// ActionContents (read.contents): the media or mention of one message
	// was opened (voice or video note listened to, mention seen).
	ActionContents = "contents"
)

// ReadReceipt is the body of read.inbox and read.outbox: messages of Chat
// up to MaxID (the event's message id) are read. ThreadID is the top
// message of a discussion thread for a read inside one (the
// updateReadChannelDiscussion* updates); Pts is the common box position
// of a private or basic-group read (the version of its event id), 0 for
// channels.
type ReadReceipt struct {
	Account          string `json:"account"`
	Chat             Chat   `json:"chat"`
	MaxID            int    `json:"max_id"`
	StillUnreadCount int    `json:"still_unread_count,omitempty"`
	ThreadID         int    `json:"thread_id,omitempty"`
	Pts              int    `json:"pts,omitempty"`
}

// ReadContents is the body of read.contents: the contents of one message
// were read. Chat is unknown (id 0) for a private or basic-group message
// tgnats never saw, as for deletions.
type ReadContents struct {
	Account   string `json:"account"`
	Chat      Chat   `json:"chat"`
	MessageID int    `json:"message_id"`
	ThreadID  int    `json:"thread_id,omitempty"`
	Pts       int    `json:"pts,omitempty"`
}
