package sim

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/tgnats/tgnats/schema"
)

// The world is the simulated Telegram's state. Every change is an op
// (ops.go), applied to the world and journaled.

// Outgoing is a message to produce with SendMessage.
type Outgoing struct {
	// Account selects whose private chat Chat is (Chat.Kind user), and whose
	// copy's id SendMessage returns for basic groups. Default: the first account.
	Account string `json:"account,omitempty"`
	// Chat is the chat to post in; for private chats the other user.
	Chat schema.PeerRef `json:"chat"`
	// From is the sender: in private chats the other user (default) or the
	// account's own user (an outgoing message); in groups any member
	// (default: the first member that is not an account). Ignored in
	// broadcast channels, whose messages are posts.
	From int64  `json:"from,omitempty"`
	Text string `json:"text,omitempty"`
	// Entities are formatting spans of Text (UTF-16 offsets).
	Entities []schema.Entity `json:"entities,omitempty"`
	// ReplyTo is a message id in the same chat, as seen by Account.
	ReplyTo int `json:"reply_to,omitempty"`
	// Media is "photo", "document", "poll" (a poll; Text is dropped),
	// "link" (a link preview still pending: WebPageReady completes it;
	// Text gets the page's URL when empty) or "".
	Media string `json:"media,omitempty"`
	// File, with Media "photo" or "document", is the file's size and
	// details; its content is generated (files.go). Default: a small file.
	File *File `json:"file,omitempty"`
	// Forward makes the message a forward of another user's message.
	Forward bool `json:"forward,omitempty"`
	// Service is "chat_add_user" (From joined) or "" for a normal message.
	Service string `json:"service,omitempty"`
}

// LedgerEntry is one change as one account sees it: the ground truth an
// end-to-end test compares the connector's events with.
type LedgerEntry struct {
	Seq     uint64 `json:"seq"`
	Account string `json:"account"`
	// Kind is the event's kind: "" for message events; schema.KindMember,
	// KindBot, … for the others, whose MessageID is 0 and ID is set.
	Kind      string         `json:"kind,omitempty"`
	Action    string         `json:"action"` // schema.ActionCreated, ActionEdited or ActionDeleted for messages
	Peer      schema.PeerRef `json:"peer"`
	MessageID int            `json:"message_id"`
	Version   int64          `json:"version"` // an edit's id version (schema.EditVersion), else 0
	Time      time.Time      `json:"time"`
	Text      string         `json:"text"`
	// From is the sender of a created or edited message (0 for broadcast
	// posts and deletions); the account's own user for messages it sent.
	// For a bot query and other kinds, who made the change when known.
	From int64 `json:"from,omitempty"`
	// Live marks a change Telegram only pushes (no pts or qts, in no
	// difference): a connector that was not connected never learns it.
	Live bool `json:"live,omitempty"`
	// ID is the event id the connector must publish, for entries of a Kind
	// (messages derive theirs from Action, Peer, MessageID and Version).
	ID string `json:"id,omitempty"`
	// Snapshot marks a state the connector fetches after Telegram said
	// something changed (a channel's chat.updated: updateChannel names
	// only the id): a state a later change replaced before the fetch is
	// never published, so the entry is optional, like a Live one.
	Snapshot bool `json:"snapshot,omitempty"`
}

// EventKind is e's event kind: Kind, or "message" when empty.
func (e LedgerEntry) EventKind() string {
	if e.Kind == "" {
		return schema.KindMessage
	}
	return e.Kind
}

// EventID is the id of the event the connector publishes for e
// (schema.EventID). A private or basic-group deletion of a message the
// connector never saw is published on peer unknown instead: only the
// consumer of the whole ledger can tell (see internal/e2e).
func (e LedgerEntry) EventID() string {
	kind := e.Kind
	if kind == "" {
		kind = schema.KindMessage
	}
	return schema.EventID(e.Account, e.Peer, e.MessageID, kind, e.Action, e.Version)
}

func unixTime(date int) time.Time { return time.Unix(int64(date), 0).UTC() }

type user struct {
	ID         int64
	AccessHash int64
	First      string
	Last       string
	Username   string
	Bot        bool
	// Phone and EmojiStatus (a custom emoji id) are set by user changes
	// (profile_world.go).
	Phone       string
	EmojiStatus int64
}

type basicChat struct {
	ID      int64
	Title   string
	Members []int64 // users that are not accounts; every account is a member too
	Date    int
	Admins  map[int64]string // members that are admins, with their rank (member_world.go)
	// Requests are the users waiting for their join request (member_world.go).
	Requests []int64
	// Version is the version of the member list (updateChatParticipants:
	// membersOp).
	Version int
}

type forward struct {
	From    int64
	Date    int
	Channel int64 // a forwarded broadcast post: the channel and post id
	Post    int
}

// message is one copy of a message: in a common box (one copy per member
// account, each with its own id) or in a channel (one copy).
type message struct {
	ID       int
	Peer     schema.PeerRef // the chat as its box's owner sees it
	From     int64          // 0 for broadcast posts
	Out      bool           // common-box copies only; channels derive it per viewer
	Post     bool
	Deleted  bool // the flags together: no padding between them
	Pinned   bool
	Date     int
	EditDate int
	Text     string
	Entities []schema.Entity
	ReplyTo  int
	// Quote is the part of the replied message the reply quotes (its
	// first word, at offset 0); TopID the thread root of a reply in a
	// supergroup (see reply_detail.go).
	Quote    string
	TopID    int
	Media    string
	MediaID  int64
	Fwd      *forward
	Service  string
	SvcUsers []int64
	Logical  uint64
	// Reactions is replaced, never changed in place: events hold copies of message.
	Reactions []reaction
	// Media details; zero values mean the defaults of scenario media.
	MediaSize int64
	MediaMime string
	MediaName string
	MediaAttr string // "video", "voice", "audio" for such documents
	// Poll is the poll of a poll message (Media "poll"), replaced on change.
	Poll *pollState
	// PageReady says the link preview of a Media "link" message is
	// complete (webpage_world.go); MediaID is its page's id. PreviewDate
	// is the second its completion's version is dated: an edit after it
	// is dated later.
	PageReady   bool
	PreviewDate int
}

type reaction struct {
	User  int64
	Emoji string
}

func (m *message) shortable() bool {
	return m.Media == "" && m.Service == ""
}

const (
	evNew = iota + 1
	evEdit
	evDelete
	evPin
	evEmpty   // updateNewChannelMessage with messageEmpty (no peer): moves pts, no ledger entry
	evRead    // updateReadHistoryInbox (read_world.go)
	evReadOut // updateReadHistoryOutbox
	evWebPage // updateWebPage / updateChannelWebPage: Msg's link preview completed (webpage_world.go)
)

// event is one pts-carrying change of a box: a common box or a channel.
type event struct {
	Pts      int // pts after the change
	PtsCount int
	Seq      int // common box seq after the change (unchanged by short updates)
	Date     int
	Kind     int
	Msg      message // snapshot for evNew and evEdit
	IDs      []int   // evDelete, evPin; evRead and evReadOut: the max id
	NoSeq    bool    // the change did not advance seq: pushed with seq 0
	Unpin    bool    // evPin
}

// box is an update sequence with its messages: an account's common box or a channel.
type box struct {
	Pts    int
	Seq    int
	Date   int
	NextID int
	Msgs   map[int]*message
	ByPeer map[schema.PeerRef][]int // message ids per chat, ascending
	Events []event
}

func newBox() *box {
	return &box{Msgs: map[int]*message{}, ByPeer: map[schema.PeerRef][]int{}}
}

// add records a new message copy and returns its event.
func (b *box) add(m *message, date, seqInc int) event {
	b.NextID++
	m.ID = b.NextID
	b.Msgs[m.ID] = m
	b.ByPeer[m.Peer] = append(b.ByPeer[m.Peer], m.ID)
	b.Pts++
	b.Seq += seqInc
	b.Date = max(b.Date, date)
	ev := event{Pts: b.Pts, PtsCount: 1, Seq: b.Seq, Date: date, Kind: evNew, Msg: *m, NoSeq: seqInc == 0}
	b.Events = append(b.Events, ev)
	return ev
}

func (b *box) edit(m *message, text string, ents *[]schema.Entity, date, seqInc int, sameSecond bool) event {
	m.Text = text
	if ents != nil {
		m.Entities = slices.Clone(*ents)
	}
	if sameSecond {
		m.EditDate = max(date, m.EditDate, m.Date, m.PreviewDate+1) // Telegram's second granularity
	} else {
		m.EditDate = max(date, m.EditDate+1, m.Date, m.PreviewDate+1)
	}
	b.Pts++
	b.Seq += seqInc
	b.Date = max(b.Date, date)
	ev := event{Pts: b.Pts, PtsCount: 1, Seq: b.Seq, Date: date, Kind: evEdit, Msg: *m, NoSeq: seqInc == 0}
	b.Events = append(b.Events, ev)
	return ev
}

func (b *box) remove(ids []int, date, seqInc int) event {
	for _, id := range ids {
		b.Msgs[id].Deleted = true
	}
	b.Pts += len(ids)
	b.Seq += seqInc
	b.Date = max(b.Date, date)
	ev := event{Pts: b.Pts, PtsCount: len(ids), Seq: b.Seq, Date: date, Kind: evDelete, IDs: slices.Clone(ids), NoSeq: seqInc == 0}
	b.Events = append(b.Events, ev)
	return ev
}

type channel struct {
	ID         int64
	AccessHash int64
	Title      string
	Broadcast  bool
	Username   string
	Members    []int64
	Admins     map[int64]string // members that are admins, with their rank (member_world.go)
	Requests   []int64          // users waiting for their join request (member_world.go)
	Date       int
	LastChange int
	Box        *box
	// Kicked accounts left or were removed (channel.leave): no pushes,
	// CHANNEL_PRIVATE on getChannelDifference, but their ledger goes on:
	// after a rejoin, getChannelDifference from their old pts returns it.
	Kicked map[string]bool
	// Outside accounts never joined: neither pushes nor ledger until they join.
	Outside map[string]bool
	// Joined holds the date each account joined on (channel.join), which
	// Telegram gives that account as the channel's date; the others see
	// Date, its creation.
	Joined map[string]int `json:",omitempty"`
}

// dateFor is the channel's date as account sees it: the date it joined.
func (ch *channel) dateFor(account string) int {
	if d, ok := ch.Joined[account]; ok {
		return d
	}
	return ch.Date
}

// member reports whether account is in ch now (gets its pushes).
func (ch *channel) member(account string) bool {
	return !ch.Kicked[account] && !ch.Outside[account]
}

// recorded reports whether ch's changes enter account's ledger.
func (ch *channel) recorded(account string) bool { return !ch.Outside[account] }

type account struct {
	Account
	Box    *box
	Ledger []LedgerEntry
	// LedgerBase is how many entries were dropped from the front of
	// Ledger (Config.LedgerWindow, retain.go), and Trimmed how many of
	// each action: Ledger[i] is the account's change LedgerBase+i.
	LedgerBase int
	Trimmed    map[string]int
	// recent holds the latest time of each event id in Ledger, for
	// recordEvent's duplicate check; nil until first needed (and after
	// restore).
	recent map[string]time.Time
	// Qts is the account's qts; QtsEvents its qts updates, in qts order.
	Qts       int
	QtsEvents []qtsEvent
}

type copyRef struct {
	Account string
	ID      int
}

// scenarioWorld is the world Produce and Drive act in.
type scenarioWorld struct {
	Users       []int64
	Privates    []int64
	Groups      []int64
	Supergroups []int64
	Channels    []int64
}

type world struct {
	accounts  []*account
	byName    map[string]*account
	users     map[int64]*user
	userOrder []int64
	chats     map[int64]*basicChat
	channels  map[int64]*channel
	chanOrder []int64
	copies    map[uint64][]copyRef // logical message → common-box copies
	nextUser  int64
	nextChat  int64
	nextChan  int64
	nextLogic uint64
	ledgerSeq uint64
	scen      *scenarioWorld
	pushes    []push          // effects of the op being applied, when live
	profiles  []profileUpdate // renames, in date order (profile_world.go)
	live      bool

	// State of the API surface (api_world.go).
	api     string // account whose API call is being applied, "" otherwise
	media   map[int64]*mediaInfo
	randoms map[string]map[int64]int // account → random_id → message id
	uploads map[uploadKey]*pendingUpload
	// nextUpload numbers the files of uploads; store holds them (uploads.go).
	nextUpload int64
	store      *uploadStore
	queries    map[int64]*callbackQuery
	nextQuery  int64
	forbidden  map[forbidKey]bool
	calls      map[string][]Call // served API calls by account
	callSeq    uint64
	// refEpoch is in every file reference; FaultExpireRefs advances it,
	// expiring the references given out (not journaled, like faults).
	refEpoch uint64
	// expireAfter, when > 0, is how many more file parts upload.getFile
	// serves before refEpoch advances (FaultExpireRefs with N).
	expireAfter int
	// served counts the bytes upload.getFile served, by media id
	// (FileBytesServed).
	served map[int64]int64
	// received counts the part bytes upload.saveFilePart and
	// saveBigFilePart received, by account (UploadBytesReceived).
	received map[string]int64
}

// push is an update to send to an account, built into tg types when queued.
type push struct {
	Account string
	Channel int64 // 0 for the common box
	Event   event
	Short   bool // updateShortMessage / updateShortChatMessage form
	TooLong bool // updatesTooLong
	// Callback is an updateBotCallbackQuery or another bot query of
	// bot_world.go (no pts, not subject to faults).
	Callback *callbackQuery
	// Qts is a qts update (updateBotStopped, a bot's reaction update).
	Qts *qtsEvent
	// Reactions is an updateMessageReactions (no pts or qts: live only,
	// not subject to faults).
	Reactions *reactionsPush
	// Poll is an updateMessagePoll (live only, not subject to faults).
	Poll *pollPush
	// Pushed is an update Telegram only pushes, outside any sequence
	// (channel read receipts, read_world.go; a basic group's member list,
	// member_world.go): not subject to faults.
	Pushed *pushedUpdate
	// Profile is a rename (updateUserName, updateChat; profile_world.go).
	Profile *profileUpdate
	// Live is a typing or status update (live.go): not journaled.
	Live *liveUpdate
	// Exclude is the auth key of the session that made the change: it has
	// the update as its call's result and must not get it again.
	Exclude    [8]byte
	HasExclude bool
}

func newWorld(accounts []Account) *world {
	w := &world{
		byName:    map[string]*account{},
		users:     map[int64]*user{},
		chats:     map[int64]*basicChat{},
		channels:  map[int64]*channel{},
		copies:    map[uint64][]copyRef{},
		media:     map[int64]*mediaInfo{},
		served:    map[int64]int64{},
		received:  map[string]int64{},
		randoms:   map[string]map[int64]int{},
		uploads:   map[uploadKey]*pendingUpload{},
		store:     newUploadStore(""),
		queries:   map[int64]*callbackQuery{},
		forbidden: map[forbidKey]bool{},
		calls:     map[string][]Call{},
		nextUser:  100000,
		nextChat:  200000,
		nextChan:  1500000000,
		nextLogic: 0,
	}
	for _, a := range accounts {
		acc := &account{Account: a, Box: newBox()}
		w.accounts = append(w.accounts, acc)
		w.byName[a.Name] = acc
		w.users[a.UserID] = &user{ID: a.UserID, AccessHash: accessHash("user", a.UserID), First: a.FirstName, Username: a.Username, Bot: a.BotToken != ""}
	}
	return w
}

func accessHash(kind string, id int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", kind, id)
	return int64(h.Sum64() & 0x7fffffffffffffff)
}

func (w *world) isAccountUser(id int64) bool {
	for _, a := range w.accounts {
		if a.UserID == id {
			return true
		}
	}
	return false
}

func (w *world) account(name string) (*account, error) {
	if name == "" {
		return w.accounts[0], nil
	}
	a, ok := w.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w: account %q", ErrNotFound, name)
	}
	return a, nil
}

// record appends e, dated date, to a's ledger and returns the entry. A
// message event (Kind "") derives its id from its action, peer, message id
// and version (LedgerEntry.EventID). Any other change (its Kind set;
// MessageID is the message it is about, 0 for none) gets the event id the
// connector must publish in ID; a state that comes back (a pending count, a
// name: ids from schema.SnapshotVersion) within dedupWindow of the entry
// with its id is not recorded again, and nil is returned: the stream drops
// it as a duplicate.
func (w *world) record(a *account, e LedgerEntry, date int) *LedgerEntry {
	e.Account, e.Time = a.Name, unixTime(date)
	if e.Kind != "" {
		e.ID = schema.EventID(a.Name, e.Peer, e.MessageID, e.Kind, e.Action, e.Version)
		if a.recent == nil {
			a.recent = make(map[string]time.Time)
			for _, old := range a.Ledger {
				if old.ID != "" && old.Time.After(a.recent[old.ID]) {
					a.recent[old.ID] = old.Time
				}
			}
		}
		if last, ok := a.recent[e.ID]; ok && e.Time.Sub(last) < dedupWindow {
			return nil
		}
		a.recent[e.ID] = e.Time
	}
	w.ledgerSeq++
	e.Seq = w.ledgerSeq
	a.Ledger = append(a.Ledger, e)
	return &a.Ledger[len(a.Ledger)-1]
}

func (w *world) createUser(first, last, username string) int64 {
	w.nextUser++
	for w.isAccountUser(w.nextUser) {
		w.nextUser++
	}
	id := w.nextUser
	w.users[id] = &user{ID: id, AccessHash: accessHash("user", id), First: first, Last: last, Username: username}
	w.userOrder = append(w.userOrder, id)
	return id
}

func (w *world) createChat(kind schema.PeerKind, title string, date int, broadcast bool, members []int64) (int64, error) {
	for _, m := range members {
		if _, ok := w.users[m]; !ok {
			return 0, fmt.Errorf("%w: member %d", ErrNotFound, m)
		}
	}
	var own []int64
	for _, m := range members {
		if !w.isAccountUser(m) && !slices.Contains(own, m) {
			own = append(own, m)
		}
	}
	switch kind {
	case schema.PeerChat:
		w.nextChat++
		w.chats[w.nextChat] = &basicChat{ID: w.nextChat, Title: title, Members: own, Date: date}
		return w.nextChat, nil
	case schema.PeerChannel:
		w.nextChan++
		id := w.nextChan
		b := newBox()
		// A new channel starts at pts 1 without messages.
		b.Pts = 1
		w.channels[id] = &channel{ID: id, AccessHash: accessHash("channel", id), Title: title, Broadcast: broadcast,
			Members: own, Date: date, LastChange: date, Box: b}
		w.chanOrder = append(w.chanOrder, id)
		return id, nil
	}
	return 0, fmt.Errorf("%w: chat kind %q", ErrInvalid, kind)
}

// touchChannel marks a channel change at date for getDifference's
// updateChannelTooLong and advances every account's state date.
func (w *world) touchChannel(ch *channel, date int) {
	ch.LastChange = max(ch.LastChange, date)
	for _, a := range w.accounts {
		a.Box.Date = max(a.Box.Date, date)
	}
}

// sendExtra is what an API send adds to an Outgoing: media details and a
// forward header copied from another message.
type sendExtra struct {
	media *mediaInfo
	fwd   *forward
}

func (w *world) newMessage(m *Outgoing, x *sendExtra, peer schema.PeerRef, from int64, date int) (*message, error) {
	switch m.Media {
	case "", "photo", "document", "poll", mediaLink:
	default:
		return nil, fmt.Errorf("%w: media %q", ErrInvalid, m.Media)
	}
	if m.File != nil {
		if m.Media != "photo" && m.Media != "document" {
			return nil, fmt.Errorf("%w: a file needs media photo or document", ErrInvalid)
		}
		if err := m.File.Validate(); err != nil {
			return nil, err
		}
	}
	switch m.Service {
	case "":
	case "chat_add_user":
		if peer.Kind == schema.PeerUser {
			return nil, fmt.Errorf("%w: service message in a private chat", ErrInvalid)
		}
		if from == 0 {
			return nil, fmt.Errorf("%w: service message without sender", ErrInvalid)
		}
	default:
		return nil, fmt.Errorf("%w: service %q", ErrInvalid, m.Service)
	}
	w.nextLogic++
	msg := &message{
		Peer: peer, From: from, Date: date, Text: m.Text, Entities: slices.Clone(m.Entities),
		Media: m.Media, Service: m.Service, Logical: w.nextLogic,
	}
	if m.Media == mediaLink {
		msg.MediaID = accessHash("webpage", int64(w.nextLogic))
		if msg.Text == "" {
			msg.Text = pageURL(msg.MediaID)
		}
	} else if m.Media == "poll" {
		msg.Text, msg.Entities = "", nil
		msg.Poll = &pollState{ID: accessHash("poll", int64(w.nextLogic)), Question: pollQuestion, Answers: slices.Clone(pollAnswers)}
	} else if m.Media != "" {
		msg.MediaID = int64(w.nextLogic)*10 + 7
		info := &mediaInfo{Kind: m.Media}
		if m.File != nil {
			info = m.File.info(m.Media)
		}
		if x != nil && x.media != nil {
			info = x.media
		}
		if info.ID == 0 {
			info = w.registerMedia(msg.MediaID, info)
		}
		msg.Media, msg.MediaID = info.Kind, info.ID
		msg.MediaSize, msg.MediaMime, msg.MediaName, msg.MediaAttr = info.Size, info.Mime, info.Name, info.Attr
	}
	if x != nil && x.fwd != nil {
		f := *x.fwd
		msg.Fwd = &f
	}
	if m.Service != "" {
		msg.Text, msg.Entities, msg.Media, msg.MediaID = "", nil, "", 0
		msg.SvcUsers = []int64{from}
	}
	if m.Forward && m.Service == "" {
		origin := int64(0)
		for _, id := range w.userOrder {
			if id != from {
				origin = id
				break
			}
		}
		if origin != 0 {
			msg.Fwd = &forward{From: origin, Date: date - 3600}
		}
	}
	return msg, nil
}

func (w *world) send(m *Outgoing, x *sendExtra, date int) (int, error) {
	if m == nil {
		return 0, fmt.Errorf("%w: no message", ErrInvalid)
	}
	switch m.Chat.Kind {
	case schema.PeerUser:
		return w.sendPrivate(m, x, date)
	case schema.PeerChat:
		return w.sendGroup(m, x, date)
	case schema.PeerChannel:
		return w.sendChannel(m, x, date)
	}
	return 0, fmt.Errorf("%w: chat kind %q", ErrInvalid, m.Chat.Kind)
}

func (w *world) sendPrivate(m *Outgoing, x *sendExtra, date int) (int, error) {
	a, err := w.account(m.Account)
	if err != nil {
		return 0, err
	}
	if _, ok := w.users[m.Chat.ID]; !ok || m.Chat.ID == a.UserID {
		return 0, fmt.Errorf("%w: user %d", ErrNotFound, m.Chat.ID)
	}
	from := m.From
	if from == 0 {
		from = m.Chat.ID
	}
	if from != m.Chat.ID && from != a.UserID {
		return 0, fmt.Errorf("%w: sender %d is not in the private chat", ErrInvalid, from)
	}
	if m.ReplyTo != 0 {
		if r, ok := a.Box.Msgs[m.ReplyTo]; !ok || r.Peer != m.Chat {
			return 0, fmt.Errorf("%w: reply to message %d", ErrNotFound, m.ReplyTo)
		}
	}
	msg, err := w.newMessage(m, x, m.Chat, from, date)
	if err != nil {
		return 0, err
	}
	msg.ReplyTo = m.ReplyTo
	if msg.ReplyTo != 0 {
		msg.Quote = quoteOf(a.Box.Msgs[msg.ReplyTo])
	}
	msg.Out = from == a.UserID
	w.addCopy(a, msg, date)
	return msg.ID, nil
}

func (w *world) sendGroup(m *Outgoing, x *sendExtra, date int) (int, error) {
	c, ok := w.chats[m.Chat.ID]
	if !ok {
		return 0, fmt.Errorf("%w: chat %d", ErrNotFound, m.Chat.ID)
	}
	a, err := w.account(m.Account)
	if err != nil {
		return 0, err
	}
	from := m.From
	if from == 0 {
		from = a.UserID
		if len(c.Members) > 0 {
			from = c.Members[0]
		}
	}
	if !slices.Contains(c.Members, from) && !w.isAccountUser(from) {
		return 0, fmt.Errorf("%w: sender %d is not a member", ErrInvalid, from)
	}
	var replyLogical uint64
	var quote string
	if m.ReplyTo != 0 {
		r, ok := a.Box.Msgs[m.ReplyTo]
		if !ok || r.Peer != m.Chat {
			return 0, fmt.Errorf("%w: reply to message %d", ErrNotFound, m.ReplyTo)
		}
		replyLogical, quote = r.Logical, quoteOf(r)
	}
	proto, err := w.newMessage(m, x, m.Chat, from, date)
	if err != nil {
		return 0, err
	}
	proto.Quote = quote
	result := 0
	for _, acc := range w.accounts {
		msg := *proto
		msg.Out = from == acc.UserID
		msg.ReplyTo = w.copyID(replyLogical, acc.Name)
		w.addCopy(acc, &msg, date)
		if acc == a {
			result = msg.ID
		}
	}
	return result, nil
}

func (w *world) copyID(logical uint64, acc string) int {
	if logical == 0 {
		return 0
	}
	for _, c := range w.copies[logical] {
		if c.Account == acc {
			return c.ID
		}
	}
	return 0
}

// addCopy adds a common-box message copy to a's box, with ledger and push.
func (w *world) addCopy(a *account, msg *message, date int) {
	short := msg.shortable() && (a.Box.NextID+1)%2 == 1
	seqInc := 1
	if short {
		seqInc = 0
	}
	if a.Name == w.api {
		// The account's own API call: the result carries the update, seq 0.
		short, seqInc = false, 0
	}
	ev := a.Box.add(msg, date, seqInc)
	w.copies[msg.Logical] = append(w.copies[msg.Logical], copyRef{Account: a.Name, ID: msg.ID})
	w.record(a, LedgerEntry{Action: schema.ActionCreated, Peer: msg.Peer, MessageID: msg.ID, Text: msg.Text, From: msg.From}, date)
	if w.live {
		w.pushes = append(w.pushes, push{Account: a.Name, Event: ev, Short: short})
	}
}

func (w *world) sendChannel(m *Outgoing, x *sendExtra, date int) (int, error) {
	ch, ok := w.channels[m.Chat.ID]
	if !ok {
		return 0, fmt.Errorf("%w: channel %d", ErrNotFound, m.Chat.ID)
	}
	from := m.From
	if ch.Broadcast {
		from = 0
		if m.Service != "" {
			return 0, fmt.Errorf("%w: service message in a broadcast channel", ErrInvalid)
		}
	} else {
		if from == 0 {
			from = w.accounts[0].UserID
			if len(ch.Members) > 0 {
				from = ch.Members[0]
			}
		}
		if !slices.Contains(ch.Members, from) && !w.isAccountUser(from) {
			return 0, fmt.Errorf("%w: sender %d is not a member", ErrInvalid, from)
		}
	}
	if m.ReplyTo != 0 {
		if _, ok := ch.Box.Msgs[m.ReplyTo]; !ok {
			return 0, fmt.Errorf("%w: reply to message %d", ErrNotFound, m.ReplyTo)
		}
	}
	msg, err := w.newMessage(m, x, m.Chat, from, date)
	if err != nil {
		return 0, err
	}
	msg.ReplyTo = m.ReplyTo
	if r := ch.Box.Msgs[m.ReplyTo]; r != nil {
		msg.Quote = quoteOf(r)
		if !ch.Broadcast {
			msg.TopID = threadRoot(r)
		}
	}
	msg.Post = ch.Broadcast
	ev := ch.Box.add(msg, date, 0)
	w.touchChannel(ch, date)
	for _, a := range w.accounts {
		if ch.recorded(a.Name) {
			w.record(a, LedgerEntry{Action: schema.ActionCreated, Peer: m.Chat, MessageID: msg.ID, Text: msg.Text, From: msg.From}, date)
		}
		w.channelPush(ch, a, ev)
	}
	return msg.ID, nil
}

// channelPush queues ev of ch for a, when a is a member and the op is live.
func (w *world) channelPush(ch *channel, a *account, ev event) {
	if w.live && ch.member(a.Name) {
		w.pushes = append(w.pushes, push{Account: a.Name, Channel: ch.ID, Event: ev})
	}
}

func (w *world) edit(chat schema.PeerRef, accName string, id int, text string, ents *[]schema.Entity, date int, same bool) error {
	if chat.Kind == schema.PeerChannel {
		ch, ok := w.channels[chat.ID]
		if !ok {
			return fmt.Errorf("%w: channel %d", ErrNotFound, chat.ID)
		}
		m, ok := ch.Box.Msgs[id]
		if !ok || m.Deleted {
			return fmt.Errorf("%w: message %d in %s", ErrNotFound, id, chat)
		}
		if m.Service != "" || m.Poll != nil {
			return fmt.Errorf("%w: service and poll messages cannot be edited", ErrInvalid)
		}
		ev := ch.Box.edit(m, text, ents, date, 0, same)
		w.touchChannel(ch, date)
		for _, a := range w.accounts {
			if ch.recorded(a.Name) {
				w.record(a, LedgerEntry{Action: schema.ActionEdited, Peer: chat, MessageID: id, Version: editVersion(m), Text: text, From: m.From}, m.EditDate)
			}
			w.channelPush(ch, a, ev)
		}
		return nil
	}
	a, err := w.account(accName)
	if err != nil {
		return err
	}
	m, ok := a.Box.Msgs[id]
	if !ok || m.Deleted || m.Peer != chat {
		return fmt.Errorf("%w: message %d in %s", ErrNotFound, id, chat)
	}
	if m.Service != "" || m.Poll != nil {
		return fmt.Errorf("%w: service and poll messages cannot be edited", ErrInvalid)
	}
	for _, c := range w.copies[m.Logical] {
		acc := w.byName[c.Account]
		cm := acc.Box.Msgs[c.ID]
		if cm == nil || cm.Deleted { // nil: dropped (retain.go)
			continue
		}
		ev := acc.Box.edit(cm, text, ents, date, w.seqInc(acc), same)
		w.record(acc, LedgerEntry{Action: schema.ActionEdited, Peer: cm.Peer, MessageID: cm.ID, Version: editVersion(cm), Text: text, From: cm.From}, cm.EditDate)
		if w.live {
			w.pushes = append(w.pushes, push{Account: acc.Name, Event: ev})
		}
	}
	return nil
}

func (w *world) delete(chat schema.PeerRef, accName string, ids []int, date int) error {
	if len(ids) == 0 {
		return fmt.Errorf("%w: no message ids", ErrInvalid)
	}
	if chat.Kind == schema.PeerChannel {
		ch, ok := w.channels[chat.ID]
		if !ok {
			return fmt.Errorf("%w: channel %d", ErrNotFound, chat.ID)
		}
		var live []int
		for _, id := range ids {
			m, ok := ch.Box.Msgs[id]
			if !ok {
				return fmt.Errorf("%w: message %d in %s", ErrNotFound, id, chat)
			}
			if !m.Deleted && !slices.Contains(live, id) {
				live = append(live, id)
			}
		}
		if len(live) == 0 {
			return nil
		}
		ev := ch.Box.remove(live, date, 0)
		w.touchChannel(ch, date)
		for _, a := range w.accounts {
			for _, id := range live {
				if ch.recorded(a.Name) {
					w.record(a, LedgerEntry{Action: schema.ActionDeleted, Peer: chat, MessageID: id}, date)
				}
			}
			w.channelPush(ch, a, ev)
		}
		return nil
	}
	a, err := w.account(accName)
	if err != nil {
		return err
	}
	perAccount := map[string][]int{}
	for _, id := range ids {
		m, ok := a.Box.Msgs[id]
		if !ok || m.Peer != chat {
			return fmt.Errorf("%w: message %d in %s", ErrNotFound, id, chat)
		}
		if m.Deleted {
			continue
		}
		for _, c := range w.copies[m.Logical] {
			if !slices.Contains(perAccount[c.Account], c.ID) {
				perAccount[c.Account] = append(perAccount[c.Account], c.ID)
			}
		}
	}
	for _, acc := range w.accounts {
		del := perAccount[acc.Name]
		if len(del) == 0 {
			continue
		}
		ev := acc.Box.remove(del, date, w.seqInc(acc))
		for _, id := range del {
			w.record(acc, LedgerEntry{Action: schema.ActionDeleted, Peer: acc.Box.Msgs[id].Peer, MessageID: id}, date)
		}
		if w.live {
			w.pushes = append(w.pushes, push{Account: acc.Name, Event: ev})
		}
	}
	return nil
}

// editVersion is the version of an edit's event id (schema.EditVersion):
// the edit date with a digest of the edited content, as the connector
// derives it from what Telegram delivers.
func editVersion(m *message) int64 {
	media := ""
	if m.Media == mediaLink {
		media = linkKey(m)
	} else if m.Media != "" {
		media = m.Media + ":" + strconv.FormatInt(m.MediaID, 10)
	}
	return schema.EditVersion(m.EditDate, m.Text, m.Entities, media)
}
