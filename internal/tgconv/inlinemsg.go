package tgconv

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
)

// ErrInvalidInlineMessageID reports a string ParseInlineMessageID cannot decode.
var ErrInvalidInlineMessageID = errors.New("tgconv: invalid inline message id")

// InlineMessageID encodes the id of a message sent via a bot in inline mode
// (inputBotInlineMessageID or inputBotInlineMessageID64) as an opaque
// string: its TL serialization in base64url without padding, as the Bot API
// does. The same id always encodes to the same string; "" for nil.
func InlineMessageID(id tg.InputBotInlineMessageIDClass) string {
	if Absent(id) {
		return ""
	}
	var b bin.Buffer
	if err := id.Encode(&b); err != nil {
		return "" // both constructors encode without error
	}
	return base64.RawURLEncoding.EncodeToString(b.Buf)
}

// ParseInlineMessageID decodes a string of InlineMessageID.
func ParseInlineMessageID(s string) (tg.InputBotInlineMessageIDClass, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrInvalidInlineMessageID, s)
	}
	b := &bin.Buffer{Buf: raw}
	id, err := tg.DecodeInputBotInlineMessageID(b)
	if err != nil || b.Len() != 0 {
		return nil, fmt.Errorf("%w: %q", ErrInvalidInlineMessageID, s)
	}
	return id, nil
}
