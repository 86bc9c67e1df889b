package tgnats

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Chat names a chat: Kind is "user" (private chat, ID the other user),
// "chat" (basic group) or "channel" (supergroup or broadcast channel).
type Chat struct {
	Kind string `json:"kind"`
	ID   int64  `json:"id"`
}

// Message is an incoming message for InjectMessage.
type Message struct {
	Chat Chat `json:"chat"`
	// From is the sending user; default: the other user of a private
	// chat, the first member of a group.
	From    int64  `json:"from,omitempty"`
	Text    string `json:"text,omitempty"`
	ReplyTo int    `json:"reply_to,omitempty"`
	// Media is "", "photo", "document" or "link" (a link preview
	// pending until WebPageReady).
	Media string `json:"media,omitempty"`
	// File, with Media, is the size and kind of the message's file, whose
	// content the simulator generates (MessageFile answers its sha256).
	File    *File `json:"file,omitempty"`
	Forward bool  `json:"forward,omitempty"`
}

// ChatSpec describes a chat for CreateChat. Type is "private" (the chat
// with User; a new user named Title when User is 0), "group",
// "supergroup" or "channel" (broadcast).
type ChatSpec struct {
	Type    string  `json:"type"`
	Title   string  `json:"title,omitempty"`
	Members []int64 `json:"members,omitempty"`
	User    int64   `json:"user,omitempty"`
}

// LedgerEntry is one change the simulated Telegram holds, with the id and
// subject of the event tgnats publishes for it.
type LedgerEntry struct {
	Seq     uint64 `json:"seq"`
	Account string `json:"account"`
	// Kind is the event kind: "" for message events, else "reaction", "read", "member", "bot", …
	Kind      string    `json:"kind,omitempty"`
	Action    string    `json:"action"` // created, edited, deleted, pinned, unpinned, updated, changed, inbox, outbox, joined, …
	Peer      Chat      `json:"peer"`
	MessageID int       `json:"message_id"`
	Version   int64     `json:"version"` // the id's version: an edit's edit date (unix) × 1e6 + a digest of its content; a pin's or read's pts; a bot reaction's qts
	Time      time.Time `json:"time"`
	Text      string    `json:"text"`
	// From is the sender; the bot's own user for messages sent by commands.
	From int64 `json:"from,omitempty"`
	// Live marks a change Telegram only pushes (poll.updated): a connector
	// that was down then never publishes it.
	Live    bool   `json:"live,omitempty"`
	EventID string `json:"event_id"`
	Subject string `json:"subject"`
}

// Action is one Telegram API call the simulator served (a command's effect).
type Action struct {
	Seq        uint64    `json:"seq"`
	Method     string    `json:"method"` // e.g. messages.sendMessage
	Peer       Chat      `json:"peer"`
	MessageIDs []int     `json:"message_ids,omitempty"`
	Text       string    `json:"text,omitempty"`
	Detail     string    `json:"detail,omitempty"`
	Time       time.Time `json:"time"`
}

// ControlError is a control request the simulator refused.
type ControlError struct {
	Verb    string
	Code    string `json:"code"` // INVALID_ARGUMENT, NOT_FOUND, UNKNOWN_VERB, INTERNAL
	Message string `json:"message"`
}

func (e *ControlError) Error() string {
	return "tgnats: control " + e.Verb + ": " + e.Code + ": " + e.Message
}

// Control sends req (JSON-encoded) to tgsim.<account>.control.<verb> and
// decodes the result into result (may be nil). A refusal is a *ControlError.
func (c *Container) Control(ctx context.Context, verb string, req, result any) error {
	return c.ControlAccount(ctx, c.account, verb, req, result)
}

// ControlAccount is Control for the named account (WithAccounts: each
// account has its own control surface).
func (c *Container) ControlAccount(ctx context.Context, account, verb string, req, result any) error {
	nc, err := c.conn(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("tgnats: control %s: %w", verb, err)
	}
	if req == nil {
		body = []byte("{}")
	}
	m, err := nc.RequestWithContext(ctx, "tgsim."+account+".control."+verb, body)
	if err != nil {
		return fmt.Errorf("tgnats: control %s: %w", verb, err)
	}
	var rep struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  *ControlError   `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		return fmt.Errorf("tgnats: control %s: reply: %w", verb, err)
	}
	if !rep.OK {
		if rep.Error == nil {
			rep.Error = &ControlError{Code: "INTERNAL", Message: "refused without an error"}
		}
		rep.Error.Verb = verb
		return rep.Error
	}
	if result != nil {
		if err := json.Unmarshal(rep.Result, result); err != nil {
			return fmt.Errorf("tgnats: control %s: result: %w", verb, err)
		}
	}
	return nil
}

// conn returns the control connection, connecting on first use.
func (c *Container) conn(ctx context.Context) (*nats.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nc != nil && !c.nc.IsClosed() {
		return c.nc, nil
	}
	url, err := c.NATSURL(ctx)
	if err != nil {
		return nil, fmt.Errorf("tgnats: nats url: %w", err)
	}
	nc, err := nats.Connect(url, nats.Name("tgnats-testcontainers"), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("tgnats: connect %s: %w", url, err)
	}
	c.nc = nc
	return nc, nil
}

// InjectMessage delivers an incoming message; it returns the message id.
func (c *Container) InjectMessage(ctx context.Context, m Message) (int, error) {
	var r struct {
		MessageID int `json:"message_id"`
	}
	err := c.Control(ctx, "message.inject", m, &r)
	return r.MessageID, err
}

// EditMessage edits a message as its sender.
func (c *Container) EditMessage(ctx context.Context, chat Chat, id int, text string) error {
	return c.Control(ctx, "message.edit", map[string]any{"chat": chat, "message_id": id, "text": text}, nil)
}

// DeleteMessages deletes messages for everyone.
func (c *Container) DeleteMessages(ctx context.Context, chat Chat, ids ...int) error {
	return c.Control(ctx, "message.delete", map[string]any{"chat": chat, "message_ids": ids}, nil)
}

// PressButton makes user from press an inline button with callback data
// under message id; it returns the callback query id. The connector
// publishes the press as a callback.query event carrying that id.
func (c *Container) PressButton(ctx context.Context, chat Chat, id int, from int64, data string) (int64, error) {
	var r struct {
		QueryID int64 `json:"query_id,string"`
	}
	err := c.Control(ctx, "callback.press", map[string]any{"chat": chat, "message_id": id, "from": from, "data": data}, &r)
	return r.QueryID, err
}

// CreateUser adds a user to the simulated world and returns its id.
func (c *Container) CreateUser(ctx context.Context, first, last, username string) (int64, error) {
	var r struct {
		UserID int64 `json:"user_id"`
	}
	err := c.Control(ctx, "user.create", map[string]any{"first_name": first, "last_name": last, "username": username}, &r)
	return r.UserID, err
}

// CreateChat creates a chat the bot is a member (and admin) of.
func (c *Container) CreateChat(ctx context.Context, spec ChatSpec) (Chat, error) {
	var r struct {
		Chat Chat `json:"chat"`
	}
	err := c.Control(ctx, "chat.create", spec, &r)
	return r.Chat, err
}

// WithholdPushes makes the simulator record changes without pushing them
// (on) until called with false: the connector must recover them as a gap.
func (c *Container) WithholdPushes(ctx context.Context, on bool) error {
	return c.Control(ctx, "gap.withhold", map[string]any{"on": on}, nil)
}

// PushTooLong sends updatesTooLong: the connector must fetch the difference.
func (c *Container) PushTooLong(ctx context.Context) error {
	return c.Control(ctx, "gap.too_long", nil, nil)
}

// FloodWait makes the next times calls of method ("*": any) answer
// FLOOD_WAIT_<seconds>; times 0 clears the rule.
func (c *Container) FloodWait(ctx context.Context, method string, seconds, times int) error {
	return c.Control(ctx, "flood_wait", map[string]any{"method": method, "seconds": seconds, "times": times}, nil)
}

// StartTraffic makes the simulator generate traffic (new messages, edits,
// deletions in its own chats) at rate actions per second; rate 0 stops it.
func (c *Container) StartTraffic(ctx context.Context, rate float64, seed int64) error {
	return c.Control(ctx, "traffic", map[string]any{"rate": rate, "seed": seed}, nil)
}

// Ledger returns every change the simulated Telegram recorded for the
// account, in order: injected and generated traffic and the bot's own
// messages, edits and deletions (made by commands).
func (c *Container) Ledger(ctx context.Context) ([]LedgerEntry, error) {
	var all []LedgerEntry
	from := 0
	for { // the verb answers pages that stay under NATS's payload limit
		var r struct {
			Entries []LedgerEntry `json:"entries"`
			Next    int           `json:"next"`
		}
		if err := c.Control(ctx, "ledger", map[string]int{"from": from, "limit": 10000}, &r); err != nil {
			return all, err
		}
		all = append(all, r.Entries...)
		if r.Next <= from {
			return all, nil
		}
		from = r.Next
	}
}

// Actions returns the Telegram API calls the simulator served for the bot.
func (c *Container) Actions(ctx context.Context) ([]Action, error) {
	var r struct {
		Actions []Action `json:"actions"`
	}
	err := c.Control(ctx, "actions", nil, &r)
	return r.Actions, err
}
