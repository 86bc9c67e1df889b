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

// ReadRequest marks a chat read (read): up to MaxID, the account's inbox
// (as read on another of its sessions), or with Outbox the other side's
// reading of the account's messages. The account gets
// updateReadHistoryInbox or updateReadHistoryOutbox, in a channel or
// supergroup updateReadChannelInbox or updateReadChannelOutbox (pushed
// only).
type ReadRequest struct {
	Chat   Chat `json:"chat"`
	MaxID  int  `json:"max_id"`
	Outbox bool `json:"outbox,omitempty"`
}

func (r *ReadRequest) validate() error {
	if err := checkChat(r.Chat); err != nil {
		return err
	}
	if r.MaxID <= 0 {
		return invalid("max_id %d: want a positive message id", r.MaxID)
	}
	return nil
}

func (s *Server) read(ctx context.Context, body []byte) (any, error) {
	var r ReadRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.Read(ctx, s.cfg.Account, r.Chat, r.MaxID, r.Outbox); err != nil {
		return nil, err
	}
	return MessageResult{Chat: r.Chat, MessageID: r.MaxID}, nil
}

// PollRequest posts a poll as the account itself (poll.send): its votes
// are told to the account.
type PollRequest struct {
	Chat Chat `json:"chat"`
}

func (r *PollRequest) validate() error { return checkChat(r.Chat) }

func (s *Server) sendPoll(ctx context.Context, body []byte) (any, error) {
	var r PollRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	id, err := s.cfg.Sim.SendPoll(ctx, s.cfg.Account, r.Chat)
	if err != nil {
		return nil, err
	}
	return MessageResult{Chat: r.Chat, MessageID: id}, nil
}

// VoteRequest is a user's vote in the poll of a message (poll.vote):
// Options are answer indexes (none retracts the vote). A bot that sent
// the poll gets updateMessagePollVote (poll.voted) and updateMessagePoll
// (poll.updated).
type VoteRequest struct {
	Chat      Chat  `json:"chat"`
	MessageID int   `json:"message_id"`
	From      int64 `json:"from"`
	Options   []int `json:"options,omitempty"`
}

func (r *VoteRequest) validate() error {
	if err := checkMessage(r.Chat, r.MessageID); err != nil {
		return err
	}
	if r.From <= 0 {
		return invalid("from %d: want the id of the user who votes", r.From)
	}
	return nil
}

func (s *Server) vote(ctx context.Context, body []byte) (any, error) {
	var r VoteRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.Vote(ctx, s.cfg.Account, r.Chat, r.MessageID, r.From, r.Options); err != nil {
		return nil, err
	}
	return MessageResult{Chat: r.Chat, MessageID: r.MessageID}, nil
}

// WebPageRequest completes the link preview of a message injected with
// media "link" (webpage.ready): updateWebPage, or updateChannelWebPage in
// a channel, which the connector publishes as message.edited.
type WebPageRequest struct {
	Chat      Chat `json:"chat"`
	MessageID int  `json:"message_id"`
}

func (r *WebPageRequest) validate() error { return checkMessage(r.Chat, r.MessageID) }

func (s *Server) webPageReady(ctx context.Context, body []byte) (any, error) {
	var r WebPageRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.WebPageReady(ctx, s.cfg.Account, r.Chat, r.MessageID); err != nil {
		return nil, err
	}
	return MessageResult{Chat: r.Chat, MessageID: r.MessageID}, nil
}
