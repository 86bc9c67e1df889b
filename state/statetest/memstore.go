package statetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// MemStore is an in-memory Store: the outbox, positions, message index,
// peers and command results of one account, with the semantics Run checks.
// Unlike *state.Store its message index is unbounded and nothing is durable.
// The zero value is not usable: call NewMemStore.
type MemStore struct {
	now func() time.Time

	mu       sync.Mutex
	st       state.UpdateState
	has      bool
	channels map[int64]state.ChannelState
	recs     []state.OutboxRecord // live records, in Seq order
	lastSeq  uint64               // never reused, even after the outbox drained
	index    map[int]schema.PeerRef
	polls    map[int64]state.PollEntry
	webPages map[memWebPageKey]memWebPage
	peers    map[schema.PeerRef]state.Peer
	names    map[string]schema.PeerRef // lower-case username → peer
	results  map[string]memResult
	failWith error
	onAck    func(seqs []uint64, recs []state.OutboxRecord)

	notify chan struct{}
}

type memResult struct {
	value   []byte
	expires time.Time
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty store whose clock (record times, result
// expiry) is now; nil means time.Now.
func NewMemStore(now func() time.Time) *MemStore {
	if now == nil {
		now = time.Now
	}
	return &MemStore{
		now:      now,
		channels: map[int64]state.ChannelState{},
		index:    map[int]schema.PeerRef{},
		polls:    map[int64]state.PollEntry{},
		webPages: map[memWebPageKey]memWebPage{},
		peers:    map[schema.PeerRef]state.Peer{},
		names:    map[string]schema.PeerRef{},
		results:  map[string]memResult{},
		notify:   make(chan struct{}, 1),
	}
}

// FailCommits makes every Commit fail with err until called with nil.
func (m *MemStore) FailCommits(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failWith = err
}

// OnAck sets a function OutboxAck calls, under the store's lock, with the
// seqs it was given and the live records among them, before deleting them.
func (m *MemStore) OnAck(f func(seqs []uint64, recs []state.OutboxRecord)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.onAck = f
}

// Records returns a copy of the live outbox records, in Seq order.
func (m *MemStore) Records() []state.OutboxRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.recs)
}

// Commit applies c whole or, when it is invalid or FailCommits is set,
// not at all, as *state.Store.Commit does.
func (m *MemStore) Commit(c *state.Commit) error {
	if err := validate(c); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith != nil {
		return m.failWith
	}
	now := m.now()
	for i := range c.Events {
		m.lastSeq++
		c.Events[i].Seq = m.lastSeq
		if c.Events[i].Created.IsZero() {
			c.Events[i].Created = now
		}
		m.recs = append(m.recs, c.Events[i])
	}
	if c.State != nil {
		m.st, m.has = *c.State, true
	}
	for _, ch := range c.Channels {
		m.channels[ch.ID] = ch
	}
	for _, e := range c.Index {
		m.index[e.MessageID] = e.Peer
	}
	for _, p := range c.Peers {
		m.putPeer(p)
	}
	for _, e := range c.Polls {
		if _, ok := m.polls[e.PollID]; !ok {
			m.polls[e.PollID] = e
		}
	}
	m.putWebPages(c.WebPages)
	if len(c.Events) > 0 {
		select {
		case m.notify <- struct{}{}:
		default:
		}
	}
	return nil
}

// validate rejects what *state.Store.Commit rejects, before anything is applied.
func validate(c *state.Commit) error {
	if c == nil {
		return fmt.Errorf("commit: %w: nil commit", state.ErrInvalid)
	}
	for i, r := range c.Events {
		if r.Subject == "" || r.MsgID == "" {
			return fmt.Errorf("commit: %w: event %d has no subject or msg id", state.ErrInvalid, i)
		}
	}
	for _, ch := range c.Channels {
		if ch.ID <= 0 {
			return fmt.Errorf("commit: %w: channel id %d", state.ErrInvalid, ch.ID)
		}
	}
	for _, e := range c.Index {
		if e.MessageID <= 0 {
			return fmt.Errorf("commit: %w: index message id %d", state.ErrInvalid, e.MessageID)
		}
		if err := validRef(e.Peer); err != nil {
			return fmt.Errorf("commit: index message %d: %w", e.MessageID, err)
		}
	}
	for _, p := range c.Peers {
		if err := validRef(p.Ref()); err != nil {
			return fmt.Errorf("commit: peer %s: %w", p.Ref(), err)
		}
	}
	for _, e := range c.WebPages {
		if e.WebPageID == 0 || e.MessageID <= 0 || len(e.Message) == 0 {
			return fmt.Errorf("commit: %w: web page %d in message %d", state.ErrInvalid, e.WebPageID, e.MessageID)
		}
		if err := validRef(e.Peer); err != nil {
			return fmt.Errorf("commit: web page %d: %w", e.WebPageID, err)
		}
	}
	for _, e := range c.Polls {
		if e.PollID == 0 || e.MessageID <= 0 {
			return fmt.Errorf("commit: %w: poll %d in message %d", state.ErrInvalid, e.PollID, e.MessageID)
		}
		if err := validRef(e.Peer); err != nil {
			return fmt.Errorf("commit: poll %d: %w", e.PollID, err)
		}
	}
	return nil
}

func validRef(ref schema.PeerRef) error {
	switch ref.Kind {
	case schema.PeerUser, schema.PeerChat, schema.PeerChannel:
	default:
		return fmt.Errorf("%w: peer kind %q", state.ErrInvalid, ref.Kind)
	}
	if ref.ID <= 0 {
		return fmt.Errorf("%w: peer id %d", state.ErrInvalid, ref.ID)
	}
	return nil
}

// putPeer merges p as the real store does: a min peer keeps a stored
// non-min access hash, a zero hash keeps a known one. Lock held.
func (m *MemStore) putPeer(p state.Peer) {
	ref := p.Ref()
	if old, ok := m.peers[ref]; ok {
		if p.Min && !old.Min {
			p.AccessHash, p.Min = old.AccessHash, false
		}
		if p.AccessHash == 0 {
			p.AccessHash = old.AccessHash
		}
		if name := strings.ToLower(old.Username); name != "" && name != strings.ToLower(p.Username) && m.names[name] == ref {
			delete(m.names, name)
		}
	}
	m.peers[ref] = p
	if p.Username != "" {
		m.names[strings.ToLower(p.Username)] = ref
	}
}

// UpdateState returns the common update state; false when none was committed.
func (m *MemStore) UpdateState() (state.UpdateState, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st, m.has, nil
}

// Channels returns the states of all channels, ordered by id.
func (m *MemStore) Channels() ([]state.ChannelState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []state.ChannelState
	for _, c := range m.channels {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b state.ChannelState) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// MessagePeer resolves a private or basic-group message id to its chat.
func (m *MemStore) MessagePeer(id int) (schema.PeerRef, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.index[id]
	return p, ok
}

// PollMessage returns the chat and message a poll was first seen in.
func (m *MemStore) PollMessage(pollID int64) (schema.PeerRef, int, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.polls[pollID]
	return e.Peer, e.MessageID, ok
}

type memWebPageKey struct {
	page int64
	peer schema.PeerRef
	msg  int
}

type memWebPage struct {
	e     state.WebPageEntry
	added time.Time
}

// putWebPages stores web page links as state.Store does: a link of the
// same page and message is replaced, links older than state.WebPageLinkTTL
// and the oldest beyond state.WebPageLinkLimit are evicted. m.mu is held.
func (m *MemStore) putWebPages(entries []state.WebPageEntry) {
	if len(entries) == 0 {
		return
	}
	now := m.now()
	for _, e := range entries {
		e.Message = slices.Clone(e.Message)
		m.webPages[memWebPageKey{e.WebPageID, e.Peer, e.MessageID}] = memWebPage{e: e, added: now}
	}
	keys := make([]memWebPageKey, 0, len(m.webPages))
	for k := range m.webPages {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b memWebPageKey) int { return m.webPages[a].added.Compare(m.webPages[b].added) })
	excess := len(keys) - state.WebPageLinkLimit
	for i, k := range keys {
		if i >= excess && !m.webPages[k].added.Before(now.Add(-state.WebPageLinkTTL)) {
			break
		}
		delete(m.webPages, k)
	}
}

// WebPageMessages returns the messages linked to web page id, in the
// store's key order (chat, then message id).
func (m *MemStore) WebPageMessages(pageID int64) []state.WebPageEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []state.WebPageEntry
	for k, v := range m.webPages {
		if k.page == pageID {
			e := v.e
			e.Message = slices.Clone(e.Message)
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b state.WebPageEntry) int {
		if c := cmp.Compare(a.Peer.Kind, b.Peer.Kind); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Peer.ID, b.Peer.ID); c != 0 {
			return c
		}
		return cmp.Compare(a.MessageID, b.MessageID)
	})
	return out
}

// Peer returns the stored peer, or an error wrapping state.ErrNotFound.
func (m *MemStore) Peer(ref schema.PeerRef) (state.Peer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.peers[ref]
	if !ok {
		return state.Peer{}, fmt.Errorf("peer %s: %w", ref, state.ErrNotFound)
	}
	return p, nil
}

// PeerByUsername returns the peer that has username (case-insensitive,
// without a leading "@"), or an error wrapping state.ErrNotFound.
func (m *MemStore) PeerByUsername(username string) (state.Peer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref, ok := m.names[strings.ToLower(strings.TrimPrefix(username, "@"))]
	if !ok {
		return state.Peer{}, fmt.Errorf("peer @%s: %w", username, state.ErrNotFound)
	}
	return m.peers[ref], nil
}

// PutResult stores value under key until ttl has passed.
func (m *MemStore) PutResult(key string, value []byte, ttl time.Duration) error {
	if key == "" || ttl <= 0 {
		return fmt.Errorf("put result: %w: key %q, ttl %v", state.ErrInvalid, key, ttl)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.results[key] = memResult{value: slices.Clone(value), expires: m.now().Add(ttl)}
	return nil
}

// Result returns the value stored under key, or an error wrapping
// state.ErrNotFound when absent or expired.
func (m *MemStore) Result(key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.results[key]
	if !ok || !m.now().Before(r.expires) {
		return nil, fmt.Errorf("result %q: %w", key, state.ErrNotFound)
	}
	return slices.Clone(r.value), nil
}

// OutboxRead returns up to limit records with Seq > after, in Seq order.
func (m *MemStore) OutboxRead(after uint64, limit int) ([]state.OutboxRecord, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("outbox read: %w: limit %d", state.ErrInvalid, limit)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i, _ := slices.BinarySearchFunc(m.recs, after, func(r state.OutboxRecord, s uint64) int {
		if r.Seq <= s {
			return -1
		}
		return 1
	})
	end := min(i+limit, len(m.recs))
	if i >= end {
		return nil, nil
	}
	return slices.Clone(m.recs[i:end]), nil
}

// OutboxAck deletes the records with the given seqs; unknown seqs are ignored.
func (m *MemStore) OutboxAck(seqs ...uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.onAck != nil {
		var acked []state.OutboxRecord
		for _, r := range m.recs {
			if slices.Contains(seqs, r.Seq) {
				acked = append(acked, r)
			}
		}
		m.onAck(seqs, acked)
	}
	m.recs = slices.DeleteFunc(m.recs, func(r state.OutboxRecord) bool { return slices.Contains(seqs, r.Seq) })
	return nil
}

// OutboxNotify returns a channel (buffer 1) signalled after each Commit that added events.
func (m *MemStore) OutboxNotify() <-chan struct{} { return m.notify }

// OutboxStats returns the number of live records and the Created time of the oldest.
func (m *MemStore) OutboxStats() (depth int, oldest time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.recs) == 0 {
		return 0, time.Time{}
	}
	return len(m.recs), m.recs[0].Created
}
