package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
)

// failoverTTL is the lease TTL of the failover test: short, so the test is.
const failoverTTL = 3 * time.Second

// replica is one connector process of the failover test.
type replica struct {
	name, cfgFile, http string
	p                   *process
	out                 *syncbuf.Buffer
}

func (w *world) newReplica(t *testing.T, name, natsURL, key string) *replica {
	t.Helper()
	r := &replica{name: name, http: freeAddr(t)}
	r.cfgFile = w.processConfig(t, natsURL, r.http, fmt.Sprintf(`state: {encryption_key: %q}
lease: {ttl: %s, node: %s, checkpoint_interval: 300ms}
`, key, failoverTTL, name))
	return r
}

func (r *replica) start(t *testing.T, bin string) {
	t.Helper()
	r.p = startProcess(t, bin, r.cfgFile)
	r.out = r.p.out
	t.Cleanup(func() {
		if r.p.cmd.ProcessState == nil {
			r.p.kill(t)
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", r.name, r.out)
		}
	})
}

func (r *replica) leading(t *testing.T) bool {
	return metricValue(t, r.http, fmt.Sprintf("tgnats_lease_held{account=%q}", "e2e")) == 1
}

// TestFailover runs two connector processes for one account against one
// NATS while the simulator produces: only the lease holder talks to
// Telegram; when it is killed the standby, with an empty data dir, restores
// the checkpoint and serves within the lease TTL plus a few seconds; a
// graceful stop hands over at once. Consumers see every event exactly once
// in per-chat order, and no auth key was ever used by two connections at
// once.
func TestFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills real connector processes; skipped with -short")
	}
	bin, err := buildConnector()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, sim.Config{SliceLimit: 25})
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	defer nsrv.Shutdown()
	url := nsrv.ClientURL()
	rawKey := make([]byte, 32)
	_, _ = rand.Read(rawKey)
	key := base64.StdEncoding.EncodeToString(rawKey)

	a := w.newReplica(t, "a", url, key)
	b := w.newReplica(t, "b", url, key)
	a.start(t, bin)
	waitReady(t, a.http)
	b.start(t, bin)
	from := len(w.sim.Ledger(w.acc.Name))

	stopDriving := startDriving(t, w.sim, sim.Scenario{Rate: 100, Seed: 11, Updates: 0.1})
	defer stopDriving()

	// The standby waits: it holds no lease and is not ready.
	testutil.Eventually(t, 30*time.Second, "b standing by", func() bool {
		return strings.Contains(b.out.String(), "lease held by another node")
	})
	if b.leading(t) {
		t.Fatal("standby holds the lease while the leader runs")
	}
	// The leader checkpoints as JetStream acknowledges its events; the
	// checkpoint is sealed: the session is not in it in clear.
	testutil.Eventually(t, 30*time.Second, "a checkpoint past some events", func() bool {
		return checkpointedEvents.MatchString(a.out.String())
	})
	cp := checkpoint(t, url, w.acc.Name)
	if bytes.Contains(cp, []byte("AuthKey")) || bytes.Contains(cp, []byte(`"pts"`)) {
		t.Fatal("checkpoint in NATS KV is not sealed")
	}

	// SIGKILL the leader mid-traffic: b takes over from the checkpoint.
	killed := time.Now()
	a.p.kill(t)
	testutil.Eventually(t, failoverTTL+15*time.Second, "b ready after the leader was killed", func() bool { return ready(b.http) })
	took := time.Since(killed)
	t.Logf("standby served %s after SIGKILL (lease TTL %s)", took.Round(time.Millisecond), failoverTTL)
	if took > failoverTTL+5*time.Second {
		t.Errorf("standby took %s to serve, want within the lease TTL %s plus a few seconds", took, failoverTTL)
	}
	if !strings.Contains(b.out.String(), "state restored from the NATS checkpoint") {
		t.Error("standby with an empty data dir did not restore the checkpoint")
	}

	// a comes back (its data dir now behind) as the standby; a graceful
	// stop of b hands the lease over at once.
	a.start(t, bin)
	testutil.Eventually(t, 30*time.Second, "a standing by", func() bool {
		return strings.Contains(a.out.String(), "lease held by another node")
	})
	termed := time.Now()
	b.p.term(t)
	testutil.Eventually(t, failoverTTL+15*time.Second, "a ready after b stopped", func() bool { return ready(a.http) })
	took = time.Since(termed)
	t.Logf("standby served %s after SIGTERM", took.Round(time.Millisecond))
	if took > failoverTTL+3*time.Second {
		t.Errorf("hand-over after a graceful stop took %s; the lease should be released at once", took)
	}
	if !strings.Contains(b.out.String(), "lease released") {
		t.Error("b did not release its lease on SIGTERM")
	}

	stopDriving()
	n := w.assertFailedOver(t, url, from)
	t.Logf("%d events checked across a SIGKILL fail-over and a graceful hand-over", n)
	a.p.term(t)
}

var httpClient = &http.Client{Timeout: 2 * time.Second}

// assertFailedOver checks the stream against the ledger from index from
// (exactly once, per-chat order) and that no two processes ever served the
// account at once: never one auth key on two connections (what Telegram
// answers with AUTH_KEY_DUPLICATED), never two sessions of the account. It
// returns the number of events checked.
func (w *world) assertFailedOver(t *testing.T, url string, from int) int {
	t.Helper()
	want := expected(w.acc.Name, w.sim.Ledger(w.acc.Name), from)
	got := readWanted(t, url, w.acc.Name, want)
	assertExactlyOnce(t, got, want)
	if o := w.sim.KeyOverlaps(); len(o) > 0 {
		t.Fatalf("an auth key was used by two connections at once (AUTH_KEY_DUPLICATED): %+v", o)
	}
	if n := w.sim.MaxConcurrentSessions(w.acc.Name); n != 1 {
		t.Fatalf("%d sessions of the account were connected at once, want 1", n)
	}
	return len(want)
}

// checkpointedEvents matches the leader's debug line for a checkpoint
// written after at least one event.
var checkpointedEvents = regexp.MustCompile(`checkpoint written.*outbox_seq=[1-9]`)

func ready(addr string) bool {
	resp, err := httpClient.Get("http://" + addr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// checkpoint reads the account's checkpoint from NATS KV, waiting for one.
func checkpoint(t *testing.T, url, account string) []byte {
	t.Helper()
	js := natstest.Connect(t, url)
	var v []byte
	testutil.Eventually(t, 30*time.Second, "a checkpoint in NATS KV", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		kv, err := js.KeyValue(ctx, "TGNATS_CHECKPOINTS")
		if err != nil {
			return false
		}
		e, err := kv.Get(ctx, account)
		if err != nil {
			return false
		}
		v = e.Value()
		return true
	})
	return v
}
