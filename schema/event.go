package schema

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"time"
)

// PeerKind is the kind of chat an event belongs to, as it appears in subjects.
type PeerKind string

// Peer kinds. A private chat is addressed by the other user's id.
const (
	PeerUser    PeerKind = "user"    // private chat
	PeerChat    PeerKind = "chat"    // basic group
	PeerChannel PeerKind = "channel" // supergroup or broadcast channel
	PeerUnknown PeerKind = "unknown" // a deletion whose chat could not be resolved
)

// Valid reports whether k is one of the known peer kinds.
func (k PeerKind) Valid() bool {
	switch k {
	case PeerUser, PeerChat, PeerChannel, PeerUnknown:
		return true
	}
	return false
}

// Kinds and actions of events: the <kind>.<action> part of subjects and types.
const (
	KindMessage  = "message"
	KindCallback = "callback"

	ActionCreated = "created"
	ActionEdited  = "edited"
	ActionDeleted = "deleted"
	ActionQuery   = "query" // callback.query: an inline button was pressed
)

// PeerRef identifies a chat by kind and positive MTProto id.
type PeerRef struct {
	Kind PeerKind `json:"kind"`
	ID   int64    `json:"id"`
}

// BotAPIID returns the Bot API style id: the user id for private chats,
// -id for basic groups and -100… for channels.
func (p PeerRef) BotAPIID() int64 {
	switch p.Kind {
	case PeerChat:
		return -p.ID
	case PeerChannel:
		return -1000000000000 - p.ID
	default:
		return p.ID
	}
}

// PartitionKey is the per-chat ordering key, "<peer_kind>:<peer_id>".
func (p PeerRef) PartitionKey() string {
	return string(p.Kind) + ":" + strconv.FormatInt(p.ID, 10)
}

func (p PeerRef) String() string { return p.PartitionKey() }

// Event is one normalized, durable change on Telegram. It is what mapping
// produces and what the outbox stores once encoded.
type Event struct {
	// ID is deterministic: see EventID.
	ID string
	// Account is the configured short name of the Telegram account.
	Account string
	// Kind and Action form the <kind>.<action> of subject and type.
	Kind   string
	Action string
	// Peer is the chat the change happened in.
	Peer PeerRef
	// MessageID is the message the change is about (0 when none).
	MessageID int
	// Time is Telegram's own time of the change.
	Time time.Time
	// TraceParent is a W3C traceparent to propagate, when known.
	TraceParent string
	// Data is the JSON body: *Message or *MessageDeleted for message events,
	// *CallbackQuery for callback.query, *InlineQuery for inline.query,
	// *InlineChosen for inline.chosen, *PrecheckoutQuery for
	// precheckout.query, *ShippingQuery for shipping.query; *MessagePin for
	// message.pinned and message.unpinned, *ReactionsUpdated /
	// *ReactionChanged for reaction events, *ReadReceipt / *ReadContents for
	// read events, *PollUpdated / *PollVoted for poll events;
	// *MemberChange, *JoinRequest or *JoinPending for member.*, *BotBlock
	// for bot.*, *ChatUpdate for chat.updated, *ChatMembers for
	// chat.members, *UserUpdate for
	// user.updated (event_member.go, event_profile.go).
	Data any
}

// EventID derives the CloudEvent id from the Telegram identity of a change.
// The same change always yields the same id; version distinguishes successive
// changes of one kind to the same message (EditVersion for edits, the query
// id for callback queries, 0 otherwise).
func EventID(account string, peer PeerRef, msgID int, kind, action string, version int64) string {
	id := fmt.Sprintf("%s:%s:%d:%d:%s.%s", account, peer.Kind, peer.ID, msgID, kind, action)
	if version != 0 {
		id += ":" + strconv.FormatInt(version, 10)
	}
	return id
}

// EditVersion is the version of a message.edited event id. It is the edit
// date (unix seconds) times 1 000 000 plus a digest of the edited content
// modulo 1 000 000: the id still reads as the edit date followed by six
// digits, two edits within one second (same edit date, different content)
// get different ids, and a replay of one edit (same date, same content)
// yields the same id. An edit without edit_date (Telegram sends those when
// only reactions or view counters changed) has version = the digest alone,
// which is below 1 000 000 and so never equals a real edit's version.
//
// The digest is FNV-1a 64 over: text, a NUL; for every entity its type,
// offset, length, url, user_id, language and custom_emoji_id separated by
// 0x1f and ended by 0x1e; a NUL; then media, the identity of the message's
// media: "photo:<id>" or "document:<id>" for files (never the file
// reference, which Telegram renews), the JSON of the mapped Media for
// other media, "" for none.
func EditVersion(editDate int, text string, entities []Entity, media string) int64 {
	h := fnv.New64a()
	h.Write([]byte(text))
	h.Write([]byte{0})
	for _, e := range entities {
		fmt.Fprintf(h, "%s\x1f%d\x1f%d\x1f%s\x1f%d\x1f%s\x1f%d\x1e", e.Type, e.Offset, e.Length, e.URL, e.UserID, e.Language, e.EmojiID)
	}
	h.Write([]byte{0})
	h.Write([]byte(media))
	digest := int64(h.Sum64() % editDigestRange)
	return int64(editDate)*editDigestRange + digest
}

const editDigestRange = 1_000_000

// Type returns the CloudEvent type, e.g. "org.tgnats.message.created.v1".
func (e *Event) Type() string { return TypeName(e.Kind, e.Action) }

// TypeName returns the CloudEvent type for kind and action.
func TypeName(kind, action string) string {
	return "org.tgnats." + kind + "." + action + ".v1"
}

// Source returns the CloudEvent source, "tgnats://<account>".
func (e *Event) Source() string { return "tgnats://" + e.Account }

// CESubject returns the CloudEvent subject, "<peer_kind>/<peer_id>/<message_id>".
func (e *Event) CESubject() string {
	s := string(e.Peer.Kind) + "/" + strconv.FormatInt(e.Peer.ID, 10)
	if e.MessageID != 0 {
		s += "/" + strconv.Itoa(e.MessageID)
	}
	return s
}

// Subject returns the NATS subject the event is published on:
// <prefix>.<account>.events.<kind>.<action>.<peer_kind>.<peer_id>.
func (e *Event) Subject(prefix string) string {
	return EventSubject(prefix, e.Account, fmt.Sprintf("%s.%s.%s.%d", e.Kind, e.Action, e.Peer.Kind, e.Peer.ID))
}

// Chat describes the chat of a message event.
type Chat struct {
	Kind      PeerKind `json:"kind"`
	ID        int64    `json:"id"`
	IDStr     string   `json:"id_str"`
	BotAPIID  int64    `json:"bot_api_id"`
	Title     string   `json:"title,omitempty"`
	Username  string   `json:"username,omitempty"`
	Broadcast bool     `json:"broadcast,omitempty"` // a broadcast channel rather than a supergroup
}

// NewChat returns a Chat for ref with the derived id fields filled in.
func NewChat(ref PeerRef) Chat {
	return Chat{Kind: ref.Kind, ID: ref.ID, IDStr: strconv.FormatInt(ref.ID, 10), BotAPIID: ref.BotAPIID()}
}

// Ref returns the chat's PeerRef.
func (c Chat) Ref() PeerRef { return PeerRef{Kind: c.Kind, ID: c.ID} }

// Sender describes who sent a message: a user, or a chat/channel posting as itself.
type Sender struct {
	Kind      PeerKind `json:"kind"`
	ID        int64    `json:"id"`
	IDStr     string   `json:"id_str"`
	FirstName string   `json:"first_name,omitempty"`
	LastName  string   `json:"last_name,omitempty"`
	Username  string   `json:"username,omitempty"`
	Title     string   `json:"title,omitempty"`
	IsBot     bool     `json:"is_bot,omitempty"`
}

// Entity is a formatting or semantic span of message text, offsets in UTF-16 code units.
type Entity struct {
	Type     string `json:"type"` // bold, italic, url, text_url, mention, mention_name, code, pre, …
	Offset   int    `json:"offset" tl:"int"`
	Length   int    `json:"length" tl:"int"`
	URL      string `json:"url,omitempty"`
	UserID   int64  `json:"user_id,omitempty" tl:"long"`
	Language string `json:"language,omitempty"`
	EmojiID  int64  `json:"custom_emoji_id,omitempty" tl:"long"`
	// Constructor is the TL constructor name of an entity of type "unsupported".
	Constructor string `json:"constructor,omitempty"`
}

// ReplyTo is what a message replies to.
type ReplyTo struct {
	MessageID int      `json:"message_id,omitempty"`
	Peer      *PeerRef `json:"peer,omitempty"` // set when the replied message is in another chat
	TopID     int      `json:"top_id,omitempty"`
	Quote     bool     `json:"quote,omitempty"`
	StoryID   int      `json:"story_id,omitempty"`
	// QuoteText is the quoted part of the replied message, with its
	// entities (offsets within QuoteText) and its offset in the replied
	// message's text, in UTF-16 code units.
	QuoteText     string   `json:"quote_text,omitempty"`
	QuoteEntities []Entity `json:"quote_entities,omitempty"`
	QuoteOffset   int      `json:"quote_offset,omitempty"`
}

// ForwardOrigin is where a forwarded message originally came from.
type ForwardOrigin struct {
	Date       time.Time `json:"date"`
	From       *PeerRef  `json:"from,omitempty"`
	FromName   string    `json:"from_name,omitempty"` // for users hiding their account
	MessageID  int       `json:"message_id,omitempty"`
	PostAuthor string    `json:"post_author,omitempty"`
}

// Media describes the media of a message. Type "unsupported" carries the TL
// constructor name of content this version does not map.
type Media struct {
	Type        string  `json:"type"`               // photo, document, video, audio, voice, video_note, sticker, animation, geo, geo_live, contact, poll, webpage, dice, venue, unsupported
	FileRef     string  `json:"file_ref,omitempty"` // opaque reference usable by media commands
	MimeType    string  `json:"mime_type,omitempty"`
	Size        int64   `json:"size,omitempty"`
	FileName    string  `json:"file_name,omitempty"`
	Width       int     `json:"width,omitempty"`
	Height      int     `json:"height,omitempty"`
	Duration    float64 `json:"duration,omitempty"`
	Caption     string  `json:"-"` // captions are the message text in MTProto
	Latitude    float64 `json:"latitude,omitempty"`
	Longitude   float64 `json:"longitude,omitempty"`
	PhoneNumber string  `json:"phone_number,omitempty"`
	FirstName   string  `json:"first_name,omitempty"` // contact
	LastName    string  `json:"last_name,omitempty"`  // contact
	UserID      int64   `json:"user_id,omitempty"`    // contact, when on Telegram
	Title       string  `json:"title,omitempty"`      // venue, webpage
	Address     string  `json:"address,omitempty"`    // venue
	Emoticon    string  `json:"emoticon,omitempty"`
	Value       int     `json:"value,omitempty"`
	Question    string  `json:"question,omitempty"`
	PollID      string  `json:"poll_id,omitempty"` // poll: the id poll.updated events name, a decimal string
	URL         string  `json:"url,omitempty"`
	// Web page (link preview) fields: DisplayURL, SiteName, Description;
	// its photo, if any, is FileRef, Width, Height, Size and Thumbs.
	DisplayURL  string `json:"display_url,omitempty"`
	SiteName    string `json:"site_name,omitempty"`
	Description string `json:"description,omitempty"`
	// WebPageID is the web page's id as a decimal string.
	WebPageID string `json:"webpage_id,omitempty"`
	// Pending says Telegram is still building the preview: a
	// message.edited with the completed preview follows when it is ready.
	Pending     bool   `json:"pending,omitempty"`
	Spoiler     bool   `json:"spoiler,omitempty"`
	Constructor string `json:"constructor,omitempty"` // TL name, for "unsupported"
	// DCID is the data centre holding the file (photos and documents).
	DCID int `json:"dc_id,omitempty"`
	// Thumbs are the downloadable sizes of a photo (the largest is the
	// photo itself: Width, Height, Size) or the thumbnails of a document.
	Thumbs []Thumb `json:"thumbs,omitempty"`
	// File is the object the automatic download stored the file in
	// (files.auto_download): it is in the bucket before the event is
	// published. FileError says why an event meant to name one does not
	// (the download failed for good or took too long).
	File      *StoredFile `json:"file,omitempty"`
	FileError string      `json:"file_error,omitempty"`
}

// StoredFile names an object of the account's Object Store bucket of files.
type StoredFile struct {
	Bucket string `json:"bucket"`
	Object string `json:"object"`
}

// ServiceAction is the action of a service message (chat created, member joined, …).
// Type "unsupported" carries the TL constructor name.
type ServiceAction struct {
	Type        string  `json:"type"`
	Title       string  `json:"title,omitempty"`
	UserIDs     []int64 `json:"user_ids,omitempty"`
	InviterID   int64   `json:"inviter_id,omitempty"`
	ChannelID   int64   `json:"channel_id,omitempty"`
	ChatID      int64   `json:"chat_id,omitempty"`
	Message     string  `json:"message,omitempty"`
	Constructor string  `json:"constructor,omitempty"`
}

// Message is the body of message.created and message.edited events.
type Message struct {
	Account    string         `json:"account"`
	Chat       Chat           `json:"chat"`
	Sender     *Sender        `json:"sender,omitempty"`
	MessageID  int            `json:"message_id"`
	Date       time.Time      `json:"date"`
	EditDate   *time.Time     `json:"edit_date,omitempty"`
	Out        bool           `json:"out"`
	Silent     bool           `json:"silent,omitempty"`
	Post       bool           `json:"post,omitempty"`
	Text       string         `json:"text"`
	Entities   []Entity       `json:"entities,omitempty"`
	ReplyTo    *ReplyTo       `json:"reply_to,omitempty"`
	ThreadID   int            `json:"thread_id,omitempty"` // forum topic or comment thread top message
	Forward    *ForwardOrigin `json:"forward,omitempty"`
	Media      *Media         `json:"media,omitempty"`
	Action     *ServiceAction `json:"action,omitempty"`
	GroupedID  int64          `json:"grouped_id,omitempty"` // album
	ViaBotID   int64          `json:"via_bot_id,omitempty"`
	PostAuthor string         `json:"post_author,omitempty"`
}

// MessageDeleted is the body of message.deleted events: one event per message.
type MessageDeleted struct {
	Account   string `json:"account"`
	Chat      Chat   `json:"chat"`
	MessageID int    `json:"message_id"`
}

// CallbackQuery is the body of callback.query events: a user pressed an
// inline button with callback data (or a game button) under a message the
// account, a bot, sent. A button of a message sent in inline mode (via the
// bot, in a chat the bot may not be in) carries InlineMessageID instead of
// a chat message: Chat is then the user's private chat with the bot and
// MessageID 0. The bot answers it with the callback.answer command,
// passing QueryID. Telegram delivers these only live: a press while the
// connector is disconnected is not part of any difference and is lost.
type CallbackQuery struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"` // the chat of the message carrying the button
	From    Sender `json:"from"` // the user who pressed it
	// MessageID is the message carrying the keyboard (0 for an inline
	// message).
	MessageID int `json:"message_id"`
	// InlineMessageID identifies the inline-mode message carrying the
	// keyboard (opaque), for presses under messages sent via the bot.
	InlineMessageID string `json:"inline_message_id,omitempty"`
	// QueryID is the int64 query id as a decimal string: the query_id of
	// callback.answer.
	QueryID string `json:"query_id"`
	// Data is the button's callback data (base64 in JSON); DataText repeats
	// it when it is valid UTF-8, which it is for buttons made by message.send.
	Data     []byte `json:"data,omitempty"`
	DataText string `json:"data_text,omitempty"`
	// ChatInstance is Telegram's global identifier of the chat the message
	// was sent to (an int64 as a decimal string): the same for every user
	// pressing buttons under messages of that chat.
	ChatInstance string `json:"chat_instance"`
	// GameShortName is set instead of Data for a game button.
	GameShortName string `json:"game_short_name,omitempty"`
}
