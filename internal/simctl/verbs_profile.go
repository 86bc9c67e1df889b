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

// RenameChatRequest gives a basic group a new title (chat.rename): every
// account gets updateChat and a connector publishes chat.updated.
type RenameChatRequest struct {
	Chat  Chat   `json:"chat"`
	Title string `json:"title"`
}

func (r *RenameChatRequest) validate() error {
	if err := checkChat(r.Chat); err != nil {
		return err
	}
	if r.Chat.Kind != schema.PeerChat {
		return invalid("chat.kind %q: only basic groups (chat) are renamed", r.Chat.Kind)
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
	if err := s.cfg.Sim.RenameChat(ctx, r.Chat, r.Title); err != nil {
		return nil, err
	}
	return struct {
		Chat Chat `json:"chat"`
	}{r.Chat}, nil
}
