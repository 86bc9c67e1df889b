package tgnats

import (
	"context"
	"strconv"
)

// RenameUser gives a user new names: the connector publishes user.updated
// on the user's private chat subject.
func (c *Container) RenameUser(ctx context.Context, user int64, first, last, username string) error {
	return c.Control(ctx, "user.rename", map[string]any{"user": user, "first_name": first, "last_name": last, "username": username}, nil)
}

// RenameChat gives a basic group or a channel a new title: the connector
// publishes chat.updated on the chat's subject (for a channel, after
// fetching it: Telegram's updateChannel names only the id).
func (c *Container) RenameChat(ctx context.Context, chat Chat, title string) error {
	return c.Control(ctx, "chat.rename", map[string]any{"chat": chat, "title": title}, nil)
}

// RenameChannel gives a channel or supergroup a new title and, when
// username is not "", a new username.
func (c *Container) RenameChannel(ctx context.Context, channel Chat, title, username string) error {
	return c.Control(ctx, "chat.rename", map[string]any{"chat": channel, "title": title, "username": username}, nil)
}

// KickAccount removes the connector's account from a channel (the
// channel.leave fault): the connector publishes chat.updated with
// forbidden set. JoinAccount lets it back in.
func (c *Container) KickAccount(ctx context.Context, channel Chat) error {
	return c.Control(ctx, "fault", map[string]any{"kind": "channel.leave", "channel": channel.ID}, nil)
}

// JoinAccount lets the account (back) into a channel (the channel.join
// fault): the connector publishes chat.updated with the channel's state.
func (c *Container) JoinAccount(ctx context.Context, channel Chat) error {
	return c.Control(ctx, "fault", map[string]any{"kind": "channel.join", "channel": channel.ID}, nil)
}

// ChangeUser changes a user other than by a rename: change is "phone"
// (phone, "" hides it), "emoji_status" (emoji, a custom emoji id, 0 for
// none) or "profile" (updateUser). The connector publishes user.updated on
// the user's private chat subject.
func (c *Container) ChangeUser(ctx context.Context, user int64, change, phone string, emoji int64) error {
	return c.Control(ctx, "user.change", map[string]any{"user": user, "change": change, "phone": phone, "emoji_status_id": strconv.FormatInt(emoji, 10)}, nil)
}

// SendMembers pushes a basic group's whole member list
// (updateChatParticipants): the connector publishes chat.members.
func (c *Container) SendMembers(ctx context.Context, group Chat) error {
	return c.Control(ctx, "chat.members", map[string]any{"chat": group}, nil)
}
