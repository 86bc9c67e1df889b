package sim

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"

	"github.com/tgnats/tgnats/internal/testutil"
)

// runWithSession runs a client on storage until the returned stop is called,
// after its first connection is up.
func runWithSession(t *testing.T, storage session.Storage) (stop func()) {
	t.Helper()
	opts, err := shared.Endpoint().ClientOptions(telegram.Options{SessionStorage: storage, NoUpdates: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	client := telegram.NewClient(1, "hash", opts)
	up := make(chan struct{})
	wg.Go(func() {
		_ = client.Run(ctx, func(ctx context.Context) error {
			close(up)
			<-ctx.Done()
			return nil
		})
	})
	select {
	case <-up:
	case <-testCtx(t).Done():
		t.Fatal("client did not connect")
	}
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

func TestKeyOverlaps(t *testing.T) {
	before := len(shared.KeyOverlaps())
	first := &session.StorageMemory{}
	stopFirst := runWithSession(t, first)
	var data []byte
	testutil.Eventually(t, 15*time.Second, "the first session stored", func() bool {
		var err error
		data, err = first.LoadSession(testCtx(t))
		return err == nil
	})
	// A copy of the session is another process holding the same auth key.
	copied := &session.StorageMemory{}
	if err := copied.StoreSession(testCtx(t), data); err != nil {
		t.Fatal(err)
	}

	// One after the other: no overlap.
	stopFirst()
	testutil.Eventually(t, 15*time.Second, "the first client gone", func() bool {
		shared.net.Lock()
		defer shared.net.Unlock()
		return len(shared.conns) <= 2 // the shared clients of TestMain
	})
	stopSecond := runWithSession(t, copied)
	if got := shared.KeyOverlaps()[before:]; len(got) != 0 {
		t.Fatalf("overlaps after a clean hand-over: %+v", got)
	}

	// At the same time: recorded.
	runWithSession(t, first)
	var got []KeyOverlap
	testutil.Eventually(t, 15*time.Second, "the overlap recorded", func() bool {
		got = shared.KeyOverlaps()[before:]
		return len(got) > 0
	})
	if got[0].AuthKeyID == "" || got[0].First == got[0].Second {
		t.Fatalf("overlap %+v does not name the key and two connections", got[0])
	}
	stopSecond()
}
