package simctl

import (
	"context"

	"github.com/tgnats/tgnats/schema"
)

// RenameUserRequest gives a user new names (user.rename): every account
// gets updateUserName and a connector publishes user.updated on the
// user's private chat subject.
type RenameUserRequest struct {
	User      int64  `json:"user"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

func (r *RenameUserRequest) validate() error {
	if r.User <= 0 {
		return invalid("user %d: want the id of the user", r.User)
	}
	if r.FirstName == "" {
		return invalid("first_name is required")
	}
	return nil
}

func (s *Server) renameUser(ctx context.Context, body []byte) (any, error) {
	var r RenameUserRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.RenameUser(ctx, r.User, r.FirstName, r.LastName, r.Username); err != nil {
		return nil, err
	}
	return struct {
		Chat Chat `json:"chat"`
	}{Chat{Kind: schema.PeerUser, ID: r.User}}, nil
}

// RenameChatRequest gives a basic group or a channel a new title
// (chat.rename), and a channel also a new username when Username is set:
// every account (of a channel: every account in it) gets updateChat
// (updateChannel) and a connector publishes chat.updated.
type RenameChatRequest struct {
	Chat     Chat   `json:"chat"`
	Title    string `json:"title"`
	Username string `json:"username,omitempty"`
}

func (r *RenameChatRequest) validate() error {
	if err := checkChat(r.Chat); err != nil {
		return err
	}
	if r.Chat.Kind != schema.PeerChat && r.Chat.Kind != schema.PeerChannel {
		return invalid("chat.kind %q: only groups and channels (chat, channel) are renamed", r.Chat.Kind)
	}
	if r.Username != "" && r.Chat.Kind != schema.PeerChannel {
		return invalid("username: only channels have one")
	}
	if r.Title == "" {
		return invalid("title is required")
	}
	return nil
}

func (s *Server) renameChat(ctx context.Context, body []byte) (any, error) {
	var r RenameChatRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.RenameChat(ctx, r.Chat, r.Title, r.Username); err != nil {
		return nil, err
	}
	return struct {
		Chat Chat `json:"chat"`
	}{r.Chat}, nil
}

// ChangeUserRequest is a change of a user other than a rename
// (user.change): Change is "phone" (Phone, "" hides it:
// updateUserPhone), "emoji_status" (EmojiStatusID, 0 for none:
// updateUserEmojiStatus) or "profile" (updateUser: the user as it is).
// Every account gets the update and a connector publishes user.updated on
// the user's private chat subject.
type ChangeUserRequest struct {
	User          int64  `json:"user"`
	Change        string `json:"change"`
	Phone         string `json:"phone,omitempty"`
	EmojiStatusID int64  `json:"emoji_status_id,omitempty,string"`
}

func (r *ChangeUserRequest) validate() error {
	if r.User <= 0 {
		return invalid("user %d: want the id of the user", r.User)
	}
	switch r.Change {
	case schema.UserChangePhone, schema.UserChangeEmojiStatus, schema.UserChangeProfile:
	default:
		return invalid("change %q: want phone, emoji_status or profile", r.Change)
	}
	return nil
}

func (s *Server) changeUser(ctx context.Context, body []byte) (any, error) {
	var r ChangeUserRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.ChangeUser(ctx, r.User, r.Change, r.Phone, r.EmojiStatusID); err != nil {
		return nil, err
	}
	return struct {
		Chat Chat `json:"chat"`
	}{Chat{Kind: schema.PeerUser, ID: r.User}}, nil
}

// ChatMembersRequest pushes a basic group's whole member list
// (chat.members): every account gets updateChatParticipants and a
// connector publishes chat.members.
type ChatMembersRequest struct {
	Chat Chat `json:"chat"`
}

func (r *ChatMembersRequest) validate() error {
	if err := checkChat(r.Chat); err != nil {
		return err
	}
	if r.Chat.Kind != schema.PeerChat {
		return invalid("chat.kind %q: only basic groups (chat) have a member list update", r.Chat.Kind)
	}
	return nil
}

func (s *Server) chatMembers(ctx context.Context, body []byte) (any, error) {
	var r ChatMembersRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.SendMembers(ctx, r.Chat); err != nil {
		return nil, err
	}
	return struct {
		Chat Chat `json:"chat"`
	}{r.Chat}, nil
}
