package mapping

import (
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// Live maps an ephemeral update to its live signal (issue 12): typing and
// other chat actions (updateUserTyping, updateChatUserTyping,
// updateChannelUserTyping) and online status (updateUserStatus). Their
// rows in the table stay ignored (no event): ingest publishes the signal
// on core NATS instead, best effort. at is the time of receipt. It returns
// false for every other update and for one without a valid peer.
func Live(account string, u tg.UpdateClass, ent tg.Entities, at time.Time) (*schema.LiveSignal, bool) {
	switch u := u.(type) {
	case *tg.UpdateUserTyping:
		if u.UserID <= 0 {
			return nil, false
		}
		user := schema.PeerRef{Kind: schema.PeerUser, ID: u.UserID}
		return typing(account, user, user, 0, u.Action, ent, at), true
	case *tg.UpdateChatUserTyping:
		from, err := PeerOf(u.FromID)
		if err != nil || u.ChatID <= 0 {
			return nil, false
		}
		return typing(account, schema.PeerRef{Kind: schema.PeerChat, ID: u.ChatID}, from, 0, u.Action, ent, at), true
	case *tg.UpdateChannelUserTyping:
		from, err := PeerOf(u.FromID)
		if err != nil || u.ChannelID <= 0 {
			return nil, false
		}
		return typing(account, schema.PeerRef{Kind: schema.PeerChannel, ID: u.ChannelID}, from, u.TopMsgID, u.Action, ent, at), true
	case *tg.UpdateUserStatus:
		if u.UserID <= 0 {
			return nil, false
		}
		return status(account, u, ent, at), true
	}
	return nil, false
}

func typing(account string, chat, from schema.PeerRef, thread int, a tg.SendMessageActionClass, ent tg.Entities, at time.Time) *schema.LiveSignal {
	body := &schema.Typing{Account: account, Chat: chatOf(chat, ent), From: *senderOf(from, ent), ThreadID: thread}
	body.Action, body.Progress, body.Emoticon = chatAction(a)
	return &schema.LiveSignal{Account: account, Kind: schema.LiveTyping, Action: body.Action, Peer: chat, Time: at, Data: body}
}

// chatAction names a chat action (tgconv.ChatActionName), unsupported
// for a constructor it does not know.
func chatAction(a tg.SendMessageActionClass) (name string, progress int, emoticon string) {
	name, progress, emoticon = tgconv.ChatActionName(a)
	if name == "" {
		name = schema.Unsupported
	}
	return name, progress, emoticon
}

func status(account string, u *tg.UpdateUserStatus, ent tg.Entities, at time.Time) *schema.LiveSignal {
	user := schema.PeerRef{Kind: schema.PeerUser, ID: u.UserID}
	body := &schema.UserStatus{Account: account, Chat: chatOf(user, ent), User: *senderOf(user, ent)}
	switch s := u.Status.(type) {
	case *tg.UserStatusOnline:
		body.Status = "online"
		t := unix(s.Expires)
		body.Expires = &t
	case *tg.UserStatusOffline:
		body.Status = "offline"
		t := unix(s.WasOnline)
		body.WasOnline = &t
	case *tg.UserStatusRecently:
		body.Status = "recently"
	case *tg.UserStatusLastWeek:
		body.Status = "last_week"
	case *tg.UserStatusLastMonth:
		body.Status = "last_month"
	default:
		body.Status = "empty"
	}
	return &schema.LiveSignal{Account: account, Kind: schema.LiveStatus, Action: body.Status, Peer: user, Time: at, Data: body}
}
