package sim

import (
	"slices"
	"sync"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"

	"github.com/tgnats/tgnats/schema"
)

// faultState is every transient fault in force (set by Inject, faults.go)
// and the record of the FLOOD_WAIT answers given, under one mutex. Lock
// order: Sim.mu, then faultState.mu; nothing else is locked while holding
// it but the pushers' and the metrics' own leaf mutexes.
type faultState struct {
	mu sync.Mutex

	// Faults of pushes.
	withhold    bool
	dupLeft     int
	reorderLeft int
	reorderBuf  []queued
	combine     map[string]*combining // account → pending updatesCombined
	lastSeq     map[string]queued     // account → last container with a seq
	quiet       map[int64]int         // channel → difference timeout; pushes withheld

	// Faults of calls.
	rules     map[ruleKey]callRule // FaultCallError, by account ("": any) and method (AnyMethod: any)
	hold      map[uint32]int       // FaultHoldReply: replies left to hold, by method
	shortSent bool                 // FaultShortSent
	floods    []FloodAnswer
}

func newFaultState() *faultState {
	return &faultState{
		combine: map[string]*combining{},
		lastSeq: map[string]queued{},
		quiet:   map[int64]int{},
		rules:   map[ruleKey]callRule{},
		hold:    map[uint32]int{},
	}
}

// ruleKey names the calls a FaultCallError rule answers: those of account
// ("": of every account) to method (AnyMethod: to any).
type ruleKey struct {
	account string
	method  uint32
}

// callRule is a FaultCallError rule.
type callRule struct {
	err   *tgerr.Error
	times int
}

// combining collects the pushes of a FaultCombine.
type combining struct {
	left int
	drop bool
	buf  []push
}

// FloodAnswer is one call answered FLOOD_WAIT by a FaultCallError rule.
type FloodAnswer struct {
	Method  uint32
	Peer    schema.PeerRef // the call's peer; zero for calls without one
	Seconds int
	At      time.Time // wall clock
}

// setRule makes the next times calls of method by account ("": by any
// account) answer err; times <= 0 clears the rule.
func (f *faultState) setRule(account string, method uint32, err *tgerr.Error, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := ruleKey{account, method}
	if times <= 0 {
		delete(f.rules, k)
		return
	}
	f.rules[k] = callRule{err: err, times: times}
}

// takeRule returns the error the next call of method by account is to
// answer: the account's own rule for the method, for any method, then the
// rules of every account.
func (f *faultState) takeRule(account string, method uint32) (*tgerr.Error, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range []ruleKey{{account, method}, {account, AnyMethod}, {"", method}, {"", AnyMethod}} {
		r, ok := f.rules[k]
		if !ok {
			continue
		}
		r.times--
		if r.times <= 0 {
			delete(f.rules, k)
		} else {
			f.rules[k] = r
		}
		return r.err, true
	}
	return nil, false
}

// setHold holds back the replies of the next n calls of method; n <= 0
// clears the rule.
func (f *faultState) setHold(method uint32, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if n <= 0 {
		delete(f.hold, method)
		return
	}
	f.hold[method] = n
}

// takeHold reports whether the reply of a call of method is to be held back.
func (f *faultState) takeHold(method uint32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.hold[method]
	if n <= 0 {
		return false
	}
	if n == 1 {
		delete(f.hold, method)
	} else {
		f.hold[method] = n - 1
	}
	return true
}

func (f *faultState) setShortSent(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shortSent = on
}

func (f *faultState) shortSentReplies() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.shortSent
}

// quietTimeout returns the difference timeout of a quiet channel, 0 if it is not quiet.
func (f *faultState) quietTimeout(channel int64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.quiet[channel]
}

func (f *faultState) setQuiet(channel int64, seconds int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if seconds == 0 {
		delete(f.quiet, channel)
	} else {
		f.quiet[channel] = seconds
	}
}

func (f *faultState) setCombine(account string, n int, drop bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.combine[account] = &combining{left: n, drop: drop}
}

func (f *faultState) lastContainer(account string) (queued, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q, ok := f.lastSeq[account]
	return q, ok
}

// Floods returns the FLOOD_WAIT answers given so far, in order.
func (s *Sim) Floods() []FloodAnswer {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return slices.Clone(s.f.floods)
}

// noteFlood records a FLOOD_WAIT answer with the peer of the request.
func (s *Sim) noteFlood(method uint32, seconds int, req *tgtest.Request) {
	a := FloodAnswer{Method: method, Seconds: seconds, At: time.Now()}
	if ctor, ok := tg.TypesConstructorMap()[method]; ok {
		obj := ctor()
		if err := obj.Decode(&bin.Buffer{Buf: slices.Clone(req.Buf.Buf)}); err == nil {
			if p, ok := obj.(interface{ GetPeer() tg.InputPeerClass }); ok {
				a.Peer = inputPeerRef(p.GetPeer())
			}
		}
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.floods = append(s.f.floods, a)
}

// takeHold reports whether the reply of a call of method is to be held back.
func (s *Sim) takeHold(method uint32) bool {
	if !s.f.takeHold(method) {
		return false
	}
	s.metrics.fault("hold_reply")
	return true
}

// enqueueLocked applies the push faults and queues p. s.mu must be held.
func (s *Sim) enqueueLocked(p push) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if p.Channel != 0 && s.f.quiet[p.Channel] > 0 {
		s.metrics.fault("quiet_channel")
		return
	}
	if s.combineLocked(p) {
		return
	}
	u := queued{account: p.Account, updates: s.w.buildPush(p), exclude: p.Exclude, hasEx: p.HasExclude}
	s.noteSeqLocked(u)
	if !p.TooLong && p.Callback == nil && p.Reactions == nil && p.Poll == nil && p.Pushed == nil {
		if s.f.withhold {
			s.metrics.fault("withheld")
			return
		}
		if s.f.reorderLeft > 0 {
			s.metrics.fault("reordered")
			s.f.reorderBuf = append(s.f.reorderBuf, u)
			s.f.reorderLeft--
			if s.f.reorderLeft == 0 {
				buf := s.f.reorderBuf
				s.f.reorderBuf = nil
				for _, q := range slices.Backward(buf) {
					s.pushers[q.account].add(q)
				}
			}
			return
		}
		if s.f.dupLeft > 0 {
			s.f.dupLeft--
			s.metrics.fault("duplicated")
			s.pushers[p.Account].add(u)
		}
	}
	s.pushers[p.Account].add(u)
}

// combineLocked takes p into account's pending updatesCombined; it reports
// false when p is not to be combined. s.mu and s.f.mu must be held.
func (s *Sim) combineLocked(p push) bool {
	c := s.f.combine[p.Account]
	if c == nil || p.TooLong || p.Callback != nil || p.HasExclude || p.Qts != nil || p.Channel != 0 || p.Reactions != nil || p.Poll != nil || p.Pushed != nil || p.Profile != nil || p.Live != nil {
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

// noteSeqLocked remembers q when it carries a seq, for FaultReplay. s.f.mu
// must be held.
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

func (s *Sim) setWithhold(on bool) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.withhold = on
}

func (s *Sim) setDuplicate(n int) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.dupLeft = max(n, 0)
}

// setReorder holds back the next n pushes; n <= 0 sends what is held back.
func (s *Sim) setReorder(n int) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.reorderLeft = max(n, 0)
	if n <= 0 {
		for _, q := range s.f.reorderBuf {
			s.pushers[q.account].add(q)
		}
		s.f.reorderBuf = nil
	}
}
