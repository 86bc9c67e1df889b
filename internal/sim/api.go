package sim

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tgnats/tgnats/schema"
)

// MessageView is the current state of one message as an account sees it.
type MessageView struct {
	Peer     schema.PeerRef
	ID       int
	From     int64 // 0 for broadcast posts
	Out      bool  // sent by the viewing account
	Date     time.Time
	Text     string
	Entities []schema.Entity
	// EditDate is the last edit's date; zero if never edited.
	EditDate time.Time
	Deleted  bool
	Pinned   bool
	// Reactions counts reactions by emoji.
	Reactions map[string]int
	ReplyTo   int
	// Media is "", "photo", "document", or "video", "voice", "audio" for
	// documents with such attributes; MediaID, MediaSize and MediaMime
	// describe it.
	Media     string
	MediaID   int64
	MediaSize int64
	MediaMime string
	FileName  string
	Forwarded bool
	Service   string
}

// Message returns message id of peer as account sees it (account is
// ignored for channels), deleted messages included.
func (s *Sim) Message(peer schema.PeerRef, account string, id int) (MessageView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.w.account(account)
	if err != nil {
		return MessageView{}, false
	}
	m, ok := s.w.lookup(a, peer, id)
	if !ok {
		return MessageView{}, false
	}
	v := MessageView{
		Peer: m.Peer, ID: m.ID, From: m.From, Out: m.Out, Date: time.Unix(int64(m.Date), 0).UTC(),
		Text: m.Text, Entities: slices.Clone(m.Entities), Deleted: m.Deleted, Pinned: m.Pinned,
		ReplyTo: m.ReplyTo, Media: m.Media, MediaID: m.MediaID, Forwarded: m.Fwd != nil, Service: m.Service,
	}
	if peer.Kind == schema.PeerChannel {
		v.Out = m.From == a.UserID
	}
	if m.EditDate != 0 {
		v.EditDate = time.Unix(int64(m.EditDate), 0).UTC()
	}
	if len(m.Reactions) > 0 {
		v.Reactions = map[string]int{}
		for _, r := range m.Reactions {
			v.Reactions[r.Emoji]++
		}
	}
	if m.Media != "" {
		info := mediaInfo{Kind: m.Media, Size: m.MediaSize, Mime: m.MediaMime, Name: m.MediaName}
		info.setDefaults()
		v.MediaSize, v.MediaMime, v.FileName = info.Size, info.Mime, info.Name
		if m.MediaAttr != "" {
			v.Media = m.MediaAttr
		}
	}
	return v, true
}

// ServedCalls returns the API calls of account the simulator served
// successfully, in order. Calls refused with an error are not recorded.
func (s *Sim) ServedCalls(account string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.w.calls[account])
	for i := range out {
		out[i].MessageIDs = slices.Clone(out[i].MessageIDs)
	}
	return out
}

// PressButton makes user from press an inline button with callback data
// under message msgID of chat (as account sees it): account's sessions get
// an updateBotCallbackQuery (no pts, not in the ledger), which the bot
// answers with messages.setBotCallbackAnswer. It returns the query id.
func (s *Sim) PressButton(ctx context.Context, account string, chat schema.PeerRef, msgID int, from int64, data []byte) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if account == "" {
		account = s.cfg.Accounts[0].Name
	}
	id, err := s.change(&op{Body: &pressOp{Account: account, Chat: chat, IDs: []int{msgID}, From: from, Data: data}})
	if err != nil {
		return 0, fmt.Errorf("press button: %w", err)
	}
	return id, nil
}

// SetWriteForbidden makes chat refuse account's sends, edits, pins and
// typing with 403 CHAT_WRITE_FORBIDDEN (deletions of others' messages
// with MESSAGE_DELETE_FORBIDDEN), as for a broadcast channel the bot is
// not an admin of. Chats start writable: the bots administer them.
func (s *Sim) SetWriteForbidden(chat schema.PeerRef, account string, forbidden bool) error {
	s.mu.Lock()
	_, err := s.w.account(account)
	exists := s.w.tgChat(chat) != nil || chat.Kind == schema.PeerUser && s.w.users[chat.ID] != nil
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("%w: chat %s", ErrNotFound, chat)
	}
	if account == "" {
		account = s.cfg.Accounts[0].Name
	}
	if _, err := s.change(&op{Body: &forbidOp{Chat: chat, Account: account, Forbidden: forbidden}}); err != nil {
		return fmt.Errorf("set write forbidden: %w", err)
	}
	return nil
}

// SetChatUsername gives a channel or supergroup a public username that
// contacts.resolveUsername finds ("" removes it).
func (s *Sim) SetChatUsername(chat schema.PeerRef, username string) error {
	if _, err := s.change(&op{Body: &usernameOp{Chat: chat, Username: username}}); err != nil {
		return fmt.Errorf("set chat username: %w", err)
	}
	return nil
}
