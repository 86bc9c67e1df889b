package simctl

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// Verbs lists the verbs the surface serves, sorted.
func Verbs() []string {
	var out []string
	for v := range (&Server{}).verbs() {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

type verbFunc func(ctx context.Context, body []byte) (any, error)

func (s *Server) verbs() map[string]verbFunc {
	return map[string]verbFunc{
		"message.inject": s.inject,
		"message.edit":   s.edit,
		"message.delete": s.delete,
		"callback.press": s.press,
		"user.create":    s.createUser,
		"chat.create":    s.createChat,
		"gap.withhold":   s.withhold,
		"gap.too_long":   s.tooLong,
		"flood_wait":     s.floodWait,
		"traffic":        s.traffic,
		"ledger":         s.ledger,
		"actions":        s.servedCalls,
		"calls":          s.callCounts,
		"fault":          s.fault,
		// Bot queries (verbs_bot.go).
		"inline.query": s.inlineQuery,
		"inline.send":  s.inlineSend,
		"inline.press": s.inlinePress,
		"precheckout":  s.precheckout,
		"shipping":     s.shipping,
		// Reactions, pins, read receipts, polls (issue 12).
		"reaction.set":  s.setReaction,
		"message.pin":   s.pin,
		"read":          s.read,
		"poll.send":     s.sendPoll,
		"poll.vote":     s.vote,
		"webpage.ready": s.webPageReady,
		// Members, join requests, bots, renames, live signals (issue 12;
		// verbs_member.go, verbs_profile.go, verbs_live.go).
		"member.join":    s.memberVerb(sim.MemberJoin),
		"member.leave":   s.memberVerb(sim.MemberLeave),
		"member.kick":    s.memberVerb(sim.MemberKick),
		"member.promote": s.memberVerb(sim.MemberPromote),
		"member.demote":  s.memberVerb(sim.MemberDemote),
		"member.request": s.memberVerb(sim.MemberRequest),
		"bot.stop":       s.botStop(true),
		"bot.restart":    s.botStop(false),
		"user.rename":    s.renameUser,
		"user.change":    s.changeUser,
		"chat.rename":    s.renameChat,
		"chat.members":   s.chatMembers,
		"typing":         s.typing,
		"status":         s.status,
		// User-account login and sessions (login.go).
		"login.code":     s.loginCode,
		"login.accept":   s.loginAccept,
		"session.revoke": s.sessionRevoke,
		// Files (issue 13): what a message's file holds.
		"message.file": s.messageFile,
	}
}

func (s *Server) handle(ctx context.Context, verb string, body []byte) (any, error) {
	f, ok := s.verbs()[verb]
	if !ok {
		return nil, &failure{Code: CodeUnknownVerb, Message: "unknown verb " + strconv.Quote(verb) + "; verbs: " + strings.Join(Verbs(), ", ")}
	}
	return f(ctx, body)
}

// Chat names a chat in requests and replies: {"kind":"channel","id":123};
// requests may also spell it {"peer_kind":"channel","peer_id":123}.
type Chat = schema.PeerRef

func checkChat(c Chat) error {
	if c.Kind != schema.PeerUser && c.Kind != schema.PeerChat && c.Kind != schema.PeerChannel {
		return invalid("chat.kind %q: want user, chat or channel", c.Kind)
	}
	if c.ID <= 0 {
		return invalid("chat.id %d: want a positive id", c.ID)
	}
	return nil
}

// checkMessage checks a message reference.
func checkMessage(c Chat, id int) error {
	if err := checkChat(c); err != nil {
		return err
	}
	if id <= 0 {
		return invalid("message_id %d: want a positive id", id)
	}
	return nil
}

// InjectRequest is an incoming message from a user (message.inject).
type InjectRequest struct {
	Chat Chat `json:"chat"`
	// From is the sender; default: the other user of a private chat, the
	// first member of a group.
	From     int64           `json:"from,omitempty"`
	Text     string          `json:"text,omitempty"`
	Entities []schema.Entity `json:"entities,omitempty"`
	ReplyTo  int             `json:"reply_to,omitempty"`
	// Media is "", "photo", "document" or "link" (a link whose preview
	// is pending until webpage.ready; Text defaults to the page's URL).
	Media string `json:"media,omitempty"`
	// File, with Media, sets the file's size (and a document's mime, name
	// and attr: video, audio, voice); its content is generated from the
	// media id, never held (message.file answers its sha256).
	File    *sim.File `json:"file,omitempty"`
	Forward bool      `json:"forward,omitempty"`
}

// MessageResult is the answer to message.inject and callback.press.
type MessageResult struct {
	Chat      Chat `json:"chat"`
	MessageID int  `json:"message_id,omitempty"`
	// QueryID is a decimal string, as in callback.query events: it passes
	// 2^53, beyond what JSON numbers keep exactly in JavaScript.
	QueryID int64 `json:"query_id,omitempty,string"`
}

func (r *InjectRequest) validate() error {
	if err := checkChat(r.Chat); err != nil {
		return err
	}
	if r.Text == "" && r.Media == "" {
		return invalid("text or media is required")
	}
	if r.Media != "" && r.Media != "photo" && r.Media != "document" && r.Media != "link" {
		return invalid("media %q: want photo, document or link", r.Media)
	}
	if r.File != nil {
		if r.Media != "photo" && r.Media != "document" {
			return invalid("file needs media photo or document")
		}
		if err := r.File.Validate(); err != nil {
			return invalid("%s", err.Error())
		}
	}
	return nil
}

func (s *Server) inject(ctx context.Context, body []byte) (any, error) {
	var r InjectRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	id, err := s.cfg.Sim.SendMessage(ctx, sim.Outgoing{
		Account: s.cfg.Account, Chat: r.Chat, From: r.From, Text: r.Text, Entities: r.Entities,
		ReplyTo: r.ReplyTo, Media: r.Media, File: r.File, Forward: r.Forward,
	})
	if err != nil {
		return nil, err
	}
	return MessageResult{Chat: r.Chat, MessageID: id}, nil
}

// EditRequest edits a message (message.edit).
// SameSecond dates the edit with Telegram's one-second granularity: two
// edits within one second share their edit_date.
type EditRequest struct {
	Chat       Chat   `json:"chat"`
	MessageID  int    `json:"message_id"`
	Text       string `json:"text"`
	SameSecond bool   `json:"same_second,omitempty"`
}

func (r *EditRequest) validate() error {
	if err := checkMessage(r.Chat, r.MessageID); err != nil {
		return err
	}
	if r.Text == "" {
		return invalid("text is required")
	}
	return nil
}

func (s *Server) edit(ctx context.Context, body []byte) (any, error) {
	var r EditRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	edit := s.cfg.Sim.EditMessage
	if r.SameSecond {
		edit = s.cfg.Sim.EditMessageSameSecond
	}
	if err := edit(ctx, r.Chat, s.cfg.Account, r.MessageID, r.Text); err != nil {
		return nil, err
	}
	return MessageResult{Chat: r.Chat, MessageID: r.MessageID}, nil
}

// DeleteRequest deletes messages for everyone (message.delete).
type DeleteRequest struct {
	Chat       Chat  `json:"chat"`
	MessageIDs []int `json:"message_ids"`
}

func (r *DeleteRequest) validate() error {
	if len(r.MessageIDs) == 0 {
		return invalid("message_ids is required")
	}
	for _, id := range r.MessageIDs {
		if err := checkMessage(r.Chat, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) delete(ctx context.Context, body []byte) (any, error) {
	var r DeleteRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	if err := s.cfg.Sim.DeleteMessages(ctx, r.Chat, s.cfg.Account, r.MessageIDs...); err != nil {
		return nil, err
	}
	return struct {
		Chat       Chat  `json:"chat"`
		MessageIDs []int `json:"message_ids"`
	}{r.Chat, r.MessageIDs}, nil
}

// PressRequest presses an inline button (callback.press). A connector on
// the simulated bot account publishes the press as a callback.query event.
type PressRequest struct {
	Chat      Chat   `json:"chat"`
	MessageID int    `json:"message_id"`
	From      int64  `json:"from"`
	Data      string `json:"data"`
}

func (r *PressRequest) validate() error {
	if err := checkMessage(r.Chat, r.MessageID); err != nil {
		return err
	}
	if r.From <= 0 {
		return invalid("from %d: want the id of the user who presses", r.From)
	}
	return nil
}

func (s *Server) press(ctx context.Context, body []byte) (any, error) {
	var r PressRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	q, err := s.cfg.Sim.PressButton(ctx, s.cfg.Account, r.Chat, r.MessageID, r.From, []byte(r.Data))
	if err != nil {
		return nil, err
	}
	return MessageResult{Chat: r.Chat, MessageID: r.MessageID, QueryID: q}, nil
}

// UserRequest creates a user (user.create).
type UserRequest struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	Username  string `json:"username,omitempty"`
}

func (s *Server) createUser(_ context.Context, body []byte) (any, error) {
	var r UserRequest
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	if r.FirstName == "" {
		return nil, invalid("first_name is required")
	}
	id := s.cfg.Sim.CreateUser(r.FirstName, r.LastName, r.Username)
	if id == 0 {
		return nil, &failure{Code: CodeInternal, Message: "the simulator did not create the user (see its log)"}
	}
	return struct {
		UserID int64 `json:"user_id"`
	}{id}, nil
}

// ChatRequest creates a chat (chat.create). Type is "private" (the
// private chat with User, created with Title as first name when User is
// 0), "group" (basic group), "supergroup" or "channel" (broadcast).
// Count > 1 creates that many supergroups or channels, titled "<Title> 1"
// and on, answered as chats (e.g. 500 channels for a start-up cost test).
type ChatRequest struct {
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Members []int64 `json:"members,omitempty"`
	User    int64   `json:"user,omitempty"`
	Count   int     `json:"count,omitempty"`
}

// maxChatCount bounds chat.create's count.
const maxChatCount = 10000

func (s *Server) createChat(ctx context.Context, body []byte) (any, error) {
	var r ChatRequest
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	if r.Count < 0 || r.Count > maxChatCount {
		return nil, invalid("count %d: want 0 to %d", r.Count, maxChatCount)
	}
	if r.Count > 1 {
		if r.Type != "supergroup" && r.Type != "channel" {
			return nil, invalid("count: only supergroups and channels are created in bulk")
		}
		chats := make([]Chat, 0, r.Count)
		for i := range r.Count {
			one, err := json.Marshal(ChatRequest{Type: r.Type, Title: fmt.Sprintf("%s %d", r.Title, i+1), Members: r.Members})
			if err != nil {
				return nil, err
			}
			res, err := s.createChat(ctx, one)
			if err != nil {
				return nil, err
			}
			chats = append(chats, res.(struct {
				Chat Chat `json:"chat"`
			}).Chat)
		}
		return struct {
			Chats []Chat `json:"chats"`
		}{chats}, nil
	}
	if r.Title == "" && (r.Type != "private" || r.User == 0) {
		return nil, invalid("title is required")
	}
	var (
		chat Chat
		err  error
	)
	switch r.Type {
	case "private":
		id := r.User
		if id == 0 {
			if id = s.cfg.Sim.CreateUser(r.Title, "", ""); id == 0 {
				return nil, &failure{Code: CodeInternal, Message: "the simulator did not create the user (see its log)"}
			}
		}
		chat = Chat{Kind: schema.PeerUser, ID: id}
	case "group":
		chat, err = s.cfg.Sim.CreateChat(schema.PeerChat, r.Title, r.Members...)
	case "supergroup":
		chat, err = s.cfg.Sim.CreateChat(schema.PeerChannel, r.Title, r.Members...)
	case "channel":
		if len(r.Members) > 0 {
			return nil, invalid("a broadcast channel has no members to add")
		}
		chat, err = s.cfg.Sim.CreateBroadcast(r.Title)
	default:
		return nil, invalid("type %q: want private, group, supergroup or channel", r.Type)
	}
	if err != nil {
		return nil, err
	}
	return struct {
		Chat Chat `json:"chat"`
	}{chat}, nil
}

// WithholdRequest turns withholding pushes on or off (gap.withhold): while
// on, changes are recorded but not pushed, so the connector only learns
// about them through getDifference.
type WithholdRequest struct {
	On bool `json:"on"`
}

func (s *Server) withhold(_ context.Context, body []byte) (any, error) {
	var r WithholdRequest
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	s.cfg.Sim.Withhold(r.On)
	return r, nil
}

func (s *Server) tooLong(_ context.Context, body []byte) (any, error) {
	var r struct{}
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	s.cfg.Sim.PushTooLong(s.cfg.Account)
	return r, nil
}

// FloodWaitRequest makes the next Times calls of Method ("*" or "": any
// method) by the surface's account answer FLOOD_WAIT_<Seconds>
// (flood_wait); the other accounts go on. Times 0 clears the rule.
type FloodWaitRequest struct {
	Method  string `json:"method"`
	Seconds int    `json:"seconds"`
	Times   int    `json:"times"`
}

func (s *Server) floodWait(_ context.Context, body []byte) (any, error) {
	r := FloodWaitRequest{Seconds: 1, Times: 1}
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	if r.Seconds < 0 || r.Seconds > 86400 {
		return nil, invalid("seconds %d: want 0 to 86400", r.Seconds)
	}
	if r.Times < 0 {
		return nil, invalid("times %d: want 0 or more", r.Times)
	}
	method := sim.AnyMethod
	if r.Method != "" && r.Method != "*" {
		id, ok := tg.NamesMap()[r.Method]
		if !ok || !strings.Contains(r.Method, ".") {
			return nil, invalid("method %q: want a TL method name such as messages.sendMessage, or \"*\"", r.Method)
		}
		method = id
	}
	s.cfg.Sim.FloodWaitFor(s.cfg.Account, method, r.Seconds, r.Times)
	return r, nil
}

// TrafficRequest sets the simulator's one traffic generator (traffic):
// Rate actions per second replace the running traffic (also that of the
// --rate flag); Rate 0 stops it. Seed picks the random sequence; Faults is
// the share of fault steps (see sim.Scenario).
type TrafficRequest struct {
	Rate   float64 `json:"rate"`
	Seed   int64   `json:"seed,omitempty"`
	Faults float64 `json:"faults,omitempty"`
	// Updates is the share of reactions, pins and other non-message
	// changes (sim.Scenario.Updates).
	Updates float64 `json:"updates,omitempty"`
}

func (s *Server) traffic(_ context.Context, body []byte) (any, error) {
	var r TrafficRequest
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	if r.Rate < 0 || r.Rate > 1000 {
		return nil, invalid("rate %g: want 0 to 1000 per second", r.Rate)
	}
	if r.Faults < 0 || r.Faults > 1 {
		return nil, invalid("faults %g: want 0 to 1", r.Faults)
	}
	if r.Updates < 0 || r.Updates > 1 {
		return nil, invalid("updates %g: want 0 to 1", r.Updates)
	}
	if err := s.cfg.Sim.Traffic(sim.Scenario{Rate: r.Rate, Seed: r.Seed, Faults: r.Faults, Updates: r.Updates}); err != nil {
		return nil, err
	}
	return r, nil
}

// LedgerEntry is one change the simulator recorded for the account, with
// the id and subject of the event the connector publishes for it.
type LedgerEntry struct {
	sim.LedgerEntry
	EventID string `json:"event_id"`
	Subject string `json:"subject"`
}

// LedgerRequest reads a page of the ledger (ledger): at most Limit
// entries (default DefaultLedgerLimit, at most MaxLedgerLimit) from entry
// index From on. A page also ends before its reply would pass
// MaxLedgerBytes; Next is then the From of the next page.
type LedgerRequest struct {
	From  int `json:"from,omitempty"`
	Limit int `json:"limit,omitempty"`
}

// LedgerPage is the answer to ledger.
type LedgerPage struct {
	Total   int           `json:"total"`
	Entries []LedgerEntry `json:"entries"`
	// Next is the index to read on from; absent on the last page.
	Next int `json:"next,omitempty"`
}

// Paging limits of the ledger verb: NATS refuses payloads above 1 MB by default.
const (
	DefaultLedgerLimit = 1000
	MaxLedgerLimit     = 10000
	MaxLedgerBytes     = 900 << 10
)

func (s *Server) ledger(_ context.Context, body []byte) (any, error) {
	var r LedgerRequest
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	if r.From < 0 {
		return nil, invalid("from %d: want 0 or more", r.From)
	}
	if r.Limit < 0 || r.Limit > MaxLedgerLimit {
		return nil, invalid("limit %d: want 1 to %d (0: %d)", r.Limit, MaxLedgerLimit, DefaultLedgerLimit)
	}
	if r.Limit == 0 {
		r.Limit = DefaultLedgerLimit
	}
	// With a ledger window (simulate --ledger-window) the oldest changes
	// are gone: the page starts at the oldest one kept.
	rest, first := s.cfg.Sim.LedgerFrom(s.cfg.Account, r.From)
	total := first + len(rest)
	page := LedgerPage{Total: total, Entries: []LedgerEntry{}}
	size := 100
	i := first
	for ; i < total && len(page.Entries) < r.Limit; i++ {
		e := rest[i-first]
		ev := schema.Event{Account: s.cfg.Account, Kind: e.EventKind(), Action: e.Action, Peer: e.Peer, MessageID: e.MessageID}
		le := LedgerEntry{
			LedgerEntry: e,
			EventID:     schema.EventID(s.cfg.Account, e.Peer, e.MessageID, e.EventKind(), e.Action, e.Version),
			Subject:     ev.Subject(s.cfg.EventPrefix),
		}
		b, err := json.Marshal(le)
		if err != nil {
			return nil, err
		}
		if size+len(b)+1 > MaxLedgerBytes && len(page.Entries) > 0 {
			break
		}
		size += len(b) + 1
		page.Entries = append(page.Entries, le)
	}
	if i < total {
		page.Next = i
	}
	return page, nil
}

// callCounts answers how many calls of each TL method the account made (calls).
func (s *Server) callCounts(_ context.Context, body []byte) (any, error) {
	var r struct{}
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	return struct {
		Calls map[string]int `json:"calls"`
	}{s.cfg.Sim.Calls(s.cfg.Account)}, nil
}

// FaultRequest injects one fault (fault); see sim.Fault for the kinds and
// their fields. Account is always the surface's account.
type FaultRequest struct {
	sim.Fault
}

func (s *Server) fault(ctx context.Context, body []byte) (any, error) {
	var r FaultRequest
	if err := decode(body, &r.Fault); err != nil {
		return nil, err
	}
	if r.Account != "" && r.Account != s.cfg.Account {
		return nil, invalid("account %q: this surface serves %q", r.Account, s.cfg.Account)
	}
	r.Account = s.cfg.Account
	if err := r.Validate(); err != nil {
		return nil, err
	}
	id, err := s.cfg.Sim.Inject(ctx, r.Fault)
	if err != nil {
		return nil, err
	}
	out := struct {
		sim.Fault
		Chat *Chat `json:"chat,omitempty"`
	}{Fault: r.Fault}
	if r.Kind == sim.FaultHistory {
		out.Chat = &Chat{Kind: schema.PeerChannel, ID: id}
	}
	return out, nil
}

// servedCalls answers the calls the simulator served the account, in
// order (actions: the verb and its JSON field keep their first name).
func (s *Server) servedCalls(_ context.Context, body []byte) (any, error) {
	var r struct{}
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	calls := s.cfg.Sim.ServedCalls(s.cfg.Account)
	if calls == nil {
		calls = []sim.Call{}
	}
	return struct {
		Calls []sim.Call `json:"actions"`
	}{calls}, nil
}

// FileRequest names a message whose file to describe (message.file).
type FileRequest struct {
	Chat      Chat `json:"chat"`
	MessageID int  `json:"message_id"`
}

func (r *FileRequest) validate() error { return checkMessage(r.Chat, r.MessageID) }

// messageFile answers the file of a message: id, kind, size, mime, name
// and the sha256 of its content (sim.MediaFile).
func (s *Server) messageFile(ctx context.Context, body []byte) (any, error) {
	var r FileRequest
	if err := decodeValid(body, &r); err != nil {
		return nil, err
	}
	return s.cfg.Sim.MessageFile(ctx, s.cfg.Account, r.Chat, r.MessageID)
}
