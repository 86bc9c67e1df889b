package tgnats

import "context"

// File is the file of an injected photo or document (Message.File).
type File struct {
	// Size in bytes: 1 B to 4000 MiB, generated as it is read, never held.
	Size int64 `json:"size"`
	// Mime and Name of a document (defaults application/octet-stream, file.bin).
	Mime string `json:"mime,omitempty"`
	Name string `json:"name,omitempty"`
	// Attr is "video", "audio" or "voice" for such documents.
	Attr string `json:"attr,omitempty"`
	// DC is the DC the file lives on: 0 (or 2) the account's home DC, 4 the
	// simulator's second DC, where the connector in the container follows
	// FILE_MIGRATE_4 (both DCs listen inside the container, for the
	// connector there; neither is published).
	DC int `json:"dc,omitempty"`
}

// MediaFile is the file of a message as the simulator serves it: what a
// media.download must store.
type MediaFile struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"` // "photo" or "document"
	Size   int64  `json:"size"`
	Mime   string `json:"mime,omitempty"`
	Name   string `json:"name,omitempty"`
	Attr   string `json:"attr,omitempty"`
	DC     int    `json:"dc"`     // the DC it lives on
	SHA256 string `json:"sha256"` // hex
}

// InjectFile delivers an incoming message in chat with a file of size
// bytes (media "photo" or "document"); it returns the message id.
func (c *Container) InjectFile(ctx context.Context, chat Chat, media string, f File) (int, error) {
	return c.InjectMessage(ctx, Message{Chat: chat, Media: media, File: &f})
}

// MessageFile describes the file of message id in chat, with the sha256
// of its content, to check a download or an upload against.
func (c *Container) MessageFile(ctx context.Context, chat Chat, id int) (MediaFile, error) {
	var f MediaFile
	err := c.Control(ctx, "message.file", map[string]any{"chat": chat, "message_id": id}, &f)
	return f, err
}

// Calls counts the Telegram methods the connector called on the simulated
// Telegram, by name (e.g. "upload.getFile", "auth.exportAuthorization").
func (c *Container) Calls(ctx context.Context) (map[string]int, error) {
	var res struct {
		Calls map[string]int `json:"calls"`
	}
	err := c.Control(ctx, "calls", map[string]any{}, &res)
	return res.Calls, err
}

// ExpireFileReferences expires every file reference Telegram gave out:
// a download holding one gets FILE_REFERENCE_EXPIRED and must fetch the
// message again.
func (c *Container) ExpireFileReferences(ctx context.Context) error {
	return c.Control(ctx, "fault", map[string]any{"kind": "file.expire_refs"}, nil)
}
