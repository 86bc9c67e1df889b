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
// history) are journaled ops (fault_world.go); push and call faults are
// transient, held in one faultState under one mutex (faultstate.go), and
// do not survive a restart. Adding a fault: its kind here (constant,
// FaultKinds, Validate, inject), its state or op, and the place it acts;
// the control surface's fault verb serves every kind as is.

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
	// 420 without Error is FLOOD_WAIT_<Seconds>. Times 0 means once;
	// Sim.FloodWait with times <= 0 clears the rule.
	// With Account set only that account's calls are answered so (one
	// account's FLOOD_WAIT beside others that go on); else every account's.
	FaultCallError = "call.error"
	// FaultChannelEmpty pushes updateNewChannelMessage carrying a
	// messageEmpty (no peer) in Channel: it moves the channel's pts and
	// changes nothing a consumer sees.
	FaultChannelEmpty = "channel.empty"
	// FaultDropConnections closes every client connection.
	FaultDropConnections = "drop_connections"
	// FaultHoldReply makes the next Times calls (default 1) of Method (a TL
	// name) take effect without their reply ever being sent, as for a
	// client that dies before it learns the outcome.
	FaultHoldReply = "call.hold_reply"
	// FaultShortSent, while On, answers private text and media sends with
	// updateShortSentMessage, as Telegram does, instead of updates.
	FaultShortSent = "call.short_sent"
	// FaultExpireRefs expires every file reference given out so far:
	// upload.getFile and sends of known media with an older reference
	// answer FILE_REFERENCE_EXPIRED; messages fetched again carry the new
	// one (files.go). With N > 0 they expire once N more file parts have
	// been served: in the middle of a download. Not journaled: a restart
	// revives old references.
	FaultExpireRefs = "file.expire_refs"
	// FaultExpireUploads forgets the parts the account uploaded and has
	// not sent yet (ExpireUploads): a later sendMedia of them answers
	// FILE_PARTS_INVALID. Journaled.
	FaultExpireUploads = "file.expire_uploads"
)

// FaultKinds lists the kinds Inject accepts, sorted.
func FaultKinds() []string {
	k := []string{FaultWithhold, FaultTooLong, FaultDuplicate, FaultReorder, FaultQts, FaultCombine, FaultReplay,
		FaultLeave, FaultJoin, FaultHistory, FaultChannelTooLong, FaultChannelEmpty, FaultQuiet, FaultCallError, FaultDropConnections,
		FaultHoldReply, FaultShortSent, FaultExpireRefs, FaultExpireUploads}
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
	case FaultHoldReply:
		if id, err := methodID(f.Method); err != nil {
			return err
		} else if id == AnyMethod {
			return fmt.Errorf("%w: method is required (e.g. messages.sendMessage)", ErrInvalid)
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
	method, _ := methodID(f.Method)
	if (f.Kind == FaultCallError || f.Kind == FaultHoldReply) && f.Times == 0 {
		f.Times = 1
	}
	return s.inject(f, method)
}

// inject applies a valid fault, method being f.Method resolved: every
// fault goes through here, the shortcuts' too. Times <= 0 clears the rule
// of FaultCallError and FaultHoldReply.
func (s *Sim) inject(f Fault, method uint32) (int64, error) {
	channel := schema.PeerRef{Kind: schema.PeerChannel, ID: f.Channel}
	switch f.Kind {
	case FaultWithhold:
		s.setWithhold(f.On)
	case FaultDuplicate:
		s.setDuplicate(f.N)
	case FaultReorder:
		s.setReorder(f.N)
	case FaultDropConnections:
		s.DropConnections()
	case FaultCallError:
		typ := f.Error
		if typ == "" {
			typ = "FLOOD_WAIT_" + strconv.Itoa(f.Seconds)
		}
		s.f.setRule(f.Account, method, tgerr.New(f.Code, typ), f.Times)
	case FaultHoldReply:
		s.f.setHold(method, f.Times)
	case FaultShortSent:
		s.f.setShortSent(f.On)
	case FaultExpireUploads:
		if _, err := s.ExpireUploads(f.Account); err != nil {
			return 0, err
		}
	case FaultExpireRefs:
		s.mu.Lock()
		if f.N > 0 {
			s.w.expireAfter = f.N
		} else {
			s.w.refEpoch++
		}
		s.mu.Unlock()
	case FaultQuiet:
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.w.channels[f.Channel]; !ok {
			return 0, fmt.Errorf("%w: channel %d", ErrNotFound, f.Channel)
		}
		s.f.setQuiet(f.Channel, f.Seconds)
	case FaultLeave, FaultJoin:
		_, err := s.change(&op{Body: &memberOp{Account: f.Account, Chat: channel, Join: f.Kind == FaultJoin}})
		return 0, err
	case FaultChannelEmpty:
		_, err := s.change(&op{Body: &emptyOp{Chat: channel}})
		return 0, err
	case FaultQts:
		_, err := s.change(&op{Body: &qtsOp{Account: f.Account, From: f.User, Count: f.N}})
		return 0, err
	case FaultHistory:
		title := f.Title
		if title == "" {
			title = "History"
		}
		return s.change(&op{Body: &historyOp{Title: title, Count: f.N}})
	case FaultTooLong, FaultCombine, FaultReplay, FaultChannelTooLong:
		return 0, s.injectPush(f)
	default:
		return 0, fmt.Errorf("%w: fault kind %q", ErrInvalid, f.Kind)
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
		s.f.setCombine(a.Name, f.N, f.Drop)
	case FaultReplay:
		q, ok := s.f.lastContainer(a.Name)
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

// AnyMethod, as FloodWait's method, matches every call whose own method
// has no rule.
const AnyMethod uint32 = 0

// The shortcuts below are Inject with the fault's fields as arguments.

// Withhold makes the simulator record changes without pushing them while
// on; a client only learns about them through getDifference (FaultWithhold).
func (s *Sim) Withhold(on bool) {
	_, _ = s.inject(Fault{Kind: FaultWithhold, On: on}, AnyMethod)
}

// DuplicateNext pushes each of the next n pushes twice (FaultDuplicate).
func (s *Sim) DuplicateNext(n int) {
	_, _ = s.inject(Fault{Kind: FaultDuplicate, N: n}, AnyMethod)
}

// ReorderNext holds back the next n pushes (of all accounts) and sends them
// in reverse order once the n-th is produced (FaultReorder).
func (s *Sim) ReorderNext(n int) {
	_, _ = s.inject(Fault{Kind: FaultReorder, N: n}, AnyMethod)
}

// PushTooLong pushes updatesTooLong to account, which must then call
// getDifference (FaultTooLong). An unknown account gets nothing.
func (s *Sim) PushTooLong(account string) {
	if account == "" {
		return // not the default account, unlike Fault.Account
	}
	_, _ = s.inject(Fault{Kind: FaultTooLong, Account: account}, AnyMethod)
}

// FloodWait makes the next times calls of the TL method with id method
// (AnyMethod: of any method) answer 420 FLOOD_WAIT_<seconds>
// (FaultCallError); times <= 0 clears the rule.
func (s *Sim) FloodWait(method uint32, seconds, times int) {
	s.FloodWaitFor("", method, seconds, times)
}

// FloodWaitFor is FloodWait for the calls of one account ("": of every
// account).
func (s *Sim) FloodWaitFor(account string, method uint32, seconds, times int) {
	_, _ = s.inject(Fault{Kind: FaultCallError, Account: account, Code: 420, Seconds: seconds, Times: times}, method)
}

// HoldReplies makes the next n calls of the TL method with id method take
// effect (world, ledger, ServedCalls, pushes to other sessions) without
// their reply ever being sent: the caller waits until it gives up or dies
// (FaultHoldReply). n <= 0 clears the rule.
func (s *Sim) HoldReplies(method uint32, n int) {
	_, _ = s.inject(Fault{Kind: FaultHoldReply, Times: n}, method)
}

// ShortSentReplies makes messages.sendMessage and messages.sendMedia to a
// private chat answer updateShortSentMessage (id, pts, date, entities, out,
// and the media of a media send), as Telegram does, instead of an updates
// container: the client must build the message from its request. Off by
// default (FaultShortSent).
func (s *Sim) ShortSentReplies(on bool) {
	_, _ = s.inject(Fault{Kind: FaultShortSent, On: on}, AnyMethod)
}
