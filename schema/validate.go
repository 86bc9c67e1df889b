package schema

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// UTF16Len returns the length of s in UTF-16 code units, Telegram's measure.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
		if utf16.RuneLen(r) < 0 { // invalid rune: encoded as U+FFFD
			n += 2
		}
	}
	return n
}

func checkPeer(field string, p PeerInput) error {
	if p.IsZero() {
		return invalid("%s: required", field)
	}
	return nil
}

func checkMessageID(field string, id int) error {
	if id <= 0 {
		return invalid("%s: required, a positive message id", field)
	}
	return nil
}

func checkMessageIDs(ids []int) error {
	switch {
	case len(ids) == 0:
		return invalid("message_ids: required, at least one message id")
	case len(ids) > MaxMessageIDs:
		return invalid("message_ids: %d ids, at most %d", len(ids), MaxMessageIDs)
	}
	for i, id := range ids {
		if id <= 0 {
			return invalid("message_ids[%d]: %d is not a message id", i, id)
		}
	}
	return nil
}

// checkText validates a text field with its parse mode and entities.
func checkText(field, text string, limit int, parseMode string, entities []Entity) error {
	if n := UTF16Len(text); n > limit {
		return invalid("%s: longer than %d characters (%d UTF-16 units)", field, limit, n)
	}
	switch parseMode {
	case "", ParseModeMarkdown, ParseModeHTML:
	default:
		return invalid("parse_mode: %q, want \"markdown\" or \"html\"", parseMode)
	}
	if parseMode != "" && len(entities) > 0 {
		return invalid("entities: cannot be combined with parse_mode")
	}
	n := UTF16Len(text)
	for i, e := range entities {
		switch {
		case !KnownEntityType(e.Type):
			return invalid("entities[%d].type: unknown type %q", i, e.Type)
		case e.Offset < 0 || e.Length <= 0 || e.Offset > n || e.Length > n-e.Offset: // no overflow
			return invalid("entities[%d]: offset %d length %d is outside the %d UTF-16 units of %s", i, e.Offset, e.Length, n, field)
		case e.Type == "text_url" && e.URL == "":
			return invalid("entities[%d].url: required for text_url", i)
		case e.Type == "mention_name" && e.UserID <= 0:
			return invalid("entities[%d].user_id: required for mention_name", i)
		}
	}
	return nil
}

func (m *ReplyMarkup) validate() error {
	if m == nil {
		return nil
	}
	set := 0
	for _, b := range []bool{len(m.InlineKeyboard) > 0, len(m.Keyboard) > 0, m.RemoveKeyboard} {
		if b {
			set++
		}
	}
	if set != 1 {
		return invalid("reply_markup: set exactly one of inline_keyboard, keyboard, remove_keyboard")
	}
	for i, row := range m.InlineKeyboard {
		for j, b := range row {
			f := fmt.Sprintf("reply_markup.inline_keyboard[%d][%d]", i, j)
			switch {
			case b.Text == "":
				return invalid("%s.text: required", f)
			case (b.CallbackData == "") == (b.URL == ""):
				return invalid("%s: set exactly one of callback_data, url", f)
			case len(b.CallbackData) > MaxCallbackDataBytes:
				return invalid("%s.callback_data: longer than %d bytes", f, MaxCallbackDataBytes)
			}
		}
	}
	for i, row := range m.Keyboard {
		for j, b := range row {
			if b.Text == "" {
				return invalid("reply_markup.keyboard[%d][%d].text: required", i, j)
			}
		}
	}
	return nil
}

// Validate implements Body.
func (c *SendMessage) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	if strings.TrimSpace(c.Text) == "" {
		return invalid("text: required, not blank")
	}
	if err := checkText("text", c.Text, MaxTextLength, c.ParseMode, c.Entities); err != nil {
		return err
	}
	if c.ReplyTo < 0 || c.TopMsgID < 0 {
		return invalid("reply_to, top_msg_id: must be positive message ids")
	}
	return c.ReplyMarkup.validate()
}

// Validate implements Body.
func (c *EditMessage) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	if err := checkMessageID("message_id", c.MessageID); err != nil {
		return err
	}
	if c.Text == nil {
		if c.ReplyMarkup == nil {
			return invalid("text: required unless reply_markup is set")
		}
		if c.ParseMode != "" || len(c.Entities) > 0 {
			return invalid("parse_mode, entities: need text")
		}
		return c.ReplyMarkup.validate()
	}
	if strings.TrimSpace(*c.Text) == "" {
		return invalid("text: blank; omit it to keep the text")
	}
	if err := checkText("text", *c.Text, MaxTextLength, c.ParseMode, c.Entities); err != nil {
		return err
	}
	return c.ReplyMarkup.validate()
}

// Validate implements Body.
func (c *DeleteMessages) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	return checkMessageIDs(c.MessageIDs)
}

// Validate implements Body.
func (c *ForwardMessages) Validate() error {
	if err := checkPeer("from_peer", c.FromPeer); err != nil {
		return err
	}
	if err := checkPeer("to_peer", c.ToPeer); err != nil {
		return err
	}
	return checkMessageIDs(c.MessageIDs)
}

// Validate implements Body.
func (c *PinMessage) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	return checkMessageID("message_id", c.MessageID)
}

// Validate implements Body.
func (c *UnpinMessage) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	return checkMessageID("message_id", c.MessageID)
}

// Validate implements Body.
func (c *SendReaction) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	if err := checkMessageID("message_id", c.MessageID); err != nil {
		return err
	}
	if UTF16Len(c.Reaction) > 16 {
		return invalid("reaction: %q is not one emoji", c.Reaction)
	}
	return nil
}

// Validate implements Body.
func (c *ChatAction) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	for _, a := range ChatActions {
		if a == c.Activity {
			return nil
		}
	}
	return invalid("action: %q, want one of %s", c.Activity, strings.Join(ChatActions, ", "))
}

// Validate implements Body.
func (c *MarkRead) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	return checkMessageID("max_id", c.MaxID)
}

// Validate implements Body.
func (c *AnswerCallback) Validate() error {
	if _, err := c.ID(); err != nil {
		return err
	}
	if n := UTF16Len(c.Text); n > MaxCallbackTextLength {
		return invalid("text: longer than %d characters", MaxCallbackTextLength)
	}
	if c.CacheTime < 0 {
		return invalid("cache_time: %d is negative", c.CacheTime)
	}
	return nil
}

// ID returns the query id as a number.
func (c *AnswerCallback) ID() (int64, error) {
	if c.QueryID == "" {
		return 0, invalid("query_id: required")
	}
	id, err := strconv.ParseInt(c.QueryID, 10, 64)
	if err != nil {
		return 0, invalid("query_id: %q is not a decimal int64", c.QueryID)
	}
	return id, nil
}

// Validate implements Body. The size of Media.Data is checked by egress
// against its configured bound.
func (c *SendMedia) Validate() error {
	if err := checkPeer("peer", c.Peer); err != nil {
		return err
	}
	ok := false
	for _, t := range MediaTypes {
		ok = ok || t == c.Media.Type
	}
	if !ok {
		return invalid("media.type: %q, want one of %s", c.Media.Type, strings.Join(MediaTypes, ", "))
	}
	sources := 0
	for _, set := range []bool{c.Media.FileRef != "", len(c.Media.Data) > 0, c.Media.Object != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return invalid("media: set exactly one of file_ref, data, object")
	}
	if c.ReplyTo < 0 {
		return invalid("reply_to: must be a positive message id")
	}
	return checkText("caption", c.Caption, MaxCaptionLength, c.ParseMode, c.Entities)
}

// Validate implements Body.
func (c *DownloadMedia) Validate() error {
	byMessage := !c.Peer.IsZero() || c.MessageID != 0
	if byMessage == (c.FileRef != "") {
		return invalid("set either peer and message_id, or file_ref")
	}
	if byMessage {
		if err := checkPeer("peer", c.Peer); err != nil {
			return err
		}
		if err := checkMessageID("message_id", c.MessageID); err != nil {
			return err
		}
	}
	if len(c.Thumb) > 1 || c.Thumb != "" && (c.Thumb[0] < 'a' || c.Thumb[0] > 'z') {
		return invalid("thumb: %q, want a size type such as \"m\" or \"x\"", c.Thumb)
	}
	return nil
}
