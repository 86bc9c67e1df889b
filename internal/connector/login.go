package connector

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/ingest"
	"github.com/tgnats/tgnats/ingest/auth"
	"github.com/tgnats/tgnats/state"
)

// LoginOptions select the account a login, logout or rekey acts on.
type LoginOptions struct {
	Config *config.Config
	// Account is the configured name of a user account.
	Account string
	// ConfigPath, when set, is named in the hints printed to the user.
	ConfigPath string
	Logger     *slog.Logger
	// PublicKeys overrides dc.public_key_file (the in-process simulator).
	PublicKeys []telegram.PublicKey
}

// ErrNotUserAccount means a login or logout was asked for a bot account.
var ErrNotUserAccount = errors.New("connector: not a user account")

// Login logs the user account in interactively (phone, code, 2FA password)
// or, with qr, by a QR code scanned on another device, and stores the
// session in the account's store.
func Login(ctx context.Context, opts LoginOptions, p auth.QRPrompter, qr bool) (*tg.User, error) {
	var self *tg.User
	err := withLogin(ctx, opts, func(cfg auth.Config) error {
		var err error
		if qr {
			self, err = auth.LoginQR(ctx, cfg, p)
		} else {
			self, err = auth.Login(ctx, cfg, p)
		}
		return err
	})
	return self, err
}

// Logout revokes the user account's session on Telegram and deletes it locally.
func Logout(ctx context.Context, opts LoginOptions) error {
	return withLogin(ctx, opts, func(cfg auth.Config) error { return auth.Logout(ctx, cfg) })
}

func withLogin(ctx context.Context, opts LoginOptions, f func(auth.Config) error) error {
	cfg := opts.Config
	if cfg == nil {
		return errors.New("connector: config is required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ac := cfg.Account(opts.Account)
	if ac == nil {
		return fmt.Errorf("connector: no account named %q in the configuration", opts.Account)
	}
	if ac.BotToken != "" {
		return fmt.Errorf("%w: account %s is a bot (bot_token is set); bots log in by themselves when `connector run` starts", ErrNotUserAccount, ac.Name)
	}
	keys, err := publicKeys(ac, opts.PublicKeys)
	if err != nil {
		return err
	}
	if err := prepareDataDir(cfg.DataDir, cfg.State.AllowInsecureDir); err != nil {
		return err
	}
	store, err := openStore(cfg, ac.Name, log)
	if err != nil {
		return err
	}
	defer store.Close()
	return f(auth.Config{
		Account:    ac.Name,
		AppID:      ac.AppID,
		AppHash:    ac.AppHash.Value(),
		DC:         ac.DC.ID,
		DCAddr:     ac.DC.Address,
		PublicKeys: keys,
		Store:      store,
		Logger:     log,
	})
}

// loginCommand is the command that logs account in, for messages.
func loginCommand(configPath, account string) string {
	if configPath == "" {
		return "connector login --account " + account
	}
	return fmt.Sprintf("connector login --config %s --account %s", configPath, account)
}

// encryptionKey decodes state.encryption_key; nil when unset.
func encryptionKey(cfg *config.Config) ([]byte, error) {
	if cfg.State.EncryptionKey == "" {
		return nil, nil
	}
	return DecodeKey(cfg.State.EncryptionKey.Value())
}

// DecodeKey decodes an encryption key given as the base64 of 32 bytes.
func DecodeKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(k) != 32 {
		return nil, errors.New("state.encryption_key: must be the base64 of 32 bytes")
	}
	return k, nil
}

// openStore opens the state store of the named account.
func openStore(cfg *config.Config, name string, log *slog.Logger) (*state.Store, error) {
	key, err := encryptionKey(cfg)
	if err != nil {
		return nil, err
	}
	store, err := state.Open(filepath.Join(cfg.DataDir, "accounts", name), state.Options{
		Logger:        log.With("account", name),
		Account:       name,
		EncryptionKey: key,
	})
	if errors.Is(err, state.ErrLocked) {
		return nil, fmt.Errorf("account %s: %w (is `connector run` running? stop it first)", name, err)
	}
	return store, err
}

// publicKeys returns the DC public keys of ac: given ones win over
// dc.public_key_file; none means Telegram's own.
func publicKeys(ac *config.Account, given []telegram.PublicKey) ([]telegram.PublicKey, error) {
	if given != nil || ac.DC.PublicKeyFile == "" {
		return given, nil
	}
	data, err := os.ReadFile(ac.DC.PublicKeyFile)
	if err != nil {
		return nil, fmt.Errorf("dc.public_key_file: %w", err)
	}
	keys, err := ingest.ParsePublicKeys(data)
	if err != nil {
		return nil, fmt.Errorf("dc.public_key_file: %w", err)
	}
	return keys, nil
}

// Rekey re-seals the session of every configured account with newKey (the
// base64 of 32 bytes); the current key is state.encryption_key (none: the
// sessions are plain). Every store is opened and its session read with the
// current key before any is changed, so a wrong key changes nothing. It
// returns the accounts rekeyed.
func Rekey(ctx context.Context, cfg *config.Config, newKey string, log *slog.Logger) ([]string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key, err := DecodeKey(newKey)
	if err != nil {
		return nil, fmt.Errorf("new key: %w", err)
	}
	if err := prepareDataDir(cfg.DataDir, cfg.State.AllowInsecureDir); err != nil {
		return nil, err
	}
	var stores []*state.Store
	defer func() {
		for _, s := range stores {
			_ = s.Close()
		}
	}()
	for _, ac := range cfg.Accounts {
		s, err := openStore(cfg, ac.Name, log)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", ac.Name, err)
		}
		stores = append(stores, s)
		if _, err := s.LoadSession(ctx); err != nil && !errors.Is(err, session.ErrNotFound) {
			return nil, fmt.Errorf("account %s: %w", ac.Name, err)
		}
	}
	var done []string
	for i, s := range stores {
		if err := s.Rekey(ctx, key); err != nil {
			return done, fmt.Errorf("account %s: %w", cfg.Accounts[i].Name, err)
		}
		done = append(done, cfg.Accounts[i].Name)
		log.Info("account store rekeyed", "account", cfg.Accounts[i].Name)
	}
	return done, nil
}
