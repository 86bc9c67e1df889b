package simctl

import (
	"context"

	"github.com/tgnats/tgnats/schema"
)

// TypingRequest shows a chat action (typing): a connector publishes it on
// tg.<account>.live.typing.<action>.<peer_kind>.<peer_id>, core NATS only.
type TypingRequest struct {
	Chat Chat `json:"chat"`
	// From is who types: the other user of a private chat (default), a
	// member of a group.
	From int64 `json:"from,omitempty"`
	// Action is typing (default), cancel, record_voice, upload_photo,
	// upload_document or choose_sticker.
	Action string `json:"action,omitempty"`
}

func (r *TypingRequest) validate() error { return checkChat(r.Chat) }

func (s *Server) typing(ctx context.Context, body []byte) (any, error) {
	var r TypingRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.Typing(ctx, r.Chat, r.From, r.Action); err != nil {
		return nil, err
	}
	return struct {
		Chat Chat `json:"chat"`
	}{r.Chat}, nil
}

// StatusRequest changes a user's online status (status): a connector
// publishes it on tg.<account>.live.status.<online|offline>.user.<user>.
type StatusRequest struct {
	User   int64 `json:"user"`
	Online bool  `json:"online"`
}

func (r *StatusRequest) validate() error {
	if r.User <= 0 {
		return invalid("user %d: want the id of the user", r.User)
	}
	return nil
}

func (s *Server) status(ctx context.Context, body []byte) (any, error) {
	var r StatusRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.SetStatus(ctx, r.User, r.Online); err != nil {
		return nil, err
	}
	return struct {
		Chat Chat `json:"chat"`
	}{Chat{Kind: schema.PeerUser, ID: r.User}}, nil
}
