package mapping

import (
	"fmt"
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Members (issue 12): joins, leaves, kicks, bans, promotions and admin
// titles, on the chat's subject with message id 0. The id's version is the
// update's qts for the qts-sequenced updates bots get (updateChannelParticipant,
// updateChatParticipant): the same pushed or from a difference. The
// basic-group updates (updateChatParticipantAdd/Delete/Admin) carry the
// group's participants version, which counts every change of its member
// list: that is their version. A bot may get both kinds for one change;
// they are two events with two ids.

// channelParticipant maps an updateChannelParticipant.
func channelParticipant(in input, u *tg.UpdateChannelParticipant) ([]schema.Event, error) {
	if u.ChannelID <= 0 || u.UserID <= 0 {
		return nil, fmt.Errorf("%w: channel participant: channel %d user %d", ErrMalformed, u.ChannelID, u.UserID)
	}
	prev, next := channelStatus(u.PrevParticipant), channelStatus(u.NewParticipant)
	body := memberBody(in, schema.PeerRef{Kind: schema.PeerChannel, ID: u.ChannelID}, u.UserID, u.ActorID, prev.status, next.status, u.Date)
	body.Rank = next.rank
	body.InviterID = next.inviter
	body.ViaRequest = next.viaRequest
	body.InviteLink = inviteLink(u.Invite)
	return []schema.Event{memberEvent(in.account, body, int64(u.Qts))}, nil
}

// chatParticipant maps an updateChatParticipant (a basic group, for bots).
func chatParticipant(in input, u *tg.UpdateChatParticipant) ([]schema.Event, error) {
	if u.ChatID <= 0 || u.UserID <= 0 {
		return nil, fmt.Errorf("%w: chat participant: chat %d user %d", ErrMalformed, u.ChatID, u.UserID)
	}
	prev, next := chatStatus(u.PrevParticipant), chatStatus(u.NewParticipant)
	body := memberBody(in, schema.PeerRef{Kind: schema.PeerChat, ID: u.ChatID}, u.UserID, u.ActorID, prev.status, next.status, u.Date)
	body.InviterID = next.inviter
	body.InviteLink = inviteLink(u.Invite)
	return []schema.Event{memberEvent(in.account, body, int64(u.Qts))}, nil
}

// chatParticipantAdd maps an updateChatParticipantAdd: user joined the
// basic group, added by inviter (the user itself for a join by link).
func chatParticipantAdd(in input, u *tg.UpdateChatParticipantAdd) ([]schema.Event, error) {
	if u.ChatID <= 0 || u.UserID <= 0 {
		return nil, fmt.Errorf("%w: chat participant add: chat %d user %d", ErrMalformed, u.ChatID, u.UserID)
	}
	body := memberBody(in, schema.PeerRef{Kind: schema.PeerChat, ID: u.ChatID}, u.UserID, u.InviterID, schema.MemberLeft, schema.MemberMember, u.Date)
	body.InviterID = u.InviterID
	return []schema.Event{memberEvent(in.account, body, int64(u.Version))}, nil
}

// chatParticipantDelete maps an updateChatParticipantDelete: user left or
// was removed from the basic group (Telegram does not say which, nor by
// whom; the service message does).
func chatParticipantDelete(in input, u *tg.UpdateChatParticipantDelete) ([]schema.Event, error) {
	if u.ChatID <= 0 || u.UserID <= 0 {
		return nil, fmt.Errorf("%w: chat participant delete: chat %d user %d", ErrMalformed, u.ChatID, u.UserID)
	}
	body := memberBody(in, schema.PeerRef{Kind: schema.PeerChat, ID: u.ChatID}, u.UserID, 0, schema.MemberMember, schema.MemberLeft, in.date)
	body.PrevStatus = "" // unknown: member or admin
	return []schema.Event{memberEvent(in.account, body, int64(u.Version))}, nil
}

// chatParticipantAdmin maps an updateChatParticipantAdmin: user was made
// an admin of the basic group, or stopped being one.
func chatParticipantAdmin(in input, u *tg.UpdateChatParticipantAdmin) ([]schema.Event, error) {
	if u.ChatID <= 0 || u.UserID <= 0 {
		return nil, fmt.Errorf("%w: chat participant admin: chat %d user %d", ErrMalformed, u.ChatID, u.UserID)
	}
	prev, next := schema.MemberAdmin, schema.MemberMember
	if u.IsAdmin {
		prev, next = next, prev
	}
	body := memberBody(in, schema.PeerRef{Kind: schema.PeerChat, ID: u.ChatID}, u.UserID, 0, prev, next, in.date)
	return []schema.Event{memberEvent(in.account, body, int64(u.Version))}, nil
}

// memberBody is the body common to every member event: actor is dropped
// when it is the user itself or unknown.
func memberBody(in input, chat schema.PeerRef, user, actor int64, prev, next string, date int) *schema.MemberChange {
	userRef := schema.PeerRef{Kind: schema.PeerUser, ID: user}
	body := &schema.MemberChange{
		Account:    in.account,
		Chat:       chatOf(chat, in.ent),
		User:       *senderOf(userRef, in.ent),
		Self:       user == selfOf(in.ent),
		Status:     next,
		PrevStatus: prev,
		Date:       unix(date),
	}
	if actor > 0 && actor != user {
		body.Actor = senderOf(schema.PeerRef{Kind: schema.PeerUser, ID: actor}, in.ent)
		body.Kicked = schema.MemberPresent(prev) && !schema.MemberPresent(next)
	}
	return body
}

// memberEvent wraps a member body into its event, versioned by version.
func memberEvent(account string, body *schema.MemberChange, version int64) schema.Event {
	action := schema.MemberAction(body.PrevStatus, body.Status)
	if body.PrevStatus == "" && body.Status == schema.MemberLeft {
		action = schema.ActionMemberLeft // a deletion whose previous status is unknown
	}
	return chatLevelEvent(account, body.Chat.Ref(), schema.KindMember, action, version, body.Date, body)
}

// chatLevelEvent is an event about a chat or a user rather than a message
// (message id 0), versioned by version.
func chatLevelEvent(account string, peer schema.PeerRef, kind, action string, version int64, t time.Time, body any) schema.Event {
	return schema.Event{
		ID:      schema.EventID(account, peer, 0, kind, action, version),
		Account: account,
		Kind:    kind,
		Action:  action,
		Peer:    peer,
		Time:    t,
		Data:    body,
	}
}

// participant is what member events take from a participant constructor.
type participant struct {
	status     string
	rank       string
	inviter    int64
	viaRequest bool
}

// channelStatus reads a channel participant; nil is "left" (not a member).
func channelStatus(p tg.ChannelParticipantClass) participant {
	switch p := p.(type) {
	case *tg.ChannelParticipant:
		return participant{status: schema.MemberMember}
	case *tg.ChannelParticipantSelf:
		return participant{status: schema.MemberMember, inviter: p.InviterID, viaRequest: p.ViaRequest}
	case *tg.ChannelParticipantCreator:
		return participant{status: schema.MemberCreator, rank: p.Rank}
	case *tg.ChannelParticipantAdmin:
		return participant{status: schema.MemberAdmin, rank: p.Rank, inviter: p.InviterID}
	case *tg.ChannelParticipantBanned:
		switch {
		case p.BannedRights.ViewMessages:
			return participant{status: schema.MemberBanned}
		case p.Left:
			return participant{status: schema.MemberLeft}
		}
		return participant{status: schema.MemberRestricted}
	}
	return participant{status: schema.MemberLeft}
}

// chatStatus reads a basic-group participant; nil is "left".
func chatStatus(p tg.ChatParticipantClass) participant {
	switch p := p.(type) {
	case *tg.ChatParticipant:
		return participant{status: schema.MemberMember, inviter: p.InviterID}
	case *tg.ChatParticipantCreator:
		return participant{status: schema.MemberCreator}
	case *tg.ChatParticipantAdmin:
		return participant{status: schema.MemberAdmin, inviter: p.InviterID}
	}
	return participant{status: schema.MemberLeft}
}

// inviteLink is the link of an exported invite, "" for none.
func inviteLink(i tg.ExportedChatInviteClass) string {
	if e, ok := i.(*tg.ChatInviteExported); ok {
		return e.Link
	}
	return ""
}

// chatParticipants maps an updateChatParticipants (a basic group's whole
// member list) to chat.members, a snapshot: consumers keeping the list
// replace theirs. tgnats keeps no member lists, so it publishes the list
// rather than a difference of it; the one-member updates
// (updateChatParticipantAdd/Delete/Admin, updateChatParticipant) are the
// member.* events. The id's version is schema.ChatMembersVersion.
func chatParticipants(in input, u *tg.UpdateChatParticipants) ([]schema.Event, error) {
	if absent(u.Participants) {
		return nil, fmt.Errorf("%w: chat participants: no list", ErrMalformed)
	}
	id := u.Participants.GetChatID()
	if id <= 0 {
		return nil, fmt.Errorf("%w: chat participants: chat id %d", ErrMalformed, id)
	}
	peer := schema.PeerRef{Kind: schema.PeerChat, ID: id}
	body := &schema.ChatMembers{Account: in.account, Chat: chatOf(peer, in.ent), Members: []schema.ChatMember{}}
	switch p := u.Participants.(type) {
	case *tg.ChatParticipants:
		body.Version = p.Version
		for _, m := range p.Participants {
			body.Members = append(body.Members, chatMember(in, m))
		}
	case *tg.ChatParticipantsForbidden:
		body.Forbidden = true
		if self, ok := p.GetSelfParticipant(); ok {
			m := chatMember(in, self)
			body.Self = &m
		}
	}
	return []schema.Event{chatLevelEvent(in.account, peer, schema.KindChat, schema.ActionChatMembers, schema.ChatMembersVersion(body), unix(in.date), body)}, nil
}

// chatMember is one participant of a basic group's list.
func chatMember(in input, p tg.ChatParticipantClass) schema.ChatMember {
	m := schema.ChatMember{User: *senderOf(schema.PeerRef{Kind: schema.PeerUser, ID: p.GetUserID()}, in.ent), Status: chatStatus(p).status}
	m.InviterID = chatStatus(p).inviter
	var date int
	switch p := p.(type) {
	case *tg.ChatParticipant:
		date = p.Date
	case *tg.ChatParticipantAdmin:
		date = p.Date
	}
	if date != 0 {
		t := unix(date)
		m.Date = &t
	}
	return m
}
