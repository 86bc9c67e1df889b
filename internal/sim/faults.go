package sim

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/schema"
)

// The fault surface: every case of Telegram's update documentation a client
// must survive, injected through one entry point, Inject (the control
// surface's `fault` verb and Scenario.Faults call it too). Faults that
// change the world (a channel left or joined, qts updates, a channel with
// history) are journaled ops like any other change; push and call faults
// are transient and do not survive a restart.

// Fault kinds.
const (
	// FaultWithhold records changes without pushing them while On.
	FaultWithhold = "withhold"
	// FaultTooLong pushes updatesTooLong to Account.
	FaultTooLong = "too_long"
	// FaultDuplicate pushes each of the next N pushes twice.
	FaultDuplicate = "duplicate"
	// FaultReorder holds back the next N pushes and sends them reversed.
	FaultReorder = "reorder"
	// FaultQts produces N qts updates (updateBotStopped of User, default
	// the first user that is not an account) for Account: each advances
	// the account's qts and is pushed in its own updates container (seq 0);
	// getDifference returns them in other_updates.
	FaultQts = "qts"
	// FaultCombine sends the next N common-box pushes of Account as one
	// updatesCombined (seq_start..seq). With Drop the container is lost: a
	// seq gap across a container of several updates, which only
	// getDifference fills.
	FaultCombine = "combine"
	// FaultReplay pushes Account's last container with a seq again: its
	// seq_start is at or below the client's seq, which must ignore it.
	FaultReplay = "replay"
	// FaultLeave makes Account leave (be kicked from) Channel: an
	// updateChannel push, then no pushes of the channel and CHANNEL_PRIVATE
	// on getChannelDifference. Its ledger goes on: a rejoin makes the
	// changes made meanwhile reachable from the account's old pts.
	FaultLeave = "channel.leave"
	// FaultJoin makes Account (re)join Channel, with an updateChannel push.
	// A channel created by FaultHistory is then followed from the join on.
	FaultJoin = "channel.join"
	// FaultHistory creates a broadcast channel that no account is in, with
	// N posts (Inject's result is its id); join it with FaultJoin.
	FaultHistory = "channel.history"
	// FaultChannelTooLong pushes updateChannelTooLong for Channel to Account.
	FaultChannelTooLong = "channel.too_long"
	// FaultQuiet withholds Channel's pushes, as Telegram does for large
	// channels a client does not look at, and makes getChannelDifference
	// answer timeout Seconds: the client must poll. Seconds 0 ends it.
	FaultQuiet = "channel.quiet"
	// FaultCallError makes the next Times calls (default 1) of Method (a
	// TL name, "" or "*" for any) answer error Code with type Error; Code
	// 420 without Error is FLOOD_WAIT_<Seconds>. Times 0 clears the rule.
	FaultCallError = "call.error"
	// FaultChannelEmpty pushes updateNewChannelMessage carrying a
	// messageEmpty (no peer) in Channel: it moves the channel's pts and
	// changes nothing a consumer sees.
	FaultChannelEmpty = "channel.empty"
	// FaultDropConnections closes every client connection.
	FaultDropConnections = "drop_connections"
)

// FaultKinds lists the kinds Inject accepts, sorted.
func FaultKinds() []string {
	k := []string{FaultWithhold, FaultTooLong, FaultDuplicate, FaultReorder, FaultQts, FaultCombine, FaultReplay,
		FaultLeave, FaultJoin, FaultHistory, FaultChannelTooLong, FaultChannelEmpty, FaultQuiet, FaultCallError, FaultDropConnections}
	slices.Sort(k)
	return k
}

// Fault is one injected fault; Kind says which fields apply.
type Fault struct {
	Kind    string `json:"kind"`
	Account string `json:"account,omitempty"` // default: the first account
	Channel int64  `json:"channel,omitempty"`
	User    int64  `json:"user,omitempty"`
	N       int    `json:"n,omitempty"`
	On      bool   `json:"on,omitempty"`
	Drop    bool   `json:"drop,omitempty"`
	Title   string `json:"title,omitempty"`
	Method  string `json:"method,omitempty"`
	Code    int    `json:"code,omitempty"`
	Error   string `json:"error,omitempty"`
	Seconds int    `json:"seconds,omitempty"`
	Times   int    `json:"times,omitempty"`
}

var errTypeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// maxFaultN bounds N: a fault is a test step, not a load generator.
const maxFaultN = 100000

// Validate checks the fields Kind uses.
func (f *Fault) Validate() error {
	if !slices.Contains(FaultKinds(), f.Kind) {
		return fmt.Errorf("%w: fault kind %q: want one of %s", ErrInvalid, f.Kind, strings.Join(FaultKinds(), ", "))
	}
	if f.N < 0 || f.N > maxFaultN {
		return fmt.Errorf("%w: n %d: want 0 to %d", ErrInvalid, f.N, maxFaultN)
	}
	if f.Seconds < 0 || f.Seconds > 86400 {
		return fmt.Errorf("%w: seconds %d: want 0 to 86400", ErrInvalid, f.Seconds)
	}
	if f.Times < 0 || f.Times > maxFaultN {
		return fmt.Errorf("%w: times %d: want 0 to %d", ErrInvalid, f.Times, maxFaultN)
	}
	switch f.Kind {
	case FaultLeave, FaultJoin, FaultChannelTooLong, FaultChannelEmpty, FaultQuiet:
		if f.Channel <= 0 {
			return fmt.Errorf("%w: channel %d: want a channel id", ErrInvalid, f.Channel)
		}
	case FaultCombine, FaultQts, FaultHistory:
		if f.N <= 0 {
			return fmt.Errorf("%w: n is required", ErrInvalid)
		}
	case FaultCallError:
		if _, err := methodID(f.Method); err != nil {
			return err
		}
		if f.Code < 300 || f.Code > 599 {
			return fmt.Errorf("%w: code %d: want an RPC error code (300 to 599)", ErrInvalid, f.Code)
		}
		if f.Error == "" && f.Code != 420 {
			return fmt.Errorf("%w: error is required (e.g. PERSISTENT_TIMESTAMP_INVALID)", ErrInvalid)
		}
		if f.Error != "" && !errTypeRE.MatchString(f.Error) {
			return fmt.Errorf("%w: error %q: want an upper-case error type", ErrInvalid, f.Error)
		}
	}
	return nil
}

// methodID resolves a TL method name; "" and "*" are AnyMethod.
func methodID(name string) (uint32, error) {
	if name == "" || name == "*" {
		return AnyMethod, nil
	}
	id, ok := tg.NamesMap()[name]
	if !ok || !strings.Contains(name, ".") {
		return 0, fmt.Errorf("%w: method %q: want a TL method name such as updates.getDifference, or \"*\"", ErrInvalid, name)
	}
	return id, nil
}

// Inject applies f. The result is the id of what it created (the channel
// of FaultHistory), else 0.
func (s *Sim) Inject(ctx context.Context, f Fault) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := f.Validate(); err != nil {
		return 0, err
	}
	switch f.Kind {
	case FaultWithhold:
		s.Withhold(f.On)
	case FaultDuplicate:
		s.DuplicateNext(f.N)
	case FaultReorder:
		s.ReorderNext(f.N)
	case FaultDropConnections:
		s.DropConnections()
	case FaultCallError:
		id, _ := methodID(f.Method)
		times := f.Times
		if times == 0 {
			times = 1
		}
		typ := f.Error
		if typ == "" {
			typ = "FLOOD_WAIT_" + strconv.Itoa(f.Seconds)
		}
		s.failCalls(id, tgerr.New(f.Code, typ), times)
	case FaultQuiet:
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.w.channels[f.Channel]; !ok {
			return 0, fmt.Errorf("%w: channel %d", ErrNotFound, f.Channel)
		}
		if f.Seconds == 0 {
			delete(s.f.quiet, f.Channel)
		} else {
			s.f.quiet[f.Channel] = f.Seconds
		}
	case FaultLeave, FaultJoin:
		_, err := s.change(&op{Kind: opMember, Account: f.Account, Chat: schema.PeerRef{Kind: schema.PeerChannel, ID: f.Channel}, Flag: f.Kind == FaultJoin})
		return 0, err
	case FaultChannelEmpty:
		_, err := s.change(&op{Kind: opEmpty, Chat: schema.PeerRef{Kind: schema.PeerChannel, ID: f.Channel}})
		return 0, err
	case FaultQts:
		_, err := s.change(&op{Kind: opQts, Account: f.Account, From: f.User, Count: f.N})
		return 0, err
	case FaultHistory:
		title := f.Title
		if title == "" {
			title = "History"
		}
		return s.change(&op{Kind: opHistory, Title: title, Count: f.N})
	default:
		return 0, s.injectPush(f)
	}
	return 0, nil
}

// injectPush applies the faults of one account's pushes.
func (s *Sim) injectPush(f Fault) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.w.account(f.Account)
	if err != nil {
		return err
	}
	switch f.Kind {
	case FaultTooLong:
		s.metrics.fault("too_long")
		s.enqueueLocked(push{Account: a.Name, TooLong: true})
	case FaultCombine:
		s.f.combine[a.Name] = &combining{left: f.N, drop: f.Drop}
	case FaultReplay:
		q, ok := s.f.lastSeq[a.Name]
		if !ok {
			return fmt.Errorf("%w: no container with a seq pushed to %s yet", ErrNotFound, a.Name)
		}
		s.metrics.fault("replayed")
		s.pushers[a.Name].add(q)
	case FaultChannelTooLong:
		ch, ok := s.w.channels[f.Channel]
		if !ok {
			return fmt.Errorf("%w: channel %d", ErrNotFound, f.Channel)
		}
		s.metrics.fault("channel_too_long")
		rf := newRefs()
		rf.peer(schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ID})
		s.pushers[a.Name].add(queued{account: a.Name, updates: &tg.Updates{
			Updates: []tg.UpdateClass{&tg.UpdateChannelTooLong{ChannelID: ch.ID, Pts: ch.Box.Pts}},
			Chats:   s.w.tgChats(rf), Date: int(s.cfg.Now().Unix()),
		}})
	}
	return nil
}

// callRule is a FaultCallError (or FloodWait) rule.
type callRule struct {
	err   *tgerr.Error
	times int
}

// AnyMethod, as FloodWait's method, matches every call whose own method
// has no rule.
const AnyMethod uint32 = 0

// FloodWait makes the next times calls of the TL method with id method
// (AnyMethod: of any method) answer 420 FLOOD_WAIT_<seconds>.
func (s *Sim) FloodWait(method uint32, seconds, times int) {
	s.failCalls(method, tgerr.New(420, "FLOOD_WAIT_"+strconv.Itoa(seconds)), times)
}

func (s *Sim) failCalls(method uint32, err *tgerr.Error, times int) {
	s.net.Lock()
	defer s.net.Unlock()
	if times <= 0 {
		delete(s.rules, method)
		return
	}
	s.rules[method] = callRule{err: err, times: times}
}

// takeRule returns the error the next call of method is to answer.
func (s *Sim) takeRule(method uint32) (*tgerr.Error, bool) {
	s.net.Lock()
	defer s.net.Unlock()
	r, ok := s.rules[method]
	if !ok {
		method = AnyMethod
		if r, ok = s.rules[method]; !ok {
			return nil, false
		}
	}
	r.times--
	if r.times <= 0 {
		delete(s.rules, method)
	} else {
		s.rules[method] = r
	}
	return r.err, true
}

// combining collects the pushes of a FaultCombine.
type combining struct {
	left int
	drop bool
	buf  []push
}

// combineLocked takes p into account's pending updatesCombined; it reports
// false when p is not to be combined. s.mu must be held.
func (s *Sim) combineLocked(p push) bool {
	c := s.f.combine[p.Account]
	if c == nil || p.TooLong || p.Callback != nil || p.HasExclude || p.Qts != nil || p.Channel != 0 {
		return false
	}
	c.buf = append(c.buf, p)
	c.left--
	if c.left > 0 {
		return true
	}
	delete(s.f.combine, p.Account)
	u := s.w.buildCombined(c.buf)
	if c.drop {
		s.metrics.fault("container_lost")
		return true
	}
	s.metrics.fault("combined")
	q := queued{account: p.Account, updates: u}
	s.noteSeqLocked(q)
	s.pushers[p.Account].add(q)
	return true
}

// noteSeqLocked remembers q when it carries a seq, for FaultReplay.
func (s *Sim) noteSeqLocked(q queued) {
	switch u := q.updates.(type) {
	case *tg.Updates:
		if u.Seq != 0 {
			s.f.lastSeq[q.account] = q
		}
	case *tg.UpdatesCombined:
		if u.Seq != 0 {
			s.f.lastSeq[q.account] = q
		}
	}
}

// buildCombined renders pushes of one account's common box as one
// updatesCombined: seq_start is the first seq, seq the last.
func (w *world) buildCombined(ps []push) *tg.UpdatesCombined {
	a := w.byName[ps[0].Account]
	r := newRefs()
	u := &tg.UpdatesCombined{}
	for i := range ps {
		ev := &ps[i].Event
		w.eventRefs(r, 0, ev)
		u.Updates = append(u.Updates, w.tgEventUpdate(a, 0, ev))
		u.Date = max(u.Date, ev.Date)
		if !ev.NoSeq {
			if u.SeqStart == 0 {
				u.SeqStart = ev.Seq
			}
			u.Seq = ev.Seq
		}
	}
	u.Users, u.Chats = w.tgUsers(a, r), w.tgChats(r)
	return u
}

// qtsEvent is one qts update of an account: updateBotStopped of User.
type qtsEvent struct {
	Qts     int
	Date    int
	User    int64
	Stopped bool
}

func (q *qtsEvent) update() *tg.UpdateBotStopped {
	return &tg.UpdateBotStopped{UserID: q.User, Date: q.Date, Stopped: q.Stopped, Qts: q.Qts}
}

// applyFault applies the journaled ops of the fault surface.
func (w *world) applyFault(o *op) (int64, error) {
	date := int(o.Now)
	switch o.Kind {
	case opMember:
		a, err := w.account(o.Account)
		if err != nil {
			return 0, err
		}
		ch, ok := w.channels[o.Chat.ID]
		if !ok || o.Chat.Kind != schema.PeerChannel {
			return 0, fmt.Errorf("%w: channel %s", ErrNotFound, o.Chat)
		}
		if o.Flag == ch.member(a.Name) {
			return 0, nil // already in (or out)
		}
		if o.Flag {
			delete(ch.Kicked, a.Name)
			delete(ch.Outside, a.Name)
		} else {
			if ch.Kicked == nil {
				ch.Kicked = map[string]bool{}
			}
			ch.Kicked[a.Name] = true
		}
		if w.live {
			w.pushes = append(w.pushes, push{Account: a.Name, ChannelUpdate: ch.ID})
		}
		return ch.ID, nil
	case opQts:
		a, err := w.account(o.Account)
		if err != nil {
			return 0, err
		}
		user := o.From
		if user == 0 {
			for _, id := range w.userOrder {
				if !w.isAccountUser(id) {
					user = id
					break
				}
			}
		}
		if _, ok := w.users[user]; !ok || user == 0 {
			return 0, fmt.Errorf("%w: user %d for a qts update", ErrNotFound, user)
		}
		for i := range o.Count {
			a.Qts++
			q := qtsEvent{Qts: a.Qts, Date: date, User: user, Stopped: i%2 == 0}
			a.QtsEvents = append(a.QtsEvents, q)
			a.Box.Date = max(a.Box.Date, date)
			if w.live {
				w.pushes = append(w.pushes, push{Account: a.Name, Qts: &q})
			}
		}
		return int64(a.Qts), nil
	case opEmpty:
		ch, ok := w.channels[o.Chat.ID]
		if !ok || o.Chat.Kind != schema.PeerChannel {
			return 0, fmt.Errorf("%w: channel %s", ErrNotFound, o.Chat)
		}
		b := ch.Box
		b.Pts++
		b.Date = max(b.Date, date)
		ev := event{Pts: b.Pts, PtsCount: 1, Date: date, Kind: evEmpty, Msg: message{ID: b.NextID + 1}, NoSeq: true}
		b.Events = append(b.Events, ev)
		w.touchChannel(ch, date)
		for _, a := range w.accounts {
			w.channelPush(ch, a, ev)
		}
		return 0, nil
	case opHistory:
		id, err := w.createChat(schema.PeerChannel, o.Title, date, true, nil)
		if err != nil {
			return 0, err
		}
		ch := w.channels[id]
		ch.Outside = map[string]bool{}
		for _, a := range w.accounts {
			ch.Outside[a.Name] = true
		}
		for i := range o.Count {
			if _, err := w.sendChannel(&Outgoing{Chat: schema.PeerRef{Kind: schema.PeerChannel, ID: id}, Text: "history " + strconv.Itoa(i+1)}, nil, date); err != nil {
				return 0, err
			}
		}
		return id, nil
	}
	return 0, fmt.Errorf("%w: unknown op %q", ErrInvalid, o.Kind)
}

// qtsAfter returns a's qts updates after qts.
func (a *account) qtsAfter(qts int) []qtsEvent {
	i, _ := slices.BinarySearchFunc(a.QtsEvents, qts+1, func(e qtsEvent, q int) int { return e.Qts - q })
	return a.QtsEvents[i:]
}
