package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/tgnats/tgnats/schema"
)

// React makes user from react with emoji on message msgID of chat (as
// account sees it; "" removes from's reaction). Every account seeing the
// message learns it as Telegram tells it (reaction_world.go): a bot by a
// qts update, a user account by an updateMessageReactions push.
func (s *Sim) React(ctx context.Context, account string, chat schema.PeerRef, msgID int, from int64, emoji string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &reactOp{Chat: chat, Account: account, IDs: []int{msgID}, From: from, Emoji: emoji}}); err != nil {
		return fmt.Errorf("react: %w", err)
	}
	return nil
}

// Pin pins (or with unpin unpins) message msgID of chat, as account sees
// it, for every member, as another member would: updatePinnedMessages for
// each account holding a copy, or updatePinnedChannelMessages, each in the
// ledger (message.pinned or message.unpinned).
func (s *Sim) Pin(ctx context.Context, account string, chat schema.PeerRef, msgID int, unpin bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &pinOp{Chat: chat, Account: account, IDs: []int{msgID}, Unpin: unpin}}); err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	return nil
}

// Read marks chat read up to maxID for account (as it sees the chat): its
// inbox, read on another of its sessions, or with outbox the other side's
// reading of the account's messages (read_world.go):
// updateReadHistoryInbox or updateReadHistoryOutbox in the account's box,
// in a channel updateReadChannelInbox or updateReadChannelOutbox (pushed
// only, Live), in the ledger as read.inbox or read.outbox.
func (s *Sim) Read(ctx context.Context, account string, chat schema.PeerRef, maxID int, outbox bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &readOp{Chat: chat, Account: account, MaxID: maxID, Outbox: outbox}}); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// SendPoll posts a poll as account itself (as a bot sends one) in chat and
// returns its message id as account sees it: the poll's votes (Vote) are
// then told to account (poll_world.go).
func (s *Sim) SendPoll(ctx context.Context, account string, chat schema.PeerRef) (int, error) {
	s.mu.Lock()
	a, err := s.w.account(account)
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return s.SendMessage(ctx, Outgoing{Account: a.Name, Chat: chat, From: a.UserID, Media: "poll"})
}

// Vote makes user from vote for the answers options (indexes; none
// retracts the vote) in the poll of message msgID of chat, as account sees
// it. The poll's creator is told: a bot by updateMessagePollVote (qts), and
// by updateMessagePoll (pushed only).
func (s *Sim) Vote(ctx context.Context, account string, chat schema.PeerRef, msgID int, from int64, options []int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &voteOp{Chat: chat, Account: account, IDs: []int{msgID}, From: from, Options: options}}); err != nil {
		return fmt.Errorf("vote: %w", err)
	}
	return nil
}

// scenarioReactions are the emoji generated traffic reacts with.
var scenarioReactions = []string{"👍", "❤", "🔥", "🎉", ""}

// actUpdate performs one random step of the update kinds beyond messages
// (Scenario.Updates): a reaction by a member (or its removal), a pin or
// unpin, a read receipt (inbox or outbox; pushed only in a channel),
// a poll of the account or a member's vote in one, a change of the chat
// or user (actProfile), or a link whose preview completes later (actLink).
func (s *Sim) actUpdate(ctx context.Context, rng *rand.Rand) error {
	ts := s.targets()
	t := ts[rng.IntN(len(ts))]
	ids := s.recent(t.account, t.chat, 5, true)
	if len(ids) == 0 {
		return s.actNew(ctx, rng, t, false)
	}
	id := ids[rng.IntN(len(ids))]
	switch rng.IntN(6) {
	case 0:
		return s.Pin(ctx, t.account, t.chat, id, rng.IntN(3) == 0)
	case 1:
		err := s.Read(ctx, t.account, t.chat, ids[0], rng.IntN(2) == 0)
		if t.chat.Kind == schema.PeerChannel && errors.Is(err, ErrInvalid) {
			return nil // the account left the channel (channel.leave): nothing to read
		}
		return err
	case 2:
		if t.members == nil {
			break // a broadcast channel: its posts have no creator account
		}
		polls := s.recentPolls(t.account, t.chat)
		if len(polls) == 0 {
			_, err := s.SendPoll(ctx, t.account, t.chat)
			return err
		}
		var opts []int
		if rng.IntN(5) > 0 {
			opts = []int{rng.IntN(len(pollAnswers))}
		}
		return s.Vote(ctx, t.account, t.chat, polls[rng.IntN(len(polls))], s.reactor(rng, t), opts)
	case 3:
		if rng.IntN(2) == 0 {
			return s.actProfile(ctx, rng, t)
		}
	case 4:
		if rng.IntN(2) == 0 {
			return s.actLink(ctx, rng, t)
		}
	}
	from := s.reactor(rng, t)
	return s.React(ctx, t.account, t.chat, id, from, scenarioReactions[rng.IntN(len(scenarioReactions))])
}

// reactor picks a user of t that is not an account: a member, or for a
// broadcast channel any scenario user.
func (s *Sim) reactor(rng *rand.Rand, t target) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cands []int64
	for _, u := range t.members {
		if !s.w.isAccountUser(u) {
			cands = append(cands, u)
		}
	}
	if len(cands) == 0 {
		cands = s.w.scen.Users
	}
	return cands[rng.IntN(len(cands))]
}

// recentPolls returns the live poll messages of chat among its latest
// twenty, as account sees them.
func (s *Sim) recentPolls(account string, chat schema.PeerRef) []int {
	return s.latestWhere(account, chat, func(m *message) bool { return m.Poll != nil })
}

// latestWhere returns the live messages of chat among its latest twenty
// that keep accepts, as account sees them, newest first.
func (s *Sim) latestWhere(account string, chat schema.PeerRef, keep func(*message) bool) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.w.account(account)
	if err != nil {
		return nil
	}
	b := s.w.boxOf(a, chat)
	if b == nil {
		return nil
	}
	ids := b.ByPeer[chat]
	var out []int
	for i := len(ids) - 1; i >= 0 && i >= len(ids)-20; i-- {
		if m := b.Msgs[ids[i]]; !m.Deleted && keep(m) {
			out = append(out, m.ID)
		}
	}
	return out
}

// actLink completes the preview of one of t's pending links
// (updateWebPage / updateChannelWebPage), or sends a message with a link
// whose preview is pending when there is none.
func (s *Sim) actLink(ctx context.Context, rng *rand.Rand, t target) error {
	if links := s.recentLinks(t.account, t.chat); len(links) > 0 {
		return s.WebPageReady(ctx, t.account, t.chat, links[rng.IntN(len(links))])
	}
	m := Outgoing{Account: t.account, Chat: t.chat, Media: mediaLink}
	if len(t.members) > 0 {
		m.From = t.members[rng.IntN(len(t.members))]
	}
	_, err := s.SendMessage(ctx, m)
	return err
}

// recentLinks returns the live messages of chat among its latest twenty
// whose link preview is pending, as account sees them.
func (s *Sim) recentLinks(account string, chat schema.PeerRef) []int {
	return s.latestWhere(account, chat, func(m *message) bool { return m.Media == mediaLink && !m.PageReady })
}

// actProfile changes t's chat or user: a channel or supergroup is renamed
// (updateChannel), a basic group's member list sent
// (updateChatParticipants), a private chat's user changes phone, emoji
// status or profile.
func (s *Sim) actProfile(ctx context.Context, rng *rand.Rand, t target) error {
	n := strconv.Itoa(rng.IntN(1000))
	switch t.chat.Kind {
	case schema.PeerChannel:
		return s.RenameChat(ctx, t.chat, "Channel "+n, "channel"+n)
	case schema.PeerChat:
		return s.SendMembers(ctx, t.chat)
	}
	change := []string{schema.UserChangePhone, schema.UserChangeEmojiStatus, schema.UserChangeProfile}[rng.IntN(3)]
	return s.ChangeUser(ctx, t.chat.ID, change, "1555"+n, int64(5000+rng.IntN(100)))
}
