package tgnats

import "context"

// Typing makes from show a chat action (typing, cancel, record_voice,
// upload_photo, upload_document, choose_sticker; "" is typing) in chat:
// the connector publishes it on tg.<account>.live.typing.<action>.… on
// core NATS only (subscribe before, nothing is stored).
func (c *Container) Typing(ctx context.Context, chat Chat, from int64, action string) error {
	return c.Control(ctx, "typing", map[string]any{"chat": chat, "from": from, "action": action}, nil)
}

// SetStatus makes user go online or offline: the connector publishes it
// on tg.<account>.live.status.<online|offline>.user.<user> (core NATS).
func (c *Container) SetStatus(ctx context.Context, user int64, online bool) error {
	return c.Control(ctx, "status", map[string]any{"user": user, "online": online}, nil)
}
