package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Command actions: the last tokens of tg.<account>.commands.<action> and
// tg.<account>.rpc.<action>.
const (
	ActionMessageSend    = "message.send"
	ActionMessageEdit    = "message.edit"
	ActionMessageDelete  = "message.delete"
	ActionMessageForward = "message.forward"
	ActionMessagePin     = "message.pin"
	ActionMessageUnpin   = "message.unpin"
	ActionReactionSend   = "reaction.send"
	ActionChatAction     = "chat.action"
	ActionReadMark       = "read.mark"
	ActionCallbackAnswer = "callback.answer"
	ActionMediaSend      = "media.send"
)

// CommandActions lists every action in a stable order.
var CommandActions = []string{
	ActionMessageSend, ActionMessageEdit, ActionMessageDelete, ActionMessageForward,
	ActionMessagePin, ActionMessageUnpin, ActionReactionSend, ActionChatAction,
	ActionReadMark, ActionCallbackAnswer, ActionMediaSend,
}

// Kind and actions of command result events.
const (
	KindCommand     = "command"
	ActionCompleted = "completed"
	ActionFailed    = "failed"
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

// Error codes of CommandError: stable, for programs to branch on.
const (
	CodeFloodWait          = "FLOOD_WAIT"
	CodeInvalidArgument    = "INVALID_ARGUMENT"
	CodePeerNotFound       = "PEER_NOT_FOUND"
	CodeForbidden          = "FORBIDDEN"
	CodeNotAllowed         = "NOT_ALLOWED"
	CodeMessageNotModified = "MESSAGE_NOT_MODIFIED"
	CodeUnknownAction      = "UNKNOWN_ACTION"
	CodeTelegramError      = "TELEGRAM_ERROR"
	CodeTimeout            = "TIMEOUT"
	// CodeInternal is a bug in tgnats met while executing the command;
	// the connector log has the details.
	CodeInternal = "INTERNAL"
)

// CommandError is the error of a failed command, as it appears in results.
// errors.Is matches two CommandErrors with the same Code, so the Err*
// sentinels below test a code.
type CommandError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfter is the wait, in seconds, Telegram asked for (FLOOD_WAIT).
	RetryAfter int `json:"retry_after,omitempty"`
	// TelegramError is Telegram's raw error type, e.g. "CHAT_WRITE_FORBIDDEN".
	TelegramError string `json:"telegram_error,omitempty"`
}

func (e *CommandError) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is a *CommandError with the same code.
func (e *CommandError) Is(target error) bool {
	t, ok := target.(*CommandError)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is, one per code.
var (
	ErrFloodWait          = &CommandError{Code: CodeFloodWait}
	ErrInvalidArgument    = &CommandError{Code: CodeInvalidArgument}
	ErrPeerNotFound       = &CommandError{Code: CodePeerNotFound}
	ErrForbidden          = &CommandError{Code: CodeForbidden}
	ErrNotAllowed         = &CommandError{Code: CodeNotAllowed}
	ErrMessageNotModified = &CommandError{Code: CodeMessageNotModified}
	ErrUnknownAction      = &CommandError{Code: CodeUnknownAction}
	ErrTelegramError      = &CommandError{Code: CodeTelegramError}
	ErrTimeout            = &CommandError{Code: CodeTimeout}
	ErrInternal           = &CommandError{Code: CodeInternal}
)

// NewCommandError returns a CommandError with a formatted message.
func NewCommandError(code, format string, args ...any) *CommandError {
	return &CommandError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) *CommandError {
	return NewCommandError(CodeInvalidArgument, format, args...)
}

// CommandResult is the reply to an rpc command and the data of
// command.completed / command.failed events.
type CommandResult struct {
	OK        bool   `json:"ok"`
	CommandID string `json:"command_id"`
	Action    string `json:"action"`
	// Duplicate reports a send Telegram had already seen (RANDOM_ID_DUPLICATE):
	// the message was sent by an earlier attempt; its id may be unknown.
	Duplicate bool `json:"duplicate,omitempty"`
	// Peer is the chat the command acted on, when it was resolved.
	Peer *PeerRef `json:"peer,omitempty"`
	// Time is when the command finished.
	Time   time.Time      `json:"time"`
	Result *CommandOutput `json:"result,omitempty"`
	Error  *CommandError  `json:"error,omitempty"`
}

// CommandOutput is what a successful command produced.
type CommandOutput struct {
	MessageID  int        `json:"message_id,omitempty"`
	Date       *time.Time `json:"date,omitempty"`
	MessageIDs []int      `json:"message_ids,omitempty"`
}

// CommandEvent builds the command.completed or command.failed event of
// result. Its id is "<account>:command:<command_id>:<completed|failed>";
// a zero peer becomes the unknown peer.
func CommandEvent(account string, result *CommandResult, peer PeerRef) Event {
	action := ActionCompleted
	if !result.OK {
		action = ActionFailed
	}
	if peer.Kind == "" || peer.ID == 0 {
		peer = PeerRef{Kind: PeerUnknown}
	}
	ev := Event{
		ID:      account + ":" + KindCommand + ":" + result.CommandID + ":" + action,
		Account: account,
		Kind:    KindCommand,
		Action:  action,
		Peer:    peer,
		Time:    result.Time,
		Data:    result,
	}
	if result.Result != nil {
		ev.MessageID = result.Result.MessageID
	}
	return ev
}

// PeerInput names a chat in a command: {"peer_kind":"channel","peer_id":123},
// a Bot API id (777, -400, -1001234567890, as number or string) or "@username".
type PeerInput struct {
	Kind     PeerKind `json:"peer_kind,omitempty"`
	ID       int64    `json:"peer_id,omitempty" tl:"long"`
	Username string   `json:"-"` // without "@"; set instead of Kind and ID
}

// IsZero reports whether p names nothing (the field was absent).
func (p PeerInput) IsZero() bool { return p.Kind == "" && p.ID == 0 && p.Username == "" }

// Ref returns the peer as a PeerRef; false for a username.
func (p PeerInput) Ref() (PeerRef, bool) {
	if p.Username != "" {
		return PeerRef{}, false
	}
	return PeerRef{Kind: p.Kind, ID: p.ID}, true
}

func (p PeerInput) String() string {
	if p.Username != "" {
		return "@" + p.Username
	}
	return PeerRef{Kind: p.Kind, ID: p.ID}.String()
}

// PeerFromBotAPIID converts a Bot API chat id: positive for users, -id for
// basic groups, -100… for channels.
func PeerFromBotAPIID(id int64) (PeerRef, error) {
	const channelBase = 1000000000000
	switch {
	case id > 0:
		return PeerRef{Kind: PeerUser, ID: id}, nil
	case id < -channelBase:
		return PeerRef{Kind: PeerChannel, ID: -channelBase - id}, nil
	case id < 0 && id > -channelBase:
		return PeerRef{Kind: PeerChat, ID: -id}, nil
	}
	return PeerRef{}, fmt.Errorf("%d is not a Bot API chat id", id)
}

// peerTypeError wraps a reason in a *json.UnmarshalTypeError, the one error
// type encoding/json annotates with the field path ("to_peer").
func peerTypeError(format string, args ...any) error {
	return &json.UnmarshalTypeError{Value: fmt.Sprintf(format, args...), Type: reflect.TypeFor[PeerInput]()}
}

// UnmarshalJSON accepts the three forms described on PeerInput.
func (p *PeerInput) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*p = PeerInput{}
		return nil
	case b[0] == '{':
		var o struct {
			Kind PeerKind `json:"peer_kind"`
			ID   int64    `json:"peer_id"`
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		if err := d.Decode(&o); err != nil {
			return peerTypeError("want {\"peer_kind\": \"user|chat|channel\", \"peer_id\": positive id}: %v", strings.TrimPrefix(err.Error(), "json: "))
		}
		if o.Kind != PeerUser && o.Kind != PeerChat && o.Kind != PeerChannel {
			return peerTypeError("peer_kind %q: want user, chat or channel", o.Kind)
		}
		if o.ID <= 0 {
			return peerTypeError("peer_id %d: want a positive id (Bot API ids go as a bare number)", o.ID)
		}
		*p = PeerInput{Kind: o.Kind, ID: o.ID}
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return peerTypeError("%s: not a JSON string", b)
		}
		if name, ok := strings.CutPrefix(s, "@"); ok {
			if !validUsername(name) {
				return peerTypeError("%q is not a valid username", s)
			}
			*p = PeerInput{Username: name}
			return nil
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return peerTypeError("%q: want \"@username\" or a Bot API id", s)
		}
		return p.fromBotAPI(id)
	default:
		var id int64
		if err := json.Unmarshal(b, &id); err != nil {
			return peerTypeError("%s: want an object, a Bot API id or \"@username\"", b)
		}
		return p.fromBotAPI(id)
	}
}

func (p *PeerInput) fromBotAPI(id int64) error {
	ref, err := PeerFromBotAPIID(id)
	if err != nil {
		return peerTypeError("%v", err)
	}
	*p = PeerInput{Kind: ref.Kind, ID: ref.ID}
	return nil
}

// MarshalJSON writes "@username" or the object form.
func (p PeerInput) MarshalJSON() ([]byte, error) {
	if p.Username != "" {
		return json.Marshal("@" + p.Username)
	}
	type plain PeerInput
	return json.Marshal(plain(p))
}

// validUsername reports whether s looks like a Telegram username: 4–32
// letters, digits and underscores (5 is Telegram's minimum for new names,
// but older and collectible ones are shorter).
func validUsername(s string) bool {
	if len(s) < 4 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// Command is a parsed command body.
type Command interface {
	// Action returns the command's action, e.g. "message.send".
	Action() string
	// Validate reports the first field that breaks the contract or Telegram's
	// limits as an INVALID_ARGUMENT CommandError.
	Validate() error
	// Peers returns the chats the command touches, the acted-on chat first.
	Peers() []PeerInput
}

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
	// Activity is the "action" field; named apart from the Action method.
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

// MediaInput is the media of media.send: a file_ref from an event, or bytes.
type MediaInput struct {
	Type     string `json:"type"`
	FileRef  string `json:"file_ref,omitempty"`
	Data     []byte `json:"data,omitempty"` // base64 in JSON
	FileName string `json:"file_name,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
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

func (*SendMessage) Action() string     { return ActionMessageSend }
func (*EditMessage) Action() string     { return ActionMessageEdit }
func (*DeleteMessages) Action() string  { return ActionMessageDelete }
func (*ForwardMessages) Action() string { return ActionMessageForward }
func (*PinMessage) Action() string      { return ActionMessagePin }
func (*UnpinMessage) Action() string    { return ActionMessageUnpin }
func (*SendReaction) Action() string    { return ActionReactionSend }
func (*ChatAction) Action() string      { return ActionChatAction }
func (*MarkRead) Action() string        { return ActionReadMark }
func (*AnswerCallback) Action() string  { return ActionCallbackAnswer }
func (*SendMedia) Action() string       { return ActionMediaSend }

func (c *SendMessage) Peers() []PeerInput     { return []PeerInput{c.Peer} }
func (c *EditMessage) Peers() []PeerInput     { return []PeerInput{c.Peer} }
func (c *DeleteMessages) Peers() []PeerInput  { return []PeerInput{c.Peer} }
func (c *ForwardMessages) Peers() []PeerInput { return []PeerInput{c.ToPeer, c.FromPeer} }
func (c *PinMessage) Peers() []PeerInput      { return []PeerInput{c.Peer} }
func (c *UnpinMessage) Peers() []PeerInput    { return []PeerInput{c.Peer} }
func (c *SendReaction) Peers() []PeerInput    { return []PeerInput{c.Peer} }
func (c *ChatAction) Peers() []PeerInput      { return []PeerInput{c.Peer} }
func (c *MarkRead) Peers() []PeerInput        { return []PeerInput{c.Peer} }
func (c *AnswerCallback) Peers() []PeerInput  { return nil }
func (c *SendMedia) Peers() []PeerInput       { return []PeerInput{c.Peer} }

// UTF16Len returns the length of s in UTF-16 code units, Telegram's measure.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
		if utf16.RuneLen(r) < 0 { // invalid rune: encoded as U+FFFD
			n += 2
		}
	}
	return n
}

func checkPeer(field string, p PeerInput) error {
	if p.IsZero() {
		return invalid("%s: required", field)
	}
	return nil
}

func checkMessageID(field string, id int) error {
	if id <= 0 {
		return invalid("%s: required, a positive message id", field)
	}
	return nil
}

func checkMessageIDs(ids []int) error {
	switch {
	case len(ids) == 0:
		return invalid("message_ids: required, at least one message id")
	case len(ids) > MaxMessageIDs:
		return invalid("message_ids: %d ids, at most %d", len(ids), MaxMessageIDs)
	}
	for i, id := range ids {
		if id <= 0 {
			return invalid("message_ids[%d]: %d is not a message id", i, id)
		}
	}
	return nil
}

// checkText validates a text field with its parse mode and entities.
func checkText(field, text string, limit int, parseMode string, entities []Entity) error {
	if n := UTF16Len(text); n > limit {
		return invalid("%s: longer than %d characters (%d UTF-16 units)", field, limit, n)
	}
	switch parseMode {
	case "", ParseModeMarkdown, ParseModeHTML:
	default:
		return invalid("parse_mode: %q, want \"markdown\" or \"html\"", parseMode)
	}
	if parseMode != "" && len(entities) > 0 {
		return invalid("entities: cannot be combined with parse_mode")
	}
	n := UTF16Len(text)
	for i, e := range entities {
		switch {
		case !KnownEntityType(e.Type):
			return invalid("entities[%d].type: unknown type %q", i, e.Type)
		case e.Offset < 0 || e.Length <= 0 || e.Offset > n || e.Length > n-e.Offset: // no overflow
			return invalid("entities[%d]: offset %d length %d is outside the %d UTF-16 units of %s", i, e.Offset, e.Length, n, field)
		case e.Type == "text_url" && e.URL == "":
			return invalid("entities[%d].url: required for text_url", i)
		case e.Type == "mention_name" && e.UserID <= 0:
			return invalid("entities[%d].user_id: required for mention_name", i)
		}
	}
	return nil
}

func (m *ReplyMarkup) validate() error {
	if m == nil {
		return nil
	}
	set := 0
	for _, b := range []bool{len(m.InlineKeyboard) > 0, len(m.Keyboard) > 0, m.RemoveKeyboard} {
		if b {
			set++
		}
	}
	if set != 1 {
		return invalid("reply_markup: set exactly one of inline_keyboard, keyboard, remove_keyboard")
	}
	for i, row := range m.InlineKeyboard {
		for j, b := range row {
			f := fmt.Sprintf("reply_markup.inline_keyboard[%d][%d]", i, j)
			switch {
			case b.Text == "":
				return invalid("%s.text: required", f)
			case (b.CallbackData == "") == (b.URL == ""):
				return invalid("%s: set exactly one of callback_data, url", f)
			case len(b.CallbackData) > MaxCallbackDataBytes:
				return invalid("%s.callback_data: longer than %d bytes", f, MaxCallbackDataBytes)
			}
		}
	}
	for i, row := range m.Keyboard {
		for j, b := range row {
			if b.Text == "" {
				return invalid("reply_markup.keyboard[%d][%d].text: required", i, j)
			}
		}
	}
	return nil
}

// Validate implements Command.
func (c *SendMessage) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	if strings.TrimSpace(c.Text) == "" {
		return invalid("text: required, not blank")
	}
	if err := checkText("text", c.Text, MaxTextLength, c.ParseMode, c.Entities); err != nil {
		return err
	}
	if c.ReplyTo < 0 || c.TopMsgID < 0 {
		return invalid("reply_to, top_msg_id: must be positive message ids")
	}
	return c.ReplyMarkup.validate()
}

// Validate implements Command.
func (c *EditMessage) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	if err := checkMessageID("message_id", c.MessageID); err != nil {
		return err
	}
	if c.Text == nil {
		if c.ReplyMarkup == nil {
			return invalid("text: required unless reply_markup is set")
		}
		if c.ParseMode != "" || len(c.Entities) > 0 {
			return invalid("parse_mode, entities: need text")
		}
		return c.ReplyMarkup.validate()
	}
	if strings.TrimSpace(*c.Text) == "" {
		return invalid("text: blank; omit it to keep the text")
	}
	if err := checkText("text", *c.Text, MaxTextLength, c.ParseMode, c.Entities); err != nil {
		return err
	}
	return c.ReplyMarkup.validate()
}

// Validate implements Command.
func (c *DeleteMessages) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	return checkMessageIDs(c.MessageIDs)
}

// Validate implements Command.
func (c *ForwardMessages) Validate() error {
	if err := checkPeer("from_peer", c.FromPeer); err != nil {
		return err
	}
	if err := checkPeer("to_peer", c.ToPeer); err != nil {
		return err
	}
	return checkMessageIDs(c.MessageIDs)
}

// Validate implements Command.
func (c *PinMessage) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	return checkMessageID("message_id", c.MessageID)
}

// Validate implements Command.
func (c *UnpinMessage) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	return checkMessageID("message_id", c.MessageID)
}

// Validate implements Command.
func (c *SendReaction) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	if err := checkMessageID("message_id", c.MessageID); err != nil {
		return err
	}
	if UTF16Len(c.Reaction) > 16 {
		return invalid("reaction: %q is not one emoji", c.Reaction)
	}
	return nil
}

// Validate implements Command.
func (c *ChatAction) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	for _, a := range ChatActions {
		if a == c.Activity {
			return nil
		}
	}
	return invalid("action: %q, want one of %s", c.Activity, strings.Join(ChatActions, ", "))
}

// Validate implements Command.
func (c *MarkRead) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	return checkMessageID("max_id", c.MaxID)
}

// Validate implements Command.
func (c *AnswerCallback) Validate() error {
	if _, err := c.ID(); err != nil {
		return err
	}
	if n := UTF16Len(c.Text); n > MaxCallbackTextLength {
		return invalid("text: longer than %d characters", MaxCallbackTextLength)
	}
	if c.CacheTime < 0 {
		return invalid("cache_time: %d is negative", c.CacheTime)
	}
	return nil
}

// ID returns the query id as a number.
func (c *AnswerCallback) ID() (int64, error) {
	if c.QueryID == "" {
		return 0, invalid("query_id: required")
	}
	id, err := strconv.ParseInt(c.QueryID, 10, 64)
	if err != nil {
		return 0, invalid("query_id: %q is not a decimal int64", c.QueryID)
	}
	return id, nil
}

// Validate implements Command. The size of Media.Data is checked by egress
// against its configured bound.
func (c *SendMedia) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	ok := false
	for _, t := range MediaTypes {
		ok = ok || t == c.Media.Type
	}
	if !ok {
		return invalid("media.type: %q, want one of %s", c.Media.Type, strings.Join(MediaTypes, ", "))
	}
	if (c.Media.FileRef == "") == (len(c.Media.Data) == 0) {
		return invalid("media: set exactly one of file_ref, data")
	}
	if c.ReplyTo < 0 {
		return invalid("reply_to: must be a positive message id")
	}
	return checkText("caption", c.Caption, MaxCaptionLength, c.ParseMode, c.Entities)
}

// NewCommand returns an empty command of action, or an UNKNOWN_ACTION error.
func NewCommand(action string) (Command, error) {
	switch action {
	case ActionMessageSend:
		return &SendMessage{}, nil
	case ActionMessageEdit:
		return &EditMessage{}, nil
	case ActionMessageDelete:
		return &DeleteMessages{}, nil
	case ActionMessageForward:
		return &ForwardMessages{}, nil
	case ActionMessagePin:
		return &PinMessage{}, nil
	case ActionMessageUnpin:
		return &UnpinMessage{}, nil
	case ActionReactionSend:
		return &SendReaction{}, nil
	case ActionChatAction:
		return &ChatAction{}, nil
	case ActionReadMark:
		return &MarkRead{}, nil
	case ActionCallbackAnswer:
		return &AnswerCallback{}, nil
	case ActionMediaSend:
		return &SendMedia{}, nil
	}
	return nil, NewCommandError(CodeUnknownAction, "unknown action %q, want one of %s", action, strings.Join(CommandActions, ", "))
}

// ParseCommand decodes and validates the body of action: every integer
// must fit the TL type Telegram gives its field (int32 for message ids,
// offsets, lengths and durations; int64 for peer ids), then Validate. Errors are
// *CommandError with code UNKNOWN_ACTION or INVALID_ARGUMENT and a message
// that names the offending field. Unknown fields are rejected, so a typo
// does not silently drop an option.
func ParseCommand(action string, body []byte) (Command, error) {
	cmd, err := NewCommand(action)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid("body: empty, want a JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(cmd); err != nil {
		return nil, jsonError(err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("body: data after the JSON object")
	}
	if err := checkRanges(cmd); err != nil {
		return nil, err
	}
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// jsonError turns a decoding error into a message naming the field.
func jsonError(err error) *CommandError {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return invalid("body: not valid JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ) && typ.Type == reflect.TypeFor[PeerInput]():
		return invalid("%s: %s", typ.Field, typ.Value)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalid("body: want a JSON object, got %s", typ.Value)
		}
		return invalid("%s: got %s, want %s", typ.Field, typ.Value, jsonKind(typ.Type.Kind().String()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("body: truncated JSON")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return invalid("%s: unknown field", strings.Trim(f, `"`))
	}
	return invalid("body: %s", strings.TrimPrefix(msg, "json: "))
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "an integer"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "an array"
	case k == "struct", k == "ptr":
		return "an object"
	}
	return k
}
