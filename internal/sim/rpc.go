package sim

import (
	"slices"
	"strconv"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"

	"github.com/tgnats/tgnats/schema"
)

// msgsAckTypeID is mt.MsgsAck (msgs_ack#62d6b459); the mt package is internal to gotd.
const msgsAckTypeID = 0x62d6b459

// Errors the simulated Telegram answers with.
var (
	errUnregistered       = tgerr.New(401, "AUTH_KEY_UNREGISTERED")
	errTokenInvalid       = tgerr.New(400, "ACCESS_TOKEN_INVALID")
	errChannelInvalid     = tgerr.New(400, "CHANNEL_INVALID")
	errChannelPrivate     = tgerr.New(400, "CHANNEL_PRIVATE")
	errPeerInvalid        = tgerr.New(400, "PEER_ID_INVALID")
	errChatInvalid        = tgerr.New(400, "CHAT_ID_INVALID")
	errTimestampInvalid   = tgerr.New(400, "PERSISTENT_TIMESTAMP_INVALID")
	errInternalSimulation = tgerr.New(500, "INTERNAL_SIMULATION_ERROR")
)

// publicMethods may be called before authorization.
var publicMethods = []uint32{
	tg.HelpGetConfigRequestTypeID,
	tg.HelpGetCDNConfigRequestTypeID,
	tg.HelpGetNearestDCRequestTypeID,
	tg.AuthImportBotAuthorizationRequestTypeID,
	tg.AuthImportAuthorizationRequestTypeID,
}

// gate runs before the dispatcher: it swallows acks, applies flood waits
// and refuses unauthorized calls, and remembers each account's sessions.
func (s *Sim) gate(srv *tgtest.Server, req *tgtest.Request) error {
	id, err := req.Buf.PeekID()
	if err != nil {
		return err
	}
	// Any message of an authorized key, even an ack or a public method,
	// makes its session the one to push to: after a reconnect the client
	// may call nothing else for a long time.
	acc, authorized := s.authorize(req)
	if id == msgsAckTypeID {
		return nil
	}
	s.countCall(req, id)
	if e, ok := s.f.takeRule(acc, id); ok {
		if e.Code == 420 {
			s.metrics.fault("flood_wait")
			s.noteFlood(id, e.Argument, req)
		} else {
			s.metrics.fault("call_error")
		}
		return e
	}
	if !authorized && !slices.Contains(publicMethods, id) && !slices.Contains(userAuthMethods, id) {
		return errUnregistered
	}
	if d, ok := s.dispatchers[req.DC]; ok && req.DC != dcID {
		return d.OnMessage(srv, req)
	}
	return s.dispatch.OnMessage(srv, req)
}

// authorize returns the account req's auth key logged in as, and records
// the session as the one to push to. On a DC other than the home DC the
// key is authorized by auth.importAuthorization and gets no pushes.
func (s *Sim) authorize(req *tgtest.Request) (string, bool) {
	sess := req.Session
	s.net.Lock()
	defer s.net.Unlock()
	acc, ok := s.authKeys[sess.AuthKey.ID]
	if !ok {
		return s.dcs.accountOn(req.DC, sess.AuthKey.ID)
	}
	if s.sessions[acc] == nil {
		s.sessions[acc] = map[[8]byte]tgtest.Session{}
	}
	s.sessions[acc][sess.AuthKey.ID] = sess
	return acc, true
}

func (s *Sim) onGetNearestDC(srv *tgtest.Server, req *tgtest.Request, _ *tg.HelpGetNearestDCRequest) error {
	return srv.SendResult(req, &tg.NearestDC{Country: "NL", ThisDC: req.DC, NearestDC: req.DC})
}

func (s *Sim) onImportBotAuthorization(srv *tgtest.Server, req *tgtest.Request, r *tg.AuthImportBotAuthorizationRequest) error {
	s.mu.Lock()
	var acc *account
	for _, a := range s.w.accounts {
		if a.BotToken == r.BotAuthToken {
			acc = a
		}
	}
	s.mu.Unlock()
	if acc == nil {
		return errTokenInvalid
	}
	if home := homeDC(s.accountNamed(acc.Name)); home != req.DC {
		return tgerr.New(303, "USER_MIGRATE_"+strconv.Itoa(home))
	}
	return srv.SendResult(req, s.bindAuthKey(req, acc.Name))
}

func (s *Sim) onGetState(a *account, req *tgtest.Request, r *tg.UpdatesGetStateRequest) (bin.Encoder, error) {
	return &tg.UpdatesState{Pts: a.Box.Pts, Qts: a.Qts, Date: a.Box.Date, Seq: a.Box.Seq}, nil
}

func (s *Sim) inputChannel(in tg.InputChannelClass) (*channel, error) {
	c, ok := in.(*tg.InputChannel)
	if !ok {
		return nil, errChannelInvalid
	}
	ch, ok := s.w.channels[c.ChannelID]
	if !ok || ch.AccessHash != c.AccessHash {
		return nil, errChannelInvalid
	}
	return ch, nil
}

func (s *Sim) onGetChats(a *account, req *tgtest.Request, r *tg.MessagesGetChatsRequest) (bin.Encoder, error) {
	res := &tg.MessagesChats{}
	for _, id := range r.ID {
		c := s.w.tgChat(schema.PeerRef{Kind: schema.PeerChat, ID: id})
		if c == nil {
			return nil, errChatInvalid
		}
		res.Chats = append(res.Chats, c)
	}
	return res, nil
}

// inputPeer resolves a peer of a's view, checking access hashes.
func (s *Sim) inputPeer(a *account, in tg.InputPeerClass) (schema.PeerRef, error) {
	switch p := in.(type) {
	case *tg.InputPeerSelf:
		return schema.PeerRef{Kind: schema.PeerUser, ID: a.UserID}, nil
	case *tg.InputPeerUser:
		u, ok := s.w.users[p.UserID]
		if !ok || u.AccessHash != p.AccessHash {
			return schema.PeerRef{}, errPeerInvalid
		}
		return schema.PeerRef{Kind: schema.PeerUser, ID: p.UserID}, nil
	case *tg.InputPeerChat:
		if _, ok := s.w.chats[p.ChatID]; !ok {
			return schema.PeerRef{}, errPeerInvalid
		}
		return schema.PeerRef{Kind: schema.PeerChat, ID: p.ChatID}, nil
	case *tg.InputPeerChannel:
		ch, err := s.inputChannel(&tg.InputChannel{ChannelID: p.ChannelID, AccessHash: p.AccessHash})
		if err != nil {
			return schema.PeerRef{}, err
		}
		return schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ID}, nil
	}
	return schema.PeerRef{}, errPeerInvalid
}

// onGetHistory answers messages.getHistory: newest first, offset_id
// exclusive, add_offset shifting the window, max_id/min_id exclusive bounds.
// onGetMessages answers messages.getMessages for the account's private and
// basic-group messages by id; an unknown or deleted id is messageEmpty, as on
// Telegram.
func (s *Sim) onGetMessages(a *account, req *tgtest.Request, r *tg.MessagesGetMessagesRequest) (bin.Encoder, error) {
	if len(r.ID) > 200 {
		return nil, tgerr.New(400, "LIMIT_INVALID")
	}
	rf := newRefs()
	msgs := make([]tg.MessageClass, 0, len(r.ID))
	for _, in := range r.ID {
		id, ok := in.(*tg.InputMessageID)
		if !ok {
			return nil, tgerr.New(400, "MESSAGE_ID_INVALID")
		}
		m, ok := a.Box.Msgs[id.ID]
		if !ok || m.Deleted {
			msgs = append(msgs, &tg.MessageEmpty{ID: id.ID})
			continue
		}
		rf.message(m)
		msgs = append(msgs, s.w.tgMessage(a, m))
	}
	return &tg.MessagesMessages{Messages: msgs, Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf)}, nil
}

// onGetChannelMessages answers channels.getMessages: messages of one
// channel by id, messageEmpty for ids it does not hold.
func (s *Sim) onGetChannelMessages(a *account, req *tgtest.Request, r *tg.ChannelsGetMessagesRequest) (bin.Encoder, error) {
	ch, err := s.inputChannel(r.Channel)
	if err != nil {
		return nil, err
	}
	if !ch.member(a.Name) {
		return nil, errChannelPrivate
	}
	if len(r.ID) > 200 {
		return nil, tgerr.New(400, "LIMIT_INVALID")
	}
	rf := newRefs()
	rf.peer(schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ID})
	msgs := make([]tg.MessageClass, 0, len(r.ID))
	for _, in := range r.ID {
		id, ok := in.(*tg.InputMessageID)
		if !ok {
			return nil, tgerr.New(400, "MESSAGE_ID_INVALID")
		}
		m, ok := ch.Box.Msgs[id.ID]
		if !ok || m.Deleted {
			msgs = append(msgs, &tg.MessageEmpty{ID: id.ID})
			continue
		}
		rf.message(m)
		msgs = append(msgs, s.w.tgMessage(a, m))
	}
	return &tg.MessagesChannelMessages{Pts: ch.Box.Pts, Count: len(msgs), Messages: msgs, Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf)}, nil
}

func (s *Sim) onGetHistory(a *account, req *tgtest.Request, r *tg.MessagesGetHistoryRequest) (bin.Encoder, error) {
	peer, err := s.inputPeer(a, r.Peer)
	if err != nil {
		return nil, err
	}
	b := a.Box
	var ch *channel
	if peer.Kind == schema.PeerChannel {
		ch = s.w.channels[peer.ID]
		b = ch.Box
	}
	// Live messages of the chat, newest first.
	ids := b.ByPeer[peer]
	var all []*message
	for i := len(ids) - 1; i >= 0; i-- {
		if m := b.Msgs[ids[i]]; !m.Deleted {
			all = append(all, m)
		}
	}
	limit := r.Limit
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	start := 0
	switch {
	case r.OffsetID > 0:
		start = len(all)
		for i, m := range all {
			if m.ID < r.OffsetID {
				start = i
				break
			}
		}
	case r.OffsetDate > 0:
		start = len(all)
		for i, m := range all {
			if m.Date < r.OffsetDate {
				start = i
				break
			}
		}
	}
	start += r.AddOffset
	end := start + limit
	start = max(start, 0)
	end = min(end, len(all))
	rf := newRefs()
	var msgs []tg.MessageClass
	for i := start; i < end; i++ {
		m := all[i]
		if r.MaxID > 0 && m.ID >= r.MaxID || r.MinID > 0 && m.ID <= r.MinID {
			continue
		}
		rf.message(m)
		msgs = append(msgs, s.w.tgMessage(a, m))
	}
	if ch != nil {
		rf.peer(peer)
		return &tg.MessagesChannelMessages{Pts: ch.Box.Pts, Count: len(all), OffsetIDOffset: max(start, 0),
			Messages: msgs, Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf)}, nil
	}
	if peer.Kind == schema.PeerChat {
		rf.peer(peer)
	}
	if len(msgs) < len(all) {
		return &tg.MessagesMessagesSlice{Count: len(all), Messages: msgs, Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf)}, nil
	}
	return &tg.MessagesMessages{Messages: msgs, Chats: s.w.tgChats(rf), Users: s.w.tgUsers(a, rf)}, nil
}
