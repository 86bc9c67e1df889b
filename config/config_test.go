package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite testdata/*.err from the current messages")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestFixtures loads each testdata/<name>.yaml and compares the Load or
// Validate error with testdata/<name>.err.
func TestFixtures(t *testing.T) {
	tests := []struct {
		name    string
		wantErr error // nil: Load fails without a sentinel (I/O, YAML)
		load    bool  // the error comes from Load, not Validate
	}{
		{name: "unknown-key", load: true, wantErr: ErrUnknownKey},
		{name: "typo-key", load: true, wantErr: ErrUnknownKey},
		{name: "bad-duration", load: true, wantErr: ErrInvalid},
		{name: "missing-secret-file", load: true, wantErr: os.ErrNotExist},
		{name: "secret-conflict", load: true, wantErr: ErrInvalid},
		{name: "invalid-values", wantErr: ErrInvalid},
		{name: "invalid-accounts", wantErr: ErrInvalid},
		{name: "no-accounts", wantErr: ErrInvalid},
		{name: "bad-key", wantErr: ErrInvalid},
		{name: "nats-files", wantErr: ErrInvalid},
		{name: "nats-without-url", wantErr: ErrInvalid},
		{name: "invalid-lease", wantErr: ErrInvalid},
		{name: "invalid-simulate", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tt.name+".yaml"), nil)
			if tt.load != (err != nil) {
				t.Fatalf("Load error %v, want error: %v", err, tt.load)
			}
			if !tt.load {
				err = c.Validate()
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error does not wrap %v:\n%v", tt.wantErr, err)
			}
			golden := filepath.Join("testdata", tt.name+".err")
			if *update {
				if err := os.WriteFile(golden, []byte(err.Error()+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatal(rerr)
			}
			if got := err.Error() + "\n"; got != string(want) {
				t.Errorf("error:\n%s\nwant (%s):\n%s", got, golden, want)
			}
		})
	}
}

func TestDefaultNeedsCredentials(t *testing.T) {
	err := Default().Validate()
	want := "accounts[0].app_id: required\naccounts[0].app_hash: required\naccounts[0].bot_token: required (or phone)"
	if err == nil || err.Error() != want {
		t.Fatalf("Default().Validate() = %v, want\n%s", err, want)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "accounts[0].app_id" {
		t.Errorf("first error is not a FieldError for accounts[0].app_id: %#v", fe)
	}
}

func TestExampleLoadsAndValidates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, Example(), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// The example documents the defaults: apart from the account, it
	// changes nothing.
	d := Default()
	c.Accounts, d.Accounts = nil, nil
	c.Commands.AllowPeers = nil
	if !reflect.DeepEqual(c, d) {
		t.Errorf("example differs from the defaults:\n%s\nwant\n%s", c, d)
	}
}

func TestPrecedence(t *testing.T) {
	path := writeFile(t, "config.yaml", "nats:\n  url: nats://file:4222\n  subject_prefix: filetg\nlog:\n  level: debug\n")
	env := []string{"TGNATS_NATS_URL=nats://env:4222", "TGNATS_LOG_LEVEL=warn", "HOME=/root"}

	c, err := Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("nats.url", "nats://flag:4222"); err != nil {
		t.Fatal(err)
	}
	if c.NATS.URL != "nats://flag:4222" {
		t.Errorf("nats.url = %q, want the Set value", c.NATS.URL)
	}
	if c.Log.Level != "warn" {
		t.Errorf("log.level = %q, want the env value over the file", c.Log.Level)
	}
	if c.NATS.SubjectPrefix != "filetg" {
		t.Errorf("nats.subject_prefix = %q, want the file value over the default", c.NATS.SubjectPrefix)
	}
	if c.Log.Format != "text" || c.Outbox.Window != 1024 {
		t.Errorf("defaults lost: log.format %q, outbox.window %d", c.Log.Format, c.Outbox.Window)
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		check   func(*Config) bool
		wantErr error
		wantMsg string
	}{
		{name: "underscore in yaml name", env: []string{"TGNATS_DATA_DIR=/var/lib/tgnats"},
			check: func(c *Config) bool { return c.DataDir == "/var/lib/tgnats" }},
		{name: "nested", env: []string{"TGNATS_NATS_STREAM_DUPLICATE_WINDOW=3h", "TGNATS_NATS_TLS_CA_FILE=/ca.pem"},
			check: func(c *Config) bool {
				return c.NATS.Stream.DuplicateWindow == 3*time.Hour && c.NATS.TLS.CAFile == "/ca.pem"
			}},
		{name: "account field", env: []string{"TGNATS_ACCOUNTS_0_BOT_TOKEN=1:abc", "TGNATS_ACCOUNTS_0_DC_ADDRESS=127.0.0.1:9000"},
			check: func(c *Config) bool {
				a := c.Accounts[0]
				return a.Name == "main" && a.BotToken == "1:abc" && a.AppID == SimulatorAppID && a.AppHash == SimulatorAppHash
			}},
		{name: "accounts appended in index order", env: accountEnv(12),
			check: func(c *Config) bool {
				return len(c.Accounts) == 12 && c.Accounts[11].Name == "a11" && c.Accounts[2].Name == "a2"
			}},
		{name: "auto-download parallelism", env: []string{"TGNATS_FILES_AUTO_DOWNLOAD_PARALLEL=2"},
			check: func(c *Config) bool { return c.Files.AutoDownload.Parallel == 2 }},
		{name: "list", env: []string{"TGNATS_COMMANDS_ALLOW_PEERS=user:1, channel:2"},
			check: func(c *Config) bool { return reflect.DeepEqual(c.Commands.AllowPeers, []string{"user:1", "channel:2"}) }},
		{name: "float", env: []string{"TGNATS_COMMANDS_RATE_GLOBAL=29.5"},
			check: func(c *Config) bool { return c.Commands.RateGlobal == 29.5 }},
		{name: "max pending", env: []string{"TGNATS_COMMANDS_MAX_PENDING=50"},
			check: func(c *Config) bool { return c.Commands.MaxPending == 50 }},
		{name: "bad float", env: []string{"TGNATS_COMMANDS_RATE_PER_CHAT=fast"}, wantErr: ErrInvalid,
			wantMsg: `config: commands.rate_per_chat: not a number: "fast" (from TGNATS_COMMANDS_RATE_PER_CHAT)`},
		{name: "bool", env: []string{"TGNATS_STATE_ALLOW_INSECURE_DIR=true"},
			check: func(c *Config) bool { return c.State.AllowInsecureDir }},
		{name: "config path ignored", env: []string{"TGNATS_CONFIG=/etc/tgnats.yaml"},
			check: func(c *Config) bool { return true }},
		{name: "unknown", env: []string{"TGNATS_NATS_URLS=x"}, wantErr: ErrUnknownKey,
			wantMsg: "config: unknown key: environment variable TGNATS_NATS_URLS"},
		{name: "struct is not a value", env: []string{"TGNATS_NATS_STREAM=x"}, wantErr: ErrUnknownKey},
		{name: "index gap", env: []string{"TGNATS_ACCOUNTS_2_NAME=x"}, wantErr: ErrUnknownKey,
			wantMsg: `config: unknown key "accounts.2.name": index 2 out of range (list has 1) (from TGNATS_ACCOUNTS_2_NAME)`},
		{name: "bad int", env: []string{"TGNATS_OUTBOX_WINDOW=lots"}, wantErr: ErrInvalid,
			wantMsg: `config: outbox.window: not an integer: "lots" (from TGNATS_OUTBOX_WINDOW)`},
		{name: "bad duration", env: []string{"TGNATS_INGEST_GAP_TIMEOUT=5"}, wantErr: ErrInvalid,
			wantMsg: `config: ingest.gap_timeout: not a duration: "5" (from TGNATS_INGEST_GAP_TIMEOUT)`},
		{name: "secret and file", env: []string{"TGNATS_NATS_TOKEN=x", "TGNATS_NATS_TOKEN_FILE=/t"}, wantErr: ErrInvalid,
			wantMsg: "config: nats.token: set only one of TGNATS_NATS_TOKEN and TGNATS_NATS_TOKEN_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("", tt.env)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Load: %v, want %v", err, tt.wantErr)
				}
				if tt.wantMsg != "" && err.Error() != tt.wantMsg {
					t.Errorf("error %q, want %q", err, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config:\n%s", c)
			}
		})
	}
}

func accountEnv(n int) []string {
	var env []string
	for i := n - 1; i >= 0; i-- {
		env = append(env, fmt.Sprintf("TGNATS_ACCOUNTS_%d_NAME=a%d", i, i))
	}
	return env
}

func TestSet(t *testing.T) {
	tests := []struct {
		name, key, value string
		check            func(*Config) bool
		wantErr          error
		wantMsg          string
	}{
		{name: "string", key: "nats.url", value: "nats://x:1", check: func(c *Config) bool { return c.NATS.URL == "nats://x:1" }},
		{name: "int", key: "nats.stream.replicas", value: "3", check: func(c *Config) bool { return c.NATS.Stream.Replicas == 3 }},
		{name: "duration", key: "outbox.drain_timeout", value: "1m30s", check: func(c *Config) bool { return c.Outbox.DrainTimeout == 90*time.Second }},
		{name: "append account", key: "accounts.1.name", value: "second", check: func(c *Config) bool { return len(c.Accounts) == 2 && c.Accounts[1].Name == "second" }},
		{name: "list element", key: "commands.allow_peers.0", value: "user:7", check: func(c *Config) bool { return c.Commands.AllowPeers[0] == "user:7" }},
		{name: "unknown", key: "nats.bogus", value: "1", wantErr: ErrUnknownKey, wantMsg: `config: unknown key "nats.bogus"`},
		{name: "too deep", key: "nats.url.x", value: "1", wantErr: ErrUnknownKey, wantMsg: `config: unknown key "nats.url.x"`},
		{name: "not an index", key: "accounts.first.name", value: "x", wantErr: ErrUnknownKey},
		{name: "group", key: "nats.tls", value: "x", wantErr: ErrInvalid, wantMsg: "config: nats.tls: not a single value; set its fields"},
		{name: "bool", key: "state.allow_insecure_dir", value: "maybe", wantErr: ErrInvalid, wantMsg: `config: state.allow_insecure_dir: not a boolean: "maybe"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			err := c.Set(tt.key, tt.value)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Set: %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if tt.wantMsg != "" && err.Error() != tt.wantMsg {
					t.Errorf("error %q, want %q", err, tt.wantMsg)
				}
				return
			}
			if !tt.check(c) {
				t.Errorf("unexpected config:\n%s", c)
			}
		})
	}
}

func TestSecretFiles(t *testing.T) {
	token := writeFile(t, "token", "  123:from-file\n")
	hash := writeFile(t, "hash", "hash-from-file\n")
	key := writeFile(t, "key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	path := writeFile(t, "config.yaml", fmt.Sprintf("accounts:\n  - name: a\n    app_id: 9\n    app_hash_file: %s\n    bot_token: \"1:inline\"\nstate:\n  encryption_key_file: %s\n", hash, key))

	c, err := Load(path, []string{"TGNATS_ACCOUNTS_0_BOT_TOKEN_FILE=" + token})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Accounts[0].AppHash.Value(); got != "hash-from-file" {
		t.Errorf("app_hash = %q, want the trimmed file content", got)
	}
	if got := c.Accounts[0].BotToken.Value(); got != "123:from-file" {
		t.Errorf("bot_token = %q, want the env file over the inline file value", got)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	// A later inline value replaces the file.
	if err := c.Set("accounts.0.bot_token", "5:flag"); err != nil {
		t.Fatal(err)
	}
	if c.Accounts[0].BotToken.Value() != "5:flag" || c.Accounts[0].BotTokenFile != "" {
		t.Errorf("Set of the inline secret: token %q file %q", c.Accounts[0].BotToken.Value(), c.Accounts[0].BotTokenFile)
	}
	err = c.Set("nats.password_file", filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Set of a missing secret file: %v, want ErrNotExist", err)
	}
}

func TestSecretsNeverShown(t *testing.T) {
	const (
		pw    = "pw-SECRET-1"
		tok   = "tok-SECRET-2"
		bot   = "bad bot SECRET-3" // malformed on purpose: Validate must not quote it
		hash  = "hash-SECRET-4"
		key   = "c2VjcmV0LVNFQ1JFVC01" // base64 of the wrong length
		plain = "nats://visible:4222"
		urlpw = "nats://bob:url-SECRET-6@other:4222"
	)
	c := Default()
	for k, v := range map[string]string{
		"nats.url": plain + "," + urlpw, "nats.user": "u", "nats.password": pw, "nats.token": tok,
		"accounts.0.bot_token": bot, "accounts.0.app_hash": hash, "state.encryption_key": key,
	} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "config", c)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "config", c)
	outputs := map[string]string{
		"String":   c.String(),
		"LogValue": logs.String(),
		"%v":       fmt.Sprintf("%v", *c),
		"%+v":      fmt.Sprintf("%+v", *c),
		"%#v":      fmt.Sprintf("%#v", *c),
		"Validate": fmt.Sprint(c.Validate()),
	}
	for name, out := range outputs {
		for _, secret := range []string{pw, tok, "SECRET-3", hash, key, "url-SECRET-6", "bob"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows secret %q:\n%s", name, secret, out)
			}
		}
	}
	if !strings.Contains(outputs["LogValue"], plain) || !strings.Contains(outputs["LogValue"], redacted) {
		t.Errorf("LogValue should show plain values and mark secrets redacted:\n%s", outputs["LogValue"])
	}
	if !strings.Contains(outputs["Validate"], "accounts[0].bot_token: malformed") {
		t.Errorf("Validate did not report the malformed token: %s", outputs["Validate"])
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
