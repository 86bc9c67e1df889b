package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/connector"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// connectorConfigFile is the configuration `simulate` writes under its
// data dir for `connector login` and, with --sim-only, `connector run`.
const connectorConfigFile = "connector.yaml"

// writeConnectorConfig writes the configuration of a connector for the
// simulated accounts: data_dir is dataDir, nats.url natsURL when known.
func writeConnectorConfig(path, dataDir, natsURL string, accs []config.Account) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by `connector simulate`: a connector for its simulated Telegram.\n")
	fmt.Fprintf(&b, "data_dir: %s\n", strconv.Quote(dataDir))
	if natsURL != "" {
		fmt.Fprintf(&b, "nats: {url: %s}\n", strconv.Quote(natsURL))
	}
	b.WriteString("accounts:\n")
	for _, a := range accs {
		fmt.Fprintf(&b, "  - name: %s\n", a.Name)
		if a.Phone != "" {
			fmt.Fprintf(&b, "    phone: %s\n", strconv.Quote(a.Phone))
		} else {
			fmt.Fprintf(&b, "    bot_token: %s\n", strconv.Quote(a.BotToken.Value()))
		}
		fmt.Fprintf(&b, "    dc: {id: %d, address: %s, public_key_file: %s}\n", a.DC.ID, strconv.Quote(a.DC.Address), strconv.Quote(a.DC.PublicKeyFile))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("connector configuration: %w", err)
	}
	return nil
}

// codePrinter prints the login codes the simulated Telegram sends, as the
// phone's Telegram app would show them. Codes sent before SetOut (while
// the simulator starts) are kept and printed then.
type codePrinter struct {
	mu  sync.Mutex
	out io.Writer
}

func (p *codePrinter) setOut(w io.Writer) {
	p.mu.Lock()
	p.out = w
	p.mu.Unlock()
}

// print is sim.Config.OnLoginCode.
func (p *codePrinter) print(c sim.LoginCode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return
	}
	if c.Account == "" {
		fmt.Fprintf(p.out, "Login code for %s (no simulated account has this phone): %s\n", c.Phone, c.Code)
		return
	}
	fmt.Fprintf(p.out, "Login code for account %s (%s): %s\n", c.Account, c.Phone, c.Code)
}

// loginScreen prints how to log the user accounts in with `connector
// login` against the simulator, with the code and QR control verbs.
func loginScreen(w io.Writer, cfgFile, natsURL string, users []sim.Account) {
	for _, a := range users {
		pw := ""
		if a.Password != "" {
			pw = fmt.Sprintf(", then the 2FA password %q", a.Password)
		}
		fmt.Fprintf(w, "Log in user account %s (%s): type the login code printed here%s:\n", a.Name, a.Phone, pw)
		fmt.Fprintf(w, "  connector login --config %s --account %s\n", cfgFile, a.Name)
		if natsURL != "" {
			fmt.Fprintf(w, "  (the code also answers: nats req --server %s %s '{}')\n", natsURL, schema.ControlSubject(schema.DefaultControlPrefix, a.Name, "login.code"))
			fmt.Fprintf(w, "Or by QR code, accepted as the account's phone would scan it:\n")
			fmt.Fprintf(w, "  connector login --config %s --account %s --qr\n", cfgFile, a.Name)
			fmt.Fprintf(w, "  nats req --server %s %s '{}'\n", natsURL, schema.ControlSubject(schema.DefaultControlPrefix, a.Name, "login.accept"))
		}
	}
}

// waitForLogins waits until every user account is logged in on the
// simulator and its store is free again (`connector login` has stored the
// session and closed it).
func waitForLogins(ctx context.Context, s *sim.Sim, cfg *config.Config, users []sim.Account) error {
	key, err := encryptionKeyOf(cfg)
	if err != nil {
		return err
	}
	for _, a := range users {
		for !s.LoggedIn(a.Name) || storeBusy(filepath.Join(cfg.DataDir, "accounts", a.Name), a.Name, key) {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond): // polling another process's login
			}
		}
	}
	return nil
}

func encryptionKeyOf(cfg *config.Config) ([]byte, error) {
	if cfg.State.EncryptionKey == "" {
		return nil, nil
	}
	return connector.DecodeKey(cfg.State.EncryptionKey.Value())
}

// storeBusy reports whether another process (a `connector login`) holds
// the account's store.
func storeBusy(dir, account string, key []byte) bool {
	st, err := state.Open(dir, state.Options{Account: account, EncryptionKey: key})
	if errors.Is(err, state.ErrLocked) {
		return true
	}
	if err == nil {
		_ = st.Close()
	}
	return false
}
