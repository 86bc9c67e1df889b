package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/internal/natsembed"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/simtest"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// TestMain checks for leaked goroutines after the tests, allowing those
// that are still ending a few seconds to do so: the tests run whole
// connectors with embedded nats-servers, whose stores stop their
// goroutines just after Shutdown returns, late on a loaded machine.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		err := goleak.Find(testutil.KnownLeaks()...)
		for deadline := time.Now().Add(10 * time.Second); err != nil && time.Now().Before(deadline); err = goleak.Find(testutil.KnownLeaks()...) {
			time.Sleep(200 * time.Millisecond) // polling for goroutines to end
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines left after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line as main would, failing the test after limit.
func runCLI(t *testing.T, limit time.Duration, args ...string) result {
	t.Helper()
	var stdout, stderr syncbuf.Buffer
	done := make(chan int, 1)
	go func() { done <- run(args, &stdout, &stderr) }()
	select {
	case code := <-done:
		return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	case <-time.After(limit):
		t.Fatalf("connector %s still running after %s; stderr:\n%s", strings.Join(args, " "), limit, stderr.String())
		return result{}
	}
}

// stackFrame matches a Go source position as printed in stack traces.
var stackFrame = regexp.MustCompile(`\.go:[0-9]+`)

// wantOneError checks what a user sees on a failure: a non-zero exit, one
// "tgnats: " line containing every want (case-insensitive), and no panic or
// goroutine dump or stack frame anywhere in the output.
func wantOneError(t *testing.T, r result, want ...string) {
	t.Helper()
	if r.code == 0 {
		t.Errorf("exit code 0, want non-zero")
	}
	all := r.stdout + r.stderr
	for _, bad := range []string{"panic", "goroutine "} {
		if strings.Contains(all, bad) {
			t.Errorf("output contains %q:\n%s", bad, all)
		}
	}
	if f := stackFrame.FindString(all); f != "" {
		t.Errorf("output contains a stack frame %q:\n%s", f, all)
	}
	if testing.Verbose() {
		t.Logf("stderr:\n%s", r.stderr)
	}
	var lines []string
	for l := range strings.SplitSeq(r.stderr, "\n") {
		if strings.HasPrefix(l, "tgnats: ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("got %d lines starting with \"tgnats: \" on stderr, want 1; stderr:\n%s", len(lines), r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(strings.ToLower(lines[0]), strings.ToLower(w)) {
			t.Errorf("error line %q does not mention %q", lines[0], w)
		}
	}
}

// freshDataDir is a data dir path the connector creates itself (mode 0700).
func freshDataDir(t *testing.T) string {
	return filepath.Join(t.TempDir(), "data")
}

func TestRunBadConfig(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{name: "yaml syntax error", file: "bad-syntax.yaml", want: []string{"config", "bad-syntax.yaml", "line 6"}},
		{name: "unknown key", file: "unknown-key.yaml", want: []string{"unknown-key.yaml", `unknown key "accounts.0.bot_tokn"`, `did you mean "accounts.0.bot_token"`}},
		{name: "missing required field", file: "missing-field.yaml", want: []string{"invalid configuration", "accounts[0].bot_token", "required"}},
		{name: "missing file", file: "no-such-file.yaml", want: []string{"no-such-file.yaml", "no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, 30*time.Second, "run", "--config", filepath.Join("testdata", tt.file), "--data-dir", freshDataDir(t))
			wantOneError(t, r, tt.want...)
			// Keys in the user's words, not Go's types.
			for _, goism := range []string{"errors:", "config.Account", "not found in type"} {
				if strings.Contains(r.stderr, goism) {
					t.Errorf("error speaks Go (%q): %s", goism, r.stderr)
				}
			}
		})
	}
}

// TestSetFlag: --set reaches any configuration key by its dotted path, as
// the example configuration says, and names a wrong key.
func TestSetFlag(t *testing.T) {
	r := runCLI(t, 30*time.Second, "run", "--config", filepath.Join("testdata", "missing-field.yaml"),
		"--data-dir", freshDataDir(t), "--set", "accounts.0.bot_tokn=1:abc")
	wantOneError(t, r, "--set accounts.0.bot_tokn", "unknown key")
	r = runCLI(t, 30*time.Second, "run", "--set", "commands.deadline")
	if r.code != 2 || !strings.Contains(r.stderr, "want key=value") {
		t.Fatalf("--set without a value: code %d, stderr %q", r.code, r.stderr)
	}
}

// TestHelp: every command's -h says how to call it and lists its flags by
// name, each with a plain value name.
func TestHelp(t *testing.T) {
	flagLine := regexp.MustCompile(`^  -[a-z][a-z-]*( [a-z=]+)?$`)
	for _, cmd := range []string{"run", "simulate", "login", "logout", "rekey", "healthcheck"} {
		t.Run(cmd, func(t *testing.T) {
			r := runCLI(t, 10*time.Second, cmd, "-h")
			if r.code != 0 || !strings.HasPrefix(r.stderr, "Usage: connector "+cmd) {
				t.Fatalf("code %d, want 0 and a usage line:\n%s", r.code, r.stderr)
			}
			for l := range strings.SplitSeq(r.stderr, "\n") {
				if strings.HasPrefix(l, "  -") && !flagLine.MatchString(l) {
					t.Errorf("flag line %q", l)
				}
			}
		})
	}
	r := runCLI(t, 10*time.Second, "schema", "-h")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: connector schema") {
		t.Fatalf("schema -h: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestRunDataDirNotCreatable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(file, "data")
	r := runCLI(t, 30*time.Second, "run", "--config", "testdata/valid.yaml", "--data-dir", dataDir)
	wantOneError(t, r, "data dir", dataDir, "not a directory")
}

func TestRunDataDirIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, 30*time.Second, "run", "--config", "testdata/valid.yaml", "--data-dir", file)
	wantOneError(t, r, "data dir", file, "not a directory")
}

func TestRunDataDirInsecure(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, 30*time.Second, "run", "--config", "testdata/valid.yaml", "--data-dir", dataDir)
	wantOneError(t, r, dataDir, "chmod 700", "allow_insecure_dir")
}

// startNATS starts an in-process NATS server on a free port.
func startNATS(t *testing.T) string {
	t.Helper()
	srv, err := natsembed.Start(natsembed.Config{Listen: "127.0.0.1:-1", StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return srv.ClientURL()
}

func TestRunDataDirLocked(t *testing.T) {
	url := startNATS(t)
	dataDir := freshDataDir(t)
	// Another process holds the account's store (0700, as the connector makes it).
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(dataDir, "accounts", "main"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })

	r := runCLI(t, 60*time.Second, "run", "--config", "testdata/valid.yaml", "--data-dir", dataDir, "--nats-url", url)
	wantOneError(t, r, `account "main"`, "locked")
}

func TestRunWrongBotToken(t *testing.T) {
	ep := simtest.Start(t, sim.Config{}).Endpoint()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "public_key.pem")
	if err := os.WriteFile(keyFile, []byte(ep.PublicKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`log:
  level: warn
http:
  listen: ""
accounts:
  - name: main
    bot_token: "1000:wrong"
    dc: {id: %d, address: %q, public_key_file: %q}
`, ep.DC, ep.Addr, keyFile)
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	r := runCLI(t, 60*time.Second, "run", "--config", cfgFile, "--data-dir", freshDataDir(t), "--nats-url", startNATS(t))
	wantOneError(t, r, `account "main"`, "ACCESS_TOKEN_INVALID")
}

func TestVersion(t *testing.T) {
	r := runCLI(t, 10*time.Second, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "tgnats ") || !strings.Contains(r.stdout, runtime.Version()) || r.stderr != "" {
		t.Fatalf("version: code %d, stdout %q, stderr %q; want the version and %s", r.code, r.stdout, r.stderr, runtime.Version())
	}
}

func TestSchema(t *testing.T) {
	all := schema.Schemas()
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatal("schema.Schemas() is empty")
	}

	t.Run("list", func(t *testing.T) {
		r := runCLI(t, 10*time.Second, "schema")
		if r.code != 0 {
			t.Fatalf("code %d, stderr %q", r.code, r.stderr)
		}
		got := strings.Fields(r.stdout)
		want := append([]string{"asyncapi"}, names...)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("schema lists %q, want %q", got, want)
		}
	})

	// A schema is named with or without its ".json".
	for _, name := range []string{names[len(names)-1], "message.created.v1", "message.created.v1.json"} {
		t.Run(name, func(t *testing.T) {
			r := runCLI(t, 10*time.Second, "schema", name)
			if r.code != 0 {
				t.Fatalf("code %d, stderr %q", r.code, r.stderr)
			}
			if !json.Valid([]byte(r.stdout)) {
				t.Errorf("schema %s is not valid JSON:\n%.300s", name, r.stdout)
			}
		})
	}

	t.Run("asyncapi", func(t *testing.T) {
		r := runCLI(t, 10*time.Second, "schema", "asyncapi")
		if r.code != 0 || !strings.Contains(r.stdout, "asyncapi: 3") {
			t.Fatalf("code %d, stderr %q, stdout:\n%.300s", r.code, r.stderr, r.stdout)
		}
	})

	t.Run("unknown name", func(t *testing.T) {
		r := runCLI(t, 10*time.Second, "schema", "no.such.v9")
		wantOneError(t, r, "no.such.v9", "connector schema")
	})
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{name: "no arguments", args: nil, wantCode: 2, want: "Usage:"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, want: `tgnats: unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"run", "--frob"}, wantCode: 2, want: "flag provided but not defined: -frob"},
		{name: "simulate unknown flag", args: []string{"simulate", "--frob"}, wantCode: 2, want: "flag provided but not defined: -frob"},
		{name: "help flag", args: []string{"run", "-h"}, wantCode: 0, want: "  -config string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, 10*time.Second, tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit code %d, want %d", r.code, tt.wantCode)
			}
			if n := strings.Count(r.stderr, tt.want); n != 1 {
				t.Errorf("stderr mentions %q %d times, want once:\n%s", tt.want, n, r.stderr)
			}
			if strings.Contains(r.stderr+r.stdout, "panic") {
				t.Errorf("output mentions panic:\n%s", r.stderr+r.stdout)
			}
		})
	}
}
