package mapping

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Errors callers branch on.
var (
	// ErrInvalidPeer reports a peer that is nil, of an unknown constructor or
	// has a non-positive id.
	ErrInvalidPeer = errors.New("mapping: invalid peer")
	// ErrMalformed reports an update or message missing what every valid one
	// has (the message itself, its peer_id). It is permanent: retrying the
	// same input yields the same error.
	ErrMalformed = errors.New("mapping: malformed update")
	// ErrIgnored reports an update whose constructor maps to no event on
	// purpose; the error is an *IgnoredError giving the reason.
	ErrIgnored = errors.New("mapping: update ignored on purpose")
	// ErrUnclassified reports an update whose constructor is not in the
	// table (table.go): a gotd upgrade brought a constructor this version
	// has not classified yet.
	ErrUnclassified = errors.New("mapping: update constructor not classified")
)

// IgnoredError is what Update returns for an update ignored on purpose. It
// wraps ErrIgnored.
type IgnoredError struct {
	// Type is the TL name of the update, e.g. "updateUserTyping".
	Type string
	// Reason is the table's reason, e.g. "ephemeral: typing".
	Reason string
}

func (e *IgnoredError) Error() string {
	return "mapping: " + e.Type + " ignored: " + e.Reason
}

func (e *IgnoredError) Unwrap() error { return ErrIgnored }

// Resolver answers which chat a private/basic-group message id belongs to
// (the Pebble message-id index). Those deletions do not name their chat.
type Resolver interface {
	MessagePeer(msgID int) (schema.PeerRef, bool)
}

// PollResolver, when a Resolver also implements it, answers which message
// a poll was first seen in (the state store's poll links): updateMessagePoll
// names the poll only.
type PollResolver interface {
	PollMessage(pollID int64) (schema.PeerRef, int, bool)
}

// Update maps one update to zero or more events, by the row of its
// constructor in the table of table.go. date is the date of the containing
// Updates or difference, used as the time of deletions, which carry none.
// ent holds the users, chats and channels delivered with the update (its
// maps may be empty or nil); r may be nil, in which case every
// private/basic-group deletion has an unknown chat.
//
// An update whose constructor is ignored on purpose returns an
// *IgnoredError (errors.Is ErrIgnored); one whose constructor is not in the
// table returns an error wrapping ErrUnclassified. New or edited messages of
// type messageEmpty, deletions of no message and link previews of no
// message remembered (WebPageResolver) return (nil, nil). A nil
// update or message, a message without a valid peer_id and a callback query
// without a valid peer or user return an error wrapping ErrMalformed.
func Update(account string, u tg.UpdateClass, ent tg.Entities, date int, r Resolver) ([]schema.Event, error) {
	if absent(u) {
		return nil, fmt.Errorf("%w: nil update", ErrMalformed)
	}
	return updateTable.update(input{account: account, ent: ent, date: date, r: r}, u)
}

// deleteMessages maps a private or basic-group deletion: one event per
// message, in the chat the Resolver knows for it, else chat "unknown".
func deleteMessages(in input, u *tg.UpdateDeleteMessages) ([]schema.Event, error) {
	evs := make([]schema.Event, 0, len(u.Messages))
	for _, id := range u.Messages {
		evs = append(evs, deleted(in.account, in.messagePeer(id), id, in.ent, in.date))
	}
	return evs, nil
}

// messagePeer is the chat of a private or basic-group message id, from the
// Resolver (the message-id index); chat "unknown" when it does not know it.
func (in input) messagePeer(id int) schema.PeerRef {
	if in.r != nil {
		if p, ok := in.r.MessagePeer(id); ok && p.Kind.Valid() {
			return p
		}
	}
	return schema.PeerRef{Kind: schema.PeerUnknown}
}

// deleteChannelMessages maps a channel deletion: one event per message.
func deleteChannelMessages(in input, u *tg.UpdateDeleteChannelMessages) ([]schema.Event, error) {
	if u.ChannelID <= 0 {
		return nil, fmt.Errorf("%w: %w: channel id %d", ErrMalformed, ErrInvalidPeer, u.ChannelID)
	}
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: u.ChannelID}
	evs := make([]schema.Event, 0, len(u.Messages))
	for _, id := range u.Messages {
		evs = append(evs, deleted(in.account, peer, id, in.ent, in.date))
	}
	return evs, nil
}

func one(account string, m tg.MessageClass, ent tg.Entities, action string) ([]schema.Event, error) {
	ev, ok, err := message(account, m, ent, action)
	if err != nil || !ok {
		return nil, err
	}
	return []schema.Event{*ev}, nil
}

// Message maps a message from a difference's new_messages (or from history)
// to a message.created event. It returns false for messageEmpty and an error
// wrapping ErrMalformed for a nil message or one without a valid peer_id.
func Message(account string, m tg.MessageClass, ent tg.Entities) (*schema.Event, bool, error) {
	return message(account, m, ent, schema.ActionCreated)
}

func message(account string, m tg.MessageClass, ent tg.Entities, action string) (*schema.Event, bool, error) {
	if absent(m) {
		return nil, false, fmt.Errorf("%w: nil message", ErrMalformed)
	}
	var (
		peer schema.PeerRef
		err  error
	)
	switch m := m.(type) {
	case *tg.MessageEmpty:
		return nil, false, nil
	case *tg.Message:
		if peer, err = PeerOf(m.PeerID); err != nil {
			return nil, false, fmt.Errorf("%w: message %d peer_id: %w", ErrMalformed, m.ID, err)
		}
		return messageEvent(account, peer, m, ent, action), true, nil
	case *tg.MessageService:
		if peer, err = PeerOf(m.PeerID); err != nil {
			return nil, false, fmt.Errorf("%w: service message %d peer_id: %w", ErrMalformed, m.ID, err)
		}
		return serviceEvent(account, peer, m, ent, action), true, nil
	default:
		return nil, false, fmt.Errorf("%w: message constructor %s", ErrMalformed, m.TypeName())
	}
}

// messageEvent maps a regular message in chat peer.
func messageEvent(account string, peer schema.PeerRef, m *tg.Message, ent tg.Entities, action string) *schema.Event {
	body := &schema.Message{
		Account:    account,
		Chat:       chatOf(peer, ent),
		Sender:     sender(peer, m.FromID, m.Out, ent),
		MessageID:  m.ID,
		Date:       unix(m.Date),
		Out:        m.Out,
		Silent:     m.Silent,
		Post:       m.Post,
		Text:       m.Message,
		Entities:   entities(m.Entities),
		GroupedID:  m.GroupedID,
		ViaBotID:   m.ViaBotID,
		PostAuthor: m.PostAuthor,
		Media:      media(m.Media),
	}
	body.ReplyTo, body.ThreadID = replyTo(m.ReplyTo)
	if !m.FwdFrom.Zero() {
		body.Forward = forward(m.FwdFrom)
	}
	return newMessageEvent(account, peer, body, m.EditDate, action)
}

// serviceEvent maps a service message (chat created, member joined, …).
func serviceEvent(account string, peer schema.PeerRef, m *tg.MessageService, ent tg.Entities, action string) *schema.Event {
	body := &schema.Message{
		Account:   account,
		Chat:      chatOf(peer, ent),
		Sender:    sender(peer, m.FromID, m.Out, ent),
		MessageID: m.ID,
		Date:      unix(m.Date),
		Out:       m.Out,
		Silent:    m.Silent,
		Post:      m.Post,
		Action:    serviceAction(m.Action),
	}
	body.ReplyTo, body.ThreadID = replyTo(m.ReplyTo)
	return newMessageEvent(account, peer, body, 0, action)
}

// newMessageEvent wraps body. Edits are versioned by schema.EditVersion:
// the edit date and a digest of the edited content (text, entities, media
// identity), so each edit is its own event, even two within one second,
// while a redelivered edit keeps its id.
func newMessageEvent(account string, peer schema.PeerRef, body *schema.Message, editDate int, action string) *schema.Event {
	t := body.Date
	var version int64
	if editDate != 0 {
		ed := unix(editDate)
		body.EditDate = &ed
		if action == schema.ActionEdited {
			t = ed
		}
	}
	if action == schema.ActionEdited {
		version = schema.EditVersion(editDate, body.Text, body.Entities, mediaKey(body.Media))
	}
	return &schema.Event{
		ID:        schema.EventID(account, peer, body.MessageID, schema.KindMessage, action, version),
		Account:   account,
		Kind:      schema.KindMessage,
		Action:    action,
		Peer:      peer,
		MessageID: body.MessageID,
		Time:      t,
		Data:      body,
	}
}

// mediaKey is the identity of a message's media for schema.EditVersion:
// "photo:<id>" or "document:<id>" for files (never the file reference,
// which Telegram renews without an edit), the JSON of the mapped media
// otherwise, "" for none.
func mediaKey(m *schema.Media) string {
	if m == nil {
		return ""
	}
	if m.FileRef != "" {
		if r, err := ParseFileRef(m.FileRef); err == nil {
			key := r.Kind.String() + ":" + strconv.FormatInt(r.ID, 10)
			if m.Type != MediaWebPage {
				return key
			}
			// A link preview's text is part of its identity, its
			// photo's file reference is not.
			c := *m
			c.FileRef = key
			m = &c
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return m.Type
	}
	return string(b)
}

func deleted(account string, peer schema.PeerRef, msgID int, ent tg.Entities, date int) schema.Event {
	return schema.Event{
		ID:        schema.EventID(account, peer, msgID, schema.KindMessage, schema.ActionDeleted, 0),
		Account:   account,
		Kind:      schema.KindMessage,
		Action:    schema.ActionDeleted,
		Peer:      peer,
		MessageID: msgID,
		Time:      unix(date),
		Data:      &schema.MessageDeleted{Account: account, Chat: chatOf(peer, ent), MessageID: msgID},
	}
}

// sender resolves who sent a message: from_id when set; otherwise the
// channel itself for channel posts, the other user for incoming private
// messages, and the account's own user (when ent holds it) for outgoing
// ones. It returns nil when none of these is known.
func sender(peer schema.PeerRef, fromID tg.PeerClass, out bool, ent tg.Entities) *schema.Sender {
	if !absent(fromID) {
		if ref, err := PeerOf(fromID); err == nil {
			return senderOf(ref, ent)
		}
	}
	switch {
	case peer.Kind == schema.PeerChannel:
		return senderOf(peer, ent)
	case peer.Kind == schema.PeerUser && !out:
		return senderOf(peer, ent)
	case out:
		if self := selfOf(ent); self != 0 {
			return senderOf(schema.PeerRef{Kind: schema.PeerUser, ID: self}, ent)
		}
	}
	return nil
}

// ShortMessage expands an updateShortMessage (a private-chat message) into
// the updateNewMessage it abbreviates, so that Update can map it. self is the
// account's own user id: outgoing messages get it as from_id (0 leaves
// from_id unset). It returns nil for a nil u.
func ShortMessage(u *tg.UpdateShortMessage, self int64) *tg.UpdateNewMessage {
	if u == nil {
		return nil
	}
	m := &tg.Message{
		Out:         u.Out,
		Mentioned:   u.Mentioned,
		MediaUnread: u.MediaUnread,
		Silent:      u.Silent,
		ID:          u.ID,
		PeerID:      &tg.PeerUser{UserID: u.UserID},
		FwdFrom:     u.FwdFrom,
		ViaBotID:    u.ViaBotID,
		ReplyTo:     u.ReplyTo,
		Date:        u.Date,
		Message:     u.Message,
		Entities:    u.Entities,
		TTLPeriod:   u.TTLPeriod,
	}
	if u.Out && self != 0 {
		m.FromID = &tg.PeerUser{UserID: self}
	}
	m.SetFlags()
	return &tg.UpdateNewMessage{Message: m, Pts: u.Pts, PtsCount: u.PtsCount}
}

// ShortChatMessage expands an updateShortChatMessage (a basic-group message)
// into the updateNewMessage it abbreviates. It returns nil for a nil u.
func ShortChatMessage(u *tg.UpdateShortChatMessage) *tg.UpdateNewMessage {
	if u == nil {
		return nil
	}
	m := &tg.Message{
		Out:         u.Out,
		Mentioned:   u.Mentioned,
		MediaUnread: u.MediaUnread,
		Silent:      u.Silent,
		ID:          u.ID,
		FromID:      &tg.PeerUser{UserID: u.FromID},
		PeerID:      &tg.PeerChat{ChatID: u.ChatID},
		FwdFrom:     u.FwdFrom,
		ViaBotID:    u.ViaBotID,
		ReplyTo:     u.ReplyTo,
		Date:        u.Date,
		Message:     u.Message,
		Entities:    u.Entities,
		TTLPeriod:   u.TTLPeriod,
	}
	m.SetFlags()
	return &tg.UpdateNewMessage{Message: m, Pts: u.Pts, PtsCount: u.PtsCount}
}

// SentMessage maps the updateShortSentMessage answering a send request to
// the message.created event of the sent message: peer and text are the
// request's (Telegram does not repeat them), media and entities come from u.
// The sender is left unset: the account itself sent it (Out is true). It
// returns nil for a nil u or a peer that is not a valid chat.
func SentMessage(account string, peer schema.PeerRef, text string, u *tg.UpdateShortSentMessage) *schema.Event {
	if u == nil || peerTL(peer) == nil || peer.ID <= 0 {
		return nil
	}
	m := &tg.Message{
		Out:       true,
		ID:        u.ID,
		PeerID:    peerTL(peer),
		Date:      u.Date,
		Message:   text,
		Media:     u.Media,
		Entities:  u.Entities,
		TTLPeriod: u.TTLPeriod,
	}
	return messageEvent(account, peer, m, tg.Entities{}, schema.ActionCreated)
}

func unix(sec int) time.Time {
	return time.Unix(int64(sec), 0).UTC()
}
