package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/auth/qrlogin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// LoginQR logs a user account in by a QR code scanned with a Telegram app
// where the account is already logged in, asking for the 2FA password
// afterwards when the account has one.
func LoginQR(ctx context.Context, cfg Config, p QRPrompter) (*tg.User, error) {
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
func qrAuth(ctx context.Context, client *telegram.Client, cfg Config, accepted <-chan struct{}, p QRPrompter) error {
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
