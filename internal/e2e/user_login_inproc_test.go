package e2e

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/connector"
	"github.com/tgnats/tgnats/internal/sim"
)

// credentialYAML is the account's credential line of a configuration.
func credentialYAML(a sim.Account) string {
	if a.Phone != "" {
		return "phone: " + strconv.Quote(a.Phone)
	}
	return "bot_token: " + strconv.Quote(a.BotToken)
}

// loginUser logs the world's user account in for the connector of
// cfgFile, as `connector login` does, with the code the simulated
// Telegram sent and the account's 2FA password.
func (w *world) loginUser(t *testing.T, cfgFile string) {
	t.Helper()
	cfg, err := config.Load(cfgFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	self, err := connector.Login(ctx, connector.LoginOptions{Config: cfg, Account: w.acc.Name, PublicKeys: w.keys},
		simPhone{s: w.sim, acc: w.acc}, false)
	if err != nil {
		t.Fatalf("login %s: %v", w.acc.Name, err)
	}
	if self.ID != w.acc.UserID {
		t.Fatalf("logged in as user %d, want %d", self.ID, w.acc.UserID)
	}
}

// simPhone is the person logging in: it reads the code from the
// simulated Telegram, as from the phone's Telegram app.
type simPhone struct {
	s   *sim.Sim
	acc sim.Account
}

func (p simPhone) Phone(context.Context) (string, error) { return p.acc.Phone, nil }

func (p simPhone) Code(ctx context.Context) (string, error) {
	for {
		if code, ok := p.s.LoginCode(p.acc.Phone); ok {
			return code, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(20 * time.Millisecond): // polling the phone
		}
	}
}

func (p simPhone) Password(context.Context) (string, error) { return p.acc.Password, nil }

func (simPhone) ShowQR(context.Context, string, time.Time) error {
	return errors.New("no QR login here")
}
