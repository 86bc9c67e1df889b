package sim

import (
	"context"
	"fmt"
	"slices"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// Live signals (issue 12): typing and online status. Telegram pushes
// these to the sessions connected at the time and never again: they are
// not in any difference, the journal or the ledger. The simulator pushes
// them to every account in the chat (a status to every account).

// liveUpdate is one ephemeral update to push.
type liveUpdate struct {
	Chat   schema.PeerRef // typing: the chat; status: the user's private chat
	From   int64          // who types, or whose status it is
	Action string         // typing: a chat action name (tgconv.ChatAction)
	Online *bool          // status: online, else offline
	Date   int
}

// Typing pushes that from shows action ("typing", "cancel",
// "record_voice", "upload_photo", "upload_document", "choose_sticker", …;
// default typing) in chat: updateUserTyping in a private chat (from is
// the other user), updateChatUserTyping or updateChannelUserTyping in
// groups. Nothing is recorded.
func (s *Sim) Typing(ctx context.Context, chat schema.PeerRef, from int64, action string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if action == "" {
		action = "typing"
	}
	if _, ok := tgconv.ChatAction(action, 50); !ok {
		return fmt.Errorf("typing: %w: action %q", ErrInvalid, action)
	}
	if chat.Kind == schema.PeerUser && from == 0 {
		from = chat.ID
	}
	return s.pushLive(liveUpdate{Chat: chat, From: from, Action: action})
}

// SetStatus pushes updateUserStatus of user: online (for 5 minutes) or
// offline since now. Nothing is recorded.
func (s *Sim) SetStatus(ctx context.Context, user int64, online bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.pushLive(liveUpdate{Chat: schema.PeerRef{Kind: schema.PeerUser, ID: user}, From: user, Online: &online})
}

// pushLive checks u against the world and pushes it to the accounts that
// see it.
func (s *Sim) pushLive(u liveUpdate) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if _, ok := s.w.users[u.From]; !ok || s.w.isAccountUser(u.From) {
		return fmt.Errorf("%w: user %d is not a user other than the accounts", ErrInvalid, u.From)
	}
	var members []int64
	switch u.Chat.Kind {
	case schema.PeerUser:
		if u.Chat.ID != u.From {
			return fmt.Errorf("%w: in a private chat only its user %d shows actions", ErrInvalid, u.Chat.ID)
		}
	case schema.PeerChat, schema.PeerChannel:
		ms, _, err := s.w.memberLists(u.Chat)
		if err != nil {
			return err
		}
		members = *ms
		if !slices.Contains(members, u.From) {
			return fmt.Errorf("%w: user %d is not a member of %s", ErrInvalid, u.From, u.Chat)
		}
	default:
		return fmt.Errorf("%w: chat %s", ErrInvalid, u.Chat)
	}
	u.Date = int(s.cfg.Now().Unix())
	for _, a := range s.w.accounts {
		if ch, ok := s.w.channels[u.Chat.ID]; ok && u.Chat.Kind == schema.PeerChannel && !ch.member(a.Name) {
			continue
		}
		s.enqueueLocked(push{Account: a.Name, Live: &u})
	}
	return nil
}

// update renders u as the update Telegram pushes.
func (u *liveUpdate) update() tg.UpdateClass {
	if u.Online != nil {
		if *u.Online {
			return &tg.UpdateUserStatus{UserID: u.From, Status: &tg.UserStatusOnline{Expires: u.Date + 300}}
		}
		return &tg.UpdateUserStatus{UserID: u.From, Status: &tg.UserStatusOffline{WasOnline: u.Date}}
	}
	action, _ := tgconv.ChatAction(u.Action, 50) // checked by Typing
	switch u.Chat.Kind {
	case schema.PeerChat:
		return &tg.UpdateChatUserTyping{ChatID: u.Chat.ID, FromID: &tg.PeerUser{UserID: u.From}, Action: action}
	case schema.PeerChannel:
		return &tg.UpdateChannelUserTyping{ChannelID: u.Chat.ID, FromID: &tg.PeerUser{UserID: u.From}, Action: action}
	}
	return &tg.UpdateUserTyping{UserID: u.From, Action: action}
}
