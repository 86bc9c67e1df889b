package state

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble"
)

// OutboxRead returns up to limit records with Seq > after, in ascending Seq
// order. Pass 0 to read from the start. limit must be positive. The read
// starts at the oldest live record (kept in memory), so it never walks the
// tombstones earlier acks left in Pebble, and it stops at the end of the
// last Commit that returned.
func (s *Store) OutboxRead(after uint64, limit int) ([]OutboxRecord, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("outbox read: %w: limit %d", ErrInvalid, limit)
	}
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	s.statsMu.Lock()
	depth, from, end := s.depth, max(after+1, s.oldestSeq), s.outboxEnd
	s.statsMu.Unlock()
	if depth == 0 || after == ^uint64(0) || from >= end {
		return nil, nil
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: outboxKey(from), UpperBound: outboxKey(end)})
	if err != nil {
		return nil, fmt.Errorf("outbox read: %w", err)
	}
	out := make([]OutboxRecord, 0, min(limit, depth))
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
// acknowledged them. Unknown or already acknowledged seqs are ignored.
//
// The delete is not synced: it becomes durable with the next synced write
// (any Commit, or OutboxSync). A delete lost in a crash republishes its
// record after the restart, which JetStream drops as a duplicate of its
// Nats-Msg-Id inside the stream's duplicate window. OutboxAck takes no
// lock a Commit needs and reads nothing from Pebble (which seqs are live is
// known in memory); concurrent OutboxAck calls run one at a time.
func (s *Store) OutboxAck(seqs ...uint64) error {
	if len(seqs) == 0 {
		return nil
	}
	done, err := s.use()
	if err != nil {
		return err
	}
	defer done()
	s.ackMu.Lock()
	defer s.ackMu.Unlock()

	s.statsMu.Lock()
	oldest, end := s.oldestSeq, s.outboxEnd
	s.statsMu.Unlock()

	b := s.db.NewBatch()
	defer b.Close()
	removed := 0
	oldestGone := false
	for _, seq := range seqs {
		if seq < oldest || seq >= end {
			continue // acked already, or never committed
		}
		if _, dup := s.ackedAhead[seq]; dup {
			continue
		}
		if err := b.Delete(outboxKey(seq), nil); err != nil {
			return fmt.Errorf("outbox ack: %w", err)
		}
		s.ackedAhead[seq] = struct{}{}
		removed++
		oldestGone = oldestGone || seq == oldest
	}
	if removed == 0 {
		return nil
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("outbox ack: %w", err)
	}

	// The new oldest record is the first live key after the old one: the
	// walk passes only the tombstones of records acked ahead of it. It runs
	// under statsMu, so a Commit returning meanwhile is seen whole or not at all.
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.depth -= removed
	if s.depth <= 0 {
		s.depth, s.oldestSeq, s.oldestStamp = 0, 0, time.Time{}
		clear(s.ackedAhead)
		return nil
	}
	if oldestGone {
		seq, stamp, err := s.firstRecord(oldest+1, s.outboxEnd)
		if err != nil || seq == 0 {
			// The delete is done; only the stats are stale until the next ack.
			s.log.Warn("outbox stats: read oldest record", "error", err, "after", oldest)
			return nil
		}
		s.oldestSeq, s.oldestStamp = seq, stamp
		for k := range s.ackedAhead {
			if k < seq {
				delete(s.ackedAhead, k)
			}
		}
	}
	return nil
}

// OutboxSync makes every earlier OutboxAck durable (one synced write of
// Pebble's log). With Options.NoSync it does nothing.
func (s *Store) OutboxSync() error {
	if s.sync != pebble.Sync {
		return nil
	}
	done, err := s.use()
	if err != nil {
		return err
	}
	defer done()
	if err := s.db.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("outbox sync: %w", err)
	}
	return nil
}

// firstRecord returns the seq and created time of the first record in
// [from, end), zero values when there is none. A Commit that returned
// after end was read set the oldest record itself if the outbox was empty.
func (s *Store) firstRecord(from, end uint64) (uint64, time.Time, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: outboxKey(from), UpperBound: outboxKey(end)})
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
