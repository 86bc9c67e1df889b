package simctl

import (
	"context"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// MemberRequest changes a chat's members (member.join, member.leave,
// member.kick, member.promote, member.demote, member.request). A connector
// on the account publishes member.joined, member.left, member.updated or
// member.join_requested on the chat's subject.
type MemberRequest struct {
	// Chat is a basic group or a channel.
	Chat Chat `json:"chat"`
	// User is the member: a user that is not an account.
	User int64 `json:"user"`
	// Actor is who makes the change; default: the account's own user for
	// kick, promote and demote.
	Actor int64 `json:"actor,omitempty"`
	// Rank is the admin title (member.promote).
	Rank string `json:"rank,omitempty"`
	// About is the requester's bio (member.request).
	About string `json:"about,omitempty"`
}

func (r *MemberRequest) validate() error {
	if err := checkChat(r.Chat); err != nil {
		return err
	}
	if r.Chat.Kind == schema.PeerUser {
		return invalid("chat.kind user: want a chat or channel")
	}
	if r.User <= 0 {
		return invalid("user %d: want the id of the member", r.User)
	}
	if r.Actor < 0 {
		return invalid("actor %d: want a user id or none", r.Actor)
	}
	return nil
}

// MemberResult answers a member verb: the qts of the update Telegram
// sends the account (the version of the event's id).
type MemberResult struct {
	Chat Chat  `json:"chat"`
	User int64 `json:"user"`
	Qts  int   `json:"qts"`
}

// memberVerb serves the member verb of change.
func (s *Server) memberVerb(change string) verbFunc {
	return func(ctx context.Context, body []byte) (any, error) {
		var r MemberRequest
		if err := decodeValid(body, &r); err != nil {
			return nil, err
		}
		qts, err := s.cfg.Sim.ChangeMember(ctx, sim.MemberChange{Chat: r.Chat, Change: change, User: r.User, Actor: r.Actor, Rank: r.Rank, About: r.About})
		if err != nil {
			return nil, err
		}
		return MemberResult{Chat: r.Chat, User: r.User, Qts: qts}, nil
	}
}

// BotStopRequest is a user blocking (bot.stop) or restarting (bot.restart)
// the bot. A connector on the account publishes bot.stopped or
// bot.restarted on the user's private chat subject.
type BotStopRequest struct {
	User int64 `json:"user"`
}

func (r *BotStopRequest) validate() error {
	if r.User <= 0 {
		return invalid("user %d: want the id of the user", r.User)
	}
	return nil
}

// botStop serves bot.stop (stopped) and bot.restart.
func (s *Server) botStop(stopped bool) verbFunc {
	return func(ctx context.Context, body []byte) (any, error) {
		var r BotStopRequest
		if err := decodeValid(body, &r); err != nil {
			return nil, err
		}
		qts, err := s.cfg.Sim.StopBot(ctx, s.cfg.Account, r.User, stopped)
		if err != nil {
			return nil, err
		}
		return MemberResult{Chat: Chat{Kind: schema.PeerUser, ID: r.User}, User: r.User, Qts: qts}, nil
	}
}
