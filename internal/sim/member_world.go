package sim

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Members (issue 12): users join, leave, are kicked, promoted or demoted,
// or ask to join, in basic groups and channels. Telegram tells bots of
// these by qts updates (updateChannelParticipant, updateChatParticipant,
// updateBotChatInviteRequester); the simulator sends them to every account
// in the chat, in its qts box: pushed live, and with the last part of
// getDifference after downtime. Each enters the account's ledger with the
// event id the connector must publish (version: the qts).

// Kinds of qts update: qtsEvent.Kind.
const (
	qtsBotStopped  = ""             // updateBotStopped (the fault surface's qts updates)
	qtsParticipant = "participant"  // updateChannelParticipant or updateChatParticipant
	qtsJoinRequest = "join_request" // updateBotChatInviteRequester
)

// Member changes: MemberChange.Change, the member.* control verbs.
const (
	MemberJoin    = "join"    // the user joins (by itself, or added by Actor)
	MemberLeave   = "leave"   // the user leaves
	MemberKick    = "kick"    // Actor removes and bans the user
	MemberPromote = "promote" // Actor makes the user an admin with Rank
	MemberDemote  = "demote"  // Actor makes an admin a plain member again
	MemberRequest = "request" // the user asks to join by an invite link
)

// MemberChange is one change of a chat's members (Sim.ChangeMember).
type MemberChange struct {
	// Chat is a basic group or a channel.
	Chat schema.PeerRef `json:"chat"`
	// Change is one of MemberJoin, MemberLeave, MemberKick, MemberPromote,
	// MemberDemote, MemberRequest.
	Change string `json:"change"`
	// User is the member (a user that is not an account).
	User int64 `json:"user"`
	// Actor is who made the change (kick, promote, demote; an admin adding
	// the user on join); default: the first account's own user for kick,
	// promote and demote, none otherwise.
	Actor int64 `json:"actor,omitempty"`
	// Rank is the admin title of a promotion.
	Rank string `json:"rank,omitempty"`
	// About is the requester's bio of a join request.
	About string `json:"about,omitempty"`
}

// ChangeMember applies one member change and returns the qts it has for
// the first account in the chat.
func (s *Sim) ChangeMember(ctx context.Context, c MemberChange) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	qts, err := s.change(&op{Body: &memberChangeOp{MemberChange: c}})
	if err != nil {
		return 0, fmt.Errorf("member %s: %w", c.Change, err)
	}
	return int(qts), nil
}

// StopBot makes user block the bot account (stopped) or restart it: one
// updateBotStopped in the account's qts box. It returns the qts.
func (s *Sim) StopBot(ctx context.Context, account string, user int64, stopped bool) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if user == 0 {
		return 0, fmt.Errorf("%w: bot stop without a user", ErrInvalid)
	}
	qts, err := s.change(&op{Body: &qtsOp{Account: account, From: user, Count: 1, Restart: !stopped}})
	if err != nil {
		return 0, fmt.Errorf("bot stop: %w", err)
	}
	return int(qts), nil
}

// memberChangeOp journals a MemberChange.
type memberChangeOp struct {
	MemberChange
}

func (*memberChangeOp) kind() string { return opMemberChange }
func (o *memberChangeOp) check() error {
	switch o.Change {
	case MemberJoin, MemberLeave, MemberKick, MemberPromote, MemberDemote, MemberRequest:
		return nil
	}
	return corrupt(opMemberChange, "change %q", o.Change)
}

func (o *memberChangeOp) apply(w *world, date int, _ *Call) (int64, error) {
	members, admins, err := w.memberLists(o.Chat)
	if err != nil {
		return 0, err
	}
	if _, ok := w.users[o.User]; !ok || w.isAccountUser(o.User) {
		return 0, fmt.Errorf("%w: user %d is not a user other than the accounts", ErrInvalid, o.User)
	}
	actor := o.Actor
	if actor != 0 {
		if _, ok := w.users[actor]; !ok {
			return 0, fmt.Errorf("%w: actor %d", ErrNotFound, actor)
		}
	}
	present := slices.Contains(*members, o.User)
	prev := schema.MemberLeft
	if present {
		prev = schema.MemberMember
		if _, ok := (*admins)[o.User]; ok {
			prev = schema.MemberAdmin
		}
	}
	next, kind := prev, qtsParticipant
	switch o.Change {
	case MemberJoin:
		next = schema.MemberMember
		if present {
			return 0, fmt.Errorf("%w: user %d is in %s already", ErrInvalid, o.User, o.Chat)
		}
	case MemberRequest:
		kind = qtsJoinRequest
		if present {
			return 0, fmt.Errorf("%w: user %d is in %s already", ErrInvalid, o.User, o.Chat)
		}
	case MemberLeave, MemberKick:
		next = schema.MemberLeft
		if o.Change == MemberKick {
			next = schema.MemberBanned
		}
		if !present {
			return 0, fmt.Errorf("%w: user %d is not in %s", ErrInvalid, o.User, o.Chat)
		}
	case MemberPromote, MemberDemote:
		next = schema.MemberAdmin
		if o.Change == MemberDemote {
			next = schema.MemberMember
		}
		if !present || prev == next && o.Change == MemberDemote {
			return 0, fmt.Errorf("%w: user %d is not a member to %s in %s", ErrInvalid, o.User, o.Change, o.Chat)
		}
	}
	if actor == 0 && (o.Change == MemberKick || o.Change == MemberPromote || o.Change == MemberDemote) {
		actor = w.accounts[0].UserID
	}
	// Mutate: member lists are replaced, never changed in place (targets
	// hands them out).
	switch next {
	case schema.MemberMember, schema.MemberAdmin:
		if !present {
			*members = append(slices.Clone(*members), o.User)
		}
	default:
		if kind == qtsParticipant {
			*members = slices.DeleteFunc(slices.Clone(*members), func(id int64) bool { return id == o.User })
		}
	}
	if next == schema.MemberAdmin {
		if *admins == nil {
			*admins = map[int64]string{}
		}
		(*admins)[o.User] = o.Rank
	} else {
		delete(*admins, o.User)
	}
	q := qtsEvent{Date: date, User: o.User, Kind: kind, Chat: o.Chat, Actor: actor, Prev: prev, New: next, Rank: o.Rank, About: o.About}
	var (
		first int64
		seen  []*account
	)
	for _, a := range w.accounts {
		if ch, ok := w.channels[o.Chat.ID]; ok && o.Chat.Kind == schema.PeerChannel && !ch.member(a.Name) {
			continue
		}
		seen = append(seen, a)
		n := w.addQts(a, q, date)
		if first == 0 {
			first = int64(n)
		}
	}
	// A request, and the join of a requester, change the pending count.
	reqs := w.requestsOf(o.Chat)
	switch {
	case o.Change == MemberRequest && !slices.Contains(*reqs, o.User):
		*reqs = append(slices.Clone(*reqs), o.User)
		w.pendingChanged(o.Chat, seen, date)
	case o.Change == MemberJoin && slices.Contains(*reqs, o.User):
		*reqs = slices.DeleteFunc(slices.Clone(*reqs), func(id int64) bool { return id == o.User })
		w.pendingChanged(o.Chat, seen, date)
	}
	if o.Chat.Kind == schema.PeerChannel {
		w.touchChannel(w.channels[o.Chat.ID], date)
	}
	return first, nil
}

// requestsOf returns the pending join requests of a chat.
func (w *world) requestsOf(chat schema.PeerRef) *[]int64 {
	if c, ok := w.chats[chat.ID]; ok && chat.Kind == schema.PeerChat {
		return &c.Requests
	}
	if c, ok := w.channels[chat.ID]; ok && chat.Kind == schema.PeerChannel {
		return &c.Requests
	}
	return nil
}

// pendingChanged records and pushes updatePendingJoinRequests of chat to
// accounts: the count and the (up to 3) most recent requesters.
func (w *world) pendingChanged(chat schema.PeerRef, accounts []*account, date int) {
	reqs := *w.requestsOf(chat)
	n := len(reqs)
	recent := slices.Clone(reqs[max(0, n-3):])
	p := profileUpdate{Date: date, Pending: &n, Peer: chat, Requesters: recent, Accounts: []string{}}
	for _, a := range accounts {
		p.Accounts = append(p.Accounts, a.Name)
	}
	w.profiles = append(w.profiles, p)
	version := schema.JoinPendingVersion(n, recent)
	for _, a := range accounts {
		w.recordEvent(a, schema.KindMember, schema.ActionJoinPending, chat, 0, version, date, 0)
		if w.live {
			w.pushes = append(w.pushes, push{Account: a.Name, Profile: &p})
		}
	}
}

// memberLists returns the member list and admins of a chat.
func (w *world) memberLists(chat schema.PeerRef) (*[]int64, *map[int64]string, error) {
	switch chat.Kind {
	case schema.PeerChat:
		if c, ok := w.chats[chat.ID]; ok {
			return &c.Members, &c.Admins, nil
		}
	case schema.PeerChannel:
		if c, ok := w.channels[chat.ID]; ok {
			return &c.Members, &c.Admins, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: chat %s", ErrNotFound, chat)
}

// addQts gives q the next qts of a, records its ledger entry, queues its
// push when live, and returns the qts.
func (w *world) addQts(a *account, q qtsEvent, date int) int {
	a.Qts++
	q.Qts = a.Qts
	a.QtsEvents = append(a.QtsEvents, q)
	a.Box.Date = max(a.Box.Date, date)
	kind, action, peer := q.ledgerKey()
	w.recordEvent(a, kind, action, peer, 0, int64(q.Qts), date, q.User)
	if w.live {
		w.pushes = append(w.pushes, push{Account: a.Name, Qts: &q})
	}
	return q.Qts
}

// ledgerKey is the kind, action and chat of q's event.
func (q *qtsEvent) ledgerKey() (kind, action string, peer schema.PeerRef) {
	switch q.Kind {
	case qtsParticipant:
		return schema.KindMember, schema.MemberAction(q.Prev, q.New), q.Chat
	case qtsJoinRequest:
		return schema.KindMember, schema.ActionJoinRequested, q.Chat
	}
	action = schema.ActionBotRestarted
	if q.Stopped {
		action = schema.ActionBotStopped
	}
	return schema.KindBot, action, schema.PeerRef{Kind: schema.PeerUser, ID: q.User}
}

// recordEvent records a change other than a message's creation, edit or
// deletion (its Kind is set; msgID is the message it is about, 0 for none)
// with the event id the connector must publish, and returns the entry. A
// state that comes back (a pending count, a name: ids from
// schema.SnapshotVersion) within dedupWindow of the entry with its id is
// not recorded again, and nil is returned: the stream drops it as a
// duplicate.
func (w *world) recordEvent(a *account, kind, action string, peer schema.PeerRef, msgID int, version int64, date int, from int64) *LedgerEntry {
	id := schema.EventID(a.Name, peer, msgID, kind, action, version)
	t := unixTime(date)
	if a.recent == nil {
		a.recent = make(map[string]time.Time)
		for _, e := range a.Ledger {
			if e.ID != "" && e.Time.After(a.recent[e.ID]) {
				a.recent[e.ID] = e.Time
			}
		}
	}
	if last, ok := a.recent[id]; ok && t.Sub(last) < dedupWindow {
		return nil
	}
	a.recent[id] = t
	w.ledgerSeq++
	a.Ledger = append(a.Ledger, LedgerEntry{
		Seq: w.ledgerSeq, Account: a.Name, Kind: kind, Action: action, Peer: peer, MessageID: msgID,
		Version: version, Time: t, From: from, ID: id,
	})
	return &a.Ledger[len(a.Ledger)-1]
}

// dedupWindow is the connector's default JetStream duplicate window.
const dedupWindow = 2 * time.Hour

// update renders q as the update Telegram sends.
func (q *qtsEvent) update() tg.UpdateClass {
	switch {
	case q.Reaction != nil:
		return q.Reaction.update(q.Qts, q.Date)
	case q.Vote != nil:
		return q.Vote.update(q.Qts)
	}
	switch q.Kind {
	case qtsParticipant:
		if q.Chat.Kind == schema.PeerChat {
			return &tg.UpdateChatParticipant{ChatID: q.Chat.ID, Date: q.Date, ActorID: q.actorOrUser(), UserID: q.User,
				PrevParticipant: q.chatParticipant(q.Prev), NewParticipant: q.chatParticipant(q.New), Qts: q.Qts}
		}
		return &tg.UpdateChannelParticipant{ChannelID: q.Chat.ID, Date: q.Date, ActorID: q.actorOrUser(), UserID: q.User,
			PrevParticipant: q.channelParticipant(q.Prev), NewParticipant: q.channelParticipant(q.New), Qts: q.Qts}
	case qtsJoinRequest:
		return &tg.UpdateBotChatInviteRequester{Peer: tgPeer(q.Chat), Date: q.Date, UserID: q.User, About: q.About,
			Invite: &tg.ChatInvitePublicJoinRequests{}, Qts: q.Qts}
	}
	return &tg.UpdateBotStopped{UserID: q.User, Date: q.Date, Stopped: q.Stopped, Qts: q.Qts}
}

// refs adds the users and chats q names.
func (q *qtsEvent) refs(r *refs) {
	switch {
	case q.Reaction != nil:
		r.peer(q.Reaction.Chat)
		if q.Reaction.Actor != 0 {
			r.users[q.Reaction.Actor] = true
		}
		return
	case q.Vote != nil:
		r.users[q.Vote.User] = true
		return
	}
	r.users[q.User] = true
	if q.Actor != 0 {
		r.users[q.Actor] = true
	}
	if q.Kind != qtsBotStopped {
		r.peer(q.Chat)
	}
}

func (q *qtsEvent) actorOrUser() int64 {
	if q.Actor != 0 {
		return q.Actor
	}
	return q.User
}

func (q *qtsEvent) channelParticipant(status string) tg.ChannelParticipantClass {
	switch status {
	case schema.MemberMember:
		return &tg.ChannelParticipant{UserID: q.User, Date: q.Date}
	case schema.MemberAdmin:
		return &tg.ChannelParticipantAdmin{UserID: q.User, PromotedBy: q.actorOrUser(), Date: q.Date, Rank: q.Rank,
			AdminRights: tg.ChatAdminRights{ChangeInfo: true, DeleteMessages: true, BanUsers: true}}
	case schema.MemberBanned:
		return &tg.ChannelParticipantBanned{Peer: &tg.PeerUser{UserID: q.User}, KickedBy: q.actorOrUser(), Date: q.Date,
			BannedRights: tg.ChatBannedRights{ViewMessages: true}}
	}
	return nil
}

func (q *qtsEvent) chatParticipant(status string) tg.ChatParticipantClass {
	switch status {
	case schema.MemberMember:
		return &tg.ChatParticipant{UserID: q.User, InviterID: q.actorOrUser(), Date: q.Date}
	case schema.MemberAdmin:
		return &tg.ChatParticipantAdmin{UserID: q.User, InviterID: q.actorOrUser(), Date: q.Date}
	}
	return nil
}
