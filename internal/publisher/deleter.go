package publisher

import (
	"sync"
	"time"
)

// syncEvery is the longest an acknowledged record's delete stays unsynced
// (when the outbox can sync): a crash replays at most that much, which the
// stream's duplicate window drops.
const syncEvery = time.Second

// syncer is the optional part of an Outbox that makes deletes durable;
// *state.Store has it.
type syncer interface {
	OutboxSync() error
}

// deleter deletes acknowledged records from the outbox off the publish
// loop: seqs handed to it while a delete runs are deleted together by the
// next one. Deletes are synced at most once per syncEvery.
type deleter struct {
	ob   Outbox
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	errc chan error // receives the first failure; the deleter then stops

	mu      sync.Mutex
	pending []uint64
}

func newDeleter(ob Outbox) *deleter {
	d := &deleter{ob: ob, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), errc: make(chan error, 1)}
	go d.run()
	return d
}

// add hands seqs over for deletion.
func (d *deleter) add(seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	d.mu.Lock()
	d.pending = append(d.pending, seqs...)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// close deletes what is pending, syncs, and stops.
func (d *deleter) close() {
	close(d.stop)
	<-d.done
}

func (d *deleter) run() {
	defer close(d.done)
	var (
		timer *time.Timer
		syncC <-chan time.Time
		dirty bool
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	flush := func() bool {
		d.mu.Lock()
		seqs := d.pending
		d.pending = nil
		d.mu.Unlock()
		if len(seqs) == 0 {
			return true
		}
		if err := d.ob.OutboxAck(seqs...); err != nil {
			d.errc <- err
			return false
		}
		dirty = true
		return true
	}
	sync := func() bool {
		if !dirty {
			return true
		}
		dirty = false
		if s, ok := d.ob.(syncer); ok {
			if err := s.OutboxSync(); err != nil {
				d.errc <- err
				return false
			}
		}
		return true
	}
	for {
		select {
		case <-d.wake:
			if !flush() {
				return
			}
			if dirty && timer == nil {
				timer = time.NewTimer(syncEvery)
				syncC = timer.C
			}
		case <-syncC:
			timer, syncC = nil, nil
			if !sync() {
				return
			}
		case <-d.stop:
			if flush() {
				sync()
			}
			return
		}
	}
}
