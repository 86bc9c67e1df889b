package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble"
)

// OutboxRead returns up to limit records with Seq > after, in ascending Seq
// order. Pass 0 to read from the start. limit must be positive.
func (s *Store) OutboxRead(after uint64, limit int) ([]OutboxRecord, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("outbox read: %w: limit %d", ErrInvalid, limit)
	}
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	if after == ^uint64(0) {
		return nil, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: outboxKey(after + 1), UpperBound: prefixUpper(prefixOutbox)})
	if err != nil {
		return nil, fmt.Errorf("outbox read: %w", err)
	}
	var out []OutboxRecord
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		r, err := decodeRecord(binary.BigEndian.Uint64(it.Key()[1:]), it.Value())
		if err != nil {
			_ = it.Close()
			return nil, fmt.Errorf("outbox read: %w", err)
		}
		out = append(out, r)
	}
	if err := closeIter(it); err != nil {
		return nil, fmt.Errorf("outbox read: %w", err)
	}
	return out, nil
}

// OutboxAck deletes the records with the given seqs, once JetStream has
// acknowledged them. Unknown or already acknowledged seqs are ignored. The
// delete is synced like a Commit, so an acknowledged record is not
// published again after a restart (it would be a duplicate JetStream
// removes only within its window).
func (s *Store) OutboxAck(seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	done, err := s.use()
	if err != nil {
		return err
	}
	defer done()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()

	b := s.db.NewBatch()
	defer b.Close()
	removed := 0
	seen := make(map[uint64]struct{}, len(seqs))
	oldestGone := false
	s.statsMu.Lock()
	oldest := s.oldestSeq
	s.statsMu.Unlock()
	for _, seq := range seqs {
		if _, dup := seen[seq]; dup {
			continue
		}
		seen[seq] = struct{}{}
		key := outboxKey(seq)
		_, closer, err := s.db.Get(key)
		if errors.Is(err, pebble.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("outbox ack: %w", err)
		}
		_ = closer.Close()
		if err := b.Delete(key, nil); err != nil {
			return fmt.Errorf("outbox ack: %w", err)
		}
		removed++
		oldestGone = oldestGone || seq == oldest
	}
	if removed == 0 {
		return nil
	}
	if err := b.Commit(s.sync); err != nil {
		return fmt.Errorf("outbox ack: %w", err)
	}

	var newOldest uint64
	var newStamp time.Time
	if oldestGone {
		if newOldest, newStamp, err = s.firstRecord(); err != nil {
			// The delete is durable; only the stats are stale until the next ack.
			s.log.Warn("outbox stats: read oldest record", "error", err)
			oldestGone = false
		}
	}
	s.statsMu.Lock()
	s.depth -= removed
	if oldestGone {
		s.oldestSeq, s.oldestStamp = newOldest, newStamp
	}
	if s.depth <= 0 {
		s.depth, s.oldestSeq, s.oldestStamp = 0, 0, time.Time{}
	}
	s.statsMu.Unlock()
	return nil
}

// firstRecord returns the seq and created time of the oldest record, zero
// values when the outbox is empty.
func (s *Store) firstRecord() (uint64, time.Time, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixOutbox}, UpperBound: prefixUpper(prefixOutbox)})
	if err != nil {
		return 0, time.Time{}, err
	}
	var (
		seq     uint64
		created time.Time
	)
	if it.First() {
		seq = binary.BigEndian.Uint64(it.Key()[1:])
		created, err = recordCreated(it.Value())
	}
	if cerr := closeIter(it); err == nil {
		err = cerr
	}
	return seq, created, err
}

// OutboxNotify returns a channel (buffer 1) that receives a value, without
// blocking the writer, after each Commit that added events. One value may
// stand for several commits: readers drain with OutboxRead after waking.
func (s *Store) OutboxNotify() <-chan struct{} { return s.notify }

// OutboxStats returns how many records wait in the outbox and the Created
// time of the oldest (zero when empty). It reads counters kept in memory,
// initialised by a scan on Open.
func (s *Store) OutboxStats() (depth int, oldest time.Time) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.depth, s.oldestStamp
}

func timeFromNanos(n int64) time.Time { return time.Unix(0, n) }
