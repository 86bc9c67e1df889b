package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/testutil"
)

// TestSimulateAccountsFromConfig: `simulate --config F` plays the accounts
// of F's simulate block (a bot and a user account with its 2FA password
// from a file), as --accounts would; a flag overrides the file's one
// account.
func TestSimulateAccountsFromConfig(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pw-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	several := writeConfig(t, `simulate:
  accounts:
    - name: main
    - name: support
      phone: "+15550001111"
      password_file: `+pwFile+"\n")
	out := simulateInBackground(t, "--config", several, "--sim-only", "--data-dir", filepath.Join(t.TempDir(), "sim"), "--log-level", "warn")
	screen := waitScreen(t, out)
	for _, want := range []string{
		`{name: main, bot_token: "1000:simulated-token"`,
		`{name: support, phone: "+15550001111"`,
		`Log in user account support (+15550001111): type the login code printed here, then the 2FA password "pw-from-file"`,
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("simulate --config with two accounts: the screen lacks %q:\n%s", want, screen)
		}
	}

	one := writeConfig(t, "simulate:\n  accounts:\n    - {name: me, phone: \"+15550001111\", password: file-pw}\n")
	out = simulateInBackground(t, "--config", one, "--phone", "+15550002222", "--sim-only", "--data-dir", filepath.Join(t.TempDir(), "sim"), "--log-level", "warn")
	screen = waitScreen(t, out)
	if want := `Log in user account me (+15550002222): type the login code printed here, then the 2FA password "file-pw"`; !strings.Contains(screen, want) {
		t.Errorf("--phone over the file's account: the screen lacks %q:\n%s", want, screen)
	}
}

// TestSimulateAccountsConfigErrors: a bad simulate block, or flags that
// cannot apply to it, stop simulate before it starts, with an error that
// names the field or the flag.
func TestSimulateAccountsConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		args       []string
		want       string
	}{
		{"bad phone", "simulate:\n  accounts:\n    - {name: me, phone: \"12\"}\n", nil, "simulate.accounts[0].phone: want international format"},
		{"password of a bot", "simulate:\n  accounts:\n    - {name: me, password: x}\n", nil, "simulate.accounts[0].password: a 2FA password is a user account's"},
		{"duplicate", "simulate:\n  accounts:\n    - {name: a}\n    - {name: a}\n", nil, `simulate.accounts[1].name: duplicate account "a"`},
		{"typo", "simulate:\n  acount: []\n", nil, `unknown key "simulate.acount"`},
		{"--phone over two", "simulate:\n  accounts:\n    - {name: a}\n    - {name: b}\n", []string{"--phone", "+15550001111"}, "simulate.accounts lists 2 accounts"},
		{"--set without a name", "", []string{"--set", "simulate.accounts.0.phone=+15550001111"}, "simulate.accounts[0].name: required"},
		{"--set phone", "", []string{"--set", "simulate.accounts.0.name=me", "--set", "simulate.accounts.0.phone=abc"}, "simulate.accounts[0].phone: want international format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "sim")
			args := append([]string{"--data-dir", dir, "--sim-only"}, tc.args...)
			if tc.yaml != "" {
				args = append(args, "--config", writeConfig(t, tc.yaml))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := simulateCmd(ctx, args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("simulate %v: %v, want an error saying %q", args, err, tc.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("the data dir was made before the error: %v", err)
			}
		})
	}
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tgnats.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitScreen waits for simulate --sim-only's first screen and returns it.
func waitScreen(t *testing.T, out interface{ String() string }) string {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, "the first screen", func() bool { return strings.Contains(out.String(), "Then stream:") })
	return out.String()
}
