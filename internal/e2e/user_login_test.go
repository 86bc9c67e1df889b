package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/testutil"
)

// TestUserLoginThroughCLI logs a user account with 2FA in through the CLI
// against `connector simulate --sim-only --phone … --password …`, as a
// person would: with the login code the simulator serves on
// tgsim.main.control.login.code, and by QR code accepted with
// login.accept. Then `connector run` with the configuration simulate
// wrote streams the account's traffic, every ledger change once in
// per-chat order.
func TestUserLoginThroughCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the connector binary; skipped with -short")
	}
	for _, tc := range []struct {
		name string
		qr   bool
	}{{"code", false}, {"qr", true}} {
		t.Run(tc.name, func(t *testing.T) { userLoginThroughCLI(t, tc.qr) })
	}
}

func userLoginThroughCLI(t *testing.T, qr bool) {
	bin, err := buildConnector()
	if err != nil {
		t.Fatal(err)
	}
	const phone, password = "+15550001111", "correct horse"
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	defer nsrv.Shutdown()
	url := nsrv.ClientURL()
	dir := filepath.Join(t.TempDir(), "sim")
	simP := startBin(t, bin, nil, "simulate", "--sim-only", "--data-dir", dir, "--phone", phone, "--password", password,
		"--nats-url", url, "--rate", "0", "--log-level", "warn")
	defer simP.kill(t)
	simP.waitOutput(t, 90*time.Second, "Then stream:")
	cfgFile := filepath.Join(dir, "connector.yaml")
	for _, line := range []string{
		"connector login --config " + cfgFile + " --account main\n",
		"connector run --config " + cfgFile + "\n",
		"tgsim.main.control.login.code",
	} {
		if !strings.Contains(simP.out.String(), line) {
			t.Errorf("the first screen does not show %q:\n%s", line, simP.out)
		}
	}
	ctl := newSimControl(t, url)
	testutil.Eventually(t, 30*time.Second, "the control surface", func() bool { return ctl.try("main", "calls", "", nil) == nil })

	// The 2FA password comes from the environment, the code from a file
	// the login waits for: a script's way of typing them.
	codeFile := filepath.Join(t.TempDir(), "code")
	args := []string{"login", "--config", cfgFile, "--account", "main"}
	if qr {
		args = append(args, "--qr")
	} else {
		args = append(args, "--code-file", codeFile)
	}
	login := startBin(t, bin, []string{"TGNATS_LOGIN_PASSWORD=" + password}, args...)
	if qr {
		// The phone scans the QR code on screen once there is one.
		testutil.Eventually(t, 60*time.Second, "a QR code to accept", func() bool { return ctl.try("main", "login.accept", "", nil) == nil })
	} else {
		var code struct {
			Code string `json:"code"`
		}
		testutil.Eventually(t, 60*time.Second, "the login code", func() bool { return ctl.try("main", "login.code", "", &code) == nil })
		if !strings.Contains(simP.out.String(), "Login code for account main ("+phone+"): "+code.Code) {
			t.Errorf("simulate did not print the login code %s:\n%s", code.Code, simP.out)
		}
		if err := os.WriteFile(codeFile, []byte(code.Code+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := login.wait(t, 90*time.Second); err != nil {
		t.Fatalf("connector login: %v\n%s", err, login.out)
	}
	if !strings.Contains(login.out.String(), "Logged in as user 1000.") {
		t.Fatalf("connector login did not log in:\n%s", login.out)
	}

	httpAddr := freeAddr(t)
	run := startBin(t, bin, nil, "run", "--config", cfgFile, "--http-listen", httpAddr)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("connector run:\n%s\nsimulate:\n%s", tail(run.out.String(), 60), tail(simP.out.String(), 30))
		}
	})
	waitReady(t, httpAddr)
	from := ctl.ledgerTotal(t, "main")
	ctl.produce(t, "main", 100, 200)
	want := expected("main", ctl.ledger(t, "main", from), 0)
	assertExactlyOnce(t, readStream(t, url, "main", len(want)), want)
	run.term(t)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
