package schema

import (
	"strconv"
	"time"
)

// ChatUpdate is the body of chat.updated events, on the chat's subject with
// message id 0: Telegram said the chat changed. For a basic group
// (updateChat) the body is its state as Telegram sent it with the update;
// for a channel or supergroup (updateChannel, which names only the id:
// joined, left, kicked, renamed, new username or photo) it is the channel
// as channels.getChannels returns it, fetched by ingest.
type ChatUpdate struct {
	Account string `json:"account"`
	// Chat carries the new title, username and broadcast flag.
	Chat Chat `json:"chat"`
	// PhotoID is the id of the chat's photo, 0 when it has none or it is
	// unknown.
	PhotoID int64 `json:"photo_id,omitempty"`
	// Left is true when the account is no longer a member of the chat.
	Left bool `json:"left,omitempty"`
	// Forbidden is true when the account lost access to the chat (banned,
	// or the chat is private now or deleted: Telegram returned
	// channelForbidden, or refused the request): no more events come from
	// it.
	Forbidden bool `json:"forbidden,omitempty"`
	// Known is false when Telegram sent nothing about the chat with the
	// update; the other fields are then only its id.
	Known bool `json:"known"`
}

// User changes: UserUpdate.Change.
const (
	UserChangeName        = "name"         // updateUserName: names and usernames
	UserChangePhone       = "phone"        // updateUserPhone
	UserChangeEmojiStatus = "emoji_status" // updateUserEmojiStatus
	UserChangeProfile     = "profile"      // updateUser: anything; the body is the user as sent
)

// UserUpdate is the body of user.updated events, on the user's private
// chat subject with message id 0.
type UserUpdate struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"`
	// Change is what the update was about: name, phone, emoji_status or
	// profile.
	Change string `json:"change"`
	// User is the user with the names the update (or the entities sent
	// with it) gives.
	User Sender `json:"user"`
	// Usernames are all of the user's usernames (name changes).
	Usernames []string `json:"usernames,omitempty"`
	// Phone is the new phone number (phone changes), "" when hidden.
	Phone string `json:"phone,omitempty"`
	// EmojiStatusID is the custom emoji of the user's status (emoji_status
	// changes), 0 when none.
	EmojiStatusID int64 `json:"emoji_status_id,omitempty"`
}

// ChatVersion is the id version of a chat.updated event: SnapshotVersion
// of title, username, broadcast, photo id, left, forbidden and known.
func ChatVersion(b *ChatUpdate) int64 {
	return SnapshotVersion(b.Chat.Title, b.Chat.Username, strconv.FormatBool(b.Chat.Broadcast),
		strconv.FormatInt(b.PhotoID, 10), strconv.FormatBool(b.Left), strconv.FormatBool(b.Forbidden), strconv.FormatBool(b.Known))
}

// UserVersion is the id version of a user.updated event: SnapshotVersion
// of the change and what it is about: the names and usernames (name),
// the phone (phone), the emoji status (emoji_status), all of them
// (profile).
func UserVersion(b *UserUpdate) int64 {
	emoji := strconv.FormatInt(b.EmojiStatusID, 10)
	switch b.Change {
	case UserChangeName:
		return SnapshotVersion(append([]string{b.Change, b.User.FirstName, b.User.LastName}, b.Usernames...)...)
	case UserChangePhone:
		return SnapshotVersion(b.Change, b.Phone)
	case UserChangeEmojiStatus:
		return SnapshotVersion(b.Change, emoji)
	}
	return SnapshotVersion(append([]string{b.Change, b.User.FirstName, b.User.LastName, b.User.Username, b.Phone, emoji}, b.Usernames...)...)
}

// ActionChatMembers is the action of chat.members events (see ChatMembers).
const ActionChatMembers = "members"

// ChatMembers is the body of chat.members events, on a basic group's
// subject with message id 0: Telegram sent the group's whole member list
// (updateChatParticipants), as it does when the list changed in a way its
// one-member updates (member.joined, member.left, member.updated) do not
// tell, or when the account may no longer see it. It is a snapshot, not a
// difference: a consumer keeping the member list replaces it.
type ChatMembers struct {
	Account string `json:"account"`
	Chat    Chat   `json:"chat"`
	// Members is the list, in Telegram's order; empty when Forbidden.
	Members []ChatMember `json:"members"`
	// Version is Telegram's version of the list (it grows with each
	// change); 0 when Forbidden.
	Version int `json:"version,omitempty"`
	// Forbidden is true when the account may not see the members
	// (chatParticipantsForbidden): it left or was removed, or the group
	// was deactivated. Self is then its own membership, when Telegram
	// says.
	Forbidden bool        `json:"forbidden,omitempty"`
	Self      *ChatMember `json:"self,omitempty"`
}

// ChatMember is one member of a ChatMembers list.
type ChatMember struct {
	User Sender `json:"user"`
	// Status is creator, admin or member.
	Status string `json:"status"`
	// InviterID is who added the member (creators have none).
	InviterID int64 `json:"inviter_id,omitempty"`
	// Date is when the member joined (creators have none).
	Date *time.Time `json:"date,omitempty"`
}

// ChatMembersVersion is the id version of a chat.members event:
// SnapshotVersion of the forbidden flag, Telegram's version and each
// member's id, status and inviter (Self's for a forbidden list). The
// version alone would do for Telegram, which raises it with every change;
// the members make the id follow the content too.
func ChatMembersVersion(b *ChatMembers) int64 {
	parts := []string{strconv.FormatBool(b.Forbidden), strconv.Itoa(b.Version)}
	member := func(m *ChatMember) {
		parts = append(parts, strconv.FormatInt(m.User.ID, 10)+":"+m.Status+":"+strconv.FormatInt(m.InviterID, 10))
	}
	for i := range b.Members {
		member(&b.Members[i])
	}
	if b.Self != nil {
		member(b.Self)
	}
	return SnapshotVersion(parts...)
}
