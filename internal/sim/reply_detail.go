package sim

import (
	"strings"

	"github.com/gotd/td/tg"
)

// Details of simulated messages that exercise the connector's mapping of
// replies: a reply quotes the first word of the replied message, and a
// reply in a supergroup names its thread root, as Telegram does for
// comment threads.

// quoteOf is what a reply to r quotes: r's first word, "" for none.
func quoteOf(r *message) string {
	if r == nil || r.Service != "" {
		return ""
	}
	word, _, _ := strings.Cut(strings.TrimSpace(r.Text), " ")
	return word
}

// threadRoot is the thread a reply to r belongs to: r's own thread, else
// the message r replies to; 0 for a reply to a thread's root itself.
func threadRoot(r *message) int {
	if r.TopID != 0 {
		return r.TopID
	}
	return r.ReplyTo
}

// replyHeader renders m's reply header; nil when m replies to nothing.
func replyHeader(m *message) tg.MessageReplyHeaderClass {
	if m.ReplyTo == 0 {
		return nil
	}
	h := &tg.MessageReplyHeader{ReplyToMsgID: m.ReplyTo, ReplyToTopID: m.TopID}
	if m.Quote != "" {
		h.Quote, h.QuoteText = true, m.Quote
	}
	h.SetFlags()
	return h
}
