package ingest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/clock"
	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/telegram/dcs"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/ingest/internal/tgclient"
	"github.com/tgnats/tgnats/internal/logbridge"
)

// Errors an account stops on instead of reconnecting.
var (
	// ErrLogin means Telegram refused the account's credentials, or there is
	// no session and no way to log in without a person.
	ErrLogin = errors.New("ingest: login refused")
	// ErrSessionVersion means the stored session was written by an
	// incompatible version; logging in again silently would hide that.
	ErrSessionVersion = tgclient.ErrSessionVersion
	// ErrSessionUnreadable means the stored session cannot be read (a wrong
	// or missing encryption key, a damaged store): tgnats never replaces it
	// with a new login silently. Logins (ingest/auth) refuse it too.
	ErrSessionUnreadable = tgclient.ErrSessionUnreadable
)

// StopError is what Run returns when the account cannot go on without a
// person. Its message is the cause alone, without the layers of gotd's
// client that it passed through; errors.Is still finds ErrLogin or
// ErrSessionVersion.
type StopError struct {
	Err error
}

func (e *StopError) Error() string {
	for _, sentinel := range []error{ErrLogin, ErrSessionVersion, ErrSessionUnreadable} {
		msg := e.Err.Error()
		if i := strings.Index(msg, sentinel.Error()); i > 0 {
			return msg[i:]
		}
	}
	return e.Err.Error()
}

func (e *StopError) Unwrap() error { return e.Err }

// SessionStore keeps the MTProto session and the update state of one account.
type SessionStore interface {
	Store
	session.Storage
}

// AccountConfig configures one Telegram account.
type AccountConfig struct {
	// Account is the configured short name.
	Account string
	// AppID and AppHash identify the API application.
	AppID   int
	AppHash string
	// BotToken logs in as a bot when there is no valid session.
	BotToken string
	// LoginCommand is the command a person runs to log a user account in,
	// named when it has no session; default "connector login --account <Account>".
	LoginCommand string
	// DC and DCAddr (host:port) point at a non-production server, such as a
	// Telegram test DC or the simulator, with its PublicKeys. Empty DCAddr
	// means Telegram's production DCs.
	DC         int
	DCAddr     string
	PublicKeys []telegram.PublicKey
	// Store holds the session, update state and outbox.
	Store SessionStore
	// Engine is the template for each engine run (Account, API, Store and
	// Self are filled in).
	Engine EngineConfig
	// MinBackoff and MaxBackoff bound reconnection delays. Defaults 500ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	Metrics                *Metrics
	Logger                 *slog.Logger
}

// Account keeps one Telegram account connected and its updates flowing into
// the outbox, reconnecting with backoff after any failure.
type Account struct {
	cfg      AccountConfig
	log      *slog.Logger
	loggedIn atomic.Bool
	engine   atomic.Pointer[Engine]
	// calls makes the calls of the current connection (gated: see callGate).
	calls atomic.Pointer[gatedInvoker]
	self  atomic.Int64
	// dial connects to Telegram, reporting what it cannot reach.
	dial dcs.DialFunc
}

// ErrNotConnected is returned by Invoker calls while the account has no
// logged-in connection to Telegram.
var ErrNotConnected = errors.New("ingest: not connected to Telegram")

// Invoker returns a tg.Invoker bound to the account's current connection
// (tg.NewClient(a.Invoker()) gives the whole API). Calls made while the
// account is reconnecting fail with ErrNotConnected.
func (a *Account) Invoker() tg.Invoker { return accountInvoker{a} }

type accountInvoker struct{ a *Account }

func (i accountInvoker) Invoke(ctx context.Context, input bin.Encoder, output bin.Decoder) error {
	c := i.a.calls.Load()
	if c == nil || !i.a.loggedIn.Load() {
		return ErrNotConnected
	}
	return c.Invoke(ctx, input, output)
}

// HandleUpdates feeds updates that an RPC returned (a send, an edit) into
// the account's update engine, as if Telegram had pushed them: the outgoing
// message's event and the pts stay consistent.
func (a *Account) HandleUpdates(ctx context.Context, u tg.UpdatesClass) error {
	e := a.engine.Load()
	if e == nil {
		return ErrNotConnected
	}
	return e.Handle(ctx, u)
}

// NewAccount validates cfg and returns an Account.
func NewAccount(cfg AccountConfig) (*Account, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Engine.Clock == nil {
		cfg.Engine.Clock = clock.System
	}
	switch {
	case cfg.Account == "":
		return nil, errors.New("ingest: account name is required")
	case cfg.Store == nil:
		return nil, errors.New("ingest: store is required")
	case cfg.AppID == 0 || cfg.AppHash == "":
		return nil, errors.New("ingest: app_id and app_hash are required")
	}
	if cfg.DCAddr != "" {
		if _, _, err := net.SplitHostPort(cfg.DCAddr); err != nil {
			return nil, fmt.Errorf("ingest: dc address %q: %w", cfg.DCAddr, err)
		}
	}
	log := cfg.Logger.With("component", "ingest", "account", cfg.Account)
	return &Account{cfg: cfg, log: log, dial: tgclient.ReportingDial(log)}, nil
}

// Ready reports whether the account is logged in and caught up.
func (a *Account) Ready() bool {
	e := a.engine.Load()
	return a.loggedIn.Load() && e != nil && e.CaughtUp()
}

// Self returns the account's user id once logged in (0 before).
func (a *Account) Self() int64 { return a.self.Load() }

// Run connects and follows updates until ctx is done (it returns nil then) or
// the account cannot go on without a person (ErrLogin, ErrSessionVersion,
// ErrSessionUnreadable).
func (a *Account) Run(ctx context.Context) error {
	delay := a.cfg.MinBackoff
	for {
		start := a.cfg.Engine.Clock.Now()
		err := a.runOnce(ctx)
		a.loggedIn.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrLogin) || errors.Is(err, ErrSessionVersion) || errors.Is(err, ErrSessionUnreadable) {
			return &StopError{Err: err}
		}
		if a.cfg.Engine.Clock.Now().Sub(start) > time.Minute {
			delay = a.cfg.MinBackoff
		}
		a.cfg.Metrics.Reconnects.WithLabelValues(a.cfg.Account).Inc()
		a.log.Warn("Telegram connection ended; reconnecting", "error", err, "in", delay)
		t := a.cfg.Engine.Clock.Timer(delay)
		select {
		case <-ctx.Done():
			clock.StopTimer(t)
			return nil
		case <-t.C():
		}
		delay = min(delay*2, a.cfg.MaxBackoff)
	}
}

func (a *Account) runOnce(ctx context.Context) error {
	var eng *Engine
	opts := telegram.Options{
		SessionStorage: tgclient.Session{Storage: a.cfg.Store, OnStore: func() {
			// Updates pushed while the connection was down are lost to
			// it: Telegram expects a getDifference after each reconnect.
			if e := a.engine.Load(); e != nil && e == eng {
				a.cfg.Metrics.Reconnects.WithLabelValues(a.cfg.Account).Inc()
				e.Resync()
			}
		}},
		Logger: logbridge.Zap(a.cfg.Logger.With("component", "gotd", "account", a.cfg.Account)),
		UpdateHandler: telegram.UpdateHandlerFunc(func(ctx context.Context, u tg.UpdatesClass) error {
			return eng.Handle(ctx, u)
		}),
		// The supervisor above owns reconnection policy; gotd retries
		// within one run.
	}
	if err := tgclient.SetDC(&opts, a.cfg.DC, a.cfg.DCAddr, a.cfg.PublicKeys); err != nil {
		return err
	}
	tgclient.AddStoredDCs(ctx, &opts, opts.SessionStorage)
	opts.Resolver = dcs.Plain(dcs.PlainOptions{Dial: a.dial})
	client := telegram.NewClient(a.cfg.AppID, a.cfg.AppHash, opts)
	// Every call goes through gate, and the connection closes only after
	// a stop let the calls in flight return (see callGate).
	gate := newCallGate()
	calls := &gatedInvoker{inv: client, gate: gate}
	api := tg.NewClient(calls)

	ecfg := a.cfg.Engine
	ecfg.Account = a.cfg.Account
	ecfg.API = api
	ecfg.Store = a.cfg.Store
	ecfg.Metrics = a.cfg.Metrics
	ecfg.Logger = a.cfg.Logger
	var err error
	eng, err = NewEngine(ecfg)
	if err != nil {
		return err
	}

	// The connection runs on a context of its own, cancelled once ctx is
	// done and the calls in flight returned; the account's work (login,
	// the engine) stops with either.
	connCtx, closeConn := context.WithCancel(context.WithoutCancel(ctx))
	defer closeConn()
	stopConn := context.AfterFunc(ctx, func() {
		gate.close(closeWait)
		closeConn()
	})
	defer stopConn()
	return client.Run(connCtx, func(connCtx context.Context) error {
		runCtx, cancel := context.WithCancel(connCtx)
		defer cancel()
		defer context.AfterFunc(ctx, cancel)()
		self, err := a.login(runCtx, api)
		if err != nil {
			return err
		}
		a.self.Store(self.ID)
		eng.SetSelf(self.ID)
		a.engine.Store(eng)
		a.calls.Store(calls)
		a.loggedIn.Store(true)
		a.log.Info("logged in", "user_id", self.ID, "bot", self.Bot)
		return eng.Run(runCtx)
	})
}

// login makes sure the session is authorized, logging in as a bot if needed.
func (a *Account) login(ctx context.Context, api *tg.Client) (*tg.User, error) {
	client := auth.NewClient(api, rand.Reader, a.cfg.AppID, a.cfg.AppHash)
	status, err := client.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("ingest: auth status: %w", err)
	}
	if status.Authorized {
		return status.User, nil
	}
	if a.cfg.BotToken == "" {
		cmd := a.cfg.LoginCommand
		if cmd == "" {
			cmd = "connector login --account " + a.cfg.Account
		}
		return nil, fmt.Errorf("%w: user account %s is not logged in (no session, or Telegram revoked it): log in with `%s`", ErrLogin, a.cfg.Account, cmd)
	}
	res, err := client.Bot(ctx, a.cfg.BotToken)
	if err != nil {
		if tgerr.Is(err, "ACCESS_TOKEN_INVALID", "ACCESS_TOKEN_EXPIRED", "API_ID_INVALID", "API_ID_PUBLISHED_FLOOD", "USER_DEACTIVATED", "USER_DEACTIVATED_BAN") {
			var rpc *tgerr.Error
			errors.As(err, &rpc)
			return nil, fmt.Errorf("%w: Telegram refused the bot token (%s)", ErrLogin, rpc.Type)
		}
		return nil, fmt.Errorf("ingest: bot login: %w", err)
	}
	u, ok := res.User.(*tg.User)
	if !ok {
		return nil, fmt.Errorf("ingest: bot login: unexpected user %T", res.User)
	}
	return u, nil
}

// SetSelf sets the account's own user id. Call it before Run.
func (e *Engine) SetSelf(id int64) { e.cfg.Self = id }
