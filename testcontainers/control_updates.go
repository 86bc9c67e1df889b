package tgnats

import "context"

// SetReaction makes user from react with emoji on message id ("" removes
// from's reaction). A bot account learns it as Telegram tells bots: the
// connector publishes reaction.changed (who, old and new reactions), or
// for a broadcast channel reaction.updated (anonymous counts).
func (c *Container) SetReaction(ctx context.Context, chat Chat, id int, from int64, emoji string) error {
	return c.Control(ctx, "reaction.set", map[string]any{"chat": chat, "message_id": id, "from": from, "emoji": emoji}, nil)
}

// PinMessage pins (or, with unpin, unpins) message id as another member
// would: the connector publishes message.pinned or message.unpinned.
func (c *Container) PinMessage(ctx context.Context, chat Chat, id int, unpin bool) error {
	return c.Control(ctx, "message.pin", map[string]any{"chat": chat, "message_id": id, "unpin": unpin}, nil)
}

// MarkRead marks a private chat or basic group read up to maxID: the
// account's inbox (read on another of its sessions; read.inbox) or, with
// outbox, the other side reading the account's messages (read.outbox).
func (c *Container) MarkRead(ctx context.Context, chat Chat, maxID int, outbox bool) error {
	return c.Control(ctx, "read", map[string]any{"chat": chat, "max_id": maxID, "outbox": outbox}, nil)
}

// StartTrafficMix is StartTraffic with a share updates (0 to 1) of actions
// that are reactions of members, pins, read receipts, polls and votes
// rather than messages.
func (c *Container) StartTrafficMix(ctx context.Context, rate float64, seed int64, updates float64) error {
	return c.Control(ctx, "traffic", map[string]any{"rate": rate, "seed": seed, "updates": updates}, nil)
}

// SendPoll posts a poll as the bot itself and returns its message id:
// votes in it (Vote) are told to the bot.
func (c *Container) SendPoll(ctx context.Context, chat Chat) (int, error) {
	var r struct {
		MessageID int `json:"message_id"`
	}
	err := c.Control(ctx, "poll.send", map[string]any{"chat": chat}, &r)
	return r.MessageID, err
}

// Vote makes user from vote for the answers options (indexes; none
// retracts the vote) in the poll of message id: the connector publishes
// poll.voted on the voter's private chat and poll.updated with the results.
func (c *Container) Vote(ctx context.Context, chat Chat, id int, from int64, options ...int) error {
	return c.Control(ctx, "poll.vote", map[string]any{"chat": chat, "message_id": id, "from": from, "options": options}, nil)
}

// InjectLink injects a message from a user with a link whose preview
// Telegram is still building (webPagePending): the connector publishes
// message.created with media pending; WebPageReady completes it.
func (c *Container) InjectLink(ctx context.Context, chat Chat, from int64) (int, error) {
	return c.InjectMessage(ctx, Message{Chat: chat, From: from, Media: "link"})
}

// WebPageReady completes the link preview of message id (injected with
// InjectLink): the connector publishes message.edited with the preview.
func (c *Container) WebPageReady(ctx context.Context, chat Chat, id int) error {
	return c.Control(ctx, "webpage.ready", map[string]any{"chat": chat, "message_id": id}, nil)
}
