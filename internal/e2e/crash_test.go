package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/syncbuf"
)

// binDir holds the connector binary built for the package; TestMain
// removes it.
var binDir string

func removeConnectorBuild() {
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
}

// buildConnector builds the connector binary once for the package.
var buildConnector = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tgnats-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "connector")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/tgnats/tgnats/cmd/connector").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// process is a connector running as a real subprocess; out collects its
// output and may be read while it runs.
type process struct {
	cmd *exec.Cmd
	out *syncbuf.Buffer
}

// noLease is the lease setting of a single process restarted at once: no
// lease to wait out (see failover_test.go for replicas).
const noLease = "lease: {enabled: false}\n"

// processConfig writes the YAML configuration of a connector process for
// the world's account, publishing to natsURL, with extra YAML appended.
func (w *world) processConfig(t *testing.T, natsURL, httpAddr, extra string) string {
	t.Helper()
	cfgFile := filepath.Join(t.TempDir(), "tgnats.yaml")
	cfg := fmt.Sprintf(`data_dir: %q
log: {level: debug}
http: {listen: %q}
nats: {url: %q}
outbox: {drain_timeout: 5s}
ingest: {gap_timeout: 200ms}
accounts:
  - name: %s
    %s
    dc: {id: %d, address: %q, public_key_file: %q}
`, filepath.Join(t.TempDir(), "data"), httpAddr, natsURL, w.acc.Name, credentialYAML(w.acc), w.ep.DC, w.ep.Addr, w.keyFile)
	if err := os.WriteFile(cfgFile, []byte(cfg+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgFile
}

func startProcess(t *testing.T, bin, cfgFile string) *process {
	t.Helper()
	return startBin(t, bin, nil, "run", "--config", cfgFile)
}

func (p *process) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// term stops the process gracefully and checks it exits 0.
func (p *process) term(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("connector exited with %v after SIGTERM:\n%s", err, p.out)
		}
	case <-time.After(30 * time.Second):
		p.kill(t)
		t.Fatalf("connector did not stop on SIGTERM:\n%s", p.out)
	}
}

// TestCrashSafety kills the connector with SIGKILL at random moments while
// the simulator keeps producing (with qts updates, channel kicks and
// rejoins and the update faults of sim.Fault mixed in), with long downtimes
// (recovered through getDifference slices) and a NATS outage, then checks
// that the stream holds every event of the ledger exactly once and in
// per-chat order.
func TestCrashSafety(t *testing.T) { crashSafety(t, testAccount) }

// TestCrashSafetyUserAccount is TestCrashSafety for a user account (logged
// in with a code and its 2FA password), with the traffic of a user
// account mixed in: messages it sends from another device, its own edits
// and deletions, read receipts both ways. Others' reactions reach a user
// account only as pushes (updateMessageReactions, in no difference): those
// made while the connector is down are lost, the others arrive once.
func TestCrashSafetyUserAccount(t *testing.T) { crashSafety(t, crashUser) }

// crashSeed is the seed of the crash schedule (when the connector is
// killed): TGNATS_TEST_CRASH_SEED to replay a logged one, else the clock.
// It replays the schedule, not the run: the instants race with the
// traffic and the connector as they did.
func crashSeed(t *testing.T) int64 {
	t.Helper()
	seed := time.Now().UnixNano()
	if s := os.Getenv("TGNATS_TEST_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("TGNATS_TEST_CRASH_SEED: %v", err)
		}
	}
	t.Logf("seed of the crash schedule: %d (TGNATS_TEST_CRASH_SEED replays it)", seed)
	return seed
}

// crashUser is the user account of TestCrashSafetyUserAccount.
var crashUser = sim.Account{Name: "e2e", Phone: "+15550003001", Password: "crash test", UserID: 3001, FirstName: "Crash"}

func crashSafety(t *testing.T, acc sim.Account) {
	if testing.Short() {
		t.Skip("builds and kills a real connector process; skipped with -short")
	}
	bin, err := buildConnector()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, sim.Config{SliceLimit: 25, Accounts: []sim.Account{acc}})
	w.acc = acc
	natsDir, natsAddr := t.TempDir(), freeAddr(t)
	nsrv := startNATS(t, natsDir, natsAddr)
	defer func() { nsrv.Shutdown() }()
	url := nsrv.ClientURL()

	httpAddr := freeAddr(t)
	cfgFile := w.processConfig(t, url, httpAddr, noLease)
	if acc.Phone != "" {
		w.loginUser(t, cfgFile)
	}

	p := startProcess(t, bin, cfgFile)
	t.Cleanup(func() {
		if t.Failed() { // p is the latest process
			out := strings.Split(p.out.String(), "\n")
			t.Logf("last lines of the connector's output:\n%s", strings.Join(out[max(0, len(out)-80):], "\n"))
			t.Logf("simulator calls: %v", w.sim.Calls(w.acc.Name))
		}
	})
	waitReady(t, httpAddr)
	from := len(w.sim.Ledger(w.acc.Name))

	// Traffic mixes in the cases of Telegram's update documentation (issue
	// 9): reordered qts updates, channels left and rejoined, pushed
	// updateChannelTooLong, updatesCombined (some lost: seq gaps), stale
	// containers, FLOOD_WAIT and refused difference calls; and (issue 12)
	// reactions (qts updates for the bot) and pins.
	stopDriving := startDriving(t, w.sim, sim.Scenario{Rate: 150, Seed: 5, Faults: 0.04, Updates: 0.1})
	defer stopDriving()

	rng := rand.New(rand.NewSource(crashSeed(t)))
	// The random instants are the workload, not synchronisation: a crash is
	// supposed to land anywhere, start-up and gap recovery included.
	pause := func(min, max time.Duration) {
		time.Sleep(min + time.Duration(rng.Int63n(int64(max-min))))
	}
	for i := 0; i < 10; i++ {
		pause(50*time.Millisecond, 1500*time.Millisecond)
		p.kill(t)
		if i%4 == 3 {
			pause(500*time.Millisecond, 2*time.Second) // Telegram goes on meanwhile
		}
		p = startProcess(t, bin, cfgFile)
	}

	// Long downtime: far more than one difference slice.
	waitReady(t, httpAddr)
	p.kill(t)
	if err := w.sim.Produce(context.Background(), sim.Scenario{Seed: 6, Faults: 0.04, Updates: 0.1}, 400); err != nil {
		t.Fatal(err)
	}
	p = startProcess(t, bin, cfgFile)
	waitReady(t, httpAddr)

	// NATS goes away; the connector is killed while events wait in its
	// outbox; both come back.
	nsrv.Shutdown()
	pause(300*time.Millisecond, time.Second)
	p.kill(t)
	p = startProcess(t, bin, cfgFile)
	pause(300*time.Millisecond, time.Second)
	nsrv = startNATS(t, natsDir, natsAddr)
	waitReady(t, httpAddr)

	// A graceful stop exits 0; then the last start catches up.
	p.term(t)
	stopDriving()
	p = startProcess(t, bin, cfgFile)
	waitReady(t, httpAddr)

	want := expected(w.acc.Name, w.sim.Ledger(w.acc.Name), from)
	got := readWanted(t, url, w.acc.Name, want)
	assertExactlyOnce(t, got, want)
	t.Logf("%d events checked across 13 crashes, a long downtime and a NATS outage (%d of %d changes Telegram only pushes delivered)",
		len(want), len(got)-durable(want), len(want)-durable(want))
	p.term(t)
}
