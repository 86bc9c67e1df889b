package sim

import (
	"slices"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"

	"github.com/tgnats/tgnats/schema"
)

// Peer lookups by id, as Telegram answers them: users.getUsers and
// channels.getChannels take the access hash the account was given. A bot
// may pass access_hash 0 for the users and channels it has met (a private
// chat, a shared group or supergroup, a channel it is in); anything else
// without the right hash is userEmpty, or CHANNEL_INVALID for a channel.
// (Telegram also answers a user account about its contacts with hash 0;
// the simulator has no contact lists.)

// onGetUsers is an open route (it answers by itself) because gotd calls
// it on every connect: it must answer 401 for unknown keys.
func (s *Sim) onGetUsers(srv *tgtest.Server, req *tgtest.Request, r *tg.UsersGetUsersRequest) error {
	name, ok := s.authorize(req)
	if !ok {
		return errUnregistered
	}
	s.mu.Lock()
	a := s.w.byName[name]
	users := make([]bin.Encoder, 0, len(r.ID))
	for _, in := range r.ID {
		var id int64
		switch u := in.(type) {
		case *tg.InputUserSelf:
			id = a.UserID
		case *tg.InputUser:
			id = u.UserID
			if !s.w.userVisible(a, u.UserID, u.AccessHash) {
				users = append(users, &tg.UserEmpty{ID: u.UserID})
				continue
			}
		case *tg.InputUserFromMessage:
			id = u.UserID
		}
		if u := s.w.tgUser(a, id); u != nil {
			users = append(users, u)
		}
	}
	s.mu.Unlock()
	return srv.SendVector(req, users...)
}

// userVisible reports whether a gets user id for this access hash.
func (w *world) userVisible(a *account, id, hash int64) bool {
	u, ok := w.users[id]
	switch {
	case !ok:
		return false
	case hash == u.AccessHash:
		return true
	case hash != 0 || a.BotToken == "":
		return false
	}
	return w.botMet(a, id)
}

// botMet reports whether bot a has met user id: itself, a private chat,
// or a group, supergroup or channel they are both in.
func (w *world) botMet(a *account, id int64) bool {
	if id == a.UserID {
		return true
	}
	if _, ok := a.Box.ByPeer[schema.PeerRef{Kind: schema.PeerUser, ID: id}]; ok {
		return true
	}
	account := w.isAccountUser(id)
	for _, c := range w.chats { // every account is in every basic group
		if account || slices.Contains(c.Members, id) {
			return true
		}
	}
	for _, ch := range w.channels {
		if !ch.member(a.Name) {
			continue
		}
		if slices.Contains(ch.Members, id) {
			return true
		}
		if account {
			for _, other := range w.accounts {
				if other.UserID == id && ch.member(other.Name) {
					return true
				}
			}
		}
	}
	return false
}

func (s *Sim) onGetChannels(a *account, req *tgtest.Request, r *tg.ChannelsGetChannelsRequest) (bin.Encoder, error) {
	res := &tg.MessagesChats{}
	for _, in := range r.ID {
		ch, err := s.lookupChannel(a, in)
		if err != nil {
			return nil, err
		}
		res.Chats = append(res.Chats, s.w.channelView(a, ch))
	}
	return res, nil
}

// lookupChannel is inputChannel for channels.getChannels: a bot may also
// pass access_hash 0 for a channel it is in.
func (s *Sim) lookupChannel(a *account, in tg.InputChannelClass) (*channel, error) {
	if c, ok := in.(*tg.InputChannel); ok && c.AccessHash == 0 && a.BotToken != "" {
		if ch, ok := s.w.channels[c.ChannelID]; ok && ch.member(a.Name) {
			return ch, nil
		}
	}
	return s.inputChannel(in)
}
