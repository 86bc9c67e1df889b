package egress

import (
	"strings"
	"unicode/utf8"

	"github.com/gotd/td/telegram/message/entity"
	"github.com/gotd/td/telegram/message/html"
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// format turns text with a parse mode or explicit entities into what
// Telegram takes. userHash supplies access hashes for mention_name.
// Invalid UTF-8 is first replaced byte by byte with U+FFFD, which keeps
// every UTF-16 offset (schema.UTF16Len counts an invalid byte as one unit)
// and sends Telegram valid text: otherwise pieces of a broken sequence,
// joined after markup was taken out, could decode into fewer units and
// leave entities past the end of the text.
func format(text, parseMode string, in []schema.Entity, userHash func(int64) int64) (string, []tg.MessageEntityClass, error) {
	text = validUTF8(text)
	switch parseMode {
	case schema.ParseModeHTML:
		var b entity.Builder
		err := html.HTML(strings.NewReader(text), &b, html.Options{UserResolver: func(id int64) (tg.InputUserClass, error) {
			return &tg.InputUser{UserID: id, AccessHash: userHash(id)}, nil
		}})
		if err != nil {
			return "", nil, schema.NewCommandError(schema.CodeInvalidArgument, "text: not valid HTML: %v", err)
		}
		msg, ents := b.Complete()
		return msg, ents, nil
	case schema.ParseModeMarkdown:
		text, in = parseMarkdown(text)
	}
	out := make([]tg.MessageEntityClass, 0, len(in))
	for _, e := range in {
		t, ok := tgconv.InputEntityTL(e, userHash)
		if !ok {
			return "", nil, schema.NewCommandError(schema.CodeInvalidArgument, "entities: unknown type %q", e.Type)
		}
		out = append(out, t)
	}
	return text, out, nil
}

// validUTF8 returns s with each byte of an invalid UTF-8 sequence
// replaced by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// replyMarkup converts a keyboard.
func replyMarkup(m *schema.ReplyMarkup) tg.ReplyMarkupClass {
	switch {
	case m == nil:
		return nil
	case m.RemoveKeyboard:
		return &tg.ReplyKeyboardHide{}
	case len(m.InlineKeyboard) > 0:
		rows := make([]tg.KeyboardButtonRow, 0, len(m.InlineKeyboard))
		for _, r := range m.InlineKeyboard {
			var row tg.KeyboardButtonRow
			for _, b := range r {
				if b.URL != "" {
					row.Buttons = append(row.Buttons, &tg.KeyboardButtonURL{Text: b.Text, URL: b.URL})
				} else {
					row.Buttons = append(row.Buttons, &tg.KeyboardButtonCallback{Text: b.Text, Data: []byte(b.CallbackData)})
				}
			}
			rows = append(rows, row)
		}
		return &tg.ReplyInlineMarkup{Rows: rows}
	default:
		rows := make([]tg.KeyboardButtonRow, 0, len(m.Keyboard))
		for _, r := range m.Keyboard {
			var row tg.KeyboardButtonRow
			for _, b := range r {
				row.Buttons = append(row.Buttons, &tg.KeyboardButton{Text: b.Text})
			}
			rows = append(rows, row)
		}
		return &tg.ReplyKeyboardMarkup{Rows: rows, Resize: m.Resize, SingleUse: m.OneTime}
	}
}

// chatAction converts a chat.action name (validated against
// schema.ChatActions); typing for anything else.
func chatAction(a string) tg.SendMessageActionClass {
	if action, ok := tgconv.ChatAction(a, 0); ok {
		return action
	}
	return &tg.SendMessageTypingAction{}
}
