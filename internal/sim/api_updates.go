package sim

import (
	"context"
	"fmt"
	"math/rand/v2"

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
// reading of the account's messages. Private chats and basic groups only
// (read_world.go): updateReadHistoryInbox or updateReadHistoryOutbox in
// the account's box, in the ledger as read.inbox or read.outbox.
func (s *Sim) Read(ctx context.Context, account string, chat schema.PeerRef, maxID int, outbox bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &readOp{Chat: chat, Account: account, MaxID: maxID, Outbox: outbox}}); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// scenarioReactions are the emoji generated traffic reacts with.
var scenarioReactions = []string{"👍", "❤", "🔥", "🎉", ""}

// actUpdate performs one random step of the update kinds beyond messages
// (Scenario.Updates): a reaction by a member (or its removal), a pin or
// unpin, a read receipt (inbox or outbox) of a private chat or basic group.
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
		if t.chat.Kind == schema.PeerChannel {
			break
		}
		return s.Read(ctx, t.account, t.chat, ids[0], rng.IntN(2) == 0)
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
