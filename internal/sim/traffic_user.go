package sim

import (
	"context"
	"math/rand/v2"

	"github.com/tgnats/tgnats/schema"
)

// User-account traffic. A user account is a person with other devices:
// besides what others send, the generator makes it send messages it did
// not command through the connector (outgoing, from "another device"),
// edit and delete its own messages, read its chats on another device
// (updateReadHistoryInbox) and get its messages read
// (updateReadHistoryOutbox).

// userActShare is the share of the actions in a chat of a user account
// that are the account's own.
const userActShare = 0.3

// actor is the user account the generator acts for.
type actor struct {
	name string
	id   int64
}

// userActor returns the user account that acts in t: t's own account for
// a private chat, the first user account for a shared chat; ok false when
// that is a bot. It consumes no randomness, so bots' traffic is the same
// with or without this generator.
func (s *Sim) userActor(t target) (actor, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.account != "" {
		a, ok := s.w.byName[t.account]
		if !ok || a.Phone == "" {
			return actor{}, false
		}
		return actor{name: a.Name, id: a.UserID}, true
	}
	for _, a := range s.w.accounts {
		if a.Phone != "" {
			return actor{name: a.Name, id: a.UserID}, true
		}
	}
	return actor{}, false
}

// actUser performs one action of the user account u in t.
func (s *Sim) actUser(ctx context.Context, rng *rand.Rand, t target, u actor) error {
	broadcast := t.chat.Kind == schema.PeerChannel && len(t.members) == 0
	if broadcast {
		return s.actNew(ctx, rng, t, false) // a user account does not post in others' channels
	}
	switch x := rng.IntN(10); {
	case x < 2:
		if ids := s.recentOwn(u, t.chat, 5); len(ids) > 0 {
			text, _ := randomText(rng)
			return s.EditMessage(ctx, t.chat, u.name, ids[rng.IntN(len(ids))], "edited on another device: "+text)
		}
	case x < 3:
		if ids := s.recentOwn(u, t.chat, 5); len(ids) > 0 {
			return s.DeleteMessages(ctx, t.chat, u.name, ids[rng.IntN(len(ids))])
		}
	case x < 6 && t.chat.Kind != schema.PeerChannel:
		if ids := s.recent(u.name, t.chat, 1, false); len(ids) > 0 {
			return s.MarkRead(u.name, t.chat, ids[0], rng.IntN(2) == 0)
		}
	}
	return s.sendFromOtherDevice(ctx, rng, t, u)
}

// sendFromOtherDevice sends a message as u in t, as its phone would:
// the connector sees an outgoing message it did not send.
func (s *Sim) sendFromOtherDevice(ctx context.Context, rng *rand.Rand, t target, u actor) error {
	m := Outgoing{Account: u.name, Chat: t.chat, From: u.id}
	m.Text, m.Entities = randomText(rng)
	if rng.IntN(4) == 0 {
		if ids := s.recent(u.name, t.chat, 5, false); len(ids) > 0 {
			m.ReplyTo = ids[rng.IntN(len(ids))]
		}
	}
	_, err := s.SendMessage(ctx, m)
	return err
}

// recentOwn returns up to k live, editable message ids u sent in chat,
// newest first.
func (s *Sim) recentOwn(u actor, chat schema.PeerRef, k int) []int {
	return s.recentWhere(u.name, chat, k, func(m *message) bool { return m.Service == "" && m.Poll == nil && m.From == u.id })
}

// recentWhere returns up to k live message ids of chat as account sees it
// (the first account's box for an unknown name) that keep accepts, newest
// first.
func (s *Sim) recentWhere(account string, chat schema.PeerRef, k int, keep func(*message) bool) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.w.accounts[0].Box
	if a, ok := s.w.byName[account]; ok {
		b = a.Box
	}
	if chat.Kind == schema.PeerChannel {
		b = s.w.channels[chat.ID].Box
	}
	ids := b.ByPeer[chat]
	var out []int
	for i := len(ids) - 1; i >= 0 && len(out) < k; i-- {
		if m := b.Msgs[ids[i]]; !m.Deleted && keep(m) {
			out = append(out, m.ID)
		}
	}
	return out
}
