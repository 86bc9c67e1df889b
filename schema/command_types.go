package schema

import (
	"time"
)

// Limits of command bodies, as Telegram enforces them. Text lengths are in
// UTF-16 code units, like Telegram's.
const (
	MaxTextLength         = 4096
	MaxCaptionLength      = 1024
	MaxMessageIDs         = 100
	MaxCallbackDataBytes  = 64
	MaxCallbackTextLength = 200
)

// Parse modes of text fields.
const (
	ParseModeMarkdown = "markdown"
	ParseModeHTML     = "html"
)

// ReplyMarkup is a keyboard attached to a message.
type ReplyMarkup struct {
	InlineKeyboard [][]InlineButton `json:"inline_keyboard,omitempty"`
	Keyboard       [][]KeyButton    `json:"keyboard,omitempty"`
	RemoveKeyboard bool             `json:"remove_keyboard,omitempty"`
	Resize         bool             `json:"resize,omitempty"`
	OneTime        bool             `json:"one_time,omitempty"`
}

// InlineButton is a button under a message: a callback or a link.
type InlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// KeyButton is a button of a reply keyboard.
type KeyButton struct {
	Text string `json:"text"`
}

// SendMessage is the body of message.send.
type SendMessage struct {
	Peer         PeerInput    `json:"peer"`
	Text         string       `json:"text"`
	ParseMode    string       `json:"parse_mode,omitempty"`
	Entities     []Entity     `json:"entities,omitempty"`
	ReplyTo      int          `json:"reply_to,omitempty" tl:"int"`
	TopMsgID     int          `json:"top_msg_id,omitempty" tl:"int"`
	Silent       bool         `json:"silent,omitempty"`
	NoWebpage    bool         `json:"no_webpage,omitempty"`
	ScheduleDate *time.Time   `json:"schedule_date,omitempty" tl:"date"`
	ReplyMarkup  *ReplyMarkup `json:"reply_markup,omitempty"`
}

// EditMessage is the body of message.edit. A nil Text keeps the text.
type EditMessage struct {
	Peer        PeerInput    `json:"peer"`
	MessageID   int          `json:"message_id" tl:"int"`
	Text        *string      `json:"text,omitempty"`
	ParseMode   string       `json:"parse_mode,omitempty"`
	Entities    []Entity     `json:"entities,omitempty"`
	ReplyMarkup *ReplyMarkup `json:"reply_markup,omitempty"`
	NoWebpage   bool         `json:"no_webpage,omitempty"`
}

// DeleteMessages is the body of message.delete. Revoke defaults to true.
type DeleteMessages struct {
	Peer       PeerInput `json:"peer"`
	MessageIDs []int     `json:"message_ids" tl:"int"`
	Revoke     *bool     `json:"revoke,omitempty"`
}

// ForwardMessages is the body of message.forward.
type ForwardMessages struct {
	FromPeer   PeerInput `json:"from_peer"`
	ToPeer     PeerInput `json:"to_peer"`
	MessageIDs []int     `json:"message_ids" tl:"int"`
	Silent     bool      `json:"silent,omitempty"`
	DropAuthor bool      `json:"drop_author,omitempty"`
}

// PinMessage is the body of message.pin.
type PinMessage struct {
	Peer      PeerInput `json:"peer"`
	MessageID int       `json:"message_id" tl:"int"`
	Silent    bool      `json:"silent,omitempty"`
}

// UnpinMessage is the body of message.unpin.
type UnpinMessage struct {
	Peer      PeerInput `json:"peer"`
	MessageID int       `json:"message_id" tl:"int"`
}

// SendReaction is the body of reaction.send. An empty Reaction removes ours.
type SendReaction struct {
	Peer      PeerInput `json:"peer"`
	MessageID int       `json:"message_id" tl:"int"`
	Reaction  string    `json:"reaction"`
	Big       bool      `json:"big,omitempty"`
}

// Chat actions of chat.action.
var ChatActions = []string{"typing", "cancel", "upload_photo", "record_video", "upload_video",
	"record_voice", "upload_voice", "upload_document", "choose_sticker"}

// ChatAction is the body of chat.action.
type ChatAction struct {
	Peer PeerInput `json:"peer"`
	// Activity is the "action" field: Telegram's word for what the user is
	// seen doing, not a command name.
	Activity string `json:"action"`
}

// MarkRead is the body of read.mark.
type MarkRead struct {
	Peer  PeerInput `json:"peer"`
	MaxID int       `json:"max_id" tl:"int"`
}

// AnswerCallback is the body of callback.answer.
type AnswerCallback struct {
	QueryID   string `json:"query_id"` // int64 as a decimal string
	Text      string `json:"text,omitempty"`
	Alert     bool   `json:"alert,omitempty"`
	URL       string `json:"url,omitempty"`
	CacheTime int    `json:"cache_time,omitempty" tl:"int"`
}

// Media types of media.send.
var MediaTypes = []string{"photo", "document", "video", "voice", "audio"}

// MediaInput is the media of media.send: a file_ref from an event, bytes,
// or an object of the account's Object Store bucket of files.
type MediaInput struct {
	Type     string `json:"type"`
	FileRef  string `json:"file_ref,omitempty"`
	Data     []byte `json:"data,omitempty"` // base64 in JSON
	Object   string `json:"object,omitempty"`
	FileName string `json:"file_name,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
}

// DownloadMedia is the body of media.download: the file of a message
// (peer and message_id: an expired file reference is refreshed by
// fetching the message again) or of a file_ref from an event, stored in
// the account's Object Store bucket of files.
type DownloadMedia struct {
	// Peer is left out of the JSON when zero (a download by file_ref).
	Peer      PeerInput `json:"peer,omitempty,omitzero"`
	MessageID int       `json:"message_id,omitempty" tl:"int"`
	FileRef   string    `json:"file_ref,omitempty"`
	// Thumb is a size type of a photo ("m", "x", …) or of a document's
	// thumbnail; "" is the file (a photo's largest size).
	Thumb string `json:"thumb,omitempty"`
}

// SendMedia is the body of media.send.
type SendMedia struct {
	Peer      PeerInput  `json:"peer"`
	Media     MediaInput `json:"media"`
	Caption   string     `json:"caption,omitempty"`
	ParseMode string     `json:"parse_mode,omitempty"`
	Entities  []Entity   `json:"entities,omitempty"`
	ReplyTo   int        `json:"reply_to,omitempty" tl:"int"`
	Silent    bool       `json:"silent,omitempty"`
}
