package auth

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/dcs"

	"github.com/tgnats/tgnats/ingest/internal/tgclient"
	"github.com/tgnats/tgnats/internal/logbridge"
)

// withClient runs f with a connected client whose store holds no working
// session yet.
func withClient(ctx context.Context, cfg *Config, h telegram.UpdateHandler, f func(context.Context, *telegram.Client) error) error {
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
func runClient(ctx context.Context, cfg *Config, h telegram.UpdateHandler, f func(context.Context, *telegram.Client) error) error {
	if _, err := cfg.Store.LoadSession(ctx); err != nil && !errors.Is(err, session.ErrNotFound) {
		return fmt.Errorf("%w: %w", tgclient.ErrSessionUnreadable, err)
	}
	opts := telegram.Options{
		SessionStorage: tgclient.Session{Storage: cfg.Store},
		Logger:         logbridge.Zap(cfg.Logger.With("component", "gotd", "account", cfg.Account)),
		UpdateHandler:  h,
		NoUpdates:      h == nil,
	}
	if err := tgclient.SetDC(&opts, cfg.DC, cfg.DCAddr, cfg.PublicKeys); err != nil {
		return err
	}
	tgclient.AddStoredDCs(ctx, &opts, opts.SessionStorage)
	opts.Resolver = dcs.Plain(dcs.PlainOptions{Dial: tgclient.ReportingDial(cfg.Logger.With("component", "ingest", "account", cfg.Account))})
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
