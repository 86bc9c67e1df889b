package egress

import (
	"context"
	"errors"
	"fmt"

	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/schema"
)

// errTransient marks a failure worth retrying (network, a dropped
// connection): errors.Is(err, errTransient).
var errTransient = errors.New("egress: transient failure")

// telegramTexts explains Telegram's errors to people.
var telegramTexts = map[string]string{
	"MESSAGE_EMPTY":           "the message is empty",
	"MESSAGE_TOO_LONG":        "the text is longer than Telegram allows",
	"MEDIA_CAPTION_TOO_LONG":  "the caption is longer than Telegram allows",
	"PEER_ID_INVALID":         "Telegram does not know this chat for this account",
	"CHANNEL_INVALID":         "Telegram does not know this channel for this account",
	"CHANNEL_PRIVATE":         "the channel is private or the account left it",
	"USERNAME_NOT_OCCUPIED":   "no chat has this username",
	"USERNAME_INVALID":        "the username is not valid",
	"MESSAGE_ID_INVALID":      "no such message in this chat",
	"MESSAGE_NOT_MODIFIED":    "the edit changes nothing",
	"MESSAGE_AUTHOR_REQUIRED": "only the author can edit this message",
	"CHAT_WRITE_FORBIDDEN":    "the account cannot write in this chat",
	"CHAT_ADMIN_REQUIRED":     "this needs admin rights in the chat",
	"USER_IS_BLOCKED":         "the user blocked the account",
	"REACTION_INVALID":        "this reaction is not allowed here",
	"QUERY_ID_INVALID":        "the callback query is unknown or too old",
	"FILE_REFERENCE_EXPIRED":  "the file reference expired: take a fresh file_ref from a newer event",
}

// mapError turns an error of a Telegram call into the result's error. It
// returns nil for errors that are transient (the caller retries them).
func mapError(err error) *schema.CommandError {
	var ce *schema.CommandError
	if errors.As(err, &ce) {
		return ce
	}
	var fe *floodError
	if errors.As(err, &fe) {
		return &schema.CommandError{Code: schema.CodeFloodWait, RetryAfter: fe.retryAfter(),
			Message: fmt.Sprintf("Telegram's limits (%s) allow the next call in %ds, after the command's deadline", fe.scope, fe.retryAfter())}
	}
	rpc, ok := tgerr.As(err)
	if !ok {
		if errors.Is(err, context.DeadlineExceeded) {
			return &schema.CommandError{Code: schema.CodeTimeout, Message: "the command did not finish before its deadline"}
		}
		return nil
	}
	text := telegramTexts[rpc.Type]
	if text == "" {
		text = "Telegram answered " + rpc.Message
	}
	out := &schema.CommandError{Message: text, TelegramError: rpc.Type}
	switch {
	case rpc.Type == tgerr.ErrFloodWait:
		out.Code, out.RetryAfter = schema.CodeFloodWait, max(1, rpc.Argument)
		out.Message = fmt.Sprintf("Telegram asks to wait %ds", out.RetryAfter)
	case rpc.IsOneOf("PEER_ID_INVALID", "CHANNEL_INVALID", "CHANNEL_PRIVATE", "USERNAME_NOT_OCCUPIED", "USERNAME_INVALID"):
		out.Code = schema.CodePeerNotFound
	case rpc.Type == "MESSAGE_NOT_MODIFIED":
		out.Code = schema.CodeMessageNotModified
	case rpc.Code == 400:
		out.Code = schema.CodeInvalidArgument
	case rpc.Code == 403:
		out.Code = schema.CodeForbidden
	default:
		out.Code = schema.CodeTelegramError
	}
	return out
}
