package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tgnats/tgnats/schema"
)

// The world side of the API surface: ops made by RPCs of the logged-in
// bots (sends, edits, deletions, pins, reactions, uploads, callback
// queries, recorded calls) and the test controls that go with them. Like
// every op they are validated by their callers (the RPC handlers), applied,
// then journaled, so a restart with Dir keeps them.

// Call is one API call the simulator served, as recorded for tests.
type Call struct {
	Seq     uint64 `json:"seq"`
	Account string `json:"account"`
	// Method is the TL name, e.g. "messages.sendMessage".
	Method string         `json:"method"`
	Peer   schema.PeerRef `json:"peer"`
	// MessageIDs are the messages the call created or acted on, as the
	// calling account sees them.
	MessageIDs []int  `json:"message_ids,omitempty"`
	Text       string `json:"text,omitempty"`
	RandomID   int64  `json:"random_id,omitempty"`
	// Detail holds the call's other arguments as space-separated key=value
	// pairs (silent, no_webpage, reply_to, action=typing, reaction=👍, …).
	Detail string    `json:"detail,omitempty"`
	Time   time.Time `json:"time"`
	// Served is the wall-clock time the call took effect (nanoseconds,
	// unlike Time on the simulated clock), for checks of a client's rate.
	Served time.Time `json:"served"`
}

// mediaInfo describes a photo or document the simulator holds.
type mediaInfo struct {
	ID   int64  `json:"id,omitempty"`
	Kind string `json:"kind"` // "photo" or "document"
	Attr string `json:"attr,omitempty"`
	Size int64  `json:"size,omitempty"`
	Mime string `json:"mime,omitempty"`
	Name string `json:"name,omitempty"`
	// Upload and Parts are the file in the upload store (uploads.go) and
	// its parts' sizes of media made from an upload; other media have
	// generated content.
	Upload string `json:"upload,omitempty"`
	Parts  []int  `json:"parts,omitempty"`
	// Blob is the content of media made from an upload by earlier
	// versions, kept in their snapshots.
	Blob []byte `json:"blob,omitempty"`
	// DC is the DC the file lives on, 0 for the home DC (dcs.go).
	DC int `json:"dc,omitempty"`
}

// dc is the DC the media's file lives on.
func (m *mediaInfo) dc() int {
	if m.DC == 0 {
		return dcID
	}
	return m.DC
}

func (m *mediaInfo) setDefaults() {
	switch m.Kind {
	case "photo":
		if m.Size == 0 {
			m.Size = 48213
		}
		if m.Mime == "" {
			m.Mime = "image/jpeg"
		}
	case "document":
		if m.Size == 0 {
			m.Size = 102400
		}
		if m.Mime == "" {
			m.Mime = "application/pdf"
		}
		if m.Name == "" {
			m.Name = "report.pdf"
		}
	}
}

// registerMedia records new media under id, filling defaults.
func (w *world) registerMedia(id int64, info *mediaInfo) *mediaInfo {
	m := *info
	m.ID = id
	m.setDefaults()
	w.media[id] = &m
	return &m
}

// uploadRef names uploaded parts to assemble into a new photo or document.
type uploadRef struct {
	FileID int64 `json:"file_id"`
	Parts  int   `json:"parts"`
}

type uploadKey struct {
	Account string
	FileID  int64
}

// callbackQuery is a query a bot answers: a button press under a chat
// message (Kind ""), or a bot query of bot_world.go (Kind BotQuery…).
type callbackQuery struct {
	ID       int64
	Account  string
	Chat     schema.PeerRef // the user's private chat for bot queries
	MsgID    int
	From     int64
	Data     []byte
	Date     int
	Answered bool
	// Fields of bot queries (bot_world.go).
	Kind      string
	Query     string
	Offset    string
	ResultID  string
	Currency  string
	Amount    int64
	InlineMsg string // the inline message (tgconv.InlineMessageID)
}

type forbidKey struct {
	Chat    schema.PeerRef
	Account string
}

// seqInc is how much a common-box change advances acc's seq: none for the
// account whose API call made it (the call's result carries it).
func (w *world) seqInc(acc *account) int {
	if acc.Name == w.api {
		return 0
	}
	return 1
}

// box returns the box holding chat's messages as account sees them.
func (w *world) boxOf(a *account, chat schema.PeerRef) *box {
	if chat.Kind == schema.PeerChannel {
		if ch, ok := w.channels[chat.ID]; ok {
			return ch.Box
		}
		return nil
	}
	return a.Box
}

// liveMessage returns account accName and message id of chat as it sees
// it, which must not be deleted.
func (w *world) liveMessage(accName string, chat schema.PeerRef, id int) (*account, *message, error) {
	a, err := w.account(accName)
	if err != nil {
		return nil, nil, err
	}
	m, ok := w.lookup(a, chat, id)
	if !ok || m.Deleted {
		return nil, nil, fmt.Errorf("%w: message %d in %s", ErrNotFound, id, chat)
	}
	return a, m, nil
}

// lookup returns the message id of chat as a sees it.
func (w *world) lookup(a *account, chat schema.PeerRef, id int) (*message, bool) {
	b := w.boxOf(a, chat)
	if b == nil {
		return nil, false
	}
	m, ok := b.Msgs[id]
	if !ok || m.Peer != chat {
		return nil, false
	}
	return m, true
}

// recordCall records call, made at now, once its op succeeded.
func (w *world) recordCall(call *Call, now int64) {
	w.callSeq++
	c := *call
	c.Seq = w.callSeq
	c.Time = time.Unix(now, 0).UTC()
	c.MessageIDs = slices.Clone(c.MessageIDs)
	w.calls[c.Account] = append(w.calls[c.Account], c)
}

// apiSendOp is a send of messages.sendMessage or sendMedia: Out with Media
// (an existing media id, or new media from Upload), remembering RandomID.
type apiSendOp struct {
	Account  string     `json:"account,omitempty"`
	RandomID int64      `json:"random_id,omitempty"`
	Media    *mediaInfo `json:"media,omitempty"`
	Upload   *uploadRef `json:"upload,omitempty"`
	Out      *Outgoing  `json:"out,omitempty"`
}

func (*apiSendOp) kind() string { return opAPISend }
func (o *apiSendOp) check() error {
	if o.Out == nil {
		return corrupt(opAPISend, "no message")
	}
	return nil
}
func (o *apiSendOp) apply(w *world, date int, call *Call) (int64, error) {
	var x *sendExtra
	if o.Media != nil {
		info := *o.Media
		if o.Upload != nil {
			size, ok := w.uploadSize(o.Account, *o.Upload)
			if !ok {
				return 0, fmt.Errorf("%w: upload %d incomplete", ErrInvalid, o.Upload.FileID)
			}
			info.Size = size
			info.Upload, info.Parts = w.uploadParts(o.Account, *o.Upload)
			delete(w.uploads, uploadKey{o.Account, o.Upload.FileID})
		}
		x = &sendExtra{media: &info}
	}
	id, err := w.send(o.Out, x, date)
	if err != nil {
		return 0, err
	}
	w.noteRandom(o.Account, o.RandomID, id)
	if call != nil {
		call.MessageIDs = []int{id}
	}
	return int64(id), nil
}

func (w *world) noteRandom(account string, rid int64, id int) {
	if w.randoms[account] == nil {
		w.randoms[account] = map[int64]int{}
	}
	w.randoms[account][rid] = id
}

// apiForwardOp is messages.forwardMessages: messages IDs of Chat copied to
// To, one new message per id, with a forward header unless DropAuthor.
type apiForwardOp struct {
	Account    string          `json:"account,omitempty"`
	Chat       schema.PeerRef  `json:"chat"`
	To         *schema.PeerRef `json:"to,omitempty"`
	IDs        []int           `json:"ids,omitempty"`
	RandomIDs  []int64         `json:"random_ids,omitempty"`
	DropAuthor bool            `json:"flag,omitempty"`
}

func (*apiForwardOp) kind() string { return opAPIForward }
func (o *apiForwardOp) check() error {
	if o.To == nil || len(o.IDs) == 0 || len(o.IDs) != len(o.RandomIDs) {
		return corrupt(opAPIForward, "without destination, message ids or their random ids")
	}
	return nil
}
func (o *apiForwardOp) apply(w *world, date int, call *Call) (int64, error) {
	a, err := w.account(o.Account)
	if err != nil {
		return 0, err
	}
	var srcs []*message
	for _, id := range o.IDs {
		m, ok := w.lookup(a, o.Chat, id)
		if !ok || m.Deleted || m.Service != "" {
			return 0, fmt.Errorf("%w: message %d in %s", ErrNotFound, id, o.Chat)
		}
		srcs = append(srcs, m)
	}
	var ids []int
	for i, m := range srcs {
		out := &Outgoing{Account: a.Name, Chat: *o.To, From: a.UserID, Text: m.Text, Entities: m.Entities, Media: m.Media}
		x := &sendExtra{}
		if m.Media != "" {
			x.media = w.media[m.MediaID]
		}
		if !o.DropAuthor {
			switch {
			case m.Fwd != nil:
				x.fwd = m.Fwd
			case m.Post:
				x.fwd = &forward{Channel: m.Peer.ID, Post: m.ID, Date: m.Date}
			default:
				x.fwd = &forward{From: m.From, Date: m.Date}
			}
		}
		id, err := w.send(out, x, date)
		if err != nil {
			return 0, err
		}
		w.noteRandom(a.Name, o.RandomIDs[i], id)
		ids = append(ids, id)
	}
	if call != nil {
		call.MessageIDs = ids
	}
	return int64(ids[0]), nil
}

// pinOp is messages.updatePinnedMessage: pin, or unpin with Unpin.
type pinOp struct {
	Chat    schema.PeerRef `json:"chat"`
	Account string         `json:"account,omitempty"`
	IDs     []int          `json:"ids,omitempty"` // the one message
	Unpin   bool           `json:"flag,omitempty"`
}

func (*pinOp) kind() string   { return opPin }
func (o *pinOp) check() error { return firstID(opPin, o.IDs) }
func (o *pinOp) apply(w *world, date int, _ *Call) (int64, error) {
	return 0, w.pin(o.Chat, o.Account, o.IDs[0], o.Unpin, date)
}

// reactOp is messages.sendReaction: user From's reaction Emoji ("" removes it).
type reactOp struct {
	Chat    schema.PeerRef `json:"chat"`
	Account string         `json:"account,omitempty"`
	IDs     []int          `json:"ids,omitempty"` // the one message
	From    int64          `json:"from,omitempty"`
	Emoji   string         `json:"text,omitempty"`
}

func (*reactOp) kind() string   { return opReact }
func (o *reactOp) check() error { return firstID(opReact, o.IDs) }
func (o *reactOp) apply(w *world, date int, c *Call) (int64, error) {
	caller := ""
	if c != nil {
		caller = c.Account
	}
	return 0, w.react(o.Chat, o.Account, o.IDs[0], o.From, o.Emoji, date, caller)
}

// uploadOp is upload.saveFilePart or saveBigFilePart: part Part of file
// FileID, Size bytes. Its bytes go to the upload store (uploads.go), not
// to the journal; journals of earlier versions hold them in Data.
type uploadOp struct {
	Account string `json:"account,omitempty"`
	FileID  int64  `json:"file_id,omitempty"`
	Part    int    `json:"part,omitempty"`
	// Total is a big file's file_total_parts (0: saveFilePart).
	Total int    `json:"total,omitempty"`
	Size  int    `json:"size,omitempty"`
	Data  []byte `json:"data,omitempty"`
	// data is the part's bytes when served live.
	data []byte
}

func (*uploadOp) kind() string { return opUpload }
func (o *uploadOp) check() error {
	if o.Size <= 0 && len(o.Data) == 0 {
		return corrupt(opUpload, "part %d of file %d without bytes", o.Part, o.FileID)
	}
	return nil
}
func (o *uploadOp) apply(w *world, _ int, _ *Call) (int64, error) {
	data := o.data
	if data == nil {
		data = o.Data
	}
	size := o.Size
	if data != nil {
		size = len(data)
	}
	return 0, w.savePart(uploadKey{o.Account, o.FileID}, o.Part, o.Total, size, data)
}

// pressOp is Sim.PressButton: user From presses a button with Data under
// message IDs[0] of Chat.
type pressOp struct {
	Account string         `json:"account,omitempty"`
	Chat    schema.PeerRef `json:"chat"`
	IDs     []int          `json:"ids,omitempty"` // the one message
	From    int64          `json:"from,omitempty"`
	Data    []byte         `json:"data,omitempty"`
}

func (*pressOp) kind() string   { return opPress }
func (o *pressOp) check() error { return firstID(opPress, o.IDs) }
func (o *pressOp) apply(w *world, date int, _ *Call) (int64, error) {
	return w.press(o, date)
}

// answerOp is messages.setBotCallbackAnswer for query QueryID.
type answerOp struct {
	Account string `json:"account,omitempty"`
	QueryID int64  `json:"query_id,omitempty"`
}

func (*answerOp) kind() string { return opAnswer }
func (*answerOp) check() error { return nil }
func (o *answerOp) apply(w *world, _ int, _ *Call) (int64, error) {
	q, ok := w.queries[o.QueryID]
	if !ok || q.Account != o.Account || q.Answered {
		return 0, fmt.Errorf("%w: callback query %d", ErrNotFound, o.QueryID)
	}
	q.Answered = true
	return 0, nil
}

// recordOp is a served call that changes nothing but the call record
// (typing, read marks, username resolution).
type recordOp struct {
	Account string `json:"account,omitempty"`
}

func (*recordOp) kind() string                            { return opRecord }
func (*recordOp) check() error                            { return nil }
func (*recordOp) apply(*world, int, *Call) (int64, error) { return 0, nil }

// forbidOp is Sim.SetWriteForbidden.
type forbidOp struct {
	Chat      schema.PeerRef `json:"chat"`
	Account   string         `json:"account,omitempty"`
	Forbidden bool           `json:"flag,omitempty"`
}

func (*forbidOp) kind() string { return opForbid }
func (*forbidOp) check() error { return nil }
func (o *forbidOp) apply(w *world, _ int, _ *Call) (int64, error) {
	w.forbidden[forbidKey{o.Chat, o.Account}] = o.Forbidden
	return 0, nil
}

// usernameOp is Sim.SetChatUsername.
type usernameOp struct {
	Chat     schema.PeerRef `json:"chat"`
	Username string         `json:"username,omitempty"`
}

func (*usernameOp) kind() string { return opUsername }
func (*usernameOp) check() error { return nil }
func (o *usernameOp) apply(w *world, _ int, _ *Call) (int64, error) {
	if o.Chat.Kind != schema.PeerChannel {
		return 0, fmt.Errorf("%w: only channels have usernames", ErrInvalid)
	}
	ch, ok := w.channels[o.Chat.ID]
	if !ok {
		return 0, fmt.Errorf("%w: channel %d", ErrNotFound, o.Chat.ID)
	}
	ch.Username = o.Username
	return 0, nil
}

// pin pins or unpins a message for every member: one updatePinnedMessages
// per common box holding a copy, or one updatePinnedChannelMessages, each
// a ledger entry (message.pinned or message.unpinned, version the pts).
func (w *world) pin(chat schema.PeerRef, accName string, id int, unpin bool, date int) error {
	_, m, err := w.liveMessage(accName, chat, id)
	if err != nil {
		return err
	}
	if chat.Kind == schema.PeerChannel {
		ch := w.channels[chat.ID]
		m.Pinned = !unpin
		ev := ch.Box.mark(chat, []int{id}, unpin, date, 0)
		w.touchChannel(ch, date)
		for _, acc := range w.accounts {
			if ch.recorded(acc.Name) {
				w.record(acc, LedgerEntry{Kind: schema.KindMessage, Action: pinAction(unpin), Peer: chat, MessageID: id, Version: int64(ev.Pts)}, date)
			}
			w.channelPush(ch, acc, ev)
		}
		return nil
	}
	for _, c := range w.copies[m.Logical] {
		acc := w.byName[c.Account]
		cm := acc.Box.Msgs[c.ID]
		if cm == nil || cm.Deleted { // nil: dropped (retain.go)
			continue
		}
		cm.Pinned = !unpin
		ev := acc.Box.mark(cm.Peer, []int{cm.ID}, unpin, date, w.seqInc(acc))
		w.record(acc, LedgerEntry{Kind: schema.KindMessage, Action: pinAction(unpin), Peer: cm.Peer, MessageID: cm.ID, Version: int64(ev.Pts)}, date)
		if w.live {
			w.pushes = append(w.pushes, push{Account: acc.Name, Event: ev})
		}
	}
	return nil
}

// pinAction is the event action of a pin change: the connector publishes
// message.pinned or message.unpinned, versioned by the update's pts.
func pinAction(unpin bool) string {
	if unpin {
		return schema.ActionUnpinned
	}
	return schema.ActionPinned
}

// mark records a pin change of ids in chat.
func (b *box) mark(chat schema.PeerRef, ids []int, unpin bool, date, seqInc int) event {
	b.Pts++
	b.Seq += seqInc
	b.Date = max(b.Date, date)
	ev := event{Pts: b.Pts, PtsCount: 1, Seq: b.Seq, Date: date, Kind: evPin, Msg: message{Peer: chat},
		IDs: slices.Clone(ids), Unpin: unpin, NoSeq: seqInc == 0}
	b.Events = append(b.Events, ev)
	return ev
}

// press registers a callback query and queues its push.
func (w *world) press(o *pressOp, date int) (int64, error) {
	a, err := w.account(o.Account)
	if err != nil {
		return 0, err
	}
	if m, ok := w.lookup(a, o.Chat, o.IDs[0]); !ok || m.Deleted {
		return 0, fmt.Errorf("%w: message %d in %s", ErrNotFound, o.IDs[0], o.Chat)
	}
	if _, ok := w.users[o.From]; !ok {
		return 0, fmt.Errorf("%w: user %d", ErrNotFound, o.From)
	}
	w.nextQuery++
	q := &callbackQuery{
		ID: accessHash("query", w.nextQuery), Account: a.Name, Chat: o.Chat, MsgID: o.IDs[0],
		From: o.From, Data: slices.Clone(o.Data), Date: date,
	}
	w.queries[q.ID] = q
	if w.live {
		w.pushes = append(w.pushes, push{Account: a.Name, Callback: q})
	}
	return q.ID, nil
}

// resolve finds a user or channel by username, case-insensitively.
func (w *world) resolve(username string) (schema.PeerRef, bool) {
	for _, id := range w.sortedUserIDs() {
		if u := w.users[id]; u.Username != "" && strings.EqualFold(u.Username, username) {
			return schema.PeerRef{Kind: schema.PeerUser, ID: id}, true
		}
	}
	for _, id := range w.chanOrder {
		if ch := w.channels[id]; ch.Username != "" && strings.EqualFold(ch.Username, username) {
			return schema.PeerRef{Kind: schema.PeerChannel, ID: id}, true
		}
	}
	return schema.PeerRef{}, false
}

func (w *world) sortedUserIDs() []int64 {
	ids := make([]int64, 0, len(w.users))
	for id := range w.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// forbiddenFor reports whether account may not write in chat.
func (w *world) forbiddenFor(account string, chat schema.PeerRef) bool {
	return w.forbidden[forbidKey{chat, account}]
}
