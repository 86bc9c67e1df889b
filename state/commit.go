package state

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/tgnats/tgnats/schema"
)

// UpdateState is the account's common update position.
type UpdateState struct {
	Pts, Qts, Seq, Date int
	// MaxMessageID is the highest private/basic-group message id emitted.
	MaxMessageID int
}

// ChannelState is the update position of one channel.
type ChannelState struct {
	ID           int64
	Pts          int
	MaxMessageID int
	AccessHash   int64
}

// IndexEntry records which chat a private or basic-group message id belongs to.
type IndexEntry struct {
	MessageID int
	Peer      schema.PeerRef
}

// PollEntry links a poll to a message it was seen in (PollMessage).
type PollEntry struct {
	PollID    int64
	Peer      schema.PeerRef
	MessageID int
}

// WebPageEntry links a web page Telegram is still building a preview of
// (webPagePending) to a message showing it, with the message as last
// mapped, so that the preview's arrival (updateWebPage) can be published
// as an edit of the message (Store.WebPageMessages).
type WebPageEntry struct {
	WebPageID int64
	Peer      schema.PeerRef
	MessageID int
	// Message is the JSON of the message's schema.Message body.
	Message []byte
}

// Bounds of the web page links: a preview Telegram has not completed
// within WebPageLinkTTL is not expected any more, and at most
// WebPageLinkLimit links are kept (the oldest go first).
const (
	WebPageLinkTTL   = 24 * time.Hour
	WebPageLinkLimit = 1000
)

// Peer is what is known of a user, basic group or channel.
type Peer struct {
	Kind       schema.PeerKind
	ID         int64
	AccessHash int64
	Title      string
	FirstName  string
	LastName   string
	Username   string
	Bot        bool
	Broadcast  bool
	// Min marks a peer seen only in a "min" constructor, whose access hash
	// is not usable for the account's own calls.
	Min bool
}

// Ref returns the peer's kind and id.
func (p Peer) Ref() schema.PeerRef { return schema.PeerRef{Kind: p.Kind, ID: p.ID} }

// Commit is everything that must become durable together.
type Commit struct {
	// Events enter the outbox in order; Commit assigns their Seq (written
	// back into this slice on success) and, when zero, their Created time.
	Events []OutboxRecord
	// State, when non-nil, replaces the common update state.
	State    *UpdateState
	Channels []ChannelState
	Index    []IndexEntry
	Peers    []Peer
	// Polls link polls to the first message they were seen in; a poll
	// linked already keeps its link.
	Polls []PollEntry
	// WebPages link pending web pages to the messages showing them; an
	// entry of a message linked already replaces it (the message was
	// edited). Links older than WebPageLinkTTL and beyond
	// WebPageLinkLimit are evicted in the same batch.
	WebPages []WebPageEntry
}

// On-disk forms: tagged so that renaming a Go field never changes the format.
type diskUpdateState struct {
	Pts          int `json:"pts"`
	Qts          int `json:"qts"`
	Seq          int `json:"seq"`
	Date         int `json:"date"`
	MaxMessageID int `json:"max_msg"`
}

type diskChannelState struct {
	Pts          int   `json:"pts"`
	MaxMessageID int   `json:"max_msg"`
	AccessHash   int64 `json:"hash,omitempty"`
}

type diskPeer struct {
	Kind       schema.PeerKind `json:"k"`
	ID         int64           `json:"id"`
	AccessHash int64           `json:"hash,omitempty"`
	Title      string          `json:"title,omitempty"`
	FirstName  string          `json:"first,omitempty"`
	LastName   string          `json:"last,omitempty"`
	Username   string          `json:"user,omitempty"`
	Bot        bool            `json:"bot,omitempty"`
	Broadcast  bool            `json:"bc,omitempty"`
	Min        bool            `json:"min,omitempty"`
}

// Commit writes c in one batch, synced unless Options.NoSync: the outbox
// records, the update state, channel states, index entries and peers become
// durable together or not at all. That is the invariant the product rests
// on: a state position is never stored without the events derived from it.
//
// Validation happens before anything is written: a record without subject
// or msg id, a channel id <= 0, or a peer or index entry with an unknown kind
// fails with ErrInvalid and leaves the store (and the seq counter) untouched.
//
// Peers: a min peer never replaces a stored non-min access hash (its names
// are taken, the hash and the non-min flag kept), and an access hash of 0
// never replaces a known one. Index entries at or below the eviction bound
// (newest-IndexSize) are dropped, and older entries are evicted in the same batch.
func (s *Store) Commit(c *Commit) error {
	if c == nil {
		return fmt.Errorf("commit: %w: nil commit", ErrInvalid)
	}
	done, err := s.use()
	if err != nil {
		return err
	}
	defer done()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()

	// Peers are merged with what is stored, including earlier peers of this
	// commit: only then does the batch need to be readable.
	var b *pebble.Batch
	if len(c.Peers) > 0 {
		b = s.db.NewIndexedBatch()
	} else {
		b = s.db.NewBatch()
	}
	defer b.Close()

	now := s.opts.Now()
	seq := s.nextSeq
	var firstCreated int64
	for i := range c.Events {
		r := c.Events[i] // copy: the caller's slice changes only on success
		if r.Subject == "" || r.MsgID == "" {
			return fmt.Errorf("commit: %w: event %d has no subject or msg id", ErrInvalid, i)
		}
		if r.Created.IsZero() {
			r.Created = now
		}
		if i == 0 {
			firstCreated = r.Created.UnixNano()
		}
		if err := b.Set(outboxKey(seq+uint64(i)), encodeRecord(&r), nil); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	if n := len(c.Events); n > 0 {
		var last [8]byte
		binary.BigEndian.PutUint64(last[:], seq+uint64(n)-1)
		if err := b.Set(keySeq, last[:], nil); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	if c.State != nil {
		st := c.State
		v, err := json.Marshal(diskUpdateState{Pts: st.Pts, Qts: st.Qts, Seq: st.Seq, Date: st.Date, MaxMessageID: st.MaxMessageID})
		if err != nil {
			return fmt.Errorf("commit: update state: %w", err)
		}
		if err := b.Set(keyUpdate, v, nil); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	for _, ch := range c.Channels {
		if ch.ID <= 0 {
			return fmt.Errorf("commit: %w: channel id %d", ErrInvalid, ch.ID)
		}
		v, err := json.Marshal(diskChannelState{Pts: ch.Pts, MaxMessageID: ch.MaxMessageID, AccessHash: ch.AccessHash})
		if err != nil {
			return fmt.Errorf("commit: channel %d: %w", ch.ID, err)
		}
		if err := b.Set(channelKey(ch.ID), v, nil); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	indexMax, indexGone, err := s.writeIndex(b, c.Index)
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, p := range c.Peers {
		if err := writePeer(b, p); err != nil {
			return fmt.Errorf("commit: peer %s: %w", p.Ref(), err)
		}
	}
	if err := s.writePolls(b, c.Polls); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if err := s.writeWebPages(b, c.WebPages, now); err != nil {
		return fmt.Errorf("commit: %w", err)
	}

	if err := b.Commit(s.sync); err != nil {
		return fmt.Errorf("commit: %w", err)
	}

	// Durable: publish the new counters.
	n := len(c.Events)
	for i := range c.Events {
		c.Events[i].Seq = seq + uint64(i)
		if c.Events[i].Created.IsZero() {
			c.Events[i].Created = now
		}
	}
	s.nextSeq = seq + uint64(n)
	s.indexMax.Store(int64(indexMax))
	s.indexGone = indexGone
	if n > 0 {
		s.statsMu.Lock()
		if s.depth == 0 {
			s.oldestSeq = seq
			s.oldestStamp = timeFromNanos(firstCreated)
		}
		s.depth += n
		s.outboxEnd = seq + uint64(n)
		s.statsMu.Unlock()
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
	return nil
}

// writeIndex adds entries to b and evicts what falls at or below the new
// bound. It returns the new newest id and eviction bound, to be kept once
// the batch is durable.
func (s *Store) writeIndex(b *pebble.Batch, entries []IndexEntry) (newest, gone int, err error) {
	newest, gone = int(s.indexMax.Load()), s.indexGone
	if len(entries) == 0 {
		return newest, gone, nil
	}
	for _, e := range entries {
		newest = max(newest, e.MessageID)
	}
	bound := max(newest-s.opts.IndexSize, gone)
	for _, e := range entries {
		if e.MessageID <= 0 {
			return 0, 0, fmt.Errorf("%w: index message id %d", ErrInvalid, e.MessageID)
		}
		v, err := encodeRef(e.Peer)
		if err != nil {
			return 0, 0, fmt.Errorf("index message %d: %w", e.MessageID, err)
		}
		if e.MessageID <= bound {
			continue
		}
		if err := b.Set(indexKey(e.MessageID), v, nil); err != nil {
			return 0, 0, err
		}
	}
	if bound > gone {
		// Point deletes of what exists in (gone, bound]: ids increase, so
		// this range is small and each key is deleted once.
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: indexKey(gone + 1), UpperBound: indexKey(bound + 1)})
		if err != nil {
			return 0, 0, fmt.Errorf("evict index: %w", err)
		}
		for ok := it.First(); ok; ok = it.Next() {
			if err := b.Delete(append([]byte(nil), it.Key()...), nil); err != nil {
				_ = it.Close()
				return 0, 0, err
			}
		}
		if err := closeIter(it); err != nil {
			return 0, 0, fmt.Errorf("evict index: %w", err)
		}
		gone = bound
	}
	return newest, gone, nil
}

// writePeer merges p into what b (batch over the DB) holds and keeps the
// username index in step.
func writePeer(b *pebble.Batch, p Peer) error {
	ref := p.Ref()
	key, err := peerKey(ref)
	if err != nil {
		return err
	}
	refBytes := key[1:]
	old, found, err := readPeer(b, key)
	if err != nil {
		return err
	}
	if found {
		if p.Min && !old.Min {
			p.AccessHash, p.Min = old.AccessHash, false
		}
		if p.AccessHash == 0 {
			p.AccessHash = old.AccessHash
		}
		if oldName := strings.ToLower(old.Username); oldName != "" && oldName != strings.ToLower(p.Username) {
			// Drop the old name only if it still points here: it may since
			// have been taken by another peer.
			cur, err := getFrom(b, usernameKey(oldName))
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			if string(cur) == string(refBytes) {
				if err := b.Delete(usernameKey(oldName), nil); err != nil {
					return err
				}
			}
		}
	}
	v, err := json.Marshal(diskPeer(p))
	if err != nil {
		return err
	}
	if err := b.Set(key, v, nil); err != nil {
		return err
	}
	if p.Username != "" {
		if err := b.Set(usernameKey(strings.ToLower(p.Username)), refBytes, nil); err != nil {
			return err
		}
	}
	return nil
}

func readPeer(r pebble.Reader, key []byte) (Peer, bool, error) {
	v, err := getFrom(r, key)
	if errors.Is(err, ErrNotFound) {
		return Peer{}, false, nil
	}
	if err != nil {
		return Peer{}, false, err
	}
	var d diskPeer
	if err := json.Unmarshal(v, &d); err != nil {
		return Peer{}, false, fmt.Errorf("%w: peer: %w", ErrCorrupt, err)
	}
	return Peer(d), true, nil
}

// writePolls adds the poll links of entries not stored yet to b: the first
// message a poll was seen in keeps it (a forwarded poll shares its id).
func (s *Store) writePolls(b *pebble.Batch, entries []PollEntry) error {
	seen := map[int64]bool{}
	for _, e := range entries {
		if e.PollID == 0 || e.MessageID <= 0 {
			return fmt.Errorf("%w: poll %d in message %d", ErrInvalid, e.PollID, e.MessageID)
		}
		ref, err := encodeRef(e.Peer)
		if err != nil {
			return fmt.Errorf("poll %d: %w", e.PollID, err)
		}
		if seen[e.PollID] {
			continue
		}
		seen[e.PollID] = true
		switch _, err := s.get(pollKey(e.PollID)); {
		case err == nil:
			continue
		case !errors.Is(err, ErrNotFound):
			return fmt.Errorf("poll %d: %w", e.PollID, err)
		}
		if err := b.Set(pollKey(e.PollID), binary.BigEndian.AppendUint64(ref, uint64(e.MessageID)), nil); err != nil {
			return err
		}
	}
	return nil
}

// writeWebPages adds the web page links of entries to b, replacing a
// stored link of the same page and message, and evicts links older than
// WebPageLinkTTL, then the oldest beyond WebPageLinkLimit.
func (s *Store) writeWebPages(b *pebble.Batch, entries []WebPageEntry, now time.Time) error {
	if len(entries) == 0 {
		return nil
	}
	added := map[string]bool{}
	for _, e := range entries {
		if e.WebPageID == 0 || e.MessageID <= 0 || len(e.Message) == 0 {
			return fmt.Errorf("%w: web page %d in message %d", ErrInvalid, e.WebPageID, e.MessageID)
		}
		ref, err := encodeRef(e.Peer)
		if err != nil {
			return fmt.Errorf("web page %d: %w", e.WebPageID, err)
		}
		k := webPageKey(e.WebPageID, ref, e.MessageID)
		v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(e.Message)), uint64(now.UnixNano()))
		if err := b.Set(k, append(v, e.Message...), nil); err != nil {
			return err
		}
		added[string(k)] = true
	}
	type link struct {
		key   []byte
		added int64
	}
	var old []link
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixWebPage}, UpperBound: prefixUpper(prefixWebPage)})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if added[string(it.Key())] {
			continue
		}
		var t int64
		if v := it.Value(); len(v) >= 8 {
			t = int64(binary.BigEndian.Uint64(v))
		}
		old = append(old, link{key: bytes.Clone(it.Key()), added: t})
	}
	if err := closeIter(it); err != nil {
		return err
	}
	slices.SortFunc(old, func(a, b link) int { return cmp.Compare(a.added, b.added) })
	expired := now.Add(-WebPageLinkTTL).UnixNano()
	excess := len(old) + len(added) - WebPageLinkLimit
	for i, l := range old {
		if l.added >= expired && i >= excess {
			break
		}
		if err := b.Delete(l.key, nil); err != nil {
			return err
		}
	}
	return nil
}
