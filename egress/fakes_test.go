package egress

import (
	"context"
	"sync"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// fakeAPI is an in-memory Telegram of the calls egress makes. It numbers
// messages, answers RANDOM_ID_DUPLICATE for a reused random_id, and fails
// calls with errors queued per method.
type fakeAPI struct {
	mu      sync.Mutex
	calls   []fakeCall
	nextID  int
	pts     int // of the account's common box, advanced by each new message
	randoms map[int64]bool
	fail    map[string][]error
	users   map[string]tg.UserClass // resolvable usernames
	chans   map[string]*tg.Channel
	// users and chans are also what users.getUsers and channels.getChannels
	// answer by id with access_hash 0 (fakes_peers_test.go); dialogs is
	// messages.getDialogs' answer, nil for a bot (BOT_METHOD_INVALID).
	dialogs *tg.MessagesDialogs
	// shortMedia answers messages.sendMedia with updateShortSentMessage,
	// as Telegram does for private chats.
	shortMedia bool
}

type fakeCall struct {
	method string
	req    any
	at     time.Time
}

var _ API = (*fakeAPI)(nil)

func newFakeAPI() *fakeAPI {
	return &fakeAPI{nextID: 100, randoms: map[int64]bool{}, fail: map[string][]error{},
		users: map[string]tg.UserClass{}, chans: map[string]*tg.Channel{}}
}

// failNext queues errors for the next calls of method.
func (f *fakeAPI) failNext(method string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = append(f.fail[method], errs...)
}

func (f *fakeAPI) record(method string, req any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{method: method, req: req, at: time.Now()})
	if q := f.fail[method]; len(q) > 0 {
		f.fail[method] = q[1:]
		if p, ok := q[0].(panicNow); ok {
			panic(string(p))
		}
		return q[0]
	}
	return nil
}

// panicNow, queued with failNext, makes the call panic: a bug anywhere
// below a command.
type panicNow string

func (p panicNow) Error() string { return string(p) }

func (f *fakeAPI) callsOf(method string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if method == "" || c.method == method {
			out = append(out, c)
		}
	}
	return out
}

// newMessages answers a send: an UpdateMessageID and an UpdateNewMessage
// (with text, pts advanced by one) per random id.
func (f *fakeAPI) newMessages(peer tg.InputPeerClass, rids []int64, text string) (tg.UpdatesClass, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rids {
		if f.randoms[r] {
			return nil, tgerr.New(400, "RANDOM_ID_DUPLICATE")
		}
	}
	u := &tg.Updates{Date: 1700000000}
	for _, r := range rids {
		f.randoms[r] = true
		f.nextID++
		f.pts++
		u.Updates = append(u.Updates, &tg.UpdateMessageID{ID: f.nextID, RandomID: r})
		u.Updates = append(u.Updates, &tg.UpdateNewMessage{Message: &tg.Message{ID: f.nextID, Date: 1700000000, Out: true, PeerID: peerOf(peer), Message: text},
			Pts: f.pts, PtsCount: 1})
	}
	return u, nil
}

func peerOf(p tg.InputPeerClass) tg.PeerClass {
	switch p := p.(type) {
	case *tg.InputPeerUser:
		return &tg.PeerUser{UserID: p.UserID}
	case *tg.InputPeerChat:
		return &tg.PeerChat{ChatID: p.ChatID}
	case *tg.InputPeerChannel:
		return &tg.PeerChannel{ChannelID: p.ChannelID}
	}
	return &tg.PeerUser{}
}

func (f *fakeAPI) MessagesSendMessage(_ context.Context, req *tg.MessagesSendMessageRequest) (tg.UpdatesClass, error) {
	if err := f.record("messages.sendMessage", req); err != nil {
		return nil, err
	}
	return f.newMessages(req.Peer, []int64{req.RandomID}, req.Message)
}

func (f *fakeAPI) MessagesSendMedia(_ context.Context, req *tg.MessagesSendMediaRequest) (tg.UpdatesClass, error) {
	if err := f.record("messages.sendMedia", req); err != nil {
		return nil, err
	}
	u, err := f.newMessages(req.Peer, []int64{req.RandomID}, req.Message)
	if err != nil || !f.shortMedia {
		return u, err
	}
	id := u.(*tg.Updates).Updates[0].(*tg.UpdateMessageID).ID
	return &tg.UpdateShortSentMessage{Out: true, ID: id, Pts: 20, PtsCount: 1, Date: 1700000000,
		Media: &tg.MessageMediaDocument{Document: &tg.Document{ID: 5, AccessHash: 6}}}, nil
}

func (f *fakeAPI) UploadSaveFilePart(_ context.Context, req *tg.UploadSaveFilePartRequest) (bool, error) {
	return true, f.record("upload.saveFilePart", req)
}

func (f *fakeAPI) MessagesEditMessage(_ context.Context, req *tg.MessagesEditMessageRequest) (tg.UpdatesClass, error) {
	if err := f.record("messages.editMessage", req); err != nil {
		return nil, err
	}
	return &tg.Updates{Updates: []tg.UpdateClass{&tg.UpdateEditMessage{
		Message: &tg.Message{ID: req.ID, Date: 1700000000, EditDate: 1700000100, Message: req.Message, PeerID: peerOf(req.Peer)}}}}, nil
}

func (f *fakeAPI) MessagesDeleteMessages(_ context.Context, req *tg.MessagesDeleteMessagesRequest) (*tg.MessagesAffectedMessages, error) {
	if err := f.record("messages.deleteMessages", req); err != nil {
		return nil, err
	}
	return &tg.MessagesAffectedMessages{Pts: 10, PtsCount: len(req.ID)}, nil
}

func (f *fakeAPI) ChannelsDeleteMessages(_ context.Context, req *tg.ChannelsDeleteMessagesRequest) (*tg.MessagesAffectedMessages, error) {
	if err := f.record("channels.deleteMessages", req); err != nil {
		return nil, err
	}
	return &tg.MessagesAffectedMessages{Pts: 10, PtsCount: len(req.ID)}, nil
}

func (f *fakeAPI) MessagesForwardMessages(_ context.Context, req *tg.MessagesForwardMessagesRequest) (tg.UpdatesClass, error) {
	if err := f.record("messages.forwardMessages", req); err != nil {
		return nil, err
	}
	return f.newMessages(req.ToPeer, req.RandomID, "")
}

func (f *fakeAPI) MessagesUpdatePinnedMessage(_ context.Context, req *tg.MessagesUpdatePinnedMessageRequest) (tg.UpdatesClass, error) {
	if err := f.record("messages.updatePinnedMessage", req); err != nil {
		return nil, err
	}
	return &tg.Updates{}, nil
}

func (f *fakeAPI) MessagesSendReaction(_ context.Context, req *tg.MessagesSendReactionRequest) (tg.UpdatesClass, error) {
	if err := f.record("messages.sendReaction", req); err != nil {
		return nil, err
	}
	return &tg.Updates{}, nil
}

func (f *fakeAPI) MessagesSetTyping(_ context.Context, req *tg.MessagesSetTypingRequest) (bool, error) {
	return true, f.record("messages.setTyping", req)
}

func (f *fakeAPI) MessagesReadHistory(_ context.Context, req *tg.MessagesReadHistoryRequest) (*tg.MessagesAffectedMessages, error) {
	if err := f.record("messages.readHistory", req); err != nil {
		return nil, err
	}
	return &tg.MessagesAffectedMessages{Pts: 11, PtsCount: 1}, nil
}

func (f *fakeAPI) ChannelsReadHistory(_ context.Context, req *tg.ChannelsReadHistoryRequest) (bool, error) {
	return true, f.record("channels.readHistory", req)
}

func (f *fakeAPI) MessagesSetBotCallbackAnswer(_ context.Context, req *tg.MessagesSetBotCallbackAnswerRequest) (bool, error) {
	return true, f.record("messages.setBotCallbackAnswer", req)
}

func (f *fakeAPI) MessagesSetInlineBotResults(_ context.Context, req *tg.MessagesSetInlineBotResultsRequest) (bool, error) {
	return true, f.record("messages.setInlineBotResults", req)
}

func (f *fakeAPI) MessagesSetBotPrecheckoutResults(_ context.Context, req *tg.MessagesSetBotPrecheckoutResultsRequest) (bool, error) {
	return true, f.record("messages.setBotPrecheckoutResults", req)
}

func (f *fakeAPI) MessagesSetBotShippingResults(_ context.Context, req *tg.MessagesSetBotShippingResultsRequest) (bool, error) {
	return true, f.record("messages.setBotShippingResults", req)
}

func (f *fakeAPI) ContactsResolveUsername(_ context.Context, username string) (*tg.ContactsResolvedPeer, error) {
	if err := f.record("contacts.resolveUsername", username); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.chans[username]; ok {
		return &tg.ContactsResolvedPeer{Peer: &tg.PeerChannel{ChannelID: ch.ID}, Chats: []tg.ChatClass{ch}}, nil
	}
	if u, ok := f.users[username]; ok {
		return &tg.ContactsResolvedPeer{Peer: &tg.PeerUser{UserID: u.(*tg.User).ID}, Users: []tg.UserClass{u}}, nil
	}
	return nil, tgerr.New(400, "USERNAME_NOT_OCCUPIED")
}
