package state

import (
	"testing"
	"time"
)

// TestOutboxAckDoesNotWaitForCommit: deleting acknowledged records must not
// wait for a Commit in progress (which holds the write lock through its
// fsync), or the publisher's acks and the engine's commits take turns.
func TestOutboxAckDoesNotWaitForCommit(t *testing.T) {
	s := openT(t, t.TempDir(), Options{NoSync: true})
	c := &Commit{Events: []OutboxRecord{event("tg.a.events.m", "a", "x"), event("tg.a.events.m", "b", "y")}}
	if err := s.Commit(c); err != nil {
		t.Fatal(err)
	}
	recs, err := s.OutboxRead(0, 10)
	if err != nil || len(recs) != 2 {
		t.Fatalf("OutboxRead = %d records, %v", len(recs), err)
	}

	s.writeMu.Lock() // a Commit in progress
	acked := make(chan error, 1)
	go func() { acked <- s.OutboxAck(recs[0].Seq) }()
	select {
	case err := <-acked:
		if err != nil {
			t.Errorf("OutboxAck: %v", err)
		}
	case <-time.After(10 * time.Second):
		s.writeMu.Unlock()
		<-acked
		t.Fatal("OutboxAck waited for the lock a Commit holds")
	}
	s.writeMu.Unlock()
	if depth, oldest := s.OutboxStats(); depth != 1 || !oldest.Equal(recs[1].Created) {
		t.Errorf("OutboxStats() = %d, %v; want 1, %v", depth, oldest, recs[1].Created)
	}
	if err := s.OutboxSync(); err != nil {
		t.Errorf("OutboxSync: %v", err)
	}
}

// TestOutboxAckedStaysDeletedAfterReopen: an unsynced delete is made
// durable by OutboxSync; a reopened store neither counts nor returns it.
func TestOutboxAckedStaysDeletedAfterReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &Commit{Events: []OutboxRecord{event("tg.a.events.m", "a", "x"), event("tg.a.events.m", "b", "y"), event("tg.a.events.m", "c", "z")}}
	if err := s.Commit(c); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxAck(c.Events[0].Seq, c.Events[2].Seq); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxSync(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir, Options{})
	if depth, _ := s.OutboxStats(); depth != 1 {
		t.Errorf("depth after reopen %d, want 1", depth)
	}
	recs, err := s.OutboxRead(0, 10)
	if err != nil || len(recs) != 1 || recs[0].MsgID != c.Events[1].MsgID {
		t.Fatalf("OutboxRead after reopen = %+v, %v; want only %s", recs, err, c.Events[1].MsgID)
	}
}
