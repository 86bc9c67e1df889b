package schema

import (
	"fmt"
	"time"
)

// Kind and actions of command result events (the event's action, not the
// command's name).
const (
	KindCommand     = "command"
	ActionCompleted = "completed"
	ActionFailed    = "failed"
)

// Error codes of CommandError: stable, for programs to branch on.
const (
	CodeFloodWait          = "FLOOD_WAIT"
	CodeInvalidArgument    = "INVALID_ARGUMENT"
	CodePeerNotFound       = "PEER_NOT_FOUND"
	CodeForbidden          = "FORBIDDEN"
	CodeNotAllowed         = "NOT_ALLOWED"
	CodeMessageNotModified = "MESSAGE_NOT_MODIFIED"
	// Codes of media.download and media.send from an object (files).
	CodeMessageNotFound = "MESSAGE_NOT_FOUND"
	CodeNoMedia         = "NO_MEDIA"
	CodeObjectNotFound  = "OBJECT_NOT_FOUND"
	CodeFileTooLarge    = "FILE_TOO_LARGE"
	CodeUnknownAction   = "UNKNOWN_ACTION"
	CodeTelegramError   = "TELEGRAM_ERROR"
	CodeTimeout         = "TIMEOUT"
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
	ErrMessageNotFound    = &CommandError{Code: CodeMessageNotFound}
	ErrNoMedia            = &CommandError{Code: CodeNoMedia}
	ErrObjectNotFound     = &CommandError{Code: CodeObjectNotFound}
	ErrFileTooLarge       = &CommandError{Code: CodeFileTooLarge}
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
	// Command is the command's name, e.g. "message.send" (the "action" field).
	Command string `json:"action"`
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
	// File is the object media.download stored (or found stored).
	File *FileObject `json:"file,omitempty"`
}

// FileObject is a file in a JetStream Object Store bucket: fetch it with
// `nats object get <bucket> <object>`.
type FileObject struct {
	Bucket string `json:"bucket"`
	Object string `json:"object"`
	Size   int64  `json:"size"`
	Mime   string `json:"mime,omitempty"`
	Name   string `json:"file_name,omitempty"`
	// SHA256 is the hex sha256 of the content; Digest the Object Store's
	// digest of it ("SHA-256=<base64url>").
	SHA256 string `json:"sha256"`
	Digest string `json:"digest"`
	// Cached is true when the object was already stored: nothing was
	// downloaded and Telegram was not called.
	Cached bool `json:"cached,omitempty"`
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
