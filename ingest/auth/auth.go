// Package auth logs a user account in, once, by a person: with its phone
// number, the code Telegram sends and the 2FA password (Login, on gotd's
// auth.Flow), or with a QR code scanned on a device already logged in
// (LoginQR); and logs it out (Logout). The session lands in the account's
// store, where ingest.Account finds it; Account never logs a user in.
//
// A stored session that cannot be read (wrong encryption key) stops a
// login with an error wrapping ingest.ErrSessionUnreadable and is never
// replaced. Logins refuse to sign up (ErrSignUpRequired) and turn
// Telegram's answers into errors a person can act on (ErrCodeInvalid,
// ErrCodeExpired, ErrPasswordInvalid, FloodWaitError). Logout revokes the
// session with auth.logOut, then deletes it. Nothing secret (phone, code,
// password, auth key) is logged.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
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

// Store is where the session lands.
type Store interface {
	session.Storage
	DeleteSession(ctx context.Context) error
}

// Config is how to reach Telegram for a user login or logout.
type Config struct {
	Account    string
	AppID      int
	AppHash    string
	DC         int
	DCAddr     string
	PublicKeys []telegram.PublicKey
	Store      Store
	Logger     *slog.Logger
}

func (c *Config) validate() error {
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
