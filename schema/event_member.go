package schema

import (
	"hash/fnv"
	"strconv"
	"time"
)

// Kinds and actions of the member, bot, chat and user events (issue 12):
// the <kind>.<action> part of their subjects and types.
const (
	KindMember = "member"
	KindBot    = "bot"
	KindChat   = "chat"
	KindUser   = "user"

	// member.joined, member.left, member.updated: a member's status in a
	// chat changed (see MemberChange).
	ActionMemberJoined  = "joined"
	ActionMemberLeft    = "left"
	ActionMemberUpdated = "updated"
	// member.join_requested: a user asked to join through an invite link
	// that needs approval (see JoinRequest).
	ActionJoinRequested = "join_requested"
	// member.join_pending: the number of pending join requests of a chat
	// changed (see JoinPending).
	ActionJoinPending = "join_pending"
	// bot.stopped, bot.restarted: a user blocked the bot, or unblocked or
	// restarted it (see BotBlock).
	ActionBotStopped   = "stopped"
	ActionBotRestarted = "restarted"
	// chat.updated, user.updated: a chat's or a user's profile changed
	// (see ChatUpdate, UserUpdate).
	ActionChatUpdated = "updated"
	ActionUserUpdated = "updated"
)

// Member statuses: MemberChange.Status and PrevStatus.
const (
	MemberCreator    = "creator"
	MemberAdmin      = "admin"
	MemberMember     = "member"
	MemberRestricted = "restricted" // a member with restricted rights
	MemberBanned     = "banned"     // removed and banned (kicked)
	MemberLeft       = "left"       // not a member (never was, left, or removed)
)

// MemberPresent reports whether a member of status status is in the chat.
func MemberPresent(status string) bool {
	switch status {
	case MemberCreator, MemberAdmin, MemberMember, MemberRestricted:
		return true
	}
	return false
}

// MemberAction is the action of a member event going from status prev to
// status next: joined when the user was not in the chat and is now, left
// when it was and is not any more, updated otherwise (promoted, demoted,
// restricted, a new admin title).
func MemberAction(prev, next string) string {
	switch p, n := MemberPresent(prev), MemberPresent(next); {
	case !p && n:
		return ActionMemberJoined
	case p && !n:
		return ActionMemberLeft
	}
	return ActionMemberUpdated
}

// MemberChange is the body of member.joined, member.left and member.updated
// events: on the chat's subject, with message id 0.
type MemberChange struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"`
	// User is the member whose status changed.
	User Sender `json:"user"`
	// Actor is who made the change (an admin adding, kicking or promoting
	// User), when Telegram says and it is not User itself.
	Actor *Sender `json:"actor,omitempty"`
	// Self is true when User is the account itself: the account was added
	// to, removed from or promoted in the chat.
	Self bool `json:"self,omitempty"`
	// Status is User's status now; PrevStatus before, when Telegram says.
	Status     string `json:"status"`
	PrevStatus string `json:"prev_status,omitempty"`
	// Kicked is true for a member.left that was a removal by Actor.
	Kicked bool `json:"kicked,omitempty"`
	// Rank is the admin's custom title.
	Rank string `json:"rank,omitempty"`
	// InviterID is who invited User, when Telegram says.
	InviterID int64 `json:"inviter_id,omitempty"`
	// InviteLink is the invite link User joined by, when Telegram says.
	InviteLink string `json:"invite_link,omitempty"`
	// ViaRequest is true when User joined by an approved join request.
	ViaRequest bool `json:"via_request,omitempty"`
	// Date is Telegram's time of the change (the containing updates' date
	// when the update has none).
	Date time.Time `json:"date"`
}

// JoinRequest is the body of member.join_requested events: a user asked to
// join the chat by an invite link that needs an admin's approval (bots
// that administer the chat get these).
type JoinRequest struct {
	Account    string    `json:"account"`
	Chat       Chat      `json:"chat"`
	User       Sender    `json:"user"`
	About      string    `json:"about,omitempty"`
	InviteLink string    `json:"invite_link,omitempty"`
	Date       time.Time `json:"date"`
}

// JoinPending is the body of member.join_pending events: the chat's count
// of pending join requests, and the most recent requesters, changed.
type JoinPending struct {
	Account          string  `json:"account"`
	Chat             Chat    `json:"chat"`
	Pending          int     `json:"pending"`
	RecentRequesters []int64 `json:"recent_requesters,omitempty"`
}

// BotBlock is the body of bot.stopped and bot.restarted events, on the
// user's private chat: the user blocked the bot (stopped) or unblocked or
// restarted it (restarted).
type BotBlock struct {
	Account string    `json:"account"`
	Chat    Chat      `json:"chat"`
	User    Sender    `json:"user"`
	Stopped bool      `json:"stopped"`
	Date    time.Time `json:"date"`
}

// SnapshotVersion is the id version of a change Telegram gives no identity
// of its own (a chat's or user's profile, a pending join request count):
// FNV-1a 64 over the parts of the new state, each followed by 0x1f, modulo
// 999 999, plus 1 (never 0, so the id always has a version). The same state
// gives the same id, so a repeated update (pushed and in a difference) is
// published once; a change back to an earlier state within JetStream's
// duplicate window is dropped as a duplicate.
func SnapshotVersion(parts ...string) int64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0x1f})
	}
	return int64(h.Sum64()%999_999) + 1
}

// JoinPendingVersion is the id version of a member.join_pending event:
// SnapshotVersion of the count and each requester's id.
func JoinPendingVersion(pending int, requesters []int64) int64 {
	parts := make([]string, 0, len(requesters)+1)
	parts = append(parts, strconv.Itoa(pending))
	for _, id := range requesters {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	return SnapshotVersion(parts...)
}
