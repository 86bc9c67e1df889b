package tgnats

import "context"

// RenameUser gives a user new names: the connector publishes user.updated
// on the user's private chat subject.
func (c *Container) RenameUser(ctx context.Context, user int64, first, last, username string) error {
	return c.Control(ctx, "user.rename", map[string]any{"user": user, "first_name": first, "last_name": last, "username": username}, nil)
}

// RenameChat gives a basic group a new title: the connector publishes
// chat.updated on the chat's subject.
func (c *Container) RenameChat(ctx context.Context, chat Chat, title string) error {
	return c.Control(ctx, "chat.rename", map[string]any{"chat": chat, "title": title}, nil)
}
