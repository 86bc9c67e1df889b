package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/gotd/td/telegram"
	tgauth "github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// Login logs a user account in with its phone number, the code Telegram
// sends and, when the account has one, its 2FA password. The session is
// stored in cfg.Store. It refuses to replace a working session
// (ErrAlreadyLoggedIn) or an unreadable one (ingest.ErrSessionUnreadable),
// and to sign up a new account (ErrSignUpRequired).
func Login(ctx context.Context, cfg Config, p Prompter) (*tg.User, error) {
	var self *tg.User
	err := withClient(ctx, &cfg, nil, func(ctx context.Context, client *telegram.Client) error {
		flow := tgauth.NewFlow(userAuthenticator{p}, tgauth.SendCodeOptions{})
		if err := flow.Run(ctx, client.Auth()); err != nil {
			return loginError(err)
		}
		var err error
		self, err = client.Self(ctx)
		return err
	})
	return self, err
}

// loginError turns Telegram's answers into the errors of this package.
func loginError(err error) error {
	var signUp *tgauth.SignUpRequired
	switch {
	case errors.As(err, &signUp), errors.Is(err, ErrSignUpRequired), tgerr.Is(err, "PHONE_NUMBER_UNOCCUPIED"):
		return ErrSignUpRequired
	case tgerr.Is(err, "PHONE_CODE_INVALID", "PHONE_CODE_EMPTY"):
		return ErrCodeInvalid
	case tgerr.Is(err, "PHONE_CODE_EXPIRED", "PHONE_CODE_HASH_EMPTY"):
		return ErrCodeExpired
	case errors.Is(err, tgauth.ErrPasswordInvalid), tgerr.Is(err, "PASSWORD_HASH_INVALID"):
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

var _ tgauth.UserAuthenticator = userAuthenticator{}

func (u userAuthenticator) Phone(ctx context.Context) (string, error) { return u.p.Phone(ctx) }

func (u userAuthenticator) Password(ctx context.Context) (string, error) { return u.p.Password(ctx) }

func (u userAuthenticator) Code(ctx context.Context, _ *tg.AuthSentCode) (string, error) {
	return u.p.Code(ctx)
}

func (u userAuthenticator) AcceptTermsOfService(context.Context, tg.HelpTermsOfService) error {
	return ErrSignUpRequired
}

func (u userAuthenticator) SignUp(context.Context) (tgauth.UserInfo, error) {
	return tgauth.UserInfo{}, ErrSignUpRequired
}
