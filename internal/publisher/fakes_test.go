package publisher

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/state"
	"github.com/tgnats/tgnats/state/statetest"
)

// memOutbox is the shared in-memory state store, seen as an Outbox.
type memOutbox struct{ *statetest.MemStore }

var _ Outbox = memOutbox{}

func newMemOutbox() memOutbox { return memOutbox{statetest.NewMemStore(nil)} }

// add commits recs to the outbox, as the engine does.
func (o memOutbox) add(recs ...state.OutboxRecord) {
	if err := o.Commit(&state.Commit{Events: recs}); err != nil {
		panic(err)
	}
}

func (o memOutbox) depth() int { d, _ := o.OutboxStats(); return d }

// event returns the record of the n-th event (from 0) of a private chat.
func event(chat int64, n int) state.OutboxRecord {
	id := fmt.Sprintf("acc:user:%d:%d:message.created", chat, n)
	return state.OutboxRecord{
		Subject: fmt.Sprintf("tg.acc.events.message.created.user.%d", chat),
		MsgID:   id,
		Header: map[string][]string{
			"Nats-Msg-Id":     {id},
			"ce-id":           {id},
			"ce-partitionkey": {fmt.Sprintf("user:%d", chat)},
		},
		Data: fmt.Appendf(nil, `{"chat":%d,"n":%d}`, chat, n),
	}
}

// events returns n events for each of chats chats, interleaved across chats.
func events(chats, n int) []state.OutboxRecord {
	var recs []state.OutboxRecord
	for i := range n {
		for c := range chats {
			recs = append(recs, event(int64(c+1), i))
		}
	}
	return recs
}

// outcome is what fakeJS does with one publish attempt.
type outcome int

const (
	ack        outcome = iota // store (dedupe by msg id) and ack
	failSync                  // PublishMsgAsync returns an error
	failAsync                 // the future reports an error, nothing stored
	storeNoAck                // stored, but the ack is lost
	hold                      // nothing happens until release
)

// fakeJS is a JetStream with a stream in memory that dedupes by msg id and
// fails the publishes its decide function picks.
type fakeJS struct {
	mu       sync.Mutex
	decide   func(msgID string, attempt int) outcome
	attempts map[string]int
	stored   []*nats.Msg
	ids      map[string]bool // stored msg ids
	acked    map[string]bool // msg ids whose ack was delivered
	overlap  int             // publishes sent while one of the same chat was unresolved
	// ackTimeout is the publisher's: an unresolved publish older than
	// this may legitimately be retried, so it is no overlap.
	ackTimeout time.Duration
	held       []heldPub
	async      bool // queue ack and failAsync outcomes until resolveAll
}

type heldPub struct {
	msg  *nats.Msg
	fut  *fakeFuture
	then outcome // ack or failAsync
	at   time.Time
}

var _ JetStream = (*fakeJS)(nil)

func newFakeJS(decide func(string, int) outcome) *fakeJS {
	if decide == nil {
		decide = func(string, int) outcome { return ack }
	}
	return &fakeJS{decide: decide, attempts: map[string]int{}, ids: map[string]bool{}, acked: map[string]bool{}, ackTimeout: time.Hour}
}

func (f *fakeJS) setDecide(decide func(string, int) outcome) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.decide = decide
}

func (f *fakeJS) PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := m.Header.Get(jetstream.MsgIDHeader)
	if id == "" {
		return nil, fmt.Errorf("fake: no %s header", jetstream.MsgIDHeader)
	}
	f.attempts[id]++
	o := f.decide(id, f.attempts[id])
	if o == failSync {
		return nil, nats.ErrConnectionClosed
	}
	key := m.Header.Get("ce-partitionkey")
	for _, h := range f.held {
		if h.msg.Header.Get("ce-partitionkey") == key && time.Since(h.at) < f.ackTimeout {
			f.overlap++
		}
	}
	fut := &fakeFuture{msg: m, ok: make(chan *jetstream.PubAck, 1), err: make(chan error, 1)}
	if f.async && (o == ack || o == failAsync) {
		f.held = append(f.held, heldPub{msg: m, fut: fut, then: o, at: time.Now()})
		return fut, nil
	}
	switch o {
	case ack:
		fut.ok <- f.store(m)
		f.acked[id] = true
	case failAsync:
		fut.err <- jetstream.ErrNoStreamResponse
	case storeNoAck:
		f.store(m)
	case hold:
		f.held = append(f.held, heldPub{msg: m, fut: fut, then: ack, at: time.Now()})
	}
	return fut, nil
}

// store adds m to the stream unless its id is stored already. Lock held.
func (f *fakeJS) store(m *nats.Msg) *jetstream.PubAck {
	id := m.Header.Get(jetstream.MsgIDHeader)
	if f.ids[id] {
		return &jetstream.PubAck{Stream: "FAKE", Duplicate: true}
	}
	f.ids[id] = true
	f.stored = append(f.stored, m)
	return &jetstream.PubAck{Stream: "FAKE", Sequence: uint64(len(f.stored))}
}

// release stores and acks every held publish of the given msg ids.
func (f *fakeJS) release(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held = slices.DeleteFunc(f.held, func(h heldPub) bool {
		id := h.msg.Header.Get(jetstream.MsgIDHeader)
		if !slices.Contains(ids, id) {
			return false
		}
		h.fut.ok <- f.store(h.msg)
		f.acked[id] = true
		return true
	})
}

// resolveAll resolves every queued publish, newest first.
func (f *fakeJS) resolveAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.held) - 1; i >= 0; i-- {
		h := f.held[i]
		if h.then == failAsync {
			h.fut.err <- jetstream.ErrNoStreamResponse
			continue
		}
		h.fut.ok <- f.store(h.msg)
		f.acked[h.msg.Header.Get(jetstream.MsgIDHeader)] = true
	}
	f.held = nil
}

func (f *fakeJS) overlaps() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.overlap
}

func (f *fakeJS) heldIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, h := range f.held {
		ids = append(ids, h.msg.Header.Get(jetstream.MsgIDHeader))
	}
	return ids
}

func (f *fakeJS) wasAcked(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acked[id]
}

func (f *fakeJS) storedMsgs() []*nats.Msg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.stored)
}

func (f *fakeJS) totalAttempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, a := range f.attempts {
		n += a
	}
	return n
}

type fakeFuture struct {
	msg *nats.Msg
	ok  chan *jetstream.PubAck
	err chan error
}

func (f *fakeFuture) Ok() <-chan *jetstream.PubAck { return f.ok }
func (f *fakeFuture) Err() <-chan error            { return f.err }
func (f *fakeFuture) Msg() *nats.Msg               { return f.msg }

// logSink is a slog.Handler that keeps records.
type logSink struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r.Clone())
	return nil
}
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler { return s }
func (s *logSink) WithGroup(string) slog.Handler      { return s }

// count returns how many records at level have message msg.
func (s *logSink) count(level slog.Level, msg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.recs {
		if r.Level == level && r.Message == msg {
			n++
		}
	}
	return n
}

// runPublisher runs p until the test ends and checks Run's result.
func runPublisher(t *testing.T, p *Publisher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// The state store is the production Outbox.
var _ Outbox = (*state.Store)(nil)
