package sim

import (
	"context"
	"fmt"
	"slices"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// Chat and user renames and pending join request counts (issue 12).
// Telegram tells the accounts of them by updates without pts or qts
// (updateUserName, updateChat, updatePendingJoinRequests), pushed live
// and, after downtime, in getDifference's other_updates: the simulator
// returns there every rename dated at or after the difference's date less
// profileMargin, so a rename missed while down is replayed (one already
// seen comes again with the same event id, which JetStream drops as a
// duplicate). A slice returns only those its intermediate date, asked from
// next, will not return again (dated before it less the margin); the last
// part returns the rest. The margin: a push may arrive after a later one (the
// reorder fault), and a connector killed after committing the later one
// asks from its date. So, unlike Telegram, a difference asked within a
// minute after such a change is not empty. Each rename
// enters every account's ledger with the id the connector must publish
// (schema.UserVersion, schema.ChatVersion).
//
// updateChat names no title: the connector reads it from the chat sent
// with the update, the chat as it is now. A basic group renamed twice
// while the connector is down is one chat.updated (the last title), while
// the ledger holds both: generated traffic does not rename chats.

// profileMargin is how far before a difference's date renames are
// returned again, in seconds.
const profileMargin = 60

// profileUpdate is one rename, kept for getDifference.
type profileUpdate struct {
	Date int
	// User is the renamed user (updateUserName), with its new names.
	User     int64
	First    string
	Last     string
	Username string
	// Change is a user change other than a rename (schema.UserChangePhone,
	// UserChangeEmojiStatus, UserChangeProfile), with its Phone or Emoji.
	Change string
	Phone  string
	Emoji  int64
	// Chat is the renamed basic group (updateChat), 0 for user renames.
	Chat int64
	// Channel is the changed channel (updateChannel: renamed, or the
	// account left, was kicked or joined), seen by Accounts only; pushed
	// only (channelChanged).
	Channel int64
	// Pending is set for a change of a chat's pending join requests
	// (updatePendingJoinRequests of Peer, member_world.go), seen by
	// Accounts only.
	Pending    *int
	Peer       schema.PeerRef
	Requesters []int64
	Accounts   []string
}

// update renders p as the update Telegram sends.
func (p *profileUpdate) update() tg.UpdateClass {
	if p.Pending != nil {
		return &tg.UpdatePendingJoinRequests{Peer: tgconv.PeerTL(p.Peer), RequestsPending: *p.Pending, RecentRequesters: slices.Clone(p.Requesters)}
	}
	if p.Chat != 0 {
		return &tg.UpdateChat{ChatID: p.Chat}
	}
	if p.Channel != 0 {
		return &tg.UpdateChannel{ChannelID: p.Channel}
	}
	switch p.Change {
	case schema.UserChangePhone:
		return &tg.UpdateUserPhone{UserID: p.User, Phone: p.Phone}
	case schema.UserChangeEmojiStatus:
		if p.Emoji == 0 {
			return &tg.UpdateUserEmojiStatus{UserID: p.User, EmojiStatus: &tg.EmojiStatusEmpty{}}
		}
		return &tg.UpdateUserEmojiStatus{UserID: p.User, EmojiStatus: &tg.EmojiStatus{DocumentID: p.Emoji}}
	case schema.UserChangeProfile:
		return &tg.UpdateUser{UserID: p.User}
	}
	u := &tg.UpdateUserName{UserID: p.User, FirstName: p.First, LastName: p.Last}
	if p.Username != "" {
		u.Usernames = []tg.Username{{Username: p.Username, Active: true}}
	}
	return u
}

// refs adds the user or chat p names.
func (p *profileUpdate) refs(r *refs) {
	if p.Pending != nil {
		r.peer(p.Peer)
		for _, u := range p.Requesters {
			r.users[u] = true
		}
		return
	}
	if p.Chat != 0 {
		r.peer(schema.PeerRef{Kind: schema.PeerChat, ID: p.Chat})
		return
	}
	if p.Channel != 0 {
		r.peer(schema.PeerRef{Kind: schema.PeerChannel, ID: p.Channel})
		return
	}
	r.users[p.User] = true
}

// profilesSince returns the renames and pending request counts account
// sees dated at or after date.
func (w *world) profilesSince(account string, date int) []profileUpdate {
	i := len(w.profiles)
	for i > 0 && w.profiles[i-1].Date >= date {
		i--
	}
	var out []profileUpdate
	for _, p := range w.profiles[i:] {
		if p.Accounts == nil || slices.Contains(p.Accounts, account) {
			out = append(out, p)
		}
	}
	return out
}

// RenameUser gives user new names (user.rename): every account gets
// updateUserName and its connector publishes user.updated.
func (s *Sim) RenameUser(ctx context.Context, user int64, first, last, username string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &renameOp{User: user, First: first, Last: last, Username: username}}); err != nil {
		return fmt.Errorf("rename user: %w", err)
	}
	return nil
}

// RenameChat gives a basic group or a channel a new title (chat.rename).
// Every account gets updateChat and its connector publishes chat.updated.
// For a channel, username, when not "", is its new username; the accounts
// in it get updateChannel, and their connectors fetch the channel and
// publish chat.updated.
func (s *Sim) RenameChat(ctx context.Context, chat schema.PeerRef, title, username string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &renameOp{First: title, Username: username}
	switch chat.Kind {
	case schema.PeerChat:
		o.Chat, o.Username = chat.ID, ""
	case schema.PeerChannel:
		o.Channel = chat.ID
	default:
		return fmt.Errorf("rename chat: %w: %s is not a group or channel", ErrInvalid, chat)
	}
	if _, err := s.change(&op{Body: o}); err != nil {
		return fmt.Errorf("rename chat: %w", err)
	}
	return nil
}

// renameOp renames a user (User), a basic group (Chat, title in First) or
// a channel (Channel, title in First, and Username when not "").
type renameOp struct {
	User     int64  `json:"user,omitempty"`
	Chat     int64  `json:"chat_id,omitempty"`
	Channel  int64  `json:"channel_id,omitempty"`
	First    string `json:"first,omitempty"`
	Last     string `json:"last,omitempty"`
	Username string `json:"username,omitempty"`
}

func (*renameOp) kind() string { return opRename }
func (o *renameOp) check() error {
	n := 0
	for _, id := range []int64{o.User, o.Chat, o.Channel} {
		if id != 0 {
			n++
		}
	}
	if n != 1 || o.First == "" {
		return corrupt(opRename, "want a user, a chat or a channel, and a name")
	}
	return nil
}

func (o *renameOp) apply(w *world, date int, _ *Call) (int64, error) {
	if o.Channel != 0 {
		ch, ok := w.channels[o.Channel]
		if !ok {
			return 0, fmt.Errorf("%w: channel %d", ErrNotFound, o.Channel)
		}
		ch.Title = o.First
		if o.Username != "" {
			ch.Username = o.Username
		}
		w.channelChanged(ch, date, nil)
		return 0, nil
	}
	p := profileUpdate{Date: date, User: o.User, First: o.First, Last: o.Last, Username: o.Username, Chat: o.Chat}
	var (
		kind, action string
		peer         schema.PeerRef
		version      int64
	)
	if o.Chat != 0 {
		c, ok := w.chats[o.Chat]
		if !ok {
			return 0, fmt.Errorf("%w: chat %d", ErrNotFound, o.Chat)
		}
		c.Title = o.First
		peer = schema.PeerRef{Kind: schema.PeerChat, ID: o.Chat}
		chat := schema.NewChat(peer)
		chat.Title = c.Title
		kind, action = schema.KindChat, schema.ActionChatUpdated
		version = schema.ChatVersion(&schema.ChatUpdate{Chat: chat, Known: true})
	} else {
		u, ok := w.users[o.User]
		if !ok || w.isAccountUser(o.User) {
			return 0, fmt.Errorf("%w: user %d is not a user other than the accounts", ErrInvalid, o.User)
		}
		u.First, u.Last, u.Username = o.First, o.Last, o.Username
		peer = schema.PeerRef{Kind: schema.PeerUser, ID: o.User}
		b := &schema.UserUpdate{Change: schema.UserChangeName, User: schema.Sender{FirstName: o.First, LastName: o.Last}}
		if o.Username != "" {
			b.Usernames = []string{o.Username}
		}
		kind, action = schema.KindUser, schema.ActionUserUpdated
		version = schema.UserVersion(b)
	}
	w.profiles = append(w.profiles, p)
	for _, a := range w.accounts {
		a.Box.Date = max(a.Box.Date, date)
		w.record(a, LedgerEntry{Kind: kind, Action: action, Peer: peer, Version: version, From: o.User}, date)
		if w.live {
			w.pushes = append(w.pushes, push{Account: a.Name, Profile: &p})
		}
	}
	return version, nil
}

// channelChanged tells the accounts of ch that it changed (renamed; or
// only, when set, was kicked from or joined it; the others' view did not
// change): each gets updateChannel,
// and its connector fetches the channel (channels.getChannels:
// channelView) and publishes chat.updated with what it gets. Every account
// that is not Outside records the state it would fetch now (a kicked one
// too: a fetch after an earlier updateChannel sees it), as a Snapshot
// entry: a state replaced before the fetch is never published. The
// simulator only pushes updateChannel (getDifference does not return it:
// a difference within profileMargin would repeat every join of a test's
// setup), so a connector down at the time may miss it too.
func (w *world) channelChanged(ch *channel, date int, only *account) {
	p := profileUpdate{Date: date, Channel: ch.ID, Accounts: []string{}}
	ref := schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ID}
	for _, a := range w.accounts {
		if ch.Outside[a.Name] || (only != nil && a != only) {
			continue // not in it, or its view did not change
		}
		w.record(a, LedgerEntry{Kind: schema.KindChat, Action: schema.ActionChatUpdated, Peer: ref,
			Version: schema.ChatVersion(w.channelState(a, ch)), Snapshot: true}, date)
		if only == nil && !ch.member(a.Name) {
			continue
		}
		a.Box.Date = max(a.Box.Date, date)
		p.Accounts = append(p.Accounts, a.Name)
	}
	if len(p.Accounts) == 0 {
		return
	}
	if w.live {
		for _, name := range p.Accounts {
			w.pushes = append(w.pushes, push{Account: name, Profile: &p})
		}
	}
}

// channelView is ch as channels.getChannels returns it to a: a
// channelForbidden once a was kicked, a channel with left set when a is
// not in it.
func (w *world) channelView(a *account, ch *channel) tg.ChatClass {
	if ch.Kicked[a.Name] {
		return &tg.ChannelForbidden{ID: ch.ID, AccessHash: ch.AccessHash, Title: ch.Title, Broadcast: ch.Broadcast, Megagroup: !ch.Broadcast}
	}
	c, _ := w.tgChat(schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ID}).(*tg.Channel)
	if c != nil && ch.Outside[a.Name] {
		c.Left = true
	}
	if c != nil {
		c.Date = ch.dateFor(a.Name)
	}
	return c
}

// channelState is the chat.updated body a's connector publishes for
// channelView (mapping.Channel).
func (w *world) channelState(a *account, ch *channel) *schema.ChatUpdate {
	chat := schema.NewChat(schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ID})
	chat.Title, chat.Broadcast = ch.Title, ch.Broadcast
	if ch.Kicked[a.Name] {
		return &schema.ChatUpdate{Chat: chat, Known: true, Forbidden: true}
	}
	chat.Username = ch.Username
	return &schema.ChatUpdate{Chat: chat, Known: true, Left: ch.Outside[a.Name]}
}

// ChangeUser tells every account of a change of user other than a rename
// (user.change): change is schema.UserChangePhone (the new phone, "" to
// hide it: updateUserPhone), UserChangeEmojiStatus (the custom emoji id of
// the new status, 0 for none: updateUserEmojiStatus) or UserChangeProfile
// (updateUser: something not modelled changed, such as the photo; the
// connector publishes the user as sent with the update, so it is pushed
// only and its ledger entries are Live). Each connector publishes
// user.updated.
func (s *Sim) ChangeUser(ctx context.Context, user int64, change, phone string, emoji int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.change(&op{Body: &userChangeOp{User: user, Change: change, Phone: phone, Emoji: emoji}}); err != nil {
		return fmt.Errorf("change user: %w", err)
	}
	return nil
}

// userChangeOp is a user change other than a rename (ChangeUser).
type userChangeOp struct {
	User   int64  `json:"user"`
	Change string `json:"change"`
	Phone  string `json:"phone,omitempty"`
	Emoji  int64  `json:"emoji,omitempty"`
}

func (*userChangeOp) kind() string { return opUserChange }
func (o *userChangeOp) check() error {
	switch o.Change {
	case schema.UserChangePhone, schema.UserChangeEmojiStatus, schema.UserChangeProfile:
	default:
		return corrupt(opUserChange, "change %q", o.Change)
	}
	if o.User <= 0 {
		return corrupt(opUserChange, "user %d", o.User)
	}
	return nil
}

func (o *userChangeOp) apply(w *world, date int, _ *Call) (int64, error) {
	u, ok := w.users[o.User]
	if !ok || w.isAccountUser(o.User) {
		return 0, fmt.Errorf("%w: user %d is not a user other than the accounts", ErrInvalid, o.User)
	}
	b := &schema.UserUpdate{Change: o.Change}
	switch o.Change {
	case schema.UserChangePhone:
		u.Phone = o.Phone
		b.Phone = o.Phone
	case schema.UserChangeEmojiStatus:
		u.EmojiStatus = o.Emoji
		b.EmojiStatusID = o.Emoji
	default:
		// What the connector reads from the user sent with updateUser.
		b.User = schema.Sender{FirstName: u.First, LastName: u.Last, Username: u.Username}
		b.Phone, b.EmojiStatusID = u.Phone, u.EmojiStatus
		if u.Username != "" {
			b.Usernames = []string{u.Username}
		}
	}
	version := schema.UserVersion(b)
	peer := schema.PeerRef{Kind: schema.PeerUser, ID: o.User}
	if o.Change == schema.UserChangeProfile {
		// updateUser names only the user: the connector publishes the
		// user sent with it, so a replay in a later difference would show
		// a later state. Pushed only, with the user as it is now.
		for _, a := range w.accounts {
			a.Box.Date = max(a.Box.Date, date)
			if e := w.record(a, LedgerEntry{Kind: schema.KindUser, Action: schema.ActionUserUpdated, Peer: peer, Version: version, From: o.User}, date); e != nil {
				e.Live = true
			}
			if w.live {
				w.pushes = append(w.pushes, push{Account: a.Name, Pushed: &pushedUpdate{Update: &tg.UpdateUser{UserID: o.User}, Chat: peer,
					Date: date, Frozen: []tg.UserClass{w.tgUser(a, o.User)}}})
			}
		}
		return version, nil
	}
	p := profileUpdate{Date: date, User: o.User, Change: o.Change, Phone: o.Phone, Emoji: o.Emoji}
	w.profiles = append(w.profiles, p)
	for _, a := range w.accounts {
		a.Box.Date = max(a.Box.Date, date)
		w.record(a, LedgerEntry{Kind: schema.KindUser, Action: schema.ActionUserUpdated, Peer: peer, Version: version, From: o.User}, date)
		if w.live {
			w.pushes = append(w.pushes, push{Account: a.Name, Profile: &p})
		}
	}
	return version, nil
}
