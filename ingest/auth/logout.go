package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tgerr"
)

// Logout revokes the stored session on Telegram (auth.logOut) and then
// deletes it locally. A session Telegram no longer knows is deleted too.
// Without a stored session it fails with ErrNotLoggedIn.
func Logout(ctx context.Context, cfg Config) error {
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
