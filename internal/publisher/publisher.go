package publisher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// Outbox is the part of the state store the publisher drains.
// *state.Store satisfies it.
type Outbox interface {
	// OutboxRead returns up to limit records with Seq > after, in Seq order.
	OutboxRead(after uint64, limit int) ([]state.OutboxRecord, error)
	// OutboxAck deletes the records with the given sequence numbers.
	OutboxAck(seqs ...uint64) error
	// OutboxNotify is signalled after new records are committed.
	OutboxNotify() <-chan struct{}
	// OutboxStats reports the number of records and the creation time of the oldest.
	OutboxStats() (depth int, oldest time.Time)
}

// JetStream is the one call the publisher makes; jetstream.JetStream satisfies it.
type JetStream interface {
	PublishMsgAsync(m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error)
}

var _ JetStream = (jetstream.JetStream)(nil)

// Sentinel errors; callers branch on them with errors.Is.
var (
	// ErrInvalidConfig reports a Config that New rejects.
	ErrInvalidConfig = errors.New("publisher: invalid config")
	// ErrRunning reports a Run or Drain while another is active.
	ErrRunning = errors.New("publisher: already running")
	// ErrAckTimeout is the publish failure recorded when no ack arrives in Config.AckTimeout.
	ErrAckTimeout = errors.New("publisher: ack timeout")
	// ErrNotDrained reports a Drain that ended before the outbox was empty.
	ErrNotDrained = errors.New("publisher: outbox not drained")
)

// warnEvery is the least time between two outage warnings.
const warnEvery = 30 * time.Second

// Config configures a Publisher.
type Config struct {
	// Account is the configured short name of the account; a metrics label.
	Account string
	// Outbox is drained into JS.
	Outbox Outbox
	// JS publishes; a jetstream.JetStream.
	JS JetStream
	// Window is the most records read from the outbox and not yet acked. Default 1024.
	Window int
	// NoBatch publishes one event per chat at a time with PublishMsgAsync,
	// even where the server offers fast batch publishing.
	NoBatch bool
	// AckTimeout is how long a publish may wait for its ack before it is
	// retried. Default 5s.
	AckTimeout time.Duration
	// MinBackoff and MaxBackoff bound the pause after failed publishes,
	// doubling per consecutive failure. Defaults 100ms and 5s.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
	// Registerer receives the metrics; nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock for ages and log throttling. Default time.Now. A
	// clock.Clock's Now fits; see ingest.EngineConfig.Clock.
	Now func() time.Time
	// Prepare, when set, is called for each record that carries the
	// schema.HeaderFileObject header (an event naming an object of the
	// automatic download), on a goroutine of its own, as soon as the
	// record is read from the outbox: it makes sure the object is stored
	// and returns the record to publish, without the header (and, when the
	// file could not be stored, without the object). It must return
	// within a bounded time, and return early when ctx ends (the record is
	// then prepared again by the next Run). Meanwhile the record and the
	// records of its chat behind it wait; other chats go on.
	// Without Prepare the header is dropped and the record published as is.
	Prepare func(ctx context.Context, rec state.OutboxRecord) state.OutboxRecord
}

func (c *Config) setDefaults() {
	if c.Window == 0 {
		c.Window = 1024
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = 5 * time.Second
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports every problem of c, each wrapping ErrInvalidConfig.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, a...)...))
	}
	if c.Account == "" {
		bad("account: required")
	}
	if c.Outbox == nil {
		bad("outbox: required")
	}
	if c.JS == nil {
		bad("js: required")
	}
	if c.Window < 1 {
		bad("window: must be positive, got %d", c.Window)
	}
	if c.AckTimeout < 0 {
		bad("ack timeout: must be positive, got %s", c.AckTimeout)
	}
	if c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff {
		bad("backoff: need 0 < min <= max, got %s and %s", c.MinBackoff, c.MaxBackoff)
	}
	return errors.Join(errs...)
}

// Publisher drains an Outbox into JetStream. See the package documentation.
type Publisher struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics

	running  atomic.Bool
	buffered atomic.Int64 // records read and not yet acked, while running
}

// New returns a Publisher; it starts nothing.
func New(cfg Config) (*Publisher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Publisher{cfg: cfg, log: cfg.Logger.With("component", "publisher", "account", cfg.Account)}
	m, err := newMetrics(cfg.Account, cfg.Registerer, p.outboxGauges)
	if err != nil {
		return nil, err
	}
	p.metrics = m
	return p, nil
}

// Run publishes until ctx is done, then returns nil. It returns an error
// only when the outbox fails. Unacknowledged publishes are abandoned on
// return; their records stay in the outbox for the next Run or Drain.
func (p *Publisher) Run(ctx context.Context) error {
	return p.run(ctx, false)
}

// Drain publishes until the outbox is empty and returns nil, or returns an
// error wrapping ErrNotDrained and ctx.Err() when ctx ends first. Meant for
// graceful shutdown, after Run has returned and producers have stopped.
func (p *Publisher) Drain(ctx context.Context) error {
	return p.run(ctx, true)
}

// Idle reports whether the outbox is empty and nothing is in flight.
func (p *Publisher) Idle() bool {
	depth, _ := p.cfg.Outbox.OutboxStats()
	return depth == 0 && p.buffered.Load() == 0
}

func (p *Publisher) outboxGauges() (depth int, oldestAge time.Duration) {
	depth, oldest := p.cfg.Outbox.OutboxStats()
	if depth == 0 || oldest.IsZero() {
		return depth, 0
	}
	return depth, p.cfg.Now().Sub(oldest)
}

func (p *Publisher) run(ctx context.Context, drain bool) error {
	if !p.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer p.running.Store(false)
	l := &loop{
		p:        p,
		more:     true,
		inflight: make(map[string]bool),
		results:  make(chan result, p.cfg.Window),
		prepared: make(chan prepared, p.cfg.Window),
		stop:     make(chan struct{}),
		del:      newDeleter(p.cfg.Outbox),
	}
	defer l.close()
	l.startBatching()
	return l.run(ctx, drain)
}

type entryState uint8

const (
	waiting entryState = iota
	inFlight
	acked
	preparing // Config.Prepare runs for it
)

// entry is an outbox record inside the window.
type entry struct {
	rec   state.OutboxRecord
	key   string // partition key: one publish in flight per key
	state entryState
	sent  time.Time // real time of the current attempt, for latency
	msg   *nats.Msg // the message of fast batches, built once
}

type result struct {
	e   *entry
	ack *jetstream.PubAck
	err error
}

// loop is the state of one Run or Drain; only its goroutine touches it,
// except results, which the ack waiters send on.
type loop struct {
	p        *Publisher
	buf      []*entry // records read and not acked, in Seq order
	cursor   uint64   // Seq of the last record read
	more     bool     // the outbox may hold records after cursor
	inflight map[string]bool
	results  chan result
	prepared chan prepared // records Config.Prepare returned
	stop     chan struct{}
	wg       sync.WaitGroup
	del      *deleter
	bt       *batcher // nil: one publish in flight per chat
	drain    bool     // Drain: commit batches as soon as the outbox is empty

	failures  int         // consecutive failed publishes
	pause     *time.Timer // set while dispatching is paused
	failing   bool
	failSince time.Time
	lastWarn  time.Time
}

func (l *loop) close() {
	close(l.stop)
	if l.pause != nil {
		l.pause.Stop()
	}
	l.stopBatching()
	l.wg.Wait()
	l.del.close()
	l.p.buffered.Store(0)
}

func (l *loop) run(ctx context.Context, drain bool) error {
	l.drain = drain
	notify := l.p.cfg.Outbox.OutboxNotify()
	for {
		if err := l.fill(); err != nil {
			return err
		}
		if l.bt != nil {
			if err := l.dispatchBatch(); err != nil {
				return err
			}
		} else if err := l.dispatch(); err != nil {
			return err
		}
		if drain && len(l.buf) == 0 && !l.more {
			return nil
		}
		var pauseC <-chan time.Time
		if l.pause != nil {
			pauseC = l.pause.C
		}
		var batchC chan *nats.Msg
		if l.bt != nil {
			batchC = l.bt.msgs
		}
		select {
		case <-ctx.Done():
			if drain {
				depth, _ := l.p.cfg.Outbox.OutboxStats()
				return fmt.Errorf("%w: %d events left: %w", ErrNotDrained, depth, ctx.Err())
			}
			return nil
		case <-notify:
			l.more = true
		case <-pauseC:
			l.pause = nil
		case r := <-l.results:
			if err := l.handle(r); err != nil {
				return err
			}
		case pr := <-l.prepared:
			pr.e.rec, pr.e.state = pr.rec, waiting
		case m := <-batchC:
			if err := l.handleBatchMsg(m); err != nil {
				return err
			}
		case <-l.bt.lingerC():
			// dispatch commits the idle batch
		case <-l.bt.timerC():
			if err := l.batchTimeout(); err != nil {
				return err
			}
		case err := <-l.del.errc:
			return fmt.Errorf("publisher: ack outbox: %w", err)
		}
	}
}

// fill reads records after the cursor until the window is full.
func (l *loop) fill() error {
	for l.more && len(l.buf) < l.p.cfg.Window {
		limit := l.p.cfg.Window - len(l.buf)
		recs, err := l.p.cfg.Outbox.OutboxRead(l.cursor, limit)
		if err != nil {
			return fmt.Errorf("publisher: read outbox: %w", err)
		}
		for _, rec := range recs {
			if rec.Seq <= l.cursor {
				return fmt.Errorf("publisher: read outbox: sequence %d after %d", rec.Seq, l.cursor)
			}
			l.cursor = rec.Seq
			e := &entry{rec: rec, key: partitionKey(&rec)}
			l.buf = append(l.buf, e)
			if _, ok := rec.Header[schema.HeaderFileObject]; ok {
				l.prepare(e)
			}
		}
		l.more = len(recs) == limit
	}
	l.p.buffered.Store(int64(len(l.buf)))
	return nil
}

type prepared struct {
	e   *entry
	rec state.OutboxRecord
}

// prepare has Config.Prepare make ready the record of e, which names an
// object; without Prepare it only drops the header.
func (l *loop) prepare(e *entry) {
	if l.p.cfg.Prepare == nil {
		h := maps.Clone(e.rec.Header)
		delete(h, schema.HeaderFileObject)
		e.rec.Header = h
		return
	}
	e.state = preparing
	ctx, cancel := context.WithCancel(context.Background())
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer cancel()
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-l.stop:
				cancel()
			case <-done:
			}
		}()
		rec := l.p.cfg.Prepare(ctx, e.rec)
		if _, ok := rec.Header[schema.HeaderFileObject]; ok {
			rec.Header = maps.Clone(rec.Header)
			delete(rec.Header, schema.HeaderFileObject)
		}
		select {
		case l.prepared <- prepared{e: e, rec: rec}:
		case <-l.stop:
		}
	}()
}

// dispatch publishes every waiting record whose chat has nothing in
// flight or being prepared before it, in outbox order, unless a failure
// paused dispatching. Records rejected for good on the spot are deleted
// from the outbox.
func (l *loop) dispatch() error {
	var rejected []uint64
	var held map[string]bool // chats with a record being prepared
	for _, e := range l.buf {
		if l.pause != nil {
			break
		}
		if e.state == preparing {
			held = holdKey(held, e.key)
			continue
		}
		if e.state != waiting || l.inflight[e.key] || held[e.key] {
			continue
		}
		if err := l.publish(e); err != nil {
			if l.failed(e, err); e.state == acked {
				rejected = append(rejected, e.rec.Seq)
			}
		}
	}
	return l.remove(rejected)
}

// rejectedForGood reports a publish JetStream can never accept, whatever
// is retried: the record is larger than the server's max_payload or the
// stream's max_msg_size.
func rejectedForGood(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, nats.ErrMaxPayload) ||
		errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum
}

func (l *loop) publish(e *entry) error {
	msg := &nats.Msg{Subject: e.rec.Subject, Data: e.rec.Data, Header: make(nats.Header, len(e.rec.Header)+1)}
	for k, v := range e.rec.Header {
		msg.Header[k] = append([]string(nil), v...)
	}
	var opts []jetstream.PublishOpt
	if e.rec.MsgID != "" {
		opts = append(opts, jetstream.WithMsgID(e.rec.MsgID))
	}
	e.sent = time.Now()
	fut, err := l.p.cfg.JS.PublishMsgAsync(msg, opts...)
	if err != nil {
		return err
	}
	e.state = inFlight
	l.inflight[e.key] = true
	l.wg.Add(1)
	go l.await(e, fut)
	return nil
}

// await waits for one publish's outcome and hands it to the loop.
func (l *loop) await(e *entry, fut jetstream.PubAckFuture) {
	defer l.wg.Done()
	timer := time.NewTimer(l.p.cfg.AckTimeout)
	defer timer.Stop()
	r := result{e: e}
	select {
	case r.ack = <-fut.Ok():
	case r.err = <-fut.Err():
	case <-timer.C:
		r.err = ErrAckTimeout
	case <-l.stop:
		return
	}
	select {
	case l.results <- r:
	case <-l.stop:
	}
}

// handle applies r and every other result already waiting, then deletes
// the acknowledged records from the outbox.
func (l *loop) handle(r result) error {
	var seqs []uint64
	for {
		if r.err == nil && r.ack == nil {
			r.err = errors.New("nil ack")
		}
		if r.err != nil {
			l.failed(r.e, r.err)
			if r.e.state == acked { // rejected for good
				seqs = append(seqs, r.e.rec.Seq)
			}
		} else {
			l.succeeded(r.e, r.ack.Duplicate)
			seqs = append(seqs, r.e.rec.Seq)
		}
		select {
		case r = <-l.results:
			continue
		default:
		}
		break
	}
	return l.remove(seqs)
}

// remove takes the records of seqs (acked, or rejected for good) out of
// the window and hands them to the deleter.
func (l *loop) remove(seqs []uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	l.del.add(seqs)
	kept := l.buf[:0]
	for _, e := range l.buf {
		if e.state != acked {
			kept = append(kept, e)
		}
	}
	clear(l.buf[len(kept):])
	l.buf = kept
	l.p.buffered.Store(int64(len(l.buf)))
	return nil
}

func (l *loop) succeeded(e *entry, duplicate bool) {
	e.state = acked
	delete(l.inflight, e.key)
	l.p.metrics.published.Inc()
	if duplicate {
		l.p.metrics.duplicates.Inc()
	}
	l.p.metrics.latency.Observe(time.Since(e.sent).Seconds())
	l.failures = 0
	if l.failing {
		l.failing = false
		l.p.log.Info("publishing to JetStream recovered", "outage", l.p.cfg.Now().Sub(l.failSince).Round(time.Millisecond))
	}
}

// failed puts e back to waiting and pauses dispatching for the backoff;
// a record rejected for good is instead given up loudly (state acked, to be
// deleted from the outbox) so that its chat goes on.
func (l *loop) failed(e *entry, err error) {
	delete(l.inflight, e.key)
	l.p.metrics.errors.Inc()
	if rejectedForGood(err) {
		e.state = acked
		l.p.metrics.rejected.Inc()
		l.p.log.Error("JetStream can never store this event; dropped from the outbox",
			"subject", e.rec.Subject, "msg_id", e.rec.MsgID, "bytes", len(e.rec.Data), "err", err)
		return
	}
	e.state = waiting
	l.failures++
	if l.pause == nil {
		l.pause = time.NewTimer(l.backoff())
	}
	now := l.p.cfg.Now()
	l.p.log.Debug("publish failed, will retry", "subject", e.rec.Subject, "msg_id", e.rec.MsgID, "err", err)
	if !l.failing {
		l.failing = true
		l.failSince = now
		l.lastWarn = time.Time{}
	}
	if l.lastWarn.IsZero() || now.Sub(l.lastWarn) >= warnEvery {
		l.lastWarn = now
		depth, oldest := l.p.cfg.Outbox.OutboxStats()
		var age time.Duration
		if depth > 0 && !oldest.IsZero() {
			age = now.Sub(oldest).Round(time.Millisecond)
		}
		l.p.log.Warn("publishing to JetStream fails; events wait in the outbox",
			"err", err, "outbox_depth", depth, "oldest_age", age,
			"failing_for", now.Sub(l.failSince).Round(time.Millisecond))
	}
}

func (l *loop) backoff() time.Duration {
	d := l.p.cfg.MinBackoff
	for i := 1; i < l.failures && d < l.p.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, l.p.cfg.MaxBackoff)
}

// partitionKey returns the chat a record belongs to: its ce-partitionkey
// header, or else the last two tokens of its subject.
func partitionKey(rec *state.OutboxRecord) string {
	if v := rec.Header[schema.HeaderCEPartitionKey]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	for k, v := range rec.Header {
		if strings.EqualFold(k, schema.HeaderCEPartitionKey) && len(v) > 0 && v[0] != "" {
			return v[0]
		}
	}
	s := rec.Subject
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s
	}
	return s[strings.LastIndexByte(s[:i], '.')+1:]
}
