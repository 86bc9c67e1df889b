package mapping

import (
	"fmt"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// botStopped maps an updateBotStopped to bot.stopped or bot.restarted on
// the user's private chat, versioned by its qts.
func botStopped(in input, u *tg.UpdateBotStopped) ([]schema.Event, error) {
	if u.UserID <= 0 {
		return nil, fmt.Errorf("%w: bot stopped: user id %d", ErrMalformed, u.UserID)
	}
	peer := schema.PeerRef{Kind: schema.PeerUser, ID: u.UserID}
	action := schema.ActionBotRestarted
	if u.Stopped {
		action = schema.ActionBotStopped
	}
	body := &schema.BotBlock{
		Account: in.account,
		Chat:    chatOf(peer, in.ent),
		User:    *senderOf(peer, in.ent),
		Stopped: u.Stopped,
		Date:    unix(u.Date),
	}
	return []schema.Event{chatLevelEvent(in.account, peer, schema.KindBot, action, int64(u.Qts), body.Date, body)}, nil
}

// joinRequest maps an updateBotChatInviteRequester to member.join_requested
// on the chat, versioned by its qts.
func joinRequest(in input, u *tg.UpdateBotChatInviteRequester) ([]schema.Event, error) {
	peer, err := PeerOf(u.Peer)
	if err != nil {
		return nil, fmt.Errorf("%w: join request: peer: %w", ErrMalformed, err)
	}
	if u.UserID <= 0 {
		return nil, fmt.Errorf("%w: join request: user id %d", ErrMalformed, u.UserID)
	}
	body := &schema.JoinRequest{
		Account:    in.account,
		Chat:       chatOf(peer, in.ent),
		User:       *senderOf(schema.PeerRef{Kind: schema.PeerUser, ID: u.UserID}, in.ent),
		About:      u.About,
		InviteLink: inviteLink(u.Invite),
		Date:       unix(u.Date),
	}
	return []schema.Event{chatLevelEvent(in.account, peer, schema.KindMember, schema.ActionJoinRequested, int64(u.Qts), body.Date, body)}, nil
}

// pendingJoinRequests maps an updatePendingJoinRequests to
// member.join_pending on the chat. The update has no identity: the version
// is schema.SnapshotVersion of the count and requesters (schema.JoinPendingVersion).
func pendingJoinRequests(in input, u *tg.UpdatePendingJoinRequests) ([]schema.Event, error) {
	peer, err := PeerOf(u.Peer)
	if err != nil {
		return nil, fmt.Errorf("%w: pending join requests: peer: %w", ErrMalformed, err)
	}
	body := &schema.JoinPending{
		Account:          in.account,
		Chat:             chatOf(peer, in.ent),
		Pending:          u.RequestsPending,
		RecentRequesters: u.RecentRequesters,
	}
	version := schema.JoinPendingVersion(u.RequestsPending, u.RecentRequesters)
	return []schema.Event{chatLevelEvent(in.account, peer, schema.KindMember, schema.ActionJoinPending, version, unix(in.date), body)}, nil
}
