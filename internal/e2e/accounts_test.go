package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/telegram"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/connector"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/syncbuf"
)

// TestSeveralAccounts runs one process with a good bot, a user account
// that never logged in and a bot whose token Telegram refuses: the good one
// publishes, the other two are reported in the log, /readyz and metrics,
// and the process keeps running.
func TestSeveralAccounts(t *testing.T) {
	user := sim.Account{Name: "carol", Phone: "+15550002001", UserID: 2002, FirstName: "Carol"}
	w := newWorld(t, sim.Config{Accounts: []sim.Account{testAccount, user}})
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	defer nsrv.Shutdown()
	cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
	dc := cfg.Accounts[0].DC
	cfg.Accounts = append(cfg.Accounts,
		config.Account{Name: "carol", AppID: config.SimulatorAppID, AppHash: config.SimulatorAppHash, Phone: user.Phone, DC: dc},
		config.Account{Name: "refused", AppID: config.SimulatorAppID, AppHash: config.SimulatorAppHash, BotToken: "9999:not-a-known-token", DC: dc},
	)

	var logs syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	httpAddr := make(chan string, 1)
	go func() {
		done <- connector.Run(ctx, connector.Options{
			Config:     cfg,
			Logger:     infoLogger(&logs),
			PublicKeys: map[string][]telegram.PublicKey{w.acc.Name: w.keys},
			OnHTTP:     func(addr string) { httpAddr <- addr },
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("connector returned %v", err)
		}
	}()
	var addr string
	select {
	case addr = <-httpAddr:
	case err := <-done:
		t.Fatalf("connector did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("connector did not start")
	}
	// Ready once no account is still starting: the failed ones do not hold it back.
	waitReady(t, addr)

	from := len(w.sim.Ledger(w.acc.Name))
	if err := w.sim.Produce(context.Background(), sim.Scenario{Seed: 5}, 20); err != nil {
		t.Fatal(err)
	}
	want := expected(w.acc.Name, w.sim.Ledger(w.acc.Name), from)
	assertExactlyOnce(t, readWanted(t, nsrv.ClientURL(), w.acc.Name, want), want)

	body := httpGet(t, "http://"+addr+"/readyz")
	for _, line := range []string{
		"account e2e: ready",
		"account carol: failed: ingest: login refused: user account carol is not logged in (no session, or Telegram revoked it): log in with `connector login --account carol`",
		"account refused: failed: ingest: login refused: Telegram refused the bot token (ACCESS_TOKEN_INVALID)",
	} {
		if !strings.Contains(body, line) {
			t.Errorf("/readyz does not say %q:\n%s", line, body)
		}
	}
	for sample, v := range map[string]float64{
		`tgnats_account_ready{account="e2e"}`:      1,
		`tgnats_account_failed{account="e2e"}`:     0,
		`tgnats_account_failed{account="carol"}`:   1,
		`tgnats_account_failed{account="refused"}`: 1,
		`tgnats_account_ready{account="refused"}`:  0,
	} {
		if got := metricValue(t, addr, sample); got != v {
			t.Errorf("%s = %v, want %v", sample, got, v)
		}
	}
	for _, acc := range []string{"carol", "refused"} {
		if !strings.Contains(logs.String(), `msg="account stopped" account=`+acc) {
			t.Errorf("no \"account stopped\" log line for %s:\n%s", acc, logs.String())
		}
	}
	if n := strings.Count(logs.String(), "state.encryption_key is not set"); n != 1 {
		t.Errorf("the missing-key warning appears %d times, want once", n)
	}
	if w.sim.LoggedIn("carol") {
		t.Error("carol got logged in without a person")
	}
}

// infoLogger writes text logs at the default level to b.
func infoLogger(b *syncbuf.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
