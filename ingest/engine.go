package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gotd/td/clock"
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/mapping"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// API is the part of the Telegram API the engine invokes. *tg.Client
// satisfies it.
type API interface {
	UpdatesGetState(ctx context.Context) (*tg.UpdatesState, error)
	UpdatesGetDifference(ctx context.Context, req *tg.UpdatesGetDifferenceRequest) (tg.UpdatesDifferenceClass, error)
	UpdatesGetChannelDifference(ctx context.Context, req *tg.UpdatesGetChannelDifferenceRequest) (tg.UpdatesChannelDifferenceClass, error)
	MessagesGetHistory(ctx context.Context, req *tg.MessagesGetHistoryRequest) (tg.MessagesMessagesClass, error)
	MessagesGetMessages(ctx context.Context, id []tg.InputMessageClass) (tg.MessagesMessagesClass, error)
	// ChannelsGetChannels fetches a channel after updateChannel (fetch.go).
	ChannelsGetChannels(ctx context.Context, id []tg.InputChannelClass) (tg.MessagesChatsClass, error)
}

var _ API = (*tg.Client)(nil)

// Store is the part of the state store the engine uses. *state.Store
// satisfies it.
type Store interface {
	UpdateState() (state.UpdateState, bool, error)
	Channels() ([]state.ChannelState, error)
	Commit(c *state.Commit) error
	MessagePeer(msgID int) (schema.PeerRef, bool)
	PollMessage(pollID int64) (schema.PeerRef, int, bool)
	WebPageMessages(pageID int64) []state.WebPageEntry
	Peer(ref schema.PeerRef) (state.Peer, error)
}

var _ Store = (*state.Store)(nil)

// EngineConfig configures an Engine.
type EngineConfig struct {
	// Account is the configured short name of the account.
	Account string
	// Self is the account's own user id (needed to map short private messages).
	Self int64
	// API and Store are required.
	API   API
	Store Store
	// Encoder turns events into outbox records.
	Encoder schema.Encoder
	// GapTimeout is how long an update gap may stay open before the engine
	// asks for the difference. Default 500ms (Telegram's recommendation).
	GapTimeout time.Duration
	// IdleTimeout is how long without any update before the engine asks for
	// the difference anyway. Default 15m.
	IdleTimeout time.Duration
	// DifferenceLimit is the limit passed to getChannelDifference. Default 100.
	DifferenceLimit int
	// BackfillDepth bounds how many messages are fetched from history after
	// a too-long difference. Default 100.
	BackfillDepth int
	// BackfillOnJoin reads a channel first seen while running from its
	// start (pts 1), publishing its history up to BackfillDepth messages as
	// message.created. Off by default: a newly joined channel is followed
	// from the position Telegram gives for it, so only what happens after
	// the join is published.
	BackfillOnJoin bool
	// QueueSize bounds the updates waiting for the Run loop. Default 1024.
	QueueSize int
	// Clock is the time source for timers. Default clock.System. gotd's
	// clock.Clock is tgnats' one clock: packages that only read the time
	// (state, publisher, egress, sim) take its Now method as a
	// func() time.Time, so one fake (gotd/neo's Time) drives them all.
	Clock clock.Clock
	// Metrics may be nil.
	Metrics *Metrics
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Live, when set, gets the live signals of ephemeral updates (typing,
	// online status; mapping.Live) as they are received. It must not
	// block: signals bypass the batch and the outbox (best effort).
	Live func(*schema.LiveSignal)
	// MarkFile, when set, is called on each event before it is committed:
	// it returns the object the event's file is to be stored in before the
	// event is published, having named it in the event (the automatic
	// download, egress.AutoDownloadMark), or "". The outbox record of a
	// marked event carries the object in the schema.HeaderFileObject
	// header, for the publisher's Prepare.
	MarkFile func(*schema.Event) string
}

func (c *EngineConfig) setDefaults() {
	if c.GapTimeout <= 0 {
		c.GapTimeout = 500 * time.Millisecond
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 15 * time.Minute
	}
	if c.DifferenceLimit <= 0 {
		c.DifferenceLimit = 100
	}
	if c.BackfillDepth <= 0 {
		c.BackfillDepth = 100
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	if c.Clock == nil {
		c.Clock = clock.System
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
}

// Validate reports a configuration the engine cannot run with.
func (c *EngineConfig) Validate() error {
	switch {
	case c.Account == "":
		return errors.New("ingest: engine: account is required")
	case c.API == nil:
		return errors.New("ingest: engine: API is required")
	case c.Store == nil:
		return errors.New("ingest: engine: store is required")
	}
	return nil
}

// Engine sequences the updates of one account and commits the events derived
// from them together with the update state. Create one with NewEngine, feed it
// with Handle and run it with Run; after Run returns, create a new one.
type Engine struct {
	cfg EngineConfig
	log *slog.Logger
	in  chan tg.UpdatesClass
	// resync asks the Run loop for a difference (after a reconnect).
	resync chan struct{}

	caughtUp atomic.Bool
	// wakeups counts Run loop iterations (also in Metrics), for tests of
	// an idle engine.
	wakeups atomic.Int64
	// traces holds the traceparents of commands' updates (trace.go).
	traces traces

	// Everything below is owned by the Run goroutine. The positions live
	// in st and in the channel boxes; the sequences only hold what waits
	// behind a gap (sequence.go).
	st       state.UpdateState
	channels map[int64]*channelBox
	// holding is the channels whose box holds updates behind a gap (see
	// holdChanged): durableDate reads only those, not every channel.
	holding  map[int64]*channelBox
	common   sequence[pendingUpdate] // position st.Pts
	qts      sequence[pendingUpdate] // position st.Qts
	seq      sequence[*container]    // position st.Seq
	needDiff bool
	chanDiff map[int64]bool // channels whose difference is wanted
	// chanFetch holds the channels to fetch after updateChannel (fetch.go).
	chanFetch map[int64]*channelFetch
	// roundIDs holds the ids of the events of position-less updates
	// committed during the current getDifference round (dropRepeated).
	roundIDs map[string]struct{}
	// liveFrom is the state date at the end of the last getDifference:
	// a channel whose date (the account's join date) is not before it was
	// joined while the engine followed live pushes (liveJoin).
	liveFrom int
	// committedDate is the state date last stored (see durableDate).
	committedDate int
	lastSeen      time.Time
	// since is the date of the last state known before the current
	// catch-up: a channel first met in it publishes what is newer.
	since int
	b     batch
}

// channelBox is the update sequence of one channel. A Pts of 0 means its
// position is not known yet: the channel is seeded from Telegram (see
// applyChannel and channelTooLongUpdate).
type channelBox struct {
	state.ChannelState
	gap sequence[pendingUpdate] // position Pts
	// disabled: Telegram refused its difference for good (kicked, private).
	// Its buffer is dropped; any later update of the channel revives it.
	disabled bool
	// notBefore holds its next difference back: the backoff after a
	// transient failure.
	notBefore time.Time
	// polling: a pushed updateChannelTooLong said Telegram does not push
	// this channel's updates; it is polled at the interval its differences
	// give (their timeout, pollAt) until a push of it arrives.
	polling  bool
	pollAt   time.Time
	failures int // transient failures in a row
	// reported is when updateChannelTooLong named the channel while it
	// had no position: it is seeded once the reorder window passed, from
	// its pushes if any arrived meanwhile, else from Telegram.
	reported time.Time
	// since is the date from which a channel read from its start while
	// seeding publishes (see channelDifference).
	since int
	// joined: updateChannel came while the channel had no position (the
	// account joined it): it starts at its first pushes, not before.
	joined bool
}

// wake is when the channel needs the Run loop: its gap's deadline, but not
// before notBefore.
func (c *channelBox) wake(gapTimeout time.Duration) (time.Time, bool) {
	d, open := c.gap.deadline(gapTimeout)
	if !open || c.disabled {
		return time.Time{}, false
	}
	if c.notBefore.After(d) {
		d = c.notBefore
	}
	return d, true
}

// pendingUpdate is an update waiting for a gap before it to fill.
type pendingUpdate struct {
	u    tg.UpdateClass
	ent  tg.Entities
	date int
}

// container is an Updates or UpdatesCombined push.
type container struct {
	updates  []tg.UpdateClass
	ent      tg.Entities
	date     int
	seqStart int
	seq      int
}

// trust says which box's updates come from a difference and so skip the pts
// check: the difference itself carries the new position.
type trust struct {
	common  bool
	channel int64
}

// NewEngine returns an engine for cfg.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Engine{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "ingest.engine", "account", cfg.Account),
		in:       make(chan tg.UpdatesClass, cfg.QueueSize),
		resync:   make(chan struct{}, 1),
		channels: map[int64]*channelBox{},
		holding:  map[int64]*channelBox{},
		chanDiff: map[int64]bool{},

		chanFetch: map[int64]*channelFetch{},
	}, nil
}

// Handle queues an update pushed by Telegram. It is safe for concurrent use
// and is meant to be the gotd client's UpdateHandler. It blocks while the
// queue is full.
func (e *Engine) Handle(ctx context.Context, u tg.UpdatesClass) error {
	if tp := schema.TraceParentFrom(ctx); tp != "" {
		e.traces.note(u, tp)
	}
	select {
	case e.in <- u:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Resync asks the engine to fetch the difference, as Telegram expects after
// a connection is re-established. Safe for concurrent use; never blocks.
// Only getDifference is called: channels with news come back in it as
// updateChannelTooLong and only those get getChannelDifference.
func (e *Engine) Resync() {
	select {
	case e.resync <- struct{}{}:
	default:
	}
}

// CaughtUp reports whether the engine has recovered everything it missed
// while it was not running and is now following live updates.
func (e *Engine) CaughtUp() bool { return e.caughtUp.Load() }

// Run recovers what was missed since the last durable position and then
// follows live updates until ctx is done (it returns nil then) or a failure
// stops it (it returns the error; nothing uncommitted is left behind).
func (e *Engine) Run(ctx context.Context) error {
	defer e.caughtUp.Store(false)
	if err := e.start(ctx); err != nil {
		return err
	}
	e.liveFrom = max(e.liveFrom, e.st.Date)
	if e.liveFrom == 0 {
		// No update yet, so no date from Telegram: the local clock,
		// a minute back for skew.
		e.liveFrom = int(e.cfg.Clock.Now().Add(-time.Minute).Unix())
	}
	e.caughtUp.Store(true)
	e.log.Info("caught up", "pts", e.st.Pts, "qts", e.st.Qts, "seq", e.st.Seq, "channels", len(e.channels))

	for {
		if err := e.recoverGaps(ctx); err != nil {
			return err
		}
		t := e.cfg.Clock.Timer(e.nextWake())
		e.wakeups.Add(1)
		e.cfg.Metrics.wakeup(e.cfg.Account)
		select {
		case <-ctx.Done():
			clock.StopTimer(t)
			return nil
		case u := <-e.in:
			clock.StopTimer(t)
			e.lastSeen = e.cfg.Clock.Now()
			e.process(u)
			// Take whatever else is already queued into the same commit.
		drain:
			for i := 0; i < 256; i++ {
				select {
				case u := <-e.in:
					e.process(u)
				default:
					break drain
				}
			}
			if err := e.flush(); err != nil {
				return err
			}
		case <-t.C():
			e.expire()
			if err := e.flush(); err != nil {
				return err
			}
		case <-e.resync:
			clock.StopTimer(t)
			e.needDiff = true
		}
	}
}

// start loads the durable position and recovers everything missed since:
// getDifference only; the channels with news come back in it as
// updateChannelTooLong.
func (e *Engine) start(ctx context.Context) error {
	st, ok, err := e.cfg.Store.UpdateState()
	if err != nil {
		return fmt.Errorf("ingest: load update state: %w", err)
	}
	chans, err := e.cfg.Store.Channels()
	if err != nil {
		return fmt.Errorf("ingest: load channel state: %w", err)
	}
	for _, c := range chans {
		box := &channelBox{ChannelState: c}
		if c.Pts < 0 {
			// Stored before it was seeded: -Pts is its since (flush).
			box.Pts, box.since = 0, -c.Pts
		}
		e.channels[c.ID] = box
	}
	e.lastSeen = e.cfg.Clock.Now()
	if !ok {
		// First start: Telegram's current state is where we begin.
		s, err := e.getState(ctx)
		if err != nil {
			return err
		}
		e.st = state.UpdateState{Pts: s.Pts, Qts: s.Qts, Seq: s.Seq, Date: s.Date}
		e.since = s.Date
		e.b.stateDirty = true
		e.log.Info("first start: following from the current state", "pts", s.Pts, "qts", s.Qts, "seq", s.Seq)
		return e.flush()
	}
	e.st, e.committedDate = st, st.Date
	if err := e.getDifference(ctx); err != nil {
		return err
	}
	return e.recoverGaps(ctx)
}

// nextWake returns how long to wait before the next gap, idle or channel
// deadline. It never asks for a wake-up that has nothing to do.
func (e *Engine) nextWake() time.Duration {
	now := e.cfg.Clock.Now()
	next := e.lastSeen.Add(e.cfg.IdleTimeout)
	consider := func(d time.Time, ok bool) {
		if ok && d.Before(next) {
			next = d
		}
	}
	consider(e.common.deadline(e.cfg.GapTimeout))
	consider(e.qts.deadline(e.cfg.GapTimeout))
	consider(e.seq.deadline(e.cfg.GapTimeout))
	for _, f := range e.chanFetch {
		consider(f.notBefore, true)
	}
	for id, c := range e.channels {
		consider(c.wake(e.cfg.GapTimeout))
		if !c.reported.IsZero() {
			consider(c.reported.Add(e.cfg.GapTimeout), true)
		}
		if e.chanDiff[id] {
			consider(c.notBefore, true)
		}
		if c.polling && !c.disabled {
			consider(c.pollAt, !c.pollAt.IsZero())
		}
	}
	if d := next.Sub(now); d > 0 {
		return d
	}
	return time.Nanosecond
}

// expire turns deadlines that passed into recovery work.
func (e *Engine) expire() {
	now := e.cfg.Clock.Now()
	gt := e.cfg.GapTimeout
	if e.common.due(now, gt) || e.qts.due(now, gt) || e.seq.due(now, gt) {
		e.log.Debug("gap did not fill in time", "pts", e.st.Pts, "qts", e.st.Qts, "seq", e.st.Seq,
			"pending", e.common.len()+e.qts.len()+e.seq.len())
		e.needDiff = true
	}
	for id, c := range e.channels {
		if c.polling && !c.disabled && !c.pollAt.IsZero() && !now.Before(c.pollAt) {
			c.pollAt = time.Time{}
			e.chanDiff[id] = true
		}
		reported := !c.reported.IsZero() && !now.Before(c.reported.Add(gt))
		if c.disabled || !(c.gap.due(now, gt) || reported) {
			continue
		}
		if c.Pts <= 0 {
			// A new channel, after the reorder window. Joined live: it
			// starts just before its earliest push. Otherwise the account
			// was in it already and pushes may have been lost before the
			// first one seen: channelDifference reads it from its start,
			// publishing what is dated since the last catch-up.
			if c.joined && c.gap.len() > 0 {
				e.countDuplicates("channel", c.gap.seed(&c.Pts, e.channelApply(c)))
				e.holdChanged(c)
				e.b.dirtyChannel(id)
				e.log.Info("following a joined channel", "channel", id, "from_pts", c.Pts)
				if c.reported.IsZero() {
					continue
				}
			}
			if c.since == 0 {
				c.since = e.since
			}
			c.reported = time.Time{}
			e.chanDiff[id] = true
			continue
		}
		e.log.Debug("channel gap did not fill in time", "channel", id, "pts", c.Pts)
		e.chanDiff[id] = true
	}
	if !now.Before(e.lastSeen.Add(e.cfg.IdleTimeout)) {
		e.log.Debug("no updates for a while: asking for the difference")
		e.lastSeen = now
		e.needDiff = true
	}
}

// recoverGaps runs the differences that are due. A channel held back by
// Telegram's timeout or by its backoff stays wanted until then.
func (e *Engine) recoverGaps(ctx context.Context) error {
	if e.needDiff {
		if err := e.getDifference(ctx); err != nil {
			return err
		}
	}
	for {
		now := e.cfg.Clock.Now()
		var due []int64
		for id := range e.chanDiff {
			if c := e.channels[id]; c == nil || !c.notBefore.After(now) {
				due = append(due, id)
			}
		}
		if len(due) == 0 {
			return e.fetchChannels(ctx)
		}
		slices.Sort(due)
		for _, id := range due {
			delete(e.chanDiff, id)
			if err := e.channelDifference(ctx, id); err != nil {
				return err
			}
		}
	}
}

// process sequences one push. It does no I/O: what is applied goes into the
// current batch, gaps set deadlines or request differences.
func (e *Engine) process(u tg.UpdatesClass) {
	e.cfg.Metrics.received(e.cfg.Account, u)
	switch u := u.(type) {
	case *tg.UpdatesTooLong:
		e.needDiff = true
	case *tg.UpdateShortMessage:
		refs := []schema.PeerRef{{Kind: schema.PeerUser, ID: u.UserID}}
		if u.Out {
			refs = append(refs, schema.PeerRef{Kind: schema.PeerUser, ID: e.cfg.Self})
		}
		ent, ok := e.shortEntities(refs...)
		if !ok {
			return
		}
		e.applyUpdate(mapping.ShortMessage(u, e.cfg.Self), ent, u.Date, trust{})
	case *tg.UpdateShortChatMessage:
		ent, ok := e.shortEntities(schema.PeerRef{Kind: schema.PeerUser, ID: u.FromID}, schema.PeerRef{Kind: schema.PeerChat, ID: u.ChatID})
		if !ok {
			return
		}
		e.applyUpdate(mapping.ShortChatMessage(u), ent, u.Date, trust{})
	case *tg.UpdateShort:
		// gotd hands updateShortMessage / updateShortChatMessage over in
		// this form, as an updateNewMessage without users or chats: the
		// peers come from the store, as for the short forms above.
		ent := emptyEntities()
		if m, ok := u.Update.(*tg.UpdateNewMessage); ok {
			var known bool
			if ent, known = e.shortEntities(shortMessagePeers(m.Message)...); !known {
				return
			}
		}
		e.applyUpdate(u.Update, ent, u.Date, trust{})
	case *tg.Updates:
		e.container(&container{updates: u.Updates, ent: e.entities(u.Users, u.Chats), date: u.Date, seqStart: u.Seq, seq: u.Seq})
	case *tg.UpdatesCombined:
		e.container(&container{updates: u.Updates, ent: e.entities(u.Users, u.Chats), date: u.Date, seqStart: u.SeqStart, seq: u.Seq})
	default:
		e.log.Debug("ignoring update container", "type", fmt.Sprintf("%T", u))
	}
}

// container applies a push that carries seq in seq order: one whose
// seq_start is not past the local seq was applied already and is ignored,
// one ahead of a seq gap waits for it. A container with seq 0 has no place
// in the sequence and is applied at once.
func (e *Engine) container(c *container) {
	if c.seq == 0 {
		e.applyContainer(c)
		return
	}
	if c.seqStart <= 0 || c.seqStart > c.seq {
		c.seqStart = c.seq
	}
	o := e.seq.push(&e.st.Seq, c.seq, c.seq-c.seqStart+1, c, e.cfg.Clock.Now(), func(c *container) {
		e.applyContainer(c)
		e.b.stateDirty = true
	})
	e.countDuplicates("seq", o)
}

func (e *Engine) applyContainer(c *container) {
	for _, u := range c.updates {
		e.applyUpdate(u, c.ent, c.date, trust{})
	}
	if c.date > e.st.Date {
		e.st.Date = c.date
		e.b.stateDirty = true
	}
}

// countDuplicates counts the updates a sequence ignored as already applied.
func (e *Engine) countDuplicates(box string, o outcome) {
	for range o.duplicates {
		e.cfg.Metrics.duplicate(e.cfg.Account, box)
	}
}

// applyUpdate routes one update to the box its constructor belongs to.
func (e *Engine) applyUpdate(u tg.UpdateClass, ent tg.Entities, date int, tr trust) {
	if id, pts, count, ok := channelPts(u); ok {
		if id == 0 {
			// A channel update whose message names no channel
			// (messageEmpty): it belongs to some channel's box, never to
			// the common one, and carries nothing to publish.
			e.cfg.Metrics.skip(e.cfg.Account, "channel_update_without_channel")
			e.log.Debug("channel update without a channel skipped", "type", typeName(u), "pts", pts)
			return
		}
		e.applyChannel(id, u, pts, count, ent, date, tr.channel == id)
		return
	}
	if pts, count, ok := commonPts(u); ok {
		e.applyCommon(pendingUpdate{u: u, ent: ent, date: date}, pts, count, tr.common)
		return
	}
	if qu, ok := u.(interface{ GetQts() int }); ok {
		if tr.common {
			e.emit(u, ent, date)
			return
		}
		o := e.qts.push(&e.st.Qts, qu.GetQts(), 1, pendingUpdate{u: u, ent: ent, date: date}, e.cfg.Clock.Now(), e.commonApply)
		e.countDuplicates("qts", o)
		return
	}
	switch u := u.(type) {
	case *tg.UpdateChannelTooLong:
		e.channelTooLongUpdate(u, tr.common)
	case *tg.UpdateChannel:
		// Joined, left, kicked or changed: a channel Telegram refused
		// before may be readable again; one without a position was just
		// joined and starts at its first pushes.
		c := e.channels[u.ChannelID]
		switch {
		case c != nil && c.disabled:
			e.revive(c)
			e.chanDiff[u.ChannelID] = true
		case !tr.common && (c == nil || c.Pts <= 0) && !e.cfg.BackfillOnJoin && e.liveJoin(u.ChannelID, ent):
			e.channel(u.ChannelID).joined = true
		}
		// It names only the channel: what changed is fetched (fetch.go).
		e.fetchChannel(u.ChannelID, ent, date)
		return
	}
	e.emit(u, ent, date)
}

// liveJoin reports whether updateChannel of channel id, which the engine
// has no position for, says the account just joined it. Telegram sends
// updateChannel for a rename or a new photo too, and the engine may lack
// a position for a channel the account has long been in (state restored
// from an older checkpoint): only a channel whose date, the date the
// account joined it, is not before the end of the last catch-up was
// joined live. Any other is read from its start, so that nothing sent
// since the last catch-up is skipped.
func (e *Engine) liveJoin(id int64, ent tg.Entities) bool {
	ch, ok := ent.Channels[id]
	return ok && !ch.Left && e.liveFrom > 0 && ch.Date >= e.liveFrom
}

// commonApply emits an update of the common box (pts or qts) whose turn has
// come; the sequence then moves the position, committed with the batch.
func (e *Engine) commonApply(p pendingUpdate) {
	e.emit(p.u, p.ent, p.date)
	e.b.stateDirty = true
}

func (e *Engine) applyCommon(p pendingUpdate, pts, count int, trusted bool) {
	if trusted {
		e.emit(p.u, p.ent, p.date)
		return
	}
	o := e.common.push(&e.st.Pts, pts, count, p, e.cfg.Clock.Now(), e.commonApply)
	e.countDuplicates("common", o)
}

// channelApply returns the apply function of channel c's sequence.
func (e *Engine) channelApply(c *channelBox) func(pendingUpdate) {
	return func(p pendingUpdate) {
		e.emit(p.u, p.ent, p.date)
		e.b.dirtyChannel(c.ID)
	}
}

// channel returns the box of channel id, creating it. A new box has no
// position (Pts 0) unless BackfillOnJoin asks to read it from its start.
func (e *Engine) channel(id int64) *channelBox {
	c := e.channels[id]
	if c == nil {
		c = &channelBox{ChannelState: state.ChannelState{ID: id}}
		if e.cfg.BackfillOnJoin {
			c.Pts = 1
		}
		e.channels[id] = c
	}
	return c
}

// revive follows a channel again after Telegram refused its difference.
func (e *Engine) revive(c *channelBox) {
	c.disabled = false
	c.failures = 0
	c.notBefore = time.Time{}
	e.log.Info("channel shows up again: following it", "channel", c.ID)
}

func (e *Engine) applyChannel(id int64, u tg.UpdateClass, pts, count int, ent tg.Entities, date int, trusted bool) {
	_, known := e.channels[id]
	box := e.channel(id)
	if !known && e.cfg.BackfillOnJoin {
		e.b.dirtyChannel(id)
		e.log.Info("following a new channel from its start", "channel", id)
		if !trusted && pts-count > box.Pts {
			e.chanDiff[id] = true
		}
	}
	if box.disabled {
		e.revive(box)
	}
	if !trusted && box.polling {
		// Pushed again: no more polling.
		box.polling, box.pollAt = false, time.Time{}
	}
	if box.Pts <= 0 && box.since == 0 {
		// Pushes before this one may be lost: a channel read from its
		// start publishes what is dated since the last catch-up.
		box.since = e.since
	}
	if ch, ok := ent.Channels[id]; ok && !ch.Min && ch.AccessHash != 0 && ch.AccessHash != box.AccessHash {
		box.AccessHash = ch.AccessHash
		e.b.dirtyChannel(id)
	}
	if trusted {
		e.emit(u, ent, date)
		return
	}
	// A channel without a position holds its first pushes for the
	// reorder window (expire seeds it); they arrive in any order.
	o := box.gap.push(&box.Pts, pts, count, pendingUpdate{u: u, ent: ent, date: date}, e.cfg.Clock.Now(), e.channelApply(box))
	e.holdChanged(box)
	e.countDuplicates("channel", o)
}

// holdChanged keeps holding in step with box's gap buffer; every change of
// a channel's buffer is followed by it.
func (e *Engine) holdChanged(box *channelBox) {
	if box.gap.len() > 0 {
		e.holding[box.ID] = box
	} else {
		delete(e.holding, box.ID)
	}
}

// channelTooLongUpdate handles updateChannelTooLong: Telegram has news in
// the channel that the client must fetch. A known channel is asked for its
// difference unless it is already at the pts the update gives. A channel
// never seen waits the reorder window for its pushes (expire): seeded from
// them if any came, else read from its start by channelDifference, which
// publishes only what is dated since the state the news came after (older
// history only with BackfillOnJoin).
func (e *Engine) channelTooLongUpdate(u *tg.UpdateChannelTooLong, inDifference bool) {
	id := u.ChannelID
	pts, hasPts := u.GetPts()
	box := e.channel(id)
	if box.disabled {
		e.revive(box)
	}
	if !inDifference {
		// Pushed: Telegram is not pushing this channel (a large channel,
		// or too much at once): fetch it now, then poll it as its
		// differences ask.
		box.polling = true
		if box.Pts > 0 {
			e.chanDiff[id] = true
			return
		}
	}
	if box.Pts <= 0 && !e.cfg.BackfillOnJoin {
		// In a difference, the news happened since the state it started
		// from; pushed live, since the last update applied (a join).
		since := e.st.Date
		if inDifference {
			since = e.since
		}
		if box.since == 0 {
			box.since = since
		}
		// Its pushes may be right behind in the queue (pushes arrive in
		// any order): give them the reorder window (expire).
		if box.reported.IsZero() {
			box.reported = e.cfg.Clock.Now()
		}
		return
	}
	if hasPts && box.Pts >= pts && box.gap.len() == 0 {
		return // nothing we do not have
	}
	e.chanDiff[id] = true
}

// emit maps an update and adds its events to the batch.
func (e *Engine) emit(u tg.UpdateClass, ent tg.Entities, date int) {
	evs, err := mapping.Update(e.cfg.Account, u, ent, date, batchResolver{store: e.cfg.Store, b: &e.b})
	var ignored *mapping.IgnoredError
	switch {
	case errors.As(err, &ignored):
		// On purpose (mapping's table gives the reason): counted only;
		// ephemeral ones go to the live subjects when configured.
		e.cfg.Metrics.ignored(e.cfg.Account, ignored.Type)
		if e.cfg.Live != nil {
			if sig, ok := mapping.Live(e.cfg.Account, u, ent, e.cfg.Clock.Now()); ok {
				e.cfg.Live(sig)
			}
		}
		return
	case errors.Is(err, mapping.ErrUnclassified):
		e.cfg.Metrics.mappingError(e.cfg.Account, u)
		e.log.Warn("update of a constructor this version does not classify: no event", "type", typeName(u))
		return
	case err != nil:
		e.cfg.Metrics.mappingError(e.cfg.Account, u)
		e.log.Warn("update could not be mapped", "type", fmt.Sprintf("%T", u), "error", err)
		return
	}
	for i := range evs {
		e.addEvent(&evs[i])
	}
}

// addEvent adds one event to the batch with its index and high-water marks.
func (e *Engine) addEvent(ev *schema.Event) {
	if e.cfg.MarkFile != nil {
		e.cfg.MarkFile(ev)
	}
	e.b.events = append(e.b.events, *ev)
	e.cfg.Metrics.unsupported(e.cfg.Account, ev)
	e.rememberWebPage(ev)
	if ev.Action != schema.ActionCreated || ev.MessageID == 0 {
		return
	}
	if m, ok := ev.Data.(*schema.Message); ok && m.Media != nil && m.Media.PollID != "" && ev.Peer.Kind.Valid() {
		// poll.updated names only the poll: remember its message.
		if id, err := strconv.ParseInt(m.Media.PollID, 10, 64); err == nil && id != 0 {
			e.b.addPoll(id, ev.Peer, ev.MessageID)
		}
	}
	switch ev.Peer.Kind {
	case schema.PeerUser, schema.PeerChat:
		e.b.addIndex(ev.MessageID, ev.Peer)
		if ev.MessageID > e.st.MaxMessageID {
			e.st.MaxMessageID = ev.MessageID
			e.b.stateDirty = true
		}
	case schema.PeerChannel:
		box := e.channel(ev.Peer.ID)
		if ev.MessageID > box.MaxMessageID {
			box.MaxMessageID = ev.MessageID
			e.b.dirtyChannel(ev.Peer.ID)
		}
	}
}

// rememberWebPage links a message created with a link preview still
// pending, or edited with a preview, to its web page, with its body: updateWebPage names only
// the page, and its message.edited is built from this body (mapping.
// WebPageResolver). The body, not a fetch of the message, so the edit is
// made in the update's turn, without a call, and the same on a replay.
func (e *Engine) rememberWebPage(ev *schema.Event) {
	m, ok := ev.Data.(*schema.Message)
	if !ok || ev.Kind != schema.KindMessage || m.Media == nil || m.Media.Type != mapping.MediaWebPage ||
		ev.MessageID <= 0 || !ev.Peer.Kind.Valid() || ev.Peer.Kind == schema.PeerUnknown {
		return
	}
	// A new message only while its preview is pending; an edit with a
	// preview in any state, so that the body a later updateWebPage of the
	// page (a changed page) edits is the latest.
	if !m.Media.Pending && ev.Action != schema.ActionEdited {
		return
	}
	id, err := strconv.ParseInt(m.Media.WebPageID, 10, 64)
	if err != nil || id == 0 {
		return
	}
	body, err := json.Marshal(m)
	if err != nil {
		e.log.Warn("message with a pending link preview not remembered", "id", ev.ID, "error", err)
		return
	}
	e.b.addWebPage(id, ev.Peer, ev.MessageID, body)
}

// markedFile returns the object EngineConfig.MarkFile named in ev, or "".
func markedFile(ev *schema.Event) string {
	if m, ok := ev.Data.(*schema.Message); ok && ev.Action == schema.ActionCreated && m.Media != nil && m.Media.File != nil {
		return m.Media.File.Object
	}
	return ""
}

// flush commits the batch: outbox records, update state, channel states,
// index entries and peers, in one synced write.
func (e *Engine) flush() error {
	if e.b.empty() {
		return nil
	}
	c := &state.Commit{Index: e.b.index, Peers: e.b.peerList(), Polls: e.b.pollList(), WebPages: e.b.webPages}
	for i := range e.b.events {
		if ev := &e.b.events[i]; ev.TraceParent == "" {
			ev.TraceParent = e.traces.take(ev)
		}
		msg, err := e.cfg.Encoder.Encode(&e.b.events[i])
		if err != nil {
			// An event we cannot encode is a bug, not a reason to stall
			// the account: count it loudly and go on.
			e.cfg.Metrics.mappingError(e.cfg.Account, nil)
			e.log.Error("event could not be encoded", "id", e.b.events[i].ID, "error", err)
			continue
		}
		if name := markedFile(&e.b.events[i]); name != "" {
			msg.Header[schema.HeaderFileObject] = []string{name}
		}
		c.Events = append(c.Events, state.OutboxRecord{
			Subject: msg.Subject,
			MsgID:   e.b.events[i].ID,
			Header:  msg.Header,
			Data:    msg.Data,
			Created: e.cfg.Clock.Now(),
		})
	}
	if e.b.stateDirty {
		st := e.st
		st.Date = e.durableDate()
		c.State = &st
	}
	for id := range e.b.channels {
		if box := e.channels[id]; box != nil {
			cs := box.ChannelState
			if cs.Pts <= 0 && box.since > 0 {
				// Not seeded yet: keep the date it publishes from across
				// a restart, as a negative pts (start reads it back).
				cs.Pts = -box.since
			}
			c.Channels = append(c.Channels, cs)
		}
	}
	if err := e.cfg.Store.Commit(c); err != nil {
		return fmt.Errorf("ingest: commit %d events: %w", len(c.Events), err)
	}
	if c.State != nil {
		e.committedDate = c.State.Date
	}
	for i := range e.b.events {
		e.cfg.Metrics.event(e.cfg.Account, &e.b.events[i])
	}
	e.b = batch{}
	return nil
}

// durableDate is the state date a commit may store: never after a channel
// update the engine holds unapplied (behind a gap, or in a channel whose
// difference is still to fetch, or an updateChannel whose channel is still
// to fetch). getDifference names only the channels
// changed since the date it is given, so a later stored date would hide
// such a channel after a crash, and what the engine held of it would never
// be published. The date in memory moves on; only what is stored waits.
func (e *Engine) durableDate() int {
	d := e.st.Date
	if (len(e.chanDiff) > 0 || len(e.chanFetch) > 0) && e.committedDate > 0 {
		d = min(d, e.committedDate)
	}
	for _, box := range e.holding {
		for _, h := range box.gap.pending {
			if h.v.date > 0 {
				d = min(d, h.v.date)
			}
		}
	}
	return d
}

// entities indexes the users and chats delivered with a push and records
// them as peers.
func (e *Engine) entities(users []tg.UserClass, chats []tg.ChatClass) tg.Entities {
	ent := emptyEntities()
	for _, u := range users {
		if u, ok := u.(*tg.User); ok {
			ent.Users[u.ID] = u
			e.b.addPeer(state.Peer{Kind: schema.PeerUser, ID: u.ID, AccessHash: u.AccessHash, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username, Bot: u.Bot, Min: u.Min})
		}
	}
	for _, c := range chats {
		switch c := c.(type) {
		case *tg.Chat:
			ent.Chats[c.ID] = c
			e.b.addPeer(state.Peer{Kind: schema.PeerChat, ID: c.ID, Title: c.Title})
		case *tg.Channel:
			ent.Channels[c.ID] = c
			e.b.addPeer(state.Peer{Kind: schema.PeerChannel, ID: c.ID, AccessHash: c.AccessHash, Title: c.Title, Username: c.Username, Broadcast: c.Broadcast, Min: c.Min})
		}
	}
	return ent
}

// shortMessagePeers lists the users and basic group a message from a short
// push names.
func shortMessagePeers(mc tg.MessageClass) []schema.PeerRef {
	m, ok := mc.(*tg.Message)
	if !ok {
		return nil
	}
	var refs []schema.PeerRef
	for _, p := range []tg.PeerClass{m.PeerID, m.FromID} {
		switch p := p.(type) {
		case *tg.PeerUser:
			refs = append(refs, schema.PeerRef{Kind: schema.PeerUser, ID: p.UserID})
		case *tg.PeerChat:
			refs = append(refs, schema.PeerRef{Kind: schema.PeerChat, ID: p.ChatID})
		}
	}
	return refs
}

// shortEntities rebuilds what a short push leaves out, the peers it names,
// from the current batch and the peer store. A short push carries no users
// or chats: when one of them is new, its access hash and names come only
// with getDifference, so it reports false and asks for the difference
// instead, as Telegram's update documentation says; the difference returns
// the same message with its peers. The account's own user is never waited
// for (sending needs no access hash of it).
func (e *Engine) shortEntities(refs ...schema.PeerRef) (tg.Entities, bool) {
	ent := emptyEntities()
	for _, ref := range refs {
		p, ok := e.b.peers[ref]
		if !ok {
			var err error
			if p, err = e.cfg.Store.Peer(ref); err != nil {
				if ref.Kind == schema.PeerUser && ref.ID == e.cfg.Self {
					continue
				}
				e.log.Debug("short update names an unknown peer; fetching the difference", "peer", ref.PartitionKey())
				e.needDiff = true
				return ent, false
			}
		}
		switch ref.Kind {
		case schema.PeerUser:
			ent.Users[p.ID] = &tg.User{ID: p.ID, Self: p.ID == e.cfg.Self, AccessHash: p.AccessHash, FirstName: p.FirstName, LastName: p.LastName, Username: p.Username, Bot: p.Bot}
		case schema.PeerChat:
			ent.Chats[p.ID] = &tg.Chat{ID: p.ID, Title: p.Title}
		}
	}
	return ent, true
}

func emptyEntities() tg.Entities {
	return tg.Entities{Users: map[int64]*tg.User{}, Chats: map[int64]*tg.Chat{}, Channels: map[int64]*tg.Channel{}}
}

// channelPts returns the channel and position of a channel-box update. ok
// says the update's constructor belongs to a channel box; id is 0 when its
// message names no channel (messageEmpty without peer_id).
func channelPts(u tg.UpdateClass) (id int64, pts, count int, ok bool) {
	switch u := u.(type) {
	case *tg.UpdateNewChannelMessage:
		return channelOf(u.Message), u.Pts, u.PtsCount, true
	case *tg.UpdateEditChannelMessage:
		return channelOf(u.Message), u.Pts, u.PtsCount, true
	case *tg.UpdateDeleteChannelMessages:
		return u.ChannelID, u.Pts, u.PtsCount, true
	case *tg.UpdatePinnedChannelMessages:
		return u.ChannelID, u.Pts, u.PtsCount, true
	case *tg.UpdateChannelWebPage:
		return u.ChannelID, u.Pts, u.PtsCount, true
	}
	return 0, 0, 0, false
}

// commonPts returns the position of a common-box update.
func commonPts(u tg.UpdateClass) (pts, count int, ok bool) {
	p, ok := u.(interface {
		GetPts() int
		GetPtsCount() int
	})
	if !ok {
		return 0, 0, false
	}
	return p.GetPts(), p.GetPtsCount(), true
}

func channelOf(m tg.MessageClass) int64 {
	var peer tg.PeerClass
	switch m := m.(type) {
	case *tg.Message:
		peer = m.PeerID
	case *tg.MessageService:
		peer = m.PeerID
	case *tg.MessageEmpty:
		peer, _ = m.GetPeerID()
	}
	if p, ok := peer.(*tg.PeerChannel); ok {
		return p.ChannelID
	}
	return 0
}
