package e2e

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// TestReadinessFollowsPublishing: while JetStream refuses every event,
// /readyz turns 503 and names the stalled account; once JetStream takes
// writes again it turns 200 and nothing was lost.
func TestReadinessFollowsPublishing(t *testing.T) {
	if testing.Short() {
		t.Skip("a connector and a simulator; skipped with -short")
	}
	w := newWorld(t, sim.Config{})
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	defer nsrv.Shutdown()
	url := nsrv.ClientURL()
	cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), url, "127.0.0.1:0")
	cfg.Lease.Enabled = false
	r := w.startConnector(t, cfg)
	from := len(w.sim.Ledger(w.acc.Name))

	js := natstest.Connect(t, url)
	stream, err := js.Stream(t.Context(), schema.EventStreamName(w.acc.Name))
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	blocked := info.Config
	// MaxMsgs 0 would mean no limit: let one more event in, then none.
	blocked.MaxMsgs, blocked.Discard = int64(info.State.Msgs)+1, jetstream.DiscardNew
	if _, err := js.UpdateStream(t.Context(), blocked); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	driving := make(chan error, 1)
	go func() { driving <- w.sim.Drive(ctx, sim.Scenario{Rate: 20, Seed: 3}) }()
	testutil.Eventually(t, 30*time.Second, "/readyz 503 naming the stalled publishing", func() bool {
		code, body := readyz(r.http)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "account e2e: publishing stalled")
	})
	cancel()
	if err := <-driving; err != nil {
		t.Fatal(err)
	}

	if _, err := js.UpdateStream(t.Context(), info.Config); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "/readyz 200 once JetStream takes writes", func() bool {
		code, _ := readyz(r.http)
		return code == http.StatusOK
	})
	want := expected(w.acc.Name, w.sim.Ledger(w.acc.Name), from)
	assertExactlyOnce(t, readWanted(t, url, w.acc.Name, want), want)
}

func readyz(addr string) (int, string) {
	resp, err := httpClient.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}
