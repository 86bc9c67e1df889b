package tgnats

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// CommandResult is the result of a command: the rpc reply, and the data
// of the command.completed / command.failed event.
type CommandResult struct {
	OK        bool   `json:"ok"`
	CommandID string `json:"command_id"`
	// Command is the command's name, e.g. "message.send".
	Command   string `json:"action"`
	Duplicate bool   `json:"duplicate,omitempty"`
	// Peer is the chat the command acted on, when it was resolved.
	Peer   *Chat          `json:"peer,omitempty"`
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

// FileObject is a file in the connector's Object Store bucket.
type FileObject struct {
	Bucket string `json:"bucket"`
	Object string `json:"object"`
	Size   int64  `json:"size"`
	Mime   string `json:"mime,omitempty"`
	Name   string `json:"file_name,omitempty"`
	SHA256 string `json:"sha256"` // hex
	Digest string `json:"digest"` // the Object Store's, SHA-256=<base64url>
	Cached bool   `json:"cached,omitempty"`
}

// CommandError is the error of a failed command: Code is PEER_NOT_FOUND,
// INVALID_ARGUMENT, FLOOD_WAIT, … (the README's list).
type CommandError struct {
	Code          string `json:"code"`
	Message       string `json:"message"`
	RetryAfter    int    `json:"retry_after,omitempty"`
	TelegramError string `json:"telegram_error,omitempty"`
}

func (e *CommandError) Error() string { return "tgnats: command: " + e.Code + ": " + e.Message }

// Command sends a command to the connector, as a service does, and waits
// for its result: a request to tg.<account>.rpc.<name> (e.g.
// "message.send") with body JSON-encoded and, when key is not empty, key
// as its idempotency key. Chats in bodies are written like Chat,
// {"kind": "user", "id": 777}. When the connector answered, the result is
// returned; a failed command also returns its *CommandError.
func (c *Container) Command(ctx context.Context, name string, body any, key string) (*CommandResult, error) {
	nc, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("tgnats: command %s: %w", name, err)
	}
	msg := nats.NewMsg("tg." + c.account + ".rpc." + name)
	msg.Data = data
	if key != "" {
		msg.Header.Set("ce-id", key)
		msg.Header.Set("Nats-Msg-Id", key)
	}
	reply, err := nc.RequestMsgWithContext(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("tgnats: command %s: %w", name, err)
	}
	var res CommandResult
	if err := json.Unmarshal(reply.Data, &res); err != nil {
		return nil, fmt.Errorf("tgnats: command %s: reply %q: %w", name, reply.Data, err)
	}
	if !res.OK {
		if res.Error == nil {
			res.Error = &CommandError{Code: "INTERNAL", Message: "failed without an error"}
		}
		return &res, res.Error
	}
	return &res, nil
}
