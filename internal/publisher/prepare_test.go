package publisher

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// withFile marks rec as naming an object of the automatic download.
func withFile(rec state.OutboxRecord) state.OutboxRecord {
	rec.Header[schema.HeaderFileObject] = []string{"acc/user/1/0"}
	return rec
}

// A record naming a file waits for Prepare, and the records of its chat
// behind it wait too; it is published as Prepare returned it, without the
// internal header. Other chats go on meanwhile, in fast batches too.
func TestPrepareHoldsItsChatOnly(t *testing.T) {
	for _, noBatch := range []bool{true, false} {
		name := "batch"
		if noBatch {
			name = "nobatch"
		}
		t.Run(name, func(t *testing.T) {
			s := startServer(t, t.TempDir(), -1)
			defer s.Shutdown()
			_, js, st := connect(t, s.ClientURL())

			release := make(chan struct{})
			var calls atomic.Int32
			prepare := func(ctx context.Context, rec state.OutboxRecord) state.OutboxRecord {
				calls.Add(1)
				select {
				case <-release:
				case <-ctx.Done():
				}
				rec.Data = []byte(`{"prepared":true}`)
				return rec
			}
			ob := newMemOutbox()
			ob.add(event(2, 0), withFile(event(1, 0)), event(1, 1), event(3, 0))
			logs := &logSink{}
			p, err := New(Config{Account: "acc", Outbox: ob, JS: js, NoBatch: noBatch, Prepare: prepare, Logger: slog.New(logs)})
			if err != nil {
				t.Fatal(err)
			}
			runPublisher(t, p)
			testutil.Eventually(t, 10*time.Second, "the other chats published", func() bool {
				return len(streamMsgs(t, st)) == 2
			})
			for _, m := range streamMsgs(t, st) {
				if m.Subject == event(1, 0).Subject {
					t.Fatalf("chat 1 published before its file was ready: %s", m.Header.Get(jetstream.MsgIDHeader))
				}
			}
			close(release)
			testutil.Eventually(t, 10*time.Second, "outbox drained", p.Idle)

			msgs := streamMsgs(t, st)
			var chat1 []string
			for _, m := range msgs {
				if _, ok := m.Header[schema.HeaderFileObject]; ok {
					t.Errorf("%s published with the internal header", m.Header.Get(jetstream.MsgIDHeader))
				}
				if m.Subject != event(1, 0).Subject {
					continue
				}
				chat1 = append(chat1, m.Header.Get(jetstream.MsgIDHeader))
				if m.Header.Get(jetstream.MsgIDHeader) == event(1, 0).MsgID && string(m.Data) != `{"prepared":true}` {
					t.Errorf("the file's record published as %s, not as Prepare returned it", m.Data)
				}
			}
			if len(msgs) != 4 || len(chat1) != 2 || chat1[0] != event(1, 0).MsgID || chat1[1] != event(1, 1).MsgID {
				t.Errorf("stream holds %d events, chat 1 %v; want 4 and chat 1 in order", len(msgs), chat1)
			}
			if got := logs.count(slog.LevelInfo, "server or stream without fast batch publishing; publishing one event per chat at a time"); !noBatch && got != 0 {
				t.Error("fast batches not in use")
			}
			if calls.Load() != 1 {
				t.Errorf("Prepare called %d times, want 1", calls.Load())
			}
		})
	}
}

// A Run that stops while a record is being prepared cancels Prepare; the
// next Run prepares it again and publishes it once.
func TestPrepareCancelledOnStopAndRepeated(t *testing.T) {
	f := newFakeJS(func(string, int) outcome { return ack })
	var mu sync.Mutex
	var calls int
	started := make(chan struct{}, 2)
	prepare := func(ctx context.Context, rec state.OutboxRecord) state.OutboxRecord {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		started <- struct{}{}
		if n == 1 {
			<-ctx.Done() // the first Run stops meanwhile
		}
		return rec
	}
	ob := newMemOutbox()
	ob.add(withFile(event(1, 0)))
	p, err := New(Config{Account: "acc", Outbox: ob, JS: f, Prepare: prepare})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(f.storedMsgs()); n != 0 {
		t.Fatalf("%d events published while the file was being prepared", n)
	}
	runPublisher(t, p)
	<-started
	testutil.Eventually(t, 10*time.Second, "outbox drained", func() bool { return ob.depth() == 0 })
	msgs := f.storedMsgs()
	if len(msgs) != 1 || msgs[0].Header.Get(jetstream.MsgIDHeader) != event(1, 0).MsgID {
		t.Fatalf("stored %d events, want the file's once", len(msgs))
	}
	if _, ok := msgs[0].Header[schema.HeaderFileObject]; ok {
		t.Error("published with the internal header")
	}
}

// Without Prepare the internal header is dropped and the record published.
func TestNoPrepareDropsHeader(t *testing.T) {
	f := newFakeJS(func(string, int) outcome { return ack })
	ob := newMemOutbox()
	ob.add(withFile(event(1, 0)))
	p, err := New(Config{Account: "acc", Outbox: ob, JS: f})
	if err != nil {
		t.Fatal(err)
	}
	runPublisher(t, p)
	testutil.Eventually(t, 10*time.Second, "outbox drained", func() bool { return ob.depth() == 0 })
	if _, ok := f.storedMsgs()[0].Header[schema.HeaderFileObject]; ok {
		t.Error("published with the internal header")
	}
}
