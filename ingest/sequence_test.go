package ingest

import (
	"slices"
	"testing"
	"time"
)

// step is one update offered to a sequence: it moves the position from
// end-count to end; at is when it arrives, relative to the test's start.
type step struct {
	end, count int
	at         time.Duration
}

func TestSequence(t *testing.T) {
	const timeout = 500 * time.Millisecond
	tests := []struct {
		name    string
		start   int
		steps   []step
		applied []int // ends applied, in order
		pos     int
		dups    int
		pending int
		dueAt   time.Duration // when the gap is due; 0: no gap open at the end
	}{
		{
			name: "in order", start: 10,
			steps:   []step{{11, 1, 0}, {12, 1, 0}, {14, 2, 0}},
			applied: []int{11, 12, 14}, pos: 14,
		},
		{
			name: "reordered", start: 10,
			steps:   []step{{12, 1, 0}, {13, 1, 10 * time.Millisecond}, {11, 1, 20 * time.Millisecond}},
			applied: []int{11, 12, 13}, pos: 13,
		},
		{
			name: "duplicate", start: 10,
			steps:   []step{{11, 1, 0}, {11, 1, 0}, {10, 1, 0}, {12, 1, 0}},
			applied: []int{11, 12}, pos: 12, dups: 2,
		},
		{
			// local 11 + count 2 > 12: the documentation says it was
			// already applied; it is ignored, not applied in part.
			name: "overlapping", start: 10,
			steps:   []step{{11, 1, 0}, {12, 2, 0}, {13, 2, 0}},
			applied: []int{11, 13}, pos: 13, dups: 1,
		},
		{
			name: "buffered duplicate dropped when the gap fills", start: 10,
			steps:   []step{{12, 1, 0}, {12, 1, 0}, {11, 1, 0}},
			applied: []int{11, 12}, pos: 12, dups: 1,
		},
		{
			// The deadline runs from when the gap first opened, not from
			// the last update buffered behind it.
			name: "gap timeout", start: 10,
			steps:   []step{{11, 1, 0}, {13, 1, 100 * time.Millisecond}, {14, 1, 300 * time.Millisecond}},
			applied: []int{11}, pos: 11, pending: 2, dueAt: 100*time.Millisecond + timeout,
		},
		{
			name: "partly filled gap keeps its deadline", start: 10,
			steps:   []step{{12, 1, 0}, {14, 1, 50 * time.Millisecond}, {11, 1, 100 * time.Millisecond}},
			applied: []int{11, 12}, pos: 12, pending: 1, dueAt: timeout,
		},
		{
			name: "seq of a combined container", start: 5,
			steps:   []step{{8, 2, 0}, {6, 1, 0}},
			applied: []int{6, 8}, pos: 8,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Unix(1700000000, 0)
			var s sequence[int]
			pos := tt.start
			var applied []int
			dups := 0
			for _, st := range tt.steps {
				o := s.push(&pos, st.end, st.count, st.end, t0.Add(st.at), func(v int) { applied = append(applied, v) })
				dups += o.duplicates
			}
			if !slices.Equal(applied, tt.applied) {
				t.Errorf("applied %v, want %v", applied, tt.applied)
			}
			if pos != tt.pos {
				t.Errorf("position %d, want %d", pos, tt.pos)
			}
			if dups != tt.dups {
				t.Errorf("%d duplicates, want %d", dups, tt.dups)
			}
			if s.len() != tt.pending {
				t.Errorf("%d pending, want %d", s.len(), tt.pending)
			}
			d, open := s.deadline(timeout)
			switch {
			case tt.dueAt == 0 && open:
				t.Errorf("gap open until %v, want none", d)
			case tt.dueAt != 0 && !d.Equal(t0.Add(tt.dueAt)):
				t.Errorf("gap deadline %v (open %v), want %v", d, open, t0.Add(tt.dueAt))
			}
			if tt.dueAt != 0 {
				if s.due(t0.Add(tt.dueAt-time.Nanosecond), timeout) {
					t.Error("due before its deadline")
				}
				if !s.due(t0.Add(tt.dueAt), timeout) {
					t.Error("not due at its deadline")
				}
			}
		})
	}
}

func TestSequenceSeedStartsAtTheEarliestBuffered(t *testing.T) {
	var s sequence[int]
	pos := 0 // unknown
	var applied []int
	apply := func(v int) { applied = append(applied, v) }
	now := time.Unix(1700000000, 0)
	for _, end := range []int{502, 503, 501} {
		if o := s.push(&pos, end, 1, end, now, apply); !o.buffered {
			t.Fatalf("update %d with an unknown position was not held", end)
		}
	}
	o := s.seed(&pos, apply)
	if !slices.Equal(applied, []int{501, 502, 503}) || pos != 503 || o.applied != 3 {
		t.Fatalf("seeded: applied %v, position %d; want 501..503 applied, position 503", applied, pos)
	}
	if _, open := s.deadline(time.Second); open {
		t.Fatal("gap still open after seeding")
	}
}

func TestSequenceTakeReturnsHeldInOrder(t *testing.T) {
	var s sequence[int]
	pos := 10
	now := time.Unix(1700000000, 0)
	for _, end := range []int{15, 13, 14} {
		s.push(&pos, end, 1, end, now, func(int) { t.Fatal("applied across a gap") })
	}
	var got []int
	for _, h := range s.take() {
		got = append(got, h.v)
	}
	if !slices.Equal(got, []int{13, 14, 15}) || s.len() != 0 || !s.since.IsZero() {
		t.Fatalf("take = %v (left %d, since %v), want 13 14 15 and an empty box", got, s.len(), s.since)
	}
}
