package egress

import (
	"context"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// The peer lookups of fakeAPI, answered as Telegram does for a bot:
// access_hash 0 works for the users and channels the fake knows (f.users,
// f.chans), an unknown user is userEmpty, an unknown channel
// CHANNEL_INVALID.

func (f *fakeAPI) UsersGetUsers(_ context.Context, ids []tg.InputUserClass) ([]tg.UserClass, error) {
	if err := f.record("users.getUsers", ids); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []tg.UserClass
	for _, in := range ids {
		id := in.(*tg.InputUser).UserID
		var found tg.UserClass = &tg.UserEmpty{ID: id}
		for _, u := range f.users {
			if u.(*tg.User).ID == id {
				found = u
			}
		}
		out = append(out, found)
	}
	return out, nil
}

func (f *fakeAPI) ChannelsGetChannels(_ context.Context, ids []tg.InputChannelClass) (tg.MessagesChatsClass, error) {
	if err := f.record("channels.getChannels", ids); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := &tg.MessagesChats{}
	for _, in := range ids {
		id := in.(*tg.InputChannel).ChannelID
		var found *tg.Channel
		for _, ch := range f.chans {
			if ch.ID == id {
				found = ch
			}
		}
		if found == nil {
			return nil, tgerr.New(400, "CHANNEL_INVALID")
		}
		res.Chats = append(res.Chats, found)
	}
	return res, nil
}

func (f *fakeAPI) MessagesGetDialogs(_ context.Context, req *tg.MessagesGetDialogsRequest) (tg.MessagesDialogsClass, error) {
	if err := f.record("messages.getDialogs", req); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dialogs == nil {
		return nil, tgerr.New(400, "BOT_METHOD_INVALID")
	}
	return f.dialogs, nil
}
