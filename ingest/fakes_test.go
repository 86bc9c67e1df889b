package ingest

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/state"
	"github.com/tgnats/tgnats/state/statetest"
)

// fakeTelegram is a minimal Telegram for engine tests: it records every
// change of one account's common box and of its channels, and answers the
// difference calls from that record.
type fakeTelegram struct {
	mu       sync.Mutex
	pts      int
	date     int
	common   []tg.UpdateClass // in pts order
	msgs     map[int]*tg.Message
	channels map[int64]*fakeChannel
	slice    int // max updates per differenceSlice (0 = no slicing)
	tooLong  int // gap after which getDifference answers tooLong (0 = never)
	calls    map[string]int
	failNext error
	users    []tg.UserClass // returned with every difference
	// repeat is handed over in every part of a difference (other_updates),
	// as the simulator does with the renames dated after the part's date.
	repeat []tg.UpdateClass
	// news holds the channels changed since the last getDifference: it
	// reports them as updateChannelTooLong, as Telegram does.
	news map[int64]bool
	// chanTimeout is the timeout of every channel difference (0: none).
	chanTimeout int
}

type fakeChannel struct {
	pts     int
	updates []tg.UpdateClass
	msgs    map[int]*tg.Message
	top     int
	tooLong int
	// err is returned by every getChannelDifference of the channel.
	err error
	// noPts makes every difference a non-final channelDifferenceTooLong
	// whose dialog carries no pts.
	noPts bool
	// state is what channels.getChannels returns for the channel, and
	// fetchErr its error when set.
	state    tg.ChatClass
	fetchErr error
}

func newFakeTelegram() *fakeTelegram {
	return &fakeTelegram{pts: 10, date: 1700000000, msgs: map[int]*tg.Message{}, channels: map[int64]*fakeChannel{}, calls: map[string]int{}, news: map[int64]bool{}}
}

// channel returns channel id, creating it (pts 1, no messages) if needed.
func (f *fakeTelegram) channel(id int64) *fakeChannel {
	c := f.channels[id]
	if c == nil {
		c = &fakeChannel{pts: 1, msgs: map[int]*tg.Message{}}
		f.channels[id] = c
	}
	return c
}

// setChannel changes a channel under the lock.
func (f *fakeTelegram) setChannel(id int64, change func(c *fakeChannel)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f.channel(id))
}

func (f *fakeTelegram) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// newMessage records a private message from user and returns the push.
func (f *fakeTelegram) newMessage(id int, user int64, text string) *tg.UpdateNewMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pts++
	f.date++
	m := &tg.Message{ID: id, PeerID: &tg.PeerUser{UserID: user}, FromID: &tg.PeerUser{UserID: user}, Date: f.date, Message: text}
	f.msgs[id] = m
	u := &tg.UpdateNewMessage{Message: m, Pts: f.pts, PtsCount: 1}
	f.common = append(f.common, u)
	return u
}

func (f *fakeTelegram) deleteMessages(ids ...int) *tg.UpdateDeleteMessages {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pts += len(ids)
	u := &tg.UpdateDeleteMessages{Messages: ids, Pts: f.pts, PtsCount: len(ids)}
	f.common = append(f.common, u)
	return u
}

// folderPeers is an updateFolderPeers of the common box, which mapping
// ignores (client state).
func (f *fakeTelegram) folderPeers() *tg.UpdateFolderPeers {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pts++
	u := &tg.UpdateFolderPeers{Pts: f.pts, PtsCount: 1}
	f.common = append(f.common, u)
	return u
}

func (f *fakeTelegram) channelMessage(channel int64, text string) *tg.UpdateNewChannelMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channel(channel)
	f.news[channel] = true
	c.pts++
	c.top++
	f.date++
	m := &tg.Message{ID: c.top, PeerID: &tg.PeerChannel{ChannelID: channel}, Date: f.date, Message: text, Post: true}
	c.msgs[m.ID] = m
	u := &tg.UpdateNewChannelMessage{Message: m, Pts: c.pts, PtsCount: 1}
	c.updates = append(c.updates, u)
	return u
}

func (f *fakeTelegram) UpdatesGetState(context.Context) (*tg.UpdatesState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["getState"]++
	return &tg.UpdatesState{Pts: f.pts, Date: f.date, Seq: 1}, nil
}

func updatePts(u tg.UpdateClass) int {
	pts, _, _ := commonPts(u)
	if pts == 0 {
		_, pts, _, _ = channelPts(u)
	}
	return pts
}

func (f *fakeTelegram) UpdatesGetDifference(_ context.Context, req *tg.UpdatesGetDifferenceRequest) (tg.UpdatesDifferenceClass, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["getDifference"]++
	if err := f.failNext; err != nil {
		f.failNext = nil
		return nil, err
	}
	var news []tg.UpdateClass
	for id := range f.news {
		news = append(news, &tg.UpdateChannelTooLong{ChannelID: id, Pts: f.channels[id].pts})
	}
	sort.Slice(news, func(i, j int) bool {
		return news[i].(*tg.UpdateChannelTooLong).ChannelID < news[j].(*tg.UpdateChannelTooLong).ChannelID
	})
	clear(f.news)
	if req.Pts >= f.pts {
		if len(news) > 0 {
			return &tg.UpdatesDifference{OtherUpdates: news, State: tg.UpdatesState{Pts: f.pts, Date: f.date, Seq: 1}}, nil
		}
		return &tg.UpdatesDifferenceEmpty{Date: f.date, Seq: 1}, nil
	}
	if f.tooLong > 0 && f.pts-req.Pts > f.tooLong {
		return &tg.UpdatesDifferenceTooLong{Pts: f.pts}, nil
	}
	var msgs []tg.MessageClass
	other := append(news, f.repeat...)
	last := req.Pts
	n := 0
	for _, u := range f.common {
		p := updatePts(u)
		if p <= req.Pts {
			continue
		}
		if f.slice > 0 && n == f.slice {
			break
		}
		n++
		last = p
		if nm, ok := u.(*tg.UpdateNewMessage); ok {
			msgs = append(msgs, nm.Message)
			continue
		}
		other = append(other, u)
	}
	st := tg.UpdatesState{Pts: last, Date: f.date, Seq: 1}
	if last < f.pts {
		return &tg.UpdatesDifferenceSlice{NewMessages: msgs, OtherUpdates: other, Users: f.users, IntermediateState: st}, nil
	}
	return &tg.UpdatesDifference{NewMessages: msgs, OtherUpdates: other, Users: f.users, State: st}, nil
}

func (f *fakeTelegram) UpdatesGetChannelDifference(_ context.Context, req *tg.UpdatesGetChannelDifferenceRequest) (tg.UpdatesChannelDifferenceClass, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["getChannelDifference"]++
	in, _ := req.Channel.(*tg.InputChannel)
	f.calls[fmt.Sprint("getChannelDifference:", in.ChannelID)]++
	c := f.channels[in.ChannelID]
	if c == nil {
		return nil, tgerr.New(400, "CHANNEL_INVALID")
	}
	if c.err != nil {
		return nil, c.err
	}
	if c.noPts {
		return &tg.UpdatesChannelDifferenceTooLong{Dialog: &tg.Dialog{Peer: &tg.PeerChannel{ChannelID: in.ChannelID}}}, nil
	}
	if req.Pts >= c.pts {
		d := &tg.UpdatesChannelDifferenceEmpty{Final: true, Pts: c.pts}
		d.SetTimeout(f.chanTimeout)
		return d, nil
	}
	if c.tooLong > 0 && c.pts-req.Pts > c.tooLong {
		dlg := &tg.Dialog{Peer: &tg.PeerChannel{ChannelID: in.ChannelID}, TopMessage: c.top}
		dlg.SetPts(c.pts)
		return &tg.UpdatesChannelDifferenceTooLong{Final: true, Dialog: dlg}, nil
	}
	var msgs []tg.MessageClass
	for _, u := range c.updates {
		if nm, ok := u.(*tg.UpdateNewChannelMessage); ok && nm.Pts > req.Pts {
			msgs = append(msgs, nm.Message)
		}
	}
	d := &tg.UpdatesChannelDifference{Final: true, Pts: c.pts, NewMessages: msgs}
	d.SetTimeout(f.chanTimeout)
	return d, nil
}

func (f *fakeTelegram) MessagesGetHistory(_ context.Context, req *tg.MessagesGetHistoryRequest) (tg.MessagesMessagesClass, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["getHistory"]++
	p, _ := req.Peer.(*tg.InputPeerChannel)
	c := f.channels[p.ChannelID]
	if c == nil {
		return nil, tgerr.New(400, "CHANNEL_INVALID")
	}
	var out []tg.MessageClass
	for id := c.top; id > req.MinID && len(out) < req.Limit; id-- {
		if m, ok := c.msgs[id]; ok {
			out = append(out, m)
		}
	}
	return &tg.MessagesChannelMessages{Messages: out, Pts: c.pts}, nil
}

func (f *fakeTelegram) MessagesGetMessages(_ context.Context, ids []tg.InputMessageClass) (tg.MessagesMessagesClass, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["getMessages"]++
	var out []tg.MessageClass
	for _, in := range ids {
		id := in.(*tg.InputMessageID).ID
		if m, ok := f.msgs[id]; ok {
			out = append(out, m)
		} else {
			out = append(out, &tg.MessageEmpty{ID: id})
		}
	}
	return &tg.MessagesMessages{Messages: out}, nil
}

// memStore is the shared in-memory twin of state.Store, with the views
// the engine tests read.
type memStore struct{ *statetest.MemStore }

func newMemStore() *memStore { return &memStore{statetest.NewMemStore(nil)} }

// ids returns the msg ids in the outbox, in order.
func (m *memStore) ids() []string {
	recs := m.Records()
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.MsgID)
	}
	return out
}

func (m *memStore) state() state.UpdateState {
	st, _, _ := m.UpdateState()
	return st
}

func (m *memStore) channel(id int64) state.ChannelState {
	chs, _ := m.Channels()
	for _, c := range chs {
		if c.ID == id {
			return c
		}
	}
	return state.ChannelState{}
}

// ChannelsGetChannels answers the channel's state (fakeChannel.state), a
// channel without one as a plain channel, and err when set.
func (f *fakeTelegram) ChannelsGetChannels(_ context.Context, ids []tg.InputChannelClass) (tg.MessagesChatsClass, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["getChannels"]++
	res := &tg.MessagesChats{}
	for _, in := range ids {
		id := in.(*tg.InputChannel).ChannelID
		c := f.channels[id]
		switch {
		case c == nil:
			return nil, tgerr.New(400, "CHANNEL_INVALID")
		case c.fetchErr != nil:
			return nil, c.fetchErr
		case c.state != nil:
			res.Chats = append(res.Chats, c.state)
		default:
			res.Chats = append(res.Chats, plainChannel(id))
		}
	}
	return res, nil
}

// plainChannel is what channels.getChannels returns for a channel of the
// fake without a state.
func plainChannel(id int64) *tg.Channel {
	return &tg.Channel{ID: id, AccessHash: 1, Title: fmt.Sprint("channel ", id)}
}
