package simctl

import (
	"context"
)

// ReactionRequest sets a user's reaction on a message (reaction.set):
// Emoji "" removes it. A bot account learns it as a qts update
// (updateBotMessageReaction; updateBotMessageReactions in a broadcast
// channel), a user account as an updateMessageReactions push.
type ReactionRequest struct {
	Chat      Chat   `json:"chat"`
	MessageID int    `json:"message_id"`
	From      int64  `json:"from"`
	Emoji     string `json:"emoji,omitempty"`
}

func (r *ReactionRequest) validate() error {
	if err := checkMessage(r.Chat, r.MessageID); err != nil {
		return err
	}
	if r.From <= 0 {
		return invalid("from %d: want the id of the user who reacts", r.From)
	}
	return nil
}

func (s *Server) setReaction(ctx context.Context, body []byte) (any, error) {
	var r ReactionRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.React(ctx, s.cfg.Account, r.Chat, r.MessageID, r.From, r.Emoji); err != nil {
		return nil, err
	}
	return MessageResult{Chat: r.Chat, MessageID: r.MessageID}, nil
}

// PinRequest pins or unpins a message as another member would
// (message.pin): every account gets updatePinnedMessages or
// updatePinnedChannelMessages.
type PinRequest struct {
	Chat      Chat `json:"chat"`
	MessageID int  `json:"message_id"`
	Unpin     bool `json:"unpin,omitempty"`
}

func (r *PinRequest) validate() error { return checkMessage(r.Chat, r.MessageID) }

func (s *Server) pin(ctx context.Context, body []byte) (any, error) {
	var r PinRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.Pin(ctx, s.cfg.Account, r.Chat, r.MessageID, r.Unpin); err != nil {
		return nil, err
	}
	return MessageResult{Chat: r.Chat, MessageID: r.MessageID}, nil
}
