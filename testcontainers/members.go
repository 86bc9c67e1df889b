package tgnats

import "context"

// Member is a change of a chat's members for the simulator (MemberJoin
// and the other member helpers).
type Member struct {
	// Chat is a basic group or a channel.
	Chat Chat `json:"chat"`
	// User is the member: a user the simulator created (CreateUser).
	User int64 `json:"user"`
	// Actor is who makes the change; default: the account's own user for
	// kicks, promotions and demotions.
	Actor int64 `json:"actor,omitempty"`
	// Rank is the admin title of a promotion.
	Rank string `json:"rank,omitempty"`
	// About is the requester's bio of a join request.
	About string `json:"about,omitempty"`
}

// member runs one member verb and returns the qts of the update the
// account gets: the version of the event id the connector publishes,
// "<account>:<peer_kind>:<peer_id>:0:member.<action>:<qts>".
func (c *Container) member(ctx context.Context, verb string, m Member) (int, error) {
	var r struct {
		Qts int `json:"qts"`
	}
	err := c.Control(ctx, verb, m, &r)
	return r.Qts, err
}

// MemberJoin makes m.User join m.Chat: the connector publishes
// member.joined on the chat's subject.
func (c *Container) MemberJoin(ctx context.Context, m Member) (int, error) {
	return c.member(ctx, "member.join", m)
}

// MemberLeave makes m.User leave m.Chat: member.left.
func (c *Container) MemberLeave(ctx context.Context, m Member) (int, error) {
	return c.member(ctx, "member.leave", m)
}

// MemberKick makes m.Actor remove and ban m.User: member.left with
// "kicked": true.
func (c *Container) MemberKick(ctx context.Context, m Member) (int, error) {
	return c.member(ctx, "member.kick", m)
}

// MemberPromote makes m.User an admin titled m.Rank: member.updated.
func (c *Container) MemberPromote(ctx context.Context, m Member) (int, error) {
	return c.member(ctx, "member.promote", m)
}

// MemberDemote makes an admin a plain member again: member.updated.
func (c *Container) MemberDemote(ctx context.Context, m Member) (int, error) {
	return c.member(ctx, "member.demote", m)
}

// MemberRequest makes m.User ask to join m.Chat by an invite link:
// member.join_requested.
func (c *Container) MemberRequest(ctx context.Context, m Member) (int, error) {
	return c.member(ctx, "member.request", m)
}

// StopBot makes user block the bot account (stopped) or restart it: the
// connector publishes bot.stopped or bot.restarted on the user's private
// chat subject. It returns the update's qts, the id's version.
func (c *Container) StopBot(ctx context.Context, user int64, stopped bool) (int, error) {
	verb := "bot.restart"
	if stopped {
		verb = "bot.stop"
	}
	var r struct {
		Qts int `json:"qts"`
	}
	err := c.Control(ctx, verb, map[string]int64{"user": user}, &r)
	return r.Qts, err
}
