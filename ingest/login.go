package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/telegram/auth/qrlogin"
	"github.com/gotd/td/telegram/dcs"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/internal/logbridge"
)

// Errors of a user login a person can act on. Their messages are written to
// be shown as they are.
var (
	// ErrSignUpRequired means the phone number has no Telegram account;
	// tgnats does not create accounts.
	ErrSignUpRequired = errors.New("ingest: this phone number has no Telegram account: sign up in an official Telegram app first, then log in here")
	// ErrCodeInvalid means the login code was not the one Telegram sent.
	ErrCodeInvalid = errors.New("ingest: the login code is wrong")
	// ErrCodeExpired means the login code is no longer valid.
	ErrCodeExpired = errors.New("ingest: the login code has expired")
	// ErrPasswordInvalid means the 2FA (cloud) password is wrong.
	ErrPasswordInvalid = errors.New("ingest: the 2FA password is wrong")
	// ErrPhoneInvalid means Telegram refused the phone number itself.
	ErrPhoneInvalid = errors.New("ingest: Telegram refused the phone number: use the international format, e.g. +15551234567")
	// ErrAlreadyLoggedIn means the store already holds a working session.
	ErrAlreadyLoggedIn = errors.New("ingest: already logged in")
	// ErrNotLoggedIn means there is no session to log out.
	ErrNotLoggedIn = errors.New("ingest: not logged in")
	// ErrSessionUnreadable means the stored session cannot be read (a wrong
	// or missing encryption key, a damaged store): tgnats never replaces it
	// with a new login silently.
	ErrSessionUnreadable = errors.New("ingest: stored session cannot be read")
)

// FloodWaitError is Telegram refusing a login step for a while (FLOOD_WAIT),
// typically after too many codes were requested for one phone.
type FloodWaitError struct {
	Wait time.Duration
}

func (e *FloodWaitError) Error() string {
	return fmt.Sprintf("ingest: Telegram refuses new login attempts for this account for %s (FLOOD_WAIT): try again later", e.Wait)
}

// Prompter asks the person logging in. Each method is called at most once
// per login.
type Prompter interface {
	// Phone returns the phone number in international format.
	Phone(ctx context.Context) (string, error)
	// Code returns the code Telegram sent to the account's apps (or SMS).
	Code(ctx context.Context) (string, error)
	// Password returns the account's 2FA password; asked only when the
	// account has one.
	Password(ctx context.Context) (string, error)
}

// QRPrompter also shows QR codes, for a login from another device.
type QRPrompter interface {
	Prompter
	// ShowQR shows url (tg://login?token=…) as a QR code valid until
	// expires. It is called again with a new token when one expires.
	ShowQR(ctx context.Context, url string, expires time.Time) error
}

// LoginStore is where the session lands.
type LoginStore interface {
	session.Storage
	DeleteSession(ctx context.Context) error
}

// LoginConfig is how to reach Telegram for a user login or logout.
type LoginConfig struct {
	Account    string
	AppID      int
	AppHash    string
	DC         int
	DCAddr     string
	PublicKeys []telegram.PublicKey
	Store      LoginStore
	Logger     *slog.Logger
}

func (c *LoginConfig) validate() error {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.Account == "":
		return errors.New("ingest: account name is required")
	case c.Store == nil:
		return errors.New("ingest: store is required")
	case c.AppID == 0 || c.AppHash == "":
		return errors.New("ingest: app_id and app_hash are required")
	}
	return nil
}

// Login logs a user account in with its phone number, the code Telegram
// sends and, when the account has one, its 2FA password. The session is
// stored in cfg.Store. It refuses to replace a working session
// (ErrAlreadyLoggedIn) or an unreadable one (ErrSessionUnreadable), and to
// sign up a new account (ErrSignUpRequired).
func Login(ctx context.Context, cfg LoginConfig, p Prompter) (*tg.User, error) {
	var self *tg.User
	err := withClient(ctx, &cfg, nil, func(ctx context.Context, client *telegram.Client) error {
		flow := auth.NewFlow(userAuthenticator{p}, auth.SendCodeOptions{})
		if err := flow.Run(ctx, client.Auth()); err != nil {
			return loginError(err)
		}
		var err error
		self, err = client.Self(ctx)
		return err
	})
	return self, err
}

// LoginQR logs a user account in by a QR code scanned with a Telegram app
// where the account is already logged in, asking for the 2FA password
// afterwards when the account has one.
func LoginQR(ctx context.Context, cfg LoginConfig, p QRPrompter) (*tg.User, error) {
	d := tg.NewUpdateDispatcher()
	// qrlogin.OnLoginToken drops the signal when the flow is not waiting
	// at that instant (it may still be showing the code); keep one. The
	// next export after it (or after expiry) answers the outcome.
	accepted := make(chan struct{}, 1)
	d.OnLoginToken(func(context.Context, tg.Entities, *tg.UpdateLoginToken) error {
		select {
		case accepted <- struct{}{}:
		default:
		}
		return nil
	})
	var self *tg.User
	err := withClient(ctx, &cfg, d, func(ctx context.Context, client *telegram.Client) error {
		err := qrAuth(ctx, client, cfg, accepted, p)
		if tgerr.Is(err, "SESSION_PASSWORD_NEEDED") {
			pw, perr := p.Password(ctx)
			if perr != nil {
				return fmt.Errorf("ingest: 2FA password: %w", perr)
			}
			_, err = client.Auth().Password(ctx, pw)
		}
		if err != nil {
			return loginError(err)
		}
		self, err = client.Self(ctx)
		return err
	})
	return self, err
}

// qrAuth exports login tokens and shows them until one is accepted. It is
// qrlogin.QR.Auth, except that a token accepted just as it expired (the
// re-export then answers auth.loginTokenSuccess) logs in instead of failing.
func qrAuth(ctx context.Context, client *telegram.Client, cfg LoginConfig, accepted <-chan struct{}, p QRPrompter) error {
	for {
		res, err := client.API().AuthExportLoginToken(ctx, &tg.AuthExportLoginTokenRequest{APIID: cfg.AppID, APIHash: cfg.AppHash})
		if err != nil {
			return err
		}
		switch t := res.(type) {
		case *tg.AuthLoginTokenSuccess:
			return nil
		case *tg.AuthLoginTokenMigrateTo:
			// The account lives on another DC: gotd migrates and imports.
			_, err := client.QR().Import(ctx)
			return err
		case *tg.AuthLoginToken:
			token := qrlogin.NewToken(t.Token, t.Expires)
			if err := p.ShowQR(ctx, token.URL(), token.Expires()); err != nil {
				return fmt.Errorf("ingest: show QR code: %w", err)
			}
			timer := time.NewTimer(max(time.Until(token.Expires()), 0))
			select {
			case <-ctx.Done():
				timer.Stop()
				return ctx.Err()
			case <-timer.C:
			case <-accepted:
				timer.Stop()
			}
		default:
			return fmt.Errorf("ingest: unexpected login token %T", res)
		}
	}
}

// Logout revokes the stored session on Telegram (auth.logOut) and then
// deletes it locally. A session Telegram no longer knows is deleted too.
// Without a stored session it fails with ErrNotLoggedIn.
func Logout(ctx context.Context, cfg LoginConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	if _, err := cfg.Store.LoadSession(ctx); errors.Is(err, session.ErrNotFound) {
		return fmt.Errorf("%w: account %s has no stored session", ErrNotLoggedIn, cfg.Account)
	}
	err := runClient(ctx, &cfg, nil, func(ctx context.Context, client *telegram.Client) error {
		_, err := client.API().AuthLogOut(ctx)
		if err != nil && !tgerr.Is(err, "AUTH_KEY_UNREGISTERED", "SESSION_REVOKED", "USER_DEACTIVATED") {
			return fmt.Errorf("ingest: log out on Telegram: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := cfg.Store.DeleteSession(ctx); err != nil {
		return fmt.Errorf("ingest: delete local session: %w", err)
	}
	cfg.Logger.Info("logged out; session revoked and deleted", "account", cfg.Account)
	return nil
}

// withClient runs f with a connected client whose store holds no working
// session yet.
func withClient(ctx context.Context, cfg *LoginConfig, h telegram.UpdateHandler, f func(context.Context, *telegram.Client) error) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	return runClient(ctx, cfg, h, func(ctx context.Context, client *telegram.Client) error {
		status, err := client.Auth().Status(ctx)
		if err != nil {
			return fmt.Errorf("ingest: auth status: %w", err)
		}
		if status.Authorized {
			return fmt.Errorf("%w as user %d: run `connector logout --account %s` first to log in again", ErrAlreadyLoggedIn, status.User.ID, cfg.Account)
		}
		return f(ctx, client)
	})
}

// runClient reads the stored session first, so that an unreadable one
// stops here instead of being replaced, then runs f on a connected client.
func runClient(ctx context.Context, cfg *LoginConfig, h telegram.UpdateHandler, f func(context.Context, *telegram.Client) error) error {
	if _, err := cfg.Store.LoadSession(ctx); err != nil && !errors.Is(err, session.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrSessionUnreadable, err)
	}
	opts := telegram.Options{
		SessionStorage: versionedSession{Storage: cfg.Store},
		Logger:         logbridge.Zap(cfg.Logger.With("component", "gotd", "account", cfg.Account)),
		UpdateHandler:  h,
		NoUpdates:      h == nil,
	}
	if err := setDC(&opts, cfg.DC, cfg.DCAddr, cfg.PublicKeys); err != nil {
		return err
	}
	opts.Resolver = dcs.Plain(dcs.PlainOptions{Dial: reportingDial(cfg.Logger.With("component", "ingest", "account", cfg.Account))})
	client := telegram.NewClient(cfg.AppID, cfg.AppHash, opts)
	var ran atomic.Bool
	err := client.Run(ctx, func(ctx context.Context) error {
		err := f(ctx, client)
		ran.Store(err == nil)
		return err
	})
	if err == nil && !ran.Load() {
		// gotd returns nil when ctx ends before f ran (Ctrl-C while
		// connecting): that is not a success.
		if err = ctx.Err(); err == nil {
			err = errors.New("ingest: the Telegram client stopped before the request was made")
		}
	}
	return err
}

// loginError turns Telegram's answers into the errors of this package.
func loginError(err error) error {
	var signUp *auth.SignUpRequired
	switch {
	case errors.As(err, &signUp), errors.Is(err, ErrSignUpRequired), tgerr.Is(err, "PHONE_NUMBER_UNOCCUPIED"):
		return ErrSignUpRequired
	case tgerr.Is(err, "PHONE_CODE_INVALID", "PHONE_CODE_EMPTY"):
		return ErrCodeInvalid
	case tgerr.Is(err, "PHONE_CODE_EXPIRED", "PHONE_CODE_HASH_EMPTY"):
		return ErrCodeExpired
	case errors.Is(err, auth.ErrPasswordInvalid), tgerr.Is(err, "PASSWORD_HASH_INVALID"):
		return ErrPasswordInvalid
	case tgerr.Is(err, "PHONE_NUMBER_INVALID"):
		return ErrPhoneInvalid
	case tgerr.Is(err, "PHONE_NUMBER_BANNED"):
		return errors.New("ingest: this phone number is banned from Telegram")
	}
	if d, ok := tgerr.AsFloodWait(err); ok {
		return &FloodWaitError{Wait: d}
	}
	return fmt.Errorf("ingest: login: %w", err)
}

// userAuthenticator adapts a Prompter to gotd's auth flow; it never signs up.
type userAuthenticator struct{ p Prompter }

var _ auth.UserAuthenticator = userAuthenticator{}

func (u userAuthenticator) Phone(ctx context.Context) (string, error) { return u.p.Phone(ctx) }

func (u userAuthenticator) Password(ctx context.Context) (string, error) { return u.p.Password(ctx) }

func (u userAuthenticator) Code(ctx context.Context, _ *tg.AuthSentCode) (string, error) {
	return u.p.Code(ctx)
}

func (u userAuthenticator) AcceptTermsOfService(context.Context, tg.HelpTermsOfService) error {
	return ErrSignUpRequired
}

func (u userAuthenticator) SignUp(context.Context) (auth.UserInfo, error) {
	return auth.UserInfo{}, ErrSignUpRequired
}
