package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"syscall"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
)

func fixedClock() time.Time { return time.Unix(1_700_000_000, 0) }

// TestJournalCorruptMiddleLine: a complete line that is not an op is an
// error; only a torn last line (no newline) is cut off.
func TestJournalCorruptMiddleLine(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Accounts: testAccounts(), Now: fixedClock}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Produce(testCtx(t), Scenario{Seed: 3}, 20); err != nil {
		t.Fatal(err)
	}
	// A killed process writes no snapshot: New must read the journal.
	_ = s.j.close()
	path := filepath.Join(dir, journalFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) < 10 {
		t.Fatalf("journal has %d lines", len(lines))
	}
	good := strings.Join(lines, "")
	lines[5] = `{"op":"send","now":1700000000,"out":{"chat":` + "\n"
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(cfg); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "line 6") {
		t.Fatalf("New on a journal with a corrupt middle line = %v, want ErrCorrupt naming line 6", err)
	}
	// A torn last line is a crash mid-write: tolerated and cut off.
	if err := os.WriteFile(path, []byte(good+`{"op":"send","now":17`), 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := New(cfg)
	if err != nil {
		t.Fatalf("New with a torn last line: %v", err)
	}
	defer s2.Close()
	if got, want := len(s2.Ledger("main")), len(s.Ledger("main")); got != want {
		t.Fatalf("ledger after a torn last line: %d entries, want %d", got, want)
	}
}

// TestSnapshotRestart restarts a world with a big journal: the state after
// the restart equals the state before, the restart is fast, and the
// restored world goes on exactly like one that never stopped.
func TestSnapshotRestart(t *testing.T) {
	n := 90000 // a 3-minute world at 500 actions a second
	if raceEnabled {
		n = 20000
	}
	if testing.Short() {
		n = 3000
	}
	ctx := testCtx(t)
	dir := t.TempDir()
	cfg := Config{Dir: dir, Accounts: testAccounts(), Now: fixedClock, SnapshotEvery: 1 << 30}
	s1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s1.Produce(ctx, Scenario{Seed: 5, Faults: 0.05}, n); err != nil {
		t.Fatal(err)
	}
	t.Logf("produced %d actions in %s", n, time.Since(start))
	_ = s1.j.close() // killed: no snapshot yet, the whole journal to replay

	start = time.Now()
	s2, err := New(cfg) // replays everything, then snapshots
	if err != nil {
		t.Fatal(err)
	}
	replay := time.Since(start)
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, journalFile))
	start, cpu0 := time.Now(), cpuTime(t)
	s3, err := New(cfg) // from the snapshot
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	restart, restartCPU := time.Since(start), cpuTime(t)-cpu0
	snap, _ := os.Stat(filepath.Join(dir, snapshotFile))
	t.Logf("journal %d bytes, snapshot %d bytes, %d ledger entries: full replay %s, restart from the snapshot %s (%s CPU)",
		st.Size(), snap.Size(), len(s3.Ledger("main")), replay, restart, restartCPU)
	// CPU time, not wall time: the bound must hold on a busy machine too.
	limit := time.Second
	if raceEnabled {
		limit *= 5
	}
	if restartCPU > limit {
		t.Errorf("restart from the snapshot took %s CPU, want < %s", restartCPU, limit)
	}

	for _, acc := range []string{"main", "second"} {
		if !reflect.DeepEqual(s3.Ledger(acc), s1.Ledger(acc)) {
			t.Fatalf("%s: ledger after the restart differs (%d entries, want %d)", acc, len(s3.Ledger(acc)), len(s1.Ledger(acc)))
		}
		a, _ := s1.State(acc)
		b, _ := s3.State(acc)
		if a != b {
			t.Fatalf("%s: state after the restart %+v, want %+v", acc, b, a)
		}
		if !reflect.DeepEqual(s3.ServedCalls(acc), s1.ServedCalls(acc)) {
			t.Fatalf("%s: actions differ after the restart", acc)
		}
	}
	// The restored world continues like the original one.
	mem, err := New(Config{Accounts: testAccounts(), Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	mem.mu.Lock()
	err = mem.w.restore(s1.w.state())
	mem.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Sim{mem, s3} {
		if err := s.Produce(ctx, Scenario{Seed: 9, Faults: 0.05}, 300); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(s3.Ledger("main"), mem.Ledger("main")) {
		t.Fatal("the restored world diverged from the original after 300 more actions")
	}
}

// TestAuthKeysSurviveRestart: a client keeps its auth key and login
// across a restart of the simulator on the same Dir, also when the
// account's home DC is the second one (its key is restored there).
func TestAuthKeysSurviveRestart(t *testing.T) {
	for _, home := range []int{0, MediaDC} {
		t.Run(fmt.Sprintf("home DC %d", home), func(t *testing.T) { authKeysSurviveRestart(t, home) })
	}
}

func authKeysSurviveRestart(t *testing.T, home int) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Accounts: testAccounts()}
	cfg.Accounts[0].DC = home
	storage := &session.StorageMemory{}
	run := func(login bool) (time.Duration, error) {
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		serveSim(ctx, t, &wg, s)
		if !login && !s.LoggedIn("main") {
			t.Error("the restarted simulator forgot the login of main")
		}
		opts, err := s.Endpoint().ClientOptions(telegram.Options{SessionStorage: storage, RetryInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		c := telegram.NewClient(1, "hash", opts)
		start := time.Now()
		var took time.Duration
		cctx, ccancel := context.WithTimeout(ctx, time.Minute)
		defer ccancel()
		err = c.Run(cctx, func(ctx context.Context) error {
			if login {
				if _, err := c.Auth().Bot(ctx, "1000:simulated-token"); err != nil {
					return err
				}
			}
			_, err := c.Self(ctx)
			took = time.Since(start)
			return err
		})
		return took, err
	}
	first, err := run(true)
	if err != nil {
		t.Fatalf("first login: %v", err)
	}
	again, err := run(false)
	if err != nil {
		t.Fatalf("after a restart the client is not logged in: %v", err)
	}
	t.Logf("key exchange and login: %s; after a restart: %s", first, again)
	if again > first {
		t.Errorf("after a restart the client took %s, longer than its first login (%s): re-keyed?", again, first)
	}
}

// cpuTime is the CPU time (user + system) this process used so far.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
