package ingest

import (
	"sort"
	"time"
)

// sequence is one of Telegram's update sequences: the common pts box, a
// channel's pts box, qts or seq. It holds back what arrives ahead of a gap
// and hands updates to apply strictly in order, following the rules of
// core.telegram.org/api/updates: an update that moves the position from
// start = end-count to end applies when the local position is start; one
// with local+count > end was already applied and is ignored; one with
// local+count < end waits for the gap before it to fill, at most the gap
// timeout, after which the caller recovers the gap with a difference.
//
// The position itself is not kept here: it is the caller's field, passed in
// by pointer, so it lives in the engine's uncommitted state and reaches the
// store only in the same batch as the events apply derived from it
// (Engine.flush). apply is called first, then the position moves.
//
// For seq (containers), end is seq and count is seq-seq_start+1.
type sequence[T any] struct {
	pending []held[T]
	since   time.Time // when the oldest open gap opened; zero when none
}

// held is an update waiting for the gap before it to fill.
type held[T any] struct {
	end, count int
	v          T
}

func (h held[T]) start() int { return h.end - h.count }

// outcome reports what push did.
type outcome struct {
	applied    int  // updates applied, the pushed one and buffered ones it unblocked
	duplicates int  // updates ignored as already applied
	buffered   bool // the pushed update waits behind a gap
}

// push offers v, which moves the position from end-count to end.
func (s *sequence[T]) push(pos *int, end, count int, v T, now time.Time, apply func(T)) outcome {
	var o outcome
	switch {
	case *pos+count == end:
		apply(v)
		*pos = end
		o.applied++
		s.drain(pos, apply, &o)
	case *pos+count > end:
		o.duplicates++
	default:
		s.pending = append(s.pending, held[T]{end: end, count: count, v: v})
		if s.since.IsZero() {
			s.since = now
		}
		o.buffered = true
	}
	return o
}

// drain applies buffered updates that now follow the position, dropping
// those already covered, and closes the gap when nothing is left.
func (s *sequence[T]) drain(pos *int, apply func(T), o *outcome) {
	sort.SliceStable(s.pending, func(i, j int) bool { return s.pending[i].start() < s.pending[j].start() })
	n := 0
	for ; n < len(s.pending); n++ {
		h := s.pending[n]
		if *pos+h.count > h.end {
			o.duplicates++
			continue
		}
		if *pos+h.count < h.end {
			break
		}
		apply(h.v)
		*pos = h.end
		o.applied++
	}
	clear(s.pending[:n])
	s.pending = s.pending[n:]
	if len(s.pending) == 0 {
		s.reset()
	}
}

// seed sets the position of a sequence whose position was unknown to just
// before the earliest buffered update and applies what follows in order.
// It is how a channel first seen by a push starts once the reorder window
// has passed without anything earlier arriving.
func (s *sequence[T]) seed(pos *int, apply func(T)) outcome {
	var o outcome
	if len(s.pending) == 0 {
		return o
	}
	first := s.pending[0].start()
	for _, h := range s.pending[1:] {
		first = min(first, h.start())
	}
	*pos = first
	s.drain(pos, apply, &o)
	return o
}

// due reports whether the open gap has outlived timeout at now.
func (s *sequence[T]) due(now time.Time, timeout time.Duration) bool {
	return !s.since.IsZero() && !now.Before(s.since.Add(timeout))
}

// deadline is when the open gap must be recovered; false when none is open.
func (s *sequence[T]) deadline(timeout time.Duration) (time.Time, bool) {
	if s.since.IsZero() {
		return time.Time{}, false
	}
	return s.since.Add(timeout), true
}

// take empties the buffer and returns what it held, in start order, for the
// caller to offer again after a difference moved the position.
func (s *sequence[T]) take() []held[T] {
	out := s.pending
	sort.SliceStable(out, func(i, j int) bool { return out[i].start() < out[j].start() })
	s.reset()
	return out
}

// len is the number of buffered updates.
func (s *sequence[T]) len() int { return len(s.pending) }

func (s *sequence[T]) reset() {
	s.pending = nil
	s.since = time.Time{}
}
