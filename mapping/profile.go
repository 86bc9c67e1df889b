package mapping

import (
	"fmt"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// Chat and user changes (issue 12). Telegram gives these no identity of
// their own: the id's version is schema.SnapshotVersion of the new state
// (schema.ChatVersion, schema.UserVersion), so the same state pushed and in a difference
// is one event.

// chatUpdated maps an updateChat (a basic group changed) to chat.updated,
// with the group's state from the entities sent with the update.
func chatUpdated(in input, u *tg.UpdateChat) ([]schema.Event, error) {
	if u.ChatID <= 0 {
		return nil, fmt.Errorf("%w: chat update: chat id %d", ErrMalformed, u.ChatID)
	}
	peer := schema.PeerRef{Kind: schema.PeerChat, ID: u.ChatID}
	body := &schema.ChatUpdate{Account: in.account, Chat: chatOf(peer, in.ent)}
	if c := in.ent.Chats[u.ChatID]; c != nil {
		body.Known = true
		body.Left = c.Left
		body.PhotoID = chatPhotoID(c.Photo)
	}
	return []schema.Event{chatEvent(in, body)}, nil
}

// Channel maps what channels.getChannels returned for channel id after an
// updateChannel (a channel or supergroup the account joined, left, was
// kicked from, or that changed its title, username or photo: Telegram
// sends only the id, so ingest fetches the channel and calls Channel) to
// chat.updated, dated date (the update's). c is:
//   - a *tg.Channel: its title, username, broadcast flag and photo; Left
//     when the account is not a member;
//   - a *tg.ChannelForbidden (the account was banned, or the channel went
//     private): Forbidden, with the title it gives;
//   - nil when Telegram refused the request (CHANNEL_PRIVATE): Forbidden,
//     and not Known.
//
// The id's version is the state (schema.ChatVersion): the same state
// fetched again after a restart is the same event.
func Channel(account string, id int64, c tg.ChatClass, date int) (schema.Event, error) {
	if id <= 0 {
		return schema.Event{}, fmt.Errorf("%w: channel update: channel id %d", ErrMalformed, id)
	}
	in := input{account: account, date: date}
	peer := schema.PeerRef{Kind: schema.PeerChannel, ID: id}
	body := &schema.ChatUpdate{Account: account, Chat: schema.NewChat(peer)}
	switch c := c.(type) {
	case *tg.Channel:
		if c.ID != id {
			return schema.Event{}, fmt.Errorf("%w: channel update: got channel %d for %d", ErrMalformed, c.ID, id)
		}
		body.Chat = chatOf(peer, tg.Entities{Channels: map[int64]*tg.Channel{id: c}})
		body.Known, body.Left, body.PhotoID = true, c.Left, chatPhotoID(c.Photo)
	case *tg.ChannelForbidden:
		if c.ID != id {
			return schema.Event{}, fmt.Errorf("%w: channel update: got channel %d for %d", ErrMalformed, c.ID, id)
		}
		body.Chat.Title, body.Chat.Broadcast = c.Title, c.Broadcast
		body.Known, body.Forbidden = true, true
	case nil:
		body.Forbidden = true
	default:
		return schema.Event{}, fmt.Errorf("%w: channel update: %s for channel %d", ErrMalformed, c.TypeName(), id)
	}
	return chatEvent(in, body), nil
}

// chatEvent wraps a chat.updated body.
func chatEvent(in input, body *schema.ChatUpdate) schema.Event {
	return chatLevelEvent(in.account, body.Chat.Ref(), schema.KindChat, schema.ActionChatUpdated, schema.ChatVersion(body), unix(in.date), body)
}

func chatPhotoID(p tg.ChatPhotoClass) int64 {
	if p, ok := p.(*tg.ChatPhoto); ok {
		return p.PhotoID
	}
	return 0
}

// userName maps an updateUserName: the names and usernames are the update's.
func userName(in input, u *tg.UpdateUserName) ([]schema.Event, error) {
	body, err := userBody(in, u.UserID, schema.UserChangeName)
	if err != nil {
		return nil, err
	}
	body.User.FirstName, body.User.LastName, body.User.Username = u.FirstName, u.LastName, ""
	body.Usernames = nil
	for _, n := range u.Usernames {
		body.Usernames = append(body.Usernames, n.Username)
		if n.Active && body.User.Username == "" {
			body.User.Username = n.Username
		}
	}
	return []schema.Event{userEvent(in, body)}, nil
}

// userPhone maps an updateUserPhone.
func userPhone(in input, u *tg.UpdateUserPhone) ([]schema.Event, error) {
	body, err := userBody(in, u.UserID, schema.UserChangePhone)
	if err != nil {
		return nil, err
	}
	body.Phone = u.Phone
	return []schema.Event{userEvent(in, body)}, nil
}

// userEmojiStatus maps an updateUserEmojiStatus.
func userEmojiStatus(in input, u *tg.UpdateUserEmojiStatus) ([]schema.Event, error) {
	body, err := userBody(in, u.UserID, schema.UserChangeEmojiStatus)
	if err != nil {
		return nil, err
	}
	body.EmojiStatusID = emojiStatusID(u.EmojiStatus)
	return []schema.Event{userEvent(in, body)}, nil
}

// userProfile maps an updateUser (something about the user changed): the
// body is the user as sent with the update.
func userProfile(in input, u *tg.UpdateUser) ([]schema.Event, error) {
	body, err := userBody(in, u.UserID, schema.UserChangeProfile)
	if err != nil {
		return nil, err
	}
	return []schema.Event{userEvent(in, body)}, nil
}

// userBody is the body of a user.updated event of user id, with what the
// entities sent with the update know of the user.
func userBody(in input, id int64, change string) (*schema.UserUpdate, error) {
	if id <= 0 {
		return nil, fmt.Errorf("%w: user update: user id %d", ErrMalformed, id)
	}
	peer := schema.PeerRef{Kind: schema.PeerUser, ID: id}
	body := &schema.UserUpdate{Account: in.account, Chat: chatOf(peer, in.ent), Change: change, User: *senderOf(peer, in.ent)}
	if u := in.ent.Users[id]; u != nil {
		body.Phone = u.Phone
		for _, n := range u.Usernames {
			body.Usernames = append(body.Usernames, n.Username)
		}
		if len(body.Usernames) == 0 && u.Username != "" {
			body.Usernames = []string{u.Username}
		}
		body.EmojiStatusID = emojiStatusID(u.EmojiStatus)
	}
	return body, nil
}

// emojiStatusID is the custom emoji of an emoji status, 0 for none.
func emojiStatusID(s tg.EmojiStatusClass) int64 {
	switch s := s.(type) {
	case *tg.EmojiStatus:
		return s.DocumentID
	case *tg.EmojiStatusUntil:
		return s.DocumentID
	}
	return 0
}

// userEvent wraps a user.updated body.
func userEvent(in input, body *schema.UserUpdate) schema.Event {
	return chatLevelEvent(in.account, body.Chat.Ref(), schema.KindUser, schema.ActionUserUpdated, schema.UserVersion(body), unix(in.date), body)
}
