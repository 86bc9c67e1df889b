package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/simtest"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/state"
)

// Accounts of the login tests' simulated Telegram.
var (
	simBot    = sim.Account{Name: "bot", BotToken: "3000:login-test-bot-token", UserID: 3000, FirstName: "bot"}
	simAlice  = sim.Account{Name: "alice", Phone: "+15550001001", UserID: 3001, FirstName: "Alice"}
	simBob    = sim.Account{Name: "bob", Phone: "+15550001002", Password: "correct horse battery", UserID: 3002, FirstName: "Bob"}
	simLocked = sim.Account{Name: "locked", Phone: "+15550001003", UserID: 3003, FirstName: "Locked", LockedOut: true}
)

// loginWorld is a simulator with bot and user accounts and a config file
// naming them all.
type loginWorld struct {
	sim     *sim.Sim
	dir     string
	dataDir string
	cfgFile string
}

// newLoginWorld starts a simulator; key is the state.encryption_key ("" for none).
func newLoginWorld(t *testing.T, key string) *loginWorld {
	t.Helper()
	s := simtest.Start(t, sim.Config{Accounts: []sim.Account{simBot, simAlice, simBob, simLocked}, LoginTokenTTL: 2 * time.Second})
	w := &loginWorld{sim: s, dir: t.TempDir()}
	w.dataDir = filepath.Join(w.dir, "data")
	w.writeConfig(t, key)
	return w
}

// writeConfig (re)writes the config file with encryption key key, naming
// the bot and users (default: every user account of the simulator).
func (w *loginWorld) writeConfig(t *testing.T, key string, users ...sim.Account) {
	t.Helper()
	ep := w.sim.Endpoint()
	keyFile := filepath.Join(w.dir, "public_key.pem")
	if err := os.WriteFile(keyFile, []byte(ep.PublicKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	dc := fmt.Sprintf("{id: %d, address: %q, public_key_file: %q}", ep.DC, ep.Addr, keyFile)
	var b strings.Builder
	fmt.Fprintf(&b, "data_dir: %q\nlog: {level: info}\nhttp: {listen: \"\"}\nnats: {listen: \"127.0.0.1:0\"}\n", w.dataDir)
	fmt.Fprintf(&b, "state: {encryption_key: %q}\n", key)
	b.WriteString("accounts:\n")
	if len(users) == 0 {
		fmt.Fprintf(&b, "  - {name: bot, app_hash: %q, bot_token: %q, dc: %s}\n", testAppHash, simBot.BotToken, dc)
		users = []sim.Account{simAlice, simBob, simLocked}
	}
	for _, a := range users {
		fmt.Fprintf(&b, "  - {name: %s, app_hash: %q, phone: %q, dc: %s}\n", a.Name, testAppHash, a.Phone, dc)
	}
	w.cfgFile = filepath.Join(w.dir, "config.yaml")
	if err := os.WriteFile(w.cfgFile, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// testAppHash is a distinctive app hash, to find it in logs.
const testAppHash = "feedc0de5ca1ab1e0ddba11deadbeef7"

// cli is a command running with a pipe as stdin.
type cli struct {
	t        *testing.T
	in       *io.PipeWriter
	out, err syncbuf.Buffer
	done     chan int
	code     int
	exited   bool
}

func startCLI(t *testing.T, args ...string) *cli {
	t.Helper()
	r, wr := io.Pipe()
	c := &cli{t: t, in: wr, done: make(chan int, 1)}
	go func() {
		code := runIO(args, r, &c.out, &c.err)
		_ = r.Close()
		c.done <- code
	}()
	t.Cleanup(func() {
		_ = wr.Close()
		if !c.exited {
			select {
			case <-c.done:
			case <-time.After(30 * time.Second):
				t.Errorf("connector %s did not exit", strings.Join(args, " "))
			}
		}
	})
	return c
}

// waitOutput waits until stdout contains s n times.
func (c *cli) waitOutput(s string, n int) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(c.out.String(), s) < n {
		select {
		case code := <-c.done:
			c.code, c.exited = code, true
			c.t.Fatalf("exited (%d) before printing %q; stdout:\n%s\nstderr:\n%s", code, s, c.out.String(), c.err.String())
		case <-time.After(20 * time.Millisecond): // polling
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("no %q on stdout after 60s; stdout:\n%s\nstderr:\n%s", s, c.out.String(), c.err.String())
		}
	}
}

func (c *cli) typeLine(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.in, s+"\n"); err != nil {
		c.t.Fatalf("type %q: %v", s, err)
	}
}

func (c *cli) wait() result {
	c.t.Helper()
	if !c.exited {
		select {
		case c.code = <-c.done:
			c.exited = true
		case <-time.After(60 * time.Second):
			c.t.Fatalf("still running after 60s; stdout:\n%s\nstderr:\n%s", c.out.String(), c.err.String())
		}
	}
	return result{code: c.code, stdout: c.out.String(), stderr: c.err.String()}
}

const codePrompt = "Login code (sent to your Telegram app): "

// loginWithCode runs `connector login` for a and types the code the
// simulator sent (changed by mangle, when set) once asked.
func (w *loginWorld) loginWithCode(t *testing.T, a sim.Account, mangle func(string) string, extra ...string) *cli {
	t.Helper()
	c := startCLI(t, append([]string{"login", "--config", w.cfgFile, "--account", a.Name}, extra...)...)
	c.waitOutput(codePrompt, 1)
	code, ok := w.sim.LoginCode(a.Phone)
	if !ok {
		t.Fatal("the simulator sent no code")
	}
	if mangle != nil {
		code = mangle(code)
	}
	c.typeLine(code)
	return c
}

func wantLoggedIn(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 || !strings.Contains(r.stdout, "Logged in as user") {
		t.Fatalf("login: exit %d, want 0 and \"Logged in as user\"; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestLoginCode(t *testing.T) {
	w := newLoginWorld(t, "")
	wantLoggedIn(t, w.loginWithCode(t, simAlice, nil).wait())
	if !w.sim.LoggedIn(simAlice.Name) {
		t.Fatal("the simulator has no session logged in as alice")
	}
	if s := storedSession(t, w.dataDir, simAlice.Name, nil); len(s.authKey) == 0 {
		t.Fatal("no auth key in the stored session")
	}
	// A second login refuses to replace the working session.
	r := runCLI(t, 60*time.Second, "login", "--config", w.cfgFile, "--account", "alice")
	wantOneError(t, r, "already logged in", "connector logout --config "+w.cfgFile+" --account alice")

	// Logout revokes on Telegram and deletes locally.
	r = runCLI(t, 60*time.Second, "logout", "--config", w.cfgFile, "--account", "alice")
	if r.code != 0 || !strings.Contains(r.stdout, "revoked on Telegram and deleted locally") {
		t.Fatalf("logout: exit %d; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if w.sim.LoggedIn(simAlice.Name) {
		t.Error("alice is still logged in on the simulator after logout")
	}
	st := openStore(t, w.dataDir, simAlice.Name, nil)
	if _, err := st.LoadSession(context.Background()); err == nil {
		t.Error("a session is still stored after logout")
	}
	_ = st.Close()
	r = runCLI(t, 60*time.Second, "logout", "--config", w.cfgFile, "--account", "alice")
	wantOneError(t, r, "not logged in", "no stored session")
}

func TestLoginFailures(t *testing.T) {
	w := newLoginWorld(t, "")
	again := "run `connector login --config " + w.cfgFile + " --account %s` again"
	t.Run("wrong code", func(t *testing.T) {
		r := w.loginWithCode(t, simAlice, wrongCode).wait()
		wantOneError(t, r, "the login code is wrong", fmt.Sprintf(again, "alice"))
	})
	t.Run("expired code", func(t *testing.T) {
		r := w.loginWithCode(t, simAlice, func(code string) string {
			w.sim.ExpireLoginCode(simAlice.Phone)
			return code
		}).wait()
		wantOneError(t, r, "the login code has expired", fmt.Sprintf(again, "alice"))
	})
	t.Run("wrong 2FA password", func(t *testing.T) {
		c := w.loginWithCode(t, simBob, nil)
		c.waitOutput("2FA password: ", 1)
		c.typeLine("incorrect horse")
		wantOneError(t, c.wait(), "the 2FA password is wrong", fmt.Sprintf(again, "bob"))
	})
	t.Run("locked out", func(t *testing.T) {
		r := runCLI(t, 60*time.Second, "login", "--config", w.cfgFile, "--account", "locked")
		wantOneError(t, r, "Telegram refuses new login codes for this account for 24h0m0s", "FLOOD_WAIT")
	})
	t.Run("sign-up refused", func(t *testing.T) {
		c := startCLI(t, "login", "--config", w.cfgFile, "--account", "alice", "--phone", "+15550009999")
		c.waitOutput(codePrompt, 1)
		code, _ := w.sim.LoginCode("+15550009999")
		c.typeLine(code)
		wantOneError(t, c.wait(), "this phone number has no Telegram account", "does not sign up")
	})
	t.Run("data dir readable by others", func(t *testing.T) {
		if err := os.MkdirAll(w.dataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(w.dataDir, 0o750); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(w.dataDir, 0o700)
		r := runCLI(t, 60*time.Second, "login", "--config", w.cfgFile, "--account", "alice")
		wantOneError(t, r, w.dataDir, "accessible to other users", "chmod 700")
	})
	t.Run("bot account", func(t *testing.T) {
		r := runCLI(t, 60*time.Second, "login", "--config", w.cfgFile, "--account", "bot")
		wantOneError(t, r, "account bot is a bot", "log in by themselves")
	})
	if w.sim.LoggedIn(simAlice.Name) || w.sim.LoggedIn(simBob.Name) {
		t.Error("a failed login left an account logged in")
	}
}

func TestLogin2FA(t *testing.T) {
	w := newLoginWorld(t, "")
	c := w.loginWithCode(t, simBob, nil)
	c.waitOutput("2FA password: ", 1)
	c.typeLine(simBob.Password)
	wantLoggedIn(t, c.wait())
	if !w.sim.LoggedIn(simBob.Name) {
		t.Fatal("bob is not logged in on the simulator")
	}
}

// TestLoginScripted logs in without a terminal: the code comes from a
// file written once Telegram sent it, the password from the environment.
func TestLoginScripted(t *testing.T) {
	w := newLoginWorld(t, "")
	t.Setenv(envLoginPassword, simBob.Password)
	codeFile := filepath.Join(t.TempDir(), "code")
	done := make(chan result, 1)
	go func() {
		var out, errb syncbuf.Buffer
		code := run([]string{"login", "--config", w.cfgFile, "--account", "bob", "--code-file", codeFile}, &out, &errb)
		done <- result{code: code, stdout: out.String(), stderr: errb.String()}
	}()
	var code string
	deadline := time.Now().Add(60 * time.Second)
	for ok := false; !ok; code, ok = w.sim.LoginCode(simBob.Phone) {
		select {
		case r := <-done:
			t.Fatalf("exited (%d) before a code was sent; stderr:\n%s", r.code, r.stderr)
		case <-time.After(20 * time.Millisecond): // polling
		}
		if time.Now().After(deadline) {
			t.Fatal("no code sent after 60s")
		}
	}
	if err := os.WriteFile(codeFile, []byte(code+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		wantLoggedIn(t, r)
		if strings.Contains(r.stdout, "2FA password: ") {
			t.Error("asked for the password although it was in the environment")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("login still running after 60s")
	}
}

func TestLoginQR(t *testing.T) {
	w := newLoginWorld(t, "")
	for _, a := range []sim.Account{simAlice, simBob} {
		t.Run(a.Name, func(t *testing.T) {
			c := startCLI(t, "login", "--config", w.cfgFile, "--account", a.Name, "--qr")
			// The token lives 2s: the code is shown, expires and is replaced.
			c.waitOutput("Scan this QR code", 2)
			if !strings.Contains(c.out.String(), "The QR code expired; here is a new one.") || !strings.Contains(c.out.String(), "█▀") {
				t.Fatalf("no refreshed QR code drawn; stdout:\n%s", c.out.String())
			}
			// Another device, logged in as the account, scans the code on
			// screen (again if it was replaced just then).
			var err error
			testutil.Eventually(t, 60*time.Second, "a QR code accepted", func() bool {
				tokens := w.sim.LoginTokens()
				if len(tokens) == 0 {
					return false
				}
				err = w.sim.AcceptLoginToken(context.Background(), a.Name, tokens[len(tokens)-1])
				return err == nil
			})
			if a.Password != "" {
				c.waitOutput("2FA password: ", 1)
				c.typeLine(a.Password)
			}
			wantLoggedIn(t, c.wait())
			if !w.sim.LoggedIn(a.Name) {
				t.Fatalf("%s is not logged in on the simulator", a.Name)
			}
		})
	}
}

// stored is what a session holds that must never leave it in clear.
type stored struct {
	raw     []byte
	authKey []byte
}

func openStore(t *testing.T, dataDir, account string, key []byte) *state.Store {
	t.Helper()
	st, err := state.Open(filepath.Join(dataDir, "accounts", account), state.Options{EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// storedSession reads the account's session (gotd's JSON) and its auth key.
func storedSession(t *testing.T, dataDir, account string, key []byte) stored {
	t.Helper()
	st := openStore(t, dataDir, account, key)
	defer st.Close()
	raw, err := st.LoadSession(context.Background())
	if err != nil {
		t.Fatalf("load session: %v", err)
	}
	var s struct {
		Data struct {
			AuthKey []byte
		}
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("session %q: %v", raw, err)
	}
	return stored{raw: raw, authKey: s.Data.AuthKey}
}

// secretForms are the ways auth key bytes could show up in a file or a log.
func secretForms(b []byte) map[string][]byte {
	return map[string][]byte{
		"raw":    b,
		"hex":    []byte(hex.EncodeToString(b)),
		"base64": []byte(base64.StdEncoding.EncodeToString(b)),
	}
}

// filesContaining lists the files under dir that contain needle.
func filesContaining(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, needle) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func newKey(t *testing.T) (string, []byte) {
	t.Helper()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return base64.StdEncoding.EncodeToString(k), k
}

func TestSessionEncryptedAtRest(t *testing.T) {
	oldB64, oldKey := newKey(t)
	w := newLoginWorld(t, oldB64)
	wantLoggedIn(t, w.loginWithCode(t, simAlice, nil).wait())
	s := storedSession(t, w.dataDir, simAlice.Name, oldKey)
	if len(s.authKey) != 256 {
		t.Fatalf("auth key of %d bytes, want 256", len(s.authKey))
	}
	scan := func(t *testing.T, dataDir string) []string {
		t.Helper()
		var found []string
		for form, needle := range secretForms(s.authKey) {
			for _, f := range filesContaining(t, dataDir, needle) {
				found = append(found, form+" in "+f)
			}
		}
		return found
	}
	if found := scan(t, w.dataDir); len(found) > 0 {
		t.Fatalf("the auth key is in clear in the data dir: %v", found)
	}

	t.Run("the scan finds a plain session", func(t *testing.T) {
		// Same session written without a key: the scan must see it, or it
		// proves nothing above.
		plainDir := filepath.Join(t.TempDir(), "data")
		st := openStore(t, plainDir, simAlice.Name, nil)
		if err := st.StoreSession(context.Background(), s.raw); err != nil {
			t.Fatal(err)
		}
		_ = st.Close()
		if found := scan(t, plainDir); len(found) == 0 {
			t.Fatal("the scan does not find the auth key of a plain session")
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		wrongB64, _ := newKey(t)
		w.writeConfig(t, wrongB64)
		defer w.writeConfig(t, oldB64)
		r := runCLI(t, 60*time.Second, "login", "--config", w.cfgFile, "--account", "alice")
		wantOneError(t, r, "stored session cannot be decrypted", "state.encryption_key")
		if _, sent := w.sim.LoginCode(simAlice.Phone); sent {
			t.Error("a login code was requested over the unreadable session")
		}
		// run stops the account with the same clear error instead of logging in.
		w.writeConfig(t, wrongB64, simAlice)
		r = runCLI(t, 60*time.Second, "run", "--config", w.cfgFile, "--http-listen", "")
		wantOneError(t, r, `account "alice"`, "stored session cannot be read", "wrong or missing encryption key")
		if _, sent := w.sim.LoginCode(simAlice.Phone); sent {
			t.Error("a login code was requested over the unreadable session")
		}
		if got := storedSession(t, w.dataDir, simAlice.Name, oldKey); !bytes.Equal(got.raw, s.raw) {
			t.Error("the stored session changed")
		}
	})

	t.Run("rekey", func(t *testing.T) {
		newB64, newK := newKey(t)
		keyFile := filepath.Join(t.TempDir(), "new.key")
		if err := os.WriteFile(keyFile, []byte(newB64+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, 60*time.Second, "rekey", "--config", w.cfgFile, "--new-key-file", keyFile)
		if r.code != 0 || !strings.Contains(r.stdout, "Rekeyed 4 account store(s)") {
			t.Fatalf("rekey: exit %d; stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		if got := storedSession(t, w.dataDir, simAlice.Name, newK); !bytes.Equal(got.raw, s.raw) {
			t.Fatal("the session did not survive the rekey")
		}
		if found := scan(t, w.dataDir); len(found) > 0 {
			t.Fatalf("the auth key is in clear after rekey: %v", found)
		}
		// The old key opens nothing any more; the new one keeps the login.
		r = runCLI(t, 60*time.Second, "login", "--config", w.cfgFile, "--account", "alice")
		wantOneError(t, r, "stored session cannot be decrypted")
		w.writeConfig(t, newB64)
		r = runCLI(t, 60*time.Second, "login", "--config", w.cfgFile, "--account", "alice")
		wantOneError(t, r, "already logged in")
		// A rekey with the wrong current key changes nothing.
		w.writeConfig(t, oldB64)
		r = runCLI(t, 60*time.Second, "rekey", "--config", w.cfgFile, "--new-key-file", keyFile)
		wantOneError(t, r, "wrong or missing encryption key", "nothing was changed")
		if got := storedSession(t, w.dataDir, simAlice.Name, newK); !bytes.Equal(got.raw, s.raw) {
			t.Fatal("a failed rekey changed the session")
		}
	})
}
