package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
)

// TestSimulateSecondInstanceSameDataDir runs a second `simulate` on the data
// dir of a running one: it must fail with one clear line before it touches
// anything there (no new simulator port, endpoint or NATS), and never print
// the "running" banner.
func TestSimulateSecondInstanceSameDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sim")
	args := []string{"--data-dir", dir, "--rate", "0", "--http-listen", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0", "--log-level", "warn"}

	ctx, cancel := context.WithCancel(context.Background())
	var out1, err1 syncbuf.Buffer
	done := make(chan error, 1)
	go func() { done <- simulateCmd(ctx, args, &out1, &err1) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("first simulate returned %v; stderr:\n%s", err, err1.String())
			}
		case <-time.After(60 * time.Second):
			t.Error("first simulate did not stop")
		}
	}()
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(out1.String(), "is running") {
		select {
		case err := <-done:
			t.Fatalf("first simulate returned %v; stderr:\n%s", err, err1.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("first simulate never printed its banner; stderr:\n%s", err1.String())
		}
		time.Sleep(20 * time.Millisecond) // polling the output
	}
	if !strings.Contains(out1.String(), "Metrics: http://") {
		t.Errorf("banner printed before the HTTP endpoints listen:\n%s", out1.String())
	}
	portFile := filepath.Join(dir, "simulator", "port")
	endpoint := filepath.Join(dir, "simulator", "endpoint.json")
	before := map[string][]byte{}
	stat := map[string]time.Time{}
	for _, f := range []string{portFile, endpoint} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		before[f] = b
		st, _ := os.Stat(f)
		stat[f] = st.ModTime()
	}
	natsBefore, _ := os.ReadDir(filepath.Join(dir, "nats"))

	r := runCLI(t, 60*time.Second, append([]string{"simulate"}, args...)...)
	wantOneError(t, r, dir, "in use")
	if strings.Contains(r.stdout, "is running") || strings.Contains(r.stdout, "listening on") {
		t.Errorf("second simulate printed a banner:\n%s", r.stdout)
	}
	for _, f := range []string{portFile, endpoint} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(f)
		if !bytes.Equal(b, before[f]) || !st.ModTime().Equal(stat[f]) {
			t.Errorf("second simulate rewrote %s: %q → %q", f, before[f], b)
		}
	}
	natsAfter, _ := os.ReadDir(filepath.Join(dir, "nats"))
	if len(natsAfter) != len(natsBefore) {
		t.Errorf("second simulate touched the NATS store: %d → %d entries", len(natsBefore), len(natsAfter))
	}
}

// TestSimulateOneTrafficGenerator: the traffic verb controls the traffic
// started by --rate: rate 0 stops it, another rate replaces it.
func TestSimulateOneTrafficGenerator(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sim")
	out := simulateInBackground(t, "--data-dir", dir, "--rate", "100", "--http-listen", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0", "--log-level", "warn")
	url := ""
	testutil.Eventually(t, 90*time.Second, "the banner", func() bool {
		if m := natsURLRE.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
		return url != ""
	})
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	call := func(verb, body string) json.RawMessage {
		t.Helper()
		var m *nats.Msg
		// The control surface subscribes shortly after the banner.
		testutil.Eventually(t, 30*time.Second, "an answer to "+verb, func() bool {
			var err error
			m, err = nc.Request("tgsim.main.control."+verb, []byte(body), 5*time.Second)
			return err == nil
		})
		var a struct {
			OK     bool            `json:"ok"`
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(m.Data, &a); err != nil || !a.OK {
			t.Fatalf("%s %s: %s", verb, body, m.Data)
		}
		return a.Result
	}
	total := func() int {
		var p struct {
			Total int `json:"total"`
		}
		_ = json.Unmarshal(call("ledger", `{"limit":1}`), &p)
		return p.Total
	}
	start := total()
	testutil.Eventually(t, 90*time.Second, "--rate 100 to produce traffic", func() bool { return total() >= start+20 })
	call("traffic", `{"rate":0}`)
	stopped := total()
	time.Sleep(500 * time.Millisecond) // a measuring window: nothing may happen in it
	if n := total(); n != stopped {
		t.Fatalf("traffic {\"rate\":0} did not stop the --rate traffic: %d → %d ledger entries in 0.5s", stopped, n)
	}
	call("traffic", `{"rate":5,"seed":2}`)
	from := total()
	time.Sleep(2 * time.Second) // a measuring window
	if n := total() - from; n > 30 {
		t.Fatalf("rate 5 made %d ledger entries in 2s: the generator was added, not replaced", n)
	}
}

var natsURLRE = regexp.MustCompile(`NATS at (nats://[0-9.:]+)`)

// TestSimulateBusyHTTPPort: a port already taken fails the start with one
// line naming it, and no banner claims the simulator is running.
func TestSimulateBusyHTTPPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := runCLI(t, 90*time.Second, "simulate", "--data-dir", filepath.Join(t.TempDir(), "sim"), "--rate", "0",
		"--http-listen", l.Addr().String(), "--nats-listen", "127.0.0.1:0", "--log-level", "warn")
	wantOneError(t, r, l.Addr().String())
	if strings.Contains(r.stdout, "is running") {
		t.Errorf("a banner before the start failed:\n%s", r.stdout)
	}
}

// TestSimulateBannerShowsDialableAddresses: listening on every interface
// (as in a container), the banner gives addresses a client can dial.
func TestSimulateBannerShowsDialableAddresses(t *testing.T) {
	_, banner := startSimulate(t, "--rate", "0", "--http-listen", "0.0.0.0:0", "--nats-listen", "0.0.0.0:0")
	if strings.Contains(banner, "0.0.0.0") || !strings.Contains(banner, "nats://127.0.0.1:") || !strings.Contains(banner, "http://127.0.0.1:") {
		t.Fatalf("banner does not give dialable addresses:\n%s", banner)
	}
}

// simulateInBackground runs simulateCmd with args until the test ends
// (then it must return nil) and returns its standard output.
func simulateInBackground(t *testing.T, args ...string) *syncbuf.Buffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncbuf.Buffer
	done := make(chan error, 1)
	go func() { done <- simulateCmd(ctx, args, &out, &errOut) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("simulate returned %v; stderr:\n%s", err, errOut.String())
		}
	})
	return &out
}

// TestSimulateHomeDC: with --home-dc 4 the simulated bot lives on the
// simulator's second DC; the connector simulate runs logs in there
// (USER_MIGRATE_4) and comes up. A DC the simulator does not serve is
// refused.
func TestSimulateHomeDC(t *testing.T) {
	_, banner := startSimulate(t, "--rate", "0", "--home-dc", "4")
	m := regexp.MustCompile(`Health: (http://\S+/readyz)`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("no health URL in the banner:\n%s", banner)
	}
	testutil.Eventually(t, 60*time.Second, "/readyz: the bot logged in on DC 4", func() bool {
		resp, err := http.Get(m[1])
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	var out, errOut syncbuf.Buffer
	err := simulateCmd(context.Background(), []string{"--data-dir", filepath.Join(t.TempDir(), "sim"), "--home-dc", "3"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "home DC 3") {
		t.Errorf("--home-dc 3: %v, want the DC refused", err)
	}
}
