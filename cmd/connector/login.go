package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"
	"rsc.io/qr"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/ingest/auth"
	"github.com/tgnats/tgnats/internal/connector"
	"github.com/tgnats/tgnats/state"
)

// Inputs for scripted logins and rekeys (config.InputVars).
const (
	envLoginCode     = "TGNATS_LOGIN_CODE"
	envLoginPassword = "TGNATS_LOGIN_PASSWORD"
	envNewKey        = "TGNATS_NEW_ENCRYPTION_KEY"
)

// accountCmd is what login and logout share: the config and the account.
type accountCmd struct {
	fs      *flag.FlagSet
	path    *string
	account *string
	o       overrides
}

func newAccountCmd(name string, stderr io.Writer) *accountCmd {
	fs := newFlagSet(name, "--account NAME [flags]", stderr)
	c := &accountCmd{fs: fs}
	c.path = fs.String("config", "", "config file (YAML); TGNATS_* environment variables and flags override it")
	c.account = fs.String("account", "", "name of the user account in the configuration (required)")
	c.o = overrides{}
	c.o.add(fs, "data-dir", "data_dir", "data directory (state, embedded NATS)")
	c.o.add(fs, "log-level", "log.level", "debug, info, warn or error")
	fs.Var(&setFlag{}, "set", "set any configuration `key=value` by its dotted path (repeatable)")
	return c
}

// load parses args and returns the validated configuration.
func (c *accountCmd) load(args []string) (*config.Config, error) {
	if err := parseFlags(c.fs, args); err != nil {
		return nil, err
	}
	cfg, err := loadConfig(*c.path, c.fs, c.o)
	if err != nil {
		return nil, err
	}
	if *c.account == "" {
		if len(cfg.Accounts) != 1 {
			return nil, errors.New("--account is required: name the account to act on")
		}
		*c.account = cfg.Accounts[0].Name
	}
	return cfg, nil
}

func loadConfig(path string, fs *flag.FlagSet, o overrides) (*config.Config, error) {
	cfg, err := config.Load(path, os.Environ())
	if err != nil {
		return nil, err
	}
	if err := o.apply(fs, cfg); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	return cfg, nil
}

func (c *accountCmd) options(cfg *config.Config, stderr io.Writer) connector.LoginOptions {
	return connector.LoginOptions{Config: cfg, Account: *c.account, ConfigPath: *c.path, Logger: quietLogger(cfg, c.fs, stderr)}
}

// quietLogger is the logger of an interactive command: warnings and errors
// only, unless --log-level asks for more.
func quietLogger(cfg *config.Config, fs *flag.FlagSet, stderr io.Writer) *slog.Logger {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "log-level" })
	if !set && (cfg.Log.Level == "info" || cfg.Log.Level == "debug") {
		c := *cfg
		c.Log.Level = "warn"
		cfg = &c
	}
	return newLogger(cfg, stderr)
}

// command is the login command line to show in hints.
func (c *accountCmd) command(verb string) string {
	cmd := "connector " + verb
	if *c.path != "" {
		cmd += " --config " + *c.path
	}
	return cmd + " --account " + *c.account
}

func loginCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := newAccountCmd("login", stderr)
	phone := c.fs.String("phone", "", "phone number in international format (default: the account's phone)")
	useQR := c.fs.Bool("qr", false, "log in by scanning a QR code with a Telegram app where you are logged in")
	codeFile := c.fs.String("code-file", "", "read the login code from this file, waiting for it to appear (or set "+envLoginCode+")")
	passwordFile := c.fs.String("password-file", "", "read the 2FA password from this file (or set "+envLoginPassword+")")
	cfg, err := c.load(args)
	if err != nil {
		return err
	}
	opts := c.options(cfg, stderr)
	if ac := cfg.Account(*c.account); ac != nil && *phone == "" {
		*phone = ac.Phone
	}
	t := newTerminal(stdin, stdout)
	t.phone = *phone
	t.code = secretInput{env: envLoginCode, file: *codeFile, wait: true, prompt: "Login code (sent to your Telegram app): "}
	t.password = secretInput{env: envLoginPassword, file: *passwordFile, prompt: "2FA password: "}
	self, err := connector.Login(ctx, opts, t, *useQR)
	if err != nil {
		return loginFailure(err, c.command("login"), c.command("logout"))
	}
	if self == nil {
		return errors.New("login ended without a user: Telegram did not confirm it; run the command again")
	}
	fmt.Fprintf(stdout, "Logged in as user %d. The session is stored in %s.\nStart the connector with `connector run`.\n",
		self.ID, filepath.Join(cfg.DataDir, "accounts", *c.account))
	return nil
}

// loginFailure says what went wrong in a person's words and what to do.
func loginFailure(err error, again, logout string) error {
	var flood *auth.FloodWaitError
	switch {
	case errors.As(err, &flood):
		return fmt.Errorf("Telegram refuses new login codes for this account for %s (FLOOD_WAIT, too many attempts): wait, then run `%s`", flood.Wait, again)
	case errors.Is(err, auth.ErrCodeInvalid):
		return fmt.Errorf("the login code is wrong: run `%s` again and type the code Telegram sent to your Telegram app", again)
	case errors.Is(err, auth.ErrCodeExpired):
		return fmt.Errorf("the login code has expired: run `%s` again and use the new code", again)
	case errors.Is(err, auth.ErrPasswordInvalid):
		return fmt.Errorf("the 2FA password is wrong: run `%s` again with the password set in Telegram under Privacy and Security > Two-Step Verification", again)
	case errors.Is(err, auth.ErrSignUpRequired):
		return errors.New("this phone number has no Telegram account, and tgnats does not sign up: create the account in an official Telegram app first, then log in here")
	case errors.Is(err, auth.ErrAlreadyLoggedIn):
		return fmt.Errorf("already logged in: to log in again, run `%s` first", logout)
	case errors.Is(err, state.ErrWrongKey):
		return errors.New("the stored session cannot be decrypted: state.encryption_key is missing or is not the key it was written with; set that key (tgnats never logs in again over an unreadable session)")
	}
	return err
}

func logoutCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newAccountCmd("logout", stderr)
	cfg, err := c.load(args)
	if err != nil {
		return err
	}
	if err := connector.Logout(ctx, c.options(cfg, stderr)); err != nil {
		if errors.Is(err, state.ErrWrongKey) {
			return loginFailure(err, c.command("login"), c.command("logout"))
		}
		return err
	}
	fmt.Fprintf(stdout, "Logged out: the session of %s is revoked on Telegram and deleted locally.\n", *c.account)
	return nil
}

func rekeyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rekey", "--new-key-file FILE [flags]", stderr)
	path := fs.String("config", "", "config file; its state.encryption_key is the current key (none: sessions are not encrypted yet)")
	newKeyFile := fs.String("new-key-file", "", "file holding the new key, base64 of 32 bytes (or set "+envNewKey+")")
	o := overrides{}
	o.add(fs, "data-dir", "data_dir", "data directory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, fs, o)
	if err != nil {
		return err
	}
	key := os.Getenv(envNewKey)
	if *newKeyFile != "" {
		b, err := os.ReadFile(*newKeyFile)
		if err != nil {
			return fmt.Errorf("--new-key-file: %w", err)
		}
		key = string(b)
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return fmt.Errorf("no new key: give --new-key-file or set %s (e.g. from `openssl rand -base64 32`)", envNewKey)
	}
	done, err := connector.Rekey(ctx, cfg, key, quietLogger(cfg, fs, stderr))
	if err != nil {
		if len(done) > 0 {
			return fmt.Errorf("%w (already rekeyed with the new key: %s)", err, strings.Join(done, ", "))
		}
		if errors.Is(err, state.ErrWrongKey) {
			return fmt.Errorf("%w: state.encryption_key must be the current key; nothing was changed", err)
		}
		return err
	}
	fmt.Fprintf(stdout, "Rekeyed %d account store(s): %s.\nNow set state.encryption_key (or encryption_key_file) to the new key: the old one no longer opens them.\n",
		len(done), strings.Join(done, ", "))
	return nil
}

// terminal is the person at the keyboard: it implements auth.QRPrompter.
type terminal struct {
	in      *bufio.Reader
	inFile  *os.File // stdin when it is a terminal: secrets are read without echo
	out     io.Writer
	outTerm bool

	phone    string
	code     secretInput
	password secretInput
	qrShown  int
}

// secretInput is a secret read from the environment, a file or the terminal.
type secretInput struct {
	env, file, prompt string
	// wait makes a missing file something to wait for: a script writes
	// the code once Telegram has sent it.
	wait bool
}

func newTerminal(stdin io.Reader, stdout io.Writer) *terminal {
	t := &terminal{in: bufio.NewReader(stdin), out: stdout}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		t.inFile = f
	}
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		t.outTerm = true
	}
	return t
}

var _ auth.QRPrompter = (*terminal)(nil)

func (t *terminal) Phone(ctx context.Context) (string, error) {
	if t.phone != "" {
		return t.phone, nil
	}
	fmt.Fprint(t.out, "Phone number (international format, e.g. +15551234567): ")
	return t.readLine(ctx, false)
}

func (t *terminal) Code(ctx context.Context) (string, error) { return t.secret(ctx, t.code) }

func (t *terminal) Password(ctx context.Context) (string, error) { return t.secret(ctx, t.password) }

func (t *terminal) secret(ctx context.Context, in secretInput) (string, error) {
	if v := os.Getenv(in.env); v != "" {
		return strings.TrimSpace(v), nil
	}
	if in.file != "" {
		return readSecretFile(ctx, in.file, in.wait)
	}
	fmt.Fprint(t.out, in.prompt)
	return t.readLine(ctx, true)
}

// readSecretFile reads path, waiting for it to exist and be non-empty when wait.
func readSecretFile(ctx context.Context, path string, wait bool) (string, error) {
	for {
		b, err := os.ReadFile(path)
		if v := strings.TrimSpace(string(b)); err == nil && v != "" {
			return v, nil
		}
		if !wait {
			if err == nil {
				err = errors.New("empty")
			}
			return "", fmt.Errorf("%s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// readLine reads one line, without echo when secret and stdin is a terminal.
func (t *terminal) readLine(ctx context.Context, secret bool) (string, error) {
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		if secret && t.inFile != nil {
			b, err := term.ReadPassword(int(t.inFile.Fd()))
			fmt.Fprintln(t.out)
			ch <- line{string(b), err}
			return
		}
		s, err := t.in.ReadString('\n')
		if err == io.EOF && s != "" {
			err = nil
		}
		ch <- line{s, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case l := <-ch:
		if l.err == io.EOF {
			return "", errors.New("no input: standard input is closed")
		}
		if l.err != nil {
			return "", fmt.Errorf("read input: %w", l.err)
		}
		return strings.TrimSpace(l.s), nil
	}
}

// ShowQR prints url as a QR code of half blocks, replacing the previous one
// on a terminal.
func (t *terminal) ShowQR(_ context.Context, url string, expires time.Time) error {
	code, err := qr.Encode(url, qr.M)
	if err != nil {
		return fmt.Errorf("qr code: %w", err)
	}
	if t.qrShown > 0 {
		if t.outTerm {
			fmt.Fprint(t.out, "\033[H\033[2J")
		}
		fmt.Fprintln(t.out, "The QR code expired; here is a new one.")
	}
	t.qrShown++
	fmt.Fprintln(t.out, "Scan this QR code with Telegram on a device where you are logged in")
	fmt.Fprintln(t.out, "(Settings > Devices > Link Desktop Device):")
	fmt.Fprint(t.out, renderQR(code))
	fmt.Fprintf(t.out, "It is valid until %s; a new one follows.\n", expires.Format(time.TimeOnly))
	return nil
}

// renderQR draws code with half-block characters, two modules rows per
// text line, with a quiet zone: light modules are drawn, dark ones left as
// background, for a terminal with a dark background.
func renderQR(code *qr.Code) string {
	const quiet = 2
	light := func(x, y int) bool {
		if x < 0 || y < 0 || x >= code.Size || y >= code.Size {
			return true
		}
		return !code.Black(x, y)
	}
	var b strings.Builder
	for y := -quiet; y < code.Size+quiet; y += 2 {
		for x := -quiet; x < code.Size+quiet; x++ {
			top, bottom := light(x, y), light(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
