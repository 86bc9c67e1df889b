package tgnats

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go/wait"

	tcexec "github.com/testcontainers/testcontainers-go/exec"
)

// User accounts. A user account in the container logs in as a person
// does: `connector simulate` waits for it, `connector login` (run inside
// the container by LogIn or LogInQR) asks the simulated Telegram for a
// code, and the code the simulated phone got is read from the control
// surface (LoginCode); or the QR code is accepted as the phone scanning it
// would (AcceptLoginToken). Once every user account is logged in, the
// connector starts and WaitReady returns.

// AccountSpec is one simulated account of WithAccounts: a bot without
// Phone, a user account with it (Password: its 2FA password, "" for none).
type AccountSpec struct {
	Name     string
	Phone    string
	Password string
}

// WithUserAccount makes the simulated account (WithAccount, default
// "main") a user account with phone and 2FA password ("" for none). Run
// then returns once the simulator waits for the login: call LogIn (or
// LogInQR), then WaitReady.
func WithUserAccount(phone, password string) Option {
	return func(o *options) { o.phone, o.password = phone, password }
}

// WithAccounts runs several simulated accounts, bots and user accounts
// mixed, each with its own subjects, stream and control surface (see
// ControlAccount); the first is the one Control, Ledger and the other
// helpers act for. It replaces WithAccount and WithUserAccount. With user
// accounts, Run returns once the simulator waits for their login.
func WithAccounts(accounts ...AccountSpec) Option {
	return func(o *options) { o.accounts = accounts }
}

// accountFlags are simulate's flags for the accounts; they also set the
// container's default account and the user accounts' passwords.
func (o *options) accountFlags(c *Container) ([]string, error) {
	c.passwords = map[string]string{}
	if len(o.accounts) == 0 {
		flags := []string{"--account", o.account}
		if o.phone != "" {
			flags = append(flags, "--phone", o.phone, "--password", o.password)
			c.passwords[o.account] = o.password
		}
		return flags, nil
	}
	entries := make([]string, 0, len(o.accounts))
	for _, a := range o.accounts {
		if a.Name == "" || strings.ContainsAny(a.Name+a.Phone, ",:") || strings.Contains(a.Password, ",") {
			return nil, fmt.Errorf("tgnats: WithAccounts: account %q: a name, a phone without , or : and a password without ,", a.Name)
		}
		e := a.Name
		if a.Phone != "" {
			e += ":" + a.Phone
			if a.Password != "" {
				e += ":" + a.Password
			}
			c.passwords[a.Name] = a.Password
		}
		entries = append(entries, e)
	}
	c.account = o.accounts[0].Name
	return []string{"--accounts", strings.Join(entries, ",")}, nil
}

// readiness is what Run waits for: /readyz, or with user accounts the
// simulator's login screen.
func (o *options) readiness() wait.Strategy {
	users := o.phone != ""
	for _, a := range o.accounts {
		users = users || a.Phone != ""
	}
	if users {
		return wait.ForLog("is waiting for the user account login").WithStartupTimeout(o.startTimeout)
	}
	return wait.ForHTTP("/readyz").WithPort(HTTPPort).
		WithStartupTimeout(o.startTimeout).WithPollInterval(200 * time.Millisecond)
}

// LoginCode returns the login code the simulated Telegram sent last to
// the user account's phone (a *ControlError NOT_FOUND before a login
// asked for one).
func (c *Container) LoginCode(ctx context.Context, account string) (string, error) {
	var r struct {
		Code string `json:"code"`
	}
	err := c.ControlAccount(ctx, account, "login.code", nil, &r)
	return r.Code, err
}

// AcceptLoginToken accepts a QR login token as the user account's phone
// scanning the QR code would: token is the tg://login?token=… URL or its
// token; "" accepts the QR code shown last. NOT_FOUND when none is shown.
func (c *Container) AcceptLoginToken(ctx context.Context, account, token string) error {
	var req any
	if token != "" {
		req = map[string]string{"token": token}
	}
	return c.ControlAccount(ctx, account, "login.accept", req, nil)
}

// RevokeSessions ends every session of the account on the simulated
// Telegram ("Terminate all sessions"): a user account's connector stops
// and asks for a new login. It returns the number of sessions ended.
func (c *Container) RevokeSessions(ctx context.Context, account string) (int, error) {
	var r struct {
		Revoked int `json:"revoked"`
	}
	err := c.ControlAccount(ctx, account, "session.revoke", nil, &r)
	return r.Revoked, err
}

// LogIn logs the user account in with `connector login` inside the
// container, typing the code the simulated phone got and the account's
// 2FA password.
func (c *Container) LogIn(ctx context.Context, account string) error {
	codeFile := DataDir + "/login-code-" + account
	return c.login(ctx, account, []string{"--code-file", codeFile}, func(ctx context.Context) error {
		code, err := c.LoginCode(ctx, account)
		if err != nil {
			return err
		}
		// Readable by the container's user: docker cp writes as root.
		return c.CopyToContainer(ctx, []byte(code+"\n"), codeFile, 0o644)
	})
}

// LogInQR logs the user account in with `connector login --qr` inside
// the container, accepting its QR code as the account's phone would.
func (c *Container) LogInQR(ctx context.Context, account string) error {
	return c.login(ctx, account, []string{"--qr"}, func(ctx context.Context) error {
		return c.AcceptLoginToken(ctx, account, "")
	})
}

// connectorPaths are where the connector binary is in the images: the
// one BuildImage makes and the repository's Dockerfile.
var connectorPaths = []string{"/connector", "/usr/local/bin/connector"}

// login runs `connector login` for account with args and, meanwhile,
// retries answer (the person's part) until it succeeds.
func (c *Container) login(ctx context.Context, account string, args []string, answer func(context.Context) error) error {
	password, ok := c.passwords[account]
	if !ok {
		return fmt.Errorf("tgnats: login: %q is not a user account of this container", account)
	}
	type result struct {
		code int
		out  string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		for _, bin := range connectorPaths {
			cmd := append([]string{bin, "login", "--config", DataDir + "/connector.yaml", "--account", account}, args...)
			var out io.Reader
			r.code, out, r.err = c.Exec(ctx, cmd, tcexec.Multiplexed(), tcexec.WithEnv([]string{"TGNATS_LOGIN_PASSWORD=" + password}))
			if out != nil {
				b, _ := io.ReadAll(out)
				r.out = string(b)
			}
			if r.err == nil && !strings.Contains(r.out, "no such file or directory") {
				break
			}
		}
		done <- r
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	answered := false
	for {
		select {
		case r := <-done:
			switch {
			case r.err != nil:
				return fmt.Errorf("tgnats: connector login: %w", r.err)
			case r.code != 0:
				return fmt.Errorf("tgnats: connector login exited %d: %s", r.code, strings.TrimSpace(r.out))
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C: // polling for the code or QR token the login asks for
		}
		if !answered {
			err := answer(ctx)
			var ce *ControlError
			if err != nil && !(errors.As(err, &ce) && ce.Code == "NOT_FOUND") {
				return err
			}
			answered = err == nil
		}
	}
}

// WaitReady waits until the connector answers /readyz with 200: with user
// accounts, once every one logged in and the connector started.
func (c *Container) WaitReady(ctx context.Context) error {
	base, err := c.PortEndpoint(ctx, HTTPPort, "http")
	if err != nil {
		return fmt.Errorf("tgnats: readyz: %w", err)
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if err != nil {
			return fmt.Errorf("tgnats: readyz: %w", err)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tgnats: readyz: %w", ctx.Err())
		case <-tick.C: // polling the endpoint
		}
	}
}
