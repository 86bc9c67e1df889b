package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
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
}

var _ API = (*tg.Client)(nil)

// Store is the part of the state store the engine uses. *state.Store
// satisfies it.
type Store interface {
	UpdateState() (state.UpdateState, bool, error)
	Channels() ([]state.ChannelState, error)
	Commit(c *state.Commit) error
	MessagePeer(msgID int) (schema.PeerRef, bool)
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
	// QueueSize bounds the updates waiting for the Run loop. Default 1024.
	QueueSize int
	// Clock is the time source for timers. Default clock.System.
	Clock clock.Clock
	// Metrics may be nil.
	Metrics *Metrics
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
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
	// traces holds the traceparents of commands' updates (trace.go).
	traces traces

	// Everything below is owned by the Run goroutine.
	st       state.UpdateState
	channels map[int64]*channelBox
	common   gapBuffer
	seqGap   []*container
	seqSince time.Time
	needDiff bool
	chanDiff map[int64]bool
	lastSeen time.Time
	b        batch
}

// channelBox is the update sequence of one channel.
type channelBox struct {
	state.ChannelState
	gap      gapBuffer
	disabled bool // a permanent error: stop asking for its difference
}

// pendingUpdate is a pts update waiting for a gap before it to fill.
type pendingUpdate struct {
	u     tg.UpdateClass
	pts   int
	count int
	ent   tg.Entities
	date  int
}

// gapBuffer holds the updates of one box that arrived ahead of a gap.
type gapBuffer struct {
	pending []pendingUpdate
	since   time.Time // when the gap opened; zero when there is none
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
		chanDiff: map[int64]bool{},
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
	e.caughtUp.Store(true)
	e.log.Info("caught up", "pts", e.st.Pts, "qts", e.st.Qts, "seq", e.st.Seq, "channels", len(e.channels))

	for {
		if err := e.recoverGaps(ctx); err != nil {
			return err
		}
		t := e.cfg.Clock.Timer(e.nextWake())
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
		case <-e.resync:
			clock.StopTimer(t)
			e.needDiff = true
			for id, c := range e.channels {
				if !c.disabled {
					e.chanDiff[id] = true
				}
			}
		}
	}
}

// start loads the durable position and recovers everything missed since.
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
		e.channels[c.ID] = &channelBox{ChannelState: c}
	}
	e.lastSeen = e.cfg.Clock.Now()
	if !ok {
		// First start: Telegram's current state is where we begin.
		s, err := e.getState(ctx)
		if err != nil {
			return err
		}
		e.st = state.UpdateState{Pts: s.Pts, Qts: s.Qts, Seq: s.Seq, Date: s.Date}
		e.b.stateDirty = true
		e.log.Info("first start: following from the current state", "pts", s.Pts, "qts", s.Qts, "seq", s.Seq)
		return e.flush()
	}
	e.st = st
	if err := e.getDifference(ctx); err != nil {
		return err
	}
	for id := range e.channels {
		e.chanDiff[id] = true
	}
	return e.recoverGaps(ctx)
}

// nextWake returns how long to wait before the next gap or idle deadline.
func (e *Engine) nextWake() time.Duration {
	now := e.cfg.Clock.Now()
	next := e.lastSeen.Add(e.cfg.IdleTimeout)
	consider := func(since time.Time) {
		if since.IsZero() {
			return
		}
		if d := since.Add(e.cfg.GapTimeout); d.Before(next) {
			next = d
		}
	}
	consider(e.common.since)
	consider(e.seqSince)
	for _, c := range e.channels {
		consider(c.gap.since)
	}
	if d := next.Sub(now); d > 0 {
		return d
	}
	return time.Nanosecond
}

// expire turns deadlines that passed into recovery work.
func (e *Engine) expire() {
	now := e.cfg.Clock.Now()
	passed := func(since time.Time) bool {
		return !since.IsZero() && !now.Before(since.Add(e.cfg.GapTimeout))
	}
	if passed(e.common.since) || passed(e.seqSince) {
		e.log.Debug("gap did not fill in time", "pts", e.st.Pts, "pending", len(e.common.pending))
		e.needDiff = true
	}
	for id, c := range e.channels {
		if passed(c.gap.since) {
			e.log.Debug("channel gap did not fill in time", "channel", id, "pts", c.Pts)
			e.chanDiff[id] = true
		}
	}
	if !now.Before(e.lastSeen.Add(e.cfg.IdleTimeout)) {
		e.log.Debug("no updates for a while: asking for the difference")
		e.lastSeen = now
		e.needDiff = true
	}
}

// recoverGaps runs the differences that are due.
func (e *Engine) recoverGaps(ctx context.Context) error {
	if e.needDiff {
		if err := e.getDifference(ctx); err != nil {
			return err
		}
	}
	for len(e.chanDiff) > 0 {
		var id int64
		for id = range e.chanDiff {
			break
		}
		delete(e.chanDiff, id)
		if err := e.channelDifference(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// process sequences one push. It does no I/O: what is applied goes into the
// current batch, gaps set deadlines or request differences.
func (e *Engine) process(u tg.UpdatesClass) {
	e.cfg.Metrics.received(e.cfg.Account, u)
	switch u := u.(type) {
	case *tg.UpdatesTooLong:
		e.needDiff = true
	case *tg.UpdateShortMessage:
		ent, ok := e.shortEntities(schema.PeerRef{Kind: schema.PeerUser, ID: u.UserID})
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
		// this form, as an updateNewMessage without users or chats.
		if m, ok := u.Update.(*tg.UpdateNewMessage); ok {
			if _, known := e.shortEntities(shortMessagePeers(m.Message)...); !known {
				return
			}
		}
		e.applyUpdate(u.Update, emptyEntities(), u.Date, trust{})
	case *tg.Updates:
		e.container(&container{updates: u.Updates, ent: e.entities(u.Users, u.Chats), date: u.Date, seqStart: u.Seq, seq: u.Seq})
	case *tg.UpdatesCombined:
		e.container(&container{updates: u.Updates, ent: e.entities(u.Users, u.Chats), date: u.Date, seqStart: u.SeqStart, seq: u.Seq})
	default:
		e.log.Debug("ignoring update container", "type", fmt.Sprintf("%T", u))
	}
}

// container applies a push that carries seq, or holds it back while the seq
// sequence has a gap before it.
func (e *Engine) container(c *container) {
	if c.seqStart != 0 && e.st.Seq+1 < c.seqStart {
		e.seqGap = append(e.seqGap, c)
		if e.seqSince.IsZero() {
			e.seqSince = e.cfg.Clock.Now()
		}
		return
	}
	e.applyContainer(c)
	e.drainSeq()
}

func (e *Engine) applyContainer(c *container) {
	for _, u := range c.updates {
		e.applyUpdate(u, c.ent, c.date, trust{})
	}
	if c.seq > e.st.Seq {
		e.st.Seq = c.seq
		e.b.stateDirty = true
	}
	if c.date > e.st.Date {
		e.st.Date = c.date
		e.b.stateDirty = true
	}
}

// drainSeq applies held-back containers whose turn has come.
func (e *Engine) drainSeq() {
	sort.SliceStable(e.seqGap, func(i, j int) bool { return e.seqGap[i].seqStart < e.seqGap[j].seqStart })
	for len(e.seqGap) > 0 && e.st.Seq+1 >= e.seqGap[0].seqStart {
		c := e.seqGap[0]
		e.seqGap = e.seqGap[1:]
		e.applyContainer(c)
	}
	if len(e.seqGap) == 0 {
		e.seqGap = nil
		e.seqSince = time.Time{}
	}
}

// applyUpdate routes one update to the box it belongs to.
func (e *Engine) applyUpdate(u tg.UpdateClass, ent tg.Entities, date int, tr trust) {
	if id, pts, count, ok := channelPts(u); ok {
		e.applyChannel(id, u, pts, count, ent, date, tr.channel == id)
		return
	}
	if pts, count, ok := commonPts(u); ok {
		e.applyCommon(pendingUpdate{u: u, pts: pts, count: count, ent: ent, date: date}, tr.common)
		return
	}
	if qu, ok := u.(interface{ GetQts() int }); ok {
		qts := qu.GetQts()
		if !tr.common && qts <= e.st.Qts {
			e.cfg.Metrics.duplicate(e.cfg.Account, "qts")
			return
		}
		if !tr.common && qts > e.st.Qts+1 {
			// A qts gap: only getDifference can fill it.
			e.needDiff = true
			return
		}
		e.emit(u, ent, date)
		if !tr.common {
			e.st.Qts = qts
			e.b.stateDirty = true
		}
		return
	}
	if tl, ok := u.(*tg.UpdateChannelTooLong); ok {
		e.chanDiff[tl.ChannelID] = true
		return
	}
	e.emit(u, ent, date)
}

func (e *Engine) applyCommon(p pendingUpdate, trusted bool) {
	if trusted {
		e.emit(p.u, p.ent, p.date)
		return
	}
	switch {
	case e.st.Pts+p.count == p.pts:
		e.emit(p.u, p.ent, p.date)
		e.st.Pts = p.pts
		e.b.stateDirty = true
		e.drainCommon()
	case e.st.Pts+p.count > p.pts:
		e.cfg.Metrics.duplicate(e.cfg.Account, "common")
	default:
		e.common.add(p, e.cfg.Clock.Now())
	}
}

// drainCommon applies buffered common-box updates that now fit.
func (e *Engine) drainCommon() {
	for {
		p, ok := e.common.next(e.st.Pts)
		if !ok {
			return
		}
		e.emit(p.u, p.ent, p.date)
		e.st.Pts = p.pts
		e.b.stateDirty = true
	}
}

func (e *Engine) applyChannel(id int64, u tg.UpdateClass, pts, count int, ent tg.Entities, date int, trusted bool) {
	box := e.channels[id]
	if box == nil {
		// A channel we have no position for. Pushes arrive in any order,
		// so this one need not be its first: read the channel from its
		// start (pts 1; a long history ends in a too-long difference,
		// backfilled up to the configured depth).
		box = &channelBox{ChannelState: state.ChannelState{ID: id, Pts: 1}}
		e.channels[id] = box
		e.b.dirtyChannel(id)
		e.log.Info("following a new channel", "channel", id)
		if !trusted && pts-count > box.Pts {
			e.chanDiff[id] = true
		}
	}
	if ch, ok := ent.Channels[id]; ok && !ch.Min && ch.AccessHash != 0 && ch.AccessHash != box.AccessHash {
		box.AccessHash = ch.AccessHash
		e.b.dirtyChannel(id)
	}
	if trusted {
		e.emit(u, ent, date)
		return
	}
	switch {
	case box.Pts+count == pts:
		e.emit(u, ent, date)
		box.Pts = pts
		e.b.dirtyChannel(id)
		for {
			p, ok := box.gap.next(box.Pts)
			if !ok {
				break
			}
			e.emit(p.u, p.ent, p.date)
			box.Pts = p.pts
		}
	case box.Pts+count > pts:
		e.cfg.Metrics.duplicate(e.cfg.Account, "channel")
	default:
		box.gap.add(pendingUpdate{u: u, pts: pts, count: count, ent: ent, date: date}, e.cfg.Clock.Now())
	}
}

// add buffers p; the gap's deadline runs from when it first opened.
func (g *gapBuffer) add(p pendingUpdate, now time.Time) {
	g.pending = append(g.pending, p)
	if g.since.IsZero() {
		g.since = now
	}
}

// next returns the buffered update that follows pts, dropping those that are
// already covered. It closes the gap when nothing is left.
func (g *gapBuffer) next(pts int) (pendingUpdate, bool) {
	sort.SliceStable(g.pending, func(i, j int) bool { return g.pending[i].pts < g.pending[j].pts })
	for len(g.pending) > 0 {
		p := g.pending[0]
		switch {
		case p.pts-p.count < pts: // already covered
			g.pending = g.pending[1:]
			continue
		case p.pts-p.count == pts:
			g.pending = g.pending[1:]
			if len(g.pending) == 0 {
				g.reset()
			}
			return p, true
		}
		return pendingUpdate{}, false
	}
	g.reset()
	return pendingUpdate{}, false
}

func (g *gapBuffer) reset() {
	g.pending = nil
	g.since = time.Time{}
}

// emit maps an update and adds its events to the batch.
func (e *Engine) emit(u tg.UpdateClass, ent tg.Entities, date int) {
	evs, err := mapping.Update(e.cfg.Account, u, ent, date, batchResolver{store: e.cfg.Store, b: &e.b})
	if err != nil {
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
	e.b.events = append(e.b.events, *ev)
	e.cfg.Metrics.unsupported(e.cfg.Account, ev)
	if ev.Action != schema.ActionCreated || ev.MessageID == 0 {
		return
	}
	switch ev.Peer.Kind {
	case schema.PeerUser, schema.PeerChat:
		e.b.addIndex(ev.MessageID, ev.Peer)
		if ev.MessageID > e.st.MaxMessageID {
			e.st.MaxMessageID = ev.MessageID
			e.b.stateDirty = true
		}
	case schema.PeerChannel:
		box := e.channels[ev.Peer.ID]
		if box == nil {
			box = &channelBox{ChannelState: state.ChannelState{ID: ev.Peer.ID}}
			e.channels[ev.Peer.ID] = box
		}
		if ev.MessageID > box.MaxMessageID {
			box.MaxMessageID = ev.MessageID
			e.b.dirtyChannel(ev.Peer.ID)
		}
	}
}

// flush commits the batch: outbox records, update state, channel states,
// index entries and peers, in one synced write.
func (e *Engine) flush() error {
	if e.b.empty() {
		return nil
	}
	c := &state.Commit{Index: e.b.index, Peers: e.b.peerList()}
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
		c.State = &st
	}
	for id := range e.b.channels {
		if box := e.channels[id]; box != nil {
			c.Channels = append(c.Channels, box.ChannelState)
		}
	}
	if err := e.cfg.Store.Commit(c); err != nil {
		return fmt.Errorf("ingest: commit %d events: %w", len(c.Events), err)
	}
	for i := range e.b.events {
		e.cfg.Metrics.event(e.cfg.Account, &e.b.events[i])
	}
	e.b = batch{}
	return nil
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
			ent.Users[p.ID] = &tg.User{ID: p.ID, AccessHash: p.AccessHash, FirstName: p.FirstName, LastName: p.LastName, Username: p.Username, Bot: p.Bot}
		case schema.PeerChat:
			ent.Chats[p.ID] = &tg.Chat{ID: p.ID, Title: p.Title}
		}
	}
	return ent, true
}

func emptyEntities() tg.Entities {
	return tg.Entities{Users: map[int64]*tg.User{}, Chats: map[int64]*tg.Chat{}, Channels: map[int64]*tg.Channel{}}
}

// channelPts returns the channel and position of a channel-box update.
func channelPts(u tg.UpdateClass) (id int64, pts, count int, ok bool) {
	switch u := u.(type) {
	case *tg.UpdateNewChannelMessage:
		id = channelOf(u.Message)
		return id, u.Pts, u.PtsCount, id != 0
	case *tg.UpdateEditChannelMessage:
		id = channelOf(u.Message)
		return id, u.Pts, u.PtsCount, id != 0
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
