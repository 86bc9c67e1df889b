package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"go.uber.org/goleak"
)

// The package shares one simulator and one logged-in client per account:
// every MTProto key exchange costs CPU. Tests measure relative to the
// state they find.
var (
	shared    *Sim
	clock     = &fakeClock{}
	mainAPI   *tg.Client
	mainRec   *recorder
	secondAPI *tg.Client
	secondRec *recorder
)

const (
	testSliceLimit   = 5
	testTooLongAfter = 40
)

// fakeClock advances one second on every reading, so every change has its
// own date.
type fakeClock struct{ n atomic.Int64 }

func (c *fakeClock) Now() time.Time { return time.Unix(1_700_000_000+c.n.Add(1), 0) }

func testAccounts() []Account {
	return []Account{
		DefaultAccount(),
		{Name: "second", BotToken: "2000:second-token", UserID: 2000, Username: "second_bot"},
	}
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(runMain{m})
}

type runMain struct{ m *testing.M }

func (r runMain) Run() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(Config{
		Accounts: testAccounts(), Now: clock.Now,
		SliceLimit: testSliceLimit, TooLongAfter: testTooLongAfter, ChannelTooLongAfter: testTooLongAfter,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "new sim:", err)
		return 1
	}
	shared = s
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Run(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "sim run:", err)
		}
	})
	defer wg.Wait()
	defer cancel()
	<-s.Ready()

	mainRec = newRecorder()
	c1, err := startClient(ctx, &wg, s.Endpoint(), "1000:simulated-token", mainRec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "main client:", err)
		return 1
	}
	mainAPI = c1
	secondRec = newRecorder()
	c2, err := startClient(ctx, &wg, s.Endpoint(), "2000:second-token", secondRec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "second client:", err)
		return 1
	}
	secondAPI = c2
	return r.m.Run()
}

// serveSim runs s in wg until ctx is done and waits until it listens.
func serveSim(ctx context.Context, t *testing.T, wg *sync.WaitGroup, s *Sim) {
	t.Helper()
	wg.Go(func() {
		if err := s.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	<-s.Ready()
}

// startClient runs a gotd client logged in with token until ctx is done.
func startClient(ctx context.Context, wg *sync.WaitGroup, ep Endpoint, token string, rec *recorder) (*tg.Client, error) {
	opts, err := ep.ClientOptions(telegram.Options{
		SessionStorage: &session.StorageMemory{},
		UpdateHandler:  rec,
		RetryInterval:  100 * time.Millisecond,
		// A call the simulator takes long over (an 11 MB sendMedia under
		// -race on a loaded machine) is resent, not given up after 0.5 s.
		MaxRetries: 50,
	})
	if err != nil {
		return nil, err
	}
	client := telegram.NewClient(1, "hash", opts)
	ready := make(chan error, 1)
	wg.Go(func() {
		err := client.Run(ctx, func(ctx context.Context) error {
			_, err := client.Auth().Bot(ctx, token)
			ready <- err
			if err != nil {
				return err
			}
			<-ctx.Done()
			return nil
		})
		if err != nil && ctx.Err() == nil {
			select {
			case ready <- err:
			default:
			}
		}
	})
	select {
	case err := <-ready:
		if err != nil {
			return nil, err
		}
		return client.API(), nil
	case <-time.After(time.Minute):
		return nil, errors.New("client login timed out")
	}
}

// recorder keeps every update container a client receives.
type recorder struct {
	mu     sync.Mutex
	ups    []tg.UpdatesClass
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) Handle(_ context.Context, u tg.UpdatesClass) error {
	r.mu.Lock()
	r.ups = append(r.ups, u)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return nil
}

// mark returns the number of updates seen so far.
func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ups)
}

// waitFor waits until ok holds for the updates received after mark.
func (r *recorder) waitFor(t *testing.T, mark int, ok func([]tg.UpdatesClass) bool) []tg.UpdatesClass {
	t.Helper()
	deadline := time.NewTimer(15 * time.Second)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		got := append([]tg.UpdatesClass(nil), r.ups[mark:]...)
		r.mu.Unlock()
		if ok(got) {
			return got
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			t.Fatalf("timed out waiting for updates; got %d: %v", len(got), describe(got))
			return nil
		}
	}
}

func describe(ups []tg.UpdatesClass) []string {
	var out []string
	for _, u := range ups {
		out = append(out, u.String())
	}
	return out
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startUnauthorized connects a fresh client (a new auth key) for the
// length of the test; with a token it tries to log in and returns the error.
func startUnauthorized(t *testing.T, token string) (*tg.Client, error) {
	t.Helper()
	opts, err := shared.Endpoint().ClientOptions(telegram.Options{SessionStorage: &session.StorageMemory{}, NoUpdates: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	client := telegram.NewClient(1, "hash", opts)
	ready := make(chan error, 1)
	wg.Go(func() {
		_ = client.Run(ctx, func(ctx context.Context) error {
			var err error
			if token != "" {
				_, err = client.Auth().Bot(ctx, token)
			}
			ready <- err
			<-ctx.Done()
			return nil
		})
	})
	select {
	case err := <-ready:
		return client.API(), err
	case <-time.After(time.Minute):
		t.Fatal("client did not start")
		return nil, nil
	}
}
