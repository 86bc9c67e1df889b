package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/testutil"
)

var natsAtRE = regexp.MustCompile(`NATS at (nats://[0-9.:]+)`)

// TestSimulateSeveralAccountsOneRevoked runs `connector simulate` with a
// bot and a user account in one process. The user account logs in with
// `connector login` while simulate waits for it; both stream, each on its
// own subjects and stream. Then Telegram revokes the user account's
// session (session.revoke): that account stops, /readyz says so, and the
// bot keeps streaming every change once.
func TestSimulateSeveralAccountsOneRevoked(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the connector binary; skipped with -short")
	}
	bin, err := buildConnector()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "sim")
	httpAddr := freeAddr(t)
	simP := startBin(t, bin, nil, "simulate", "--accounts", "main,support:+15550002222", "--data-dir", dir,
		"--rate", "0", "--http-listen", httpAddr, "--nats-listen", "127.0.0.1:0", "--log-level", "info")
	defer simP.kill(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("simulate:\n%s", tail(simP.out.String(), 80))
		}
	})
	simP.waitOutput(t, 90*time.Second, "waiting for the user account login")
	m := natsAtRE.FindStringSubmatch(simP.out.String())
	if m == nil {
		t.Fatalf("no NATS URL on the login screen:\n%s", simP.out)
	}
	url := m[1]
	cfgFile := filepath.Join(dir, "connector.yaml")
	if !strings.Contains(simP.out.String(), "connector login --config "+cfgFile+" --account support\n") {
		t.Fatalf("the login screen does not show the login command:\n%s", simP.out)
	}
	ctl := newSimControl(t, url)
	codeFile := filepath.Join(t.TempDir(), "code")
	login := startBin(t, bin, nil, "login", "--config", cfgFile, "--account", "support", "--code-file", codeFile)
	var code struct {
		Code string `json:"code"`
	}
	testutil.Eventually(t, 60*time.Second, "the login code", func() bool { return ctl.try("support", "login.code", "", &code) == nil })
	if err := os.WriteFile(codeFile, []byte(code.Code), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := login.wait(t, 90*time.Second); err != nil {
		t.Fatalf("connector login: %v\n%s", err, login.out)
	}
	simP.waitOutput(t, 90*time.Second, "is running")
	waitReady(t, httpAddr)

	from := map[string]int{"main": ctl.ledgerTotal(t, "main"), "support": ctl.ledgerTotal(t, "support")}
	ctl.produce(t, "main", 100, 150)
	for _, acc := range []string{"main", "support"} {
		want := expected(acc, ctl.ledger(t, acc, from[acc]), 0)
		if len(want) == 0 {
			t.Fatalf("no traffic for %s", acc)
		}
		assertExactlyOnce(t, readStream(t, url, acc, len(want)), want)
	}

	var revoked struct {
		Revoked int `json:"revoked"`
	}
	ctl.call(t, "support", "session.revoke", "", &revoked)
	if revoked.Revoked == 0 {
		t.Fatal("session.revoke revoked no session of the logged-in account")
	}
	testutil.Eventually(t, 60*time.Second, "/readyz to report support failed", func() bool {
		return strings.Contains(httpGet(t, "http://"+httpAddr+"/readyz"), "account support: failed")
	})
	body := httpGet(t, "http://"+httpAddr+"/readyz")
	if !strings.Contains(body, "account main: ready") || !strings.Contains(body, "connector login --account support") {
		t.Errorf("/readyz after the revocation:\n%s", body)
	}
	ctl.produce(t, "main", 100, 150)
	want := expected("main", ctl.ledger(t, "main", from["main"]), 0)
	assertExactlyOnce(t, readStream(t, url, "main", len(want)), want)
	if err := simP.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := simP.wait(t, 60*time.Second); err != nil {
		t.Errorf("simulate exited with %v", err)
	}
}
