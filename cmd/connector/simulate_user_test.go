package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
)

// TestSimulateUserAccountLogin: `simulate --phone … --password …` waits
// for the login on a first screen that shows the exact `connector login`
// command (and the control subjects of the code and the QR code), prints
// the code the simulated Telegram sends, and starts streaming once the
// person logged in with that command.
func TestSimulateUserAccountLogin(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sim")
	out := simulateInBackground(t, "--data-dir", dir, "--phone", "+15550001111", "--password", "pw", "--rate", "5",
		"--http-listen", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0", "--log-level", "warn")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	testutil.Eventually(t, 90*time.Second, "the login screen", func() bool { return strings.Contains(out.String(), "starts streaming here once logged in") })
	cfgFile := filepath.Join(dir, "connector.yaml")
	screen := out.String()
	for _, want := range []string{
		"waiting for the user account login",
		`Log in user account main (+15550001111): type the login code printed here, then the 2FA password "pw"`,
		"  connector login --config " + cfgFile + " --account main\n",
		"tgsim.main.control.login.code '{}'",
		"  connector login --config " + cfgFile + " --account main --qr\n",
		"tgsim.main.control.login.accept '{}'",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the login screen lacks %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "is running") {
		t.Fatalf("the connector runs before the login:\n%s", screen)
	}

	t.Setenv(envLoginPassword, "pw")
	codeFile := filepath.Join(t.TempDir(), "code")
	var loginOut, loginErr syncbuf.Buffer
	loginDone := make(chan error, 1)
	go func() {
		loginDone <- loginCmd(ctx, []string{"--config", cfgFile, "--account", "main", "--code-file", codeFile}, strings.NewReader(""), &loginOut, &loginErr)
	}()
	codeRE := regexp.MustCompile(`Login code for account main \(\+15550001111\): (\d{5})\n`)
	var code string
	testutil.Eventually(t, 60*time.Second, "the printed login code", func() bool {
		if m := codeRE.FindStringSubmatch(out.String()); m != nil {
			code = m[1]
		}
		return code != ""
	})
	if err := os.WriteFile(codeFile, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-loginDone:
		if err != nil {
			t.Fatalf("connector login: %v\n%s", err, loginErr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("connector login did not end")
	}
	testutil.Eventually(t, 90*time.Second, "the running banner", func() bool { return strings.Contains(out.String(), "is running") })
	if !strings.Contains(out.String(), "nats sub --server nats://127.0.0.1:") || !strings.Contains(out.String(), "'tg.main.events.>'") {
		t.Errorf("the banner after the login:\n%s", out.String())
	}
	// Ready (the account's stream provisioned) before the stop: a stream
	// created while NATS shuts down would outlive it.
	m := regexp.MustCompile(`Health: (http://\S+/readyz)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no health URL in the banner:\n%s", out.String())
	}
	testutil.Eventually(t, 60*time.Second, "/readyz", func() bool {
		resp, err := http.Get(m[1])
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}
