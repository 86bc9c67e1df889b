package sim

import (
	"context"
	"fmt"
	"slices"

	"github.com/gotd/td/tg"

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
	// Chat is the renamed basic group (updateChat), 0 for user renames.
	Chat int64
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
		return &tg.UpdatePendingJoinRequests{Peer: tgPeer(p.Peer), RequestsPending: *p.Pending, RecentRequesters: slices.Clone(p.Requesters)}
	}
	if p.Chat != 0 {
		return &tg.UpdateChat{ChatID: p.Chat}
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

// RenameChat gives a basic group a new title (chat.rename): every account
// gets updateChat and its connector publishes chat.updated.
func (s *Sim) RenameChat(ctx context.Context, chat schema.PeerRef, title string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if chat.Kind != schema.PeerChat {
		return fmt.Errorf("rename chat: %w: %s is not a basic group (channel renames are not simulated)", ErrInvalid, chat)
	}
	if _, err := s.change(&op{Body: &renameOp{Chat: chat.ID, First: title}}); err != nil {
		return fmt.Errorf("rename chat: %w", err)
	}
	return nil
}

// renameOp renames a user (User) or a basic group (Chat, title in First).
type renameOp struct {
	User     int64  `json:"user,omitempty"`
	Chat     int64  `json:"chat_id,omitempty"`
	First    string `json:"first,omitempty"`
	Last     string `json:"last,omitempty"`
	Username string `json:"username,omitempty"`
}

func (*renameOp) kind() string { return opRename }
func (o *renameOp) check() error {
	if (o.User == 0) == (o.Chat == 0) || o.First == "" {
		return corrupt(opRename, "want a user or a chat, and a name")
	}
	return nil
}

func (o *renameOp) apply(w *world, date int, _ *Call) (int64, error) {
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
		w.recordEvent(a, kind, action, peer, 0, version, date, o.User)
		if w.live {
			w.pushes = append(w.pushes, push{Account: a.Name, Profile: &p})
		}
	}
	return version, nil
}
