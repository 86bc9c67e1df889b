package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/ingest/auth"
	"github.com/tgnats/tgnats/internal/connector"
	"github.com/tgnats/tgnats/internal/sim"
)

// TestLoginHomedOnAnotherDC logs in a user account whose home DC is the
// simulator's second one, as `connector login` does: with a code
// (auth.sendCode on DC 2 answers PHONE_MIGRATE_4, gotd moves its main
// connection to DC 4 and asks again) and by QR code (the accepted token's
// re-export answers auth.loginTokenMigrateTo, imported on DC 4). Then the
// connector streams the account's traffic, pushed from DC 4.
func TestLoginHomedOnAnotherDC(t *testing.T) {
	for _, tc := range []struct {
		name string
		qr   bool
	}{{"code", false}, {"qr", true}, {"bot", false}} {
		t.Run(tc.name, func(t *testing.T) {
			acc := sim.Account{Name: "far", Phone: "+15550004001", Password: "far away", UserID: 4001, FirstName: "Far", DC: sim.MediaDC}
			if tc.name == "bot" {
				// A bot: auth.importBotAuthorization on DC 2 answers USER_MIGRATE_4.
				acc = sim.Account{Name: "far", BotToken: "4001:far-token", UserID: 4001, FirstName: "Far", Username: "far_bot", DC: sim.MediaDC}
			}
			w := newWorld(t, sim.Config{Accounts: []sim.Account{acc}})
			w.acc = acc
			nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
			defer nsrv.Shutdown()
			cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
			if tc.name == "bot" {
				twoRuns(t, w, nsrv.ClientURL(), cfg)
				return
			}
			cfg.Accounts[0].BotToken, cfg.Accounts[0].Phone = "", acc.Phone

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var p auth.QRPrompter = simPhone{s: w.sim, acc: acc}
			if tc.qr {
				p = qrPhone{simPhone{s: w.sim, acc: acc}}
			}
			self, err := connector.Login(ctx, connector.LoginOptions{Config: cfg, Account: acc.Name, PublicKeys: w.keys}, p, tc.qr)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			if self.ID != acc.UserID || !w.sim.LoggedIn(acc.Name) {
				t.Fatalf("logged in as user %d (simulator says logged in: %v), want %d", self.ID, w.sim.LoggedIn(acc.Name), acc.UserID)
			}
			twoRuns(t, w, nsrv.ClientURL(), cfg)
		})
	}
}

// twoRuns runs the connector twice (the second from the stored session,
// which names DC 4) and checks that each streams the account's traffic.
func twoRuns(t *testing.T, w *world, natsURL string, cfg *config.Config) {
	t.Helper()
	from := len(w.sim.Ledger(w.acc.Name))
	for _, seed := range []int64{9, 10} {
		r := w.startConnector(t, cfg)
		if err := w.sim.Produce(context.Background(), sim.Scenario{Seed: seed}, 20); err != nil {
			t.Fatal(err)
		}
		// The stream holds both runs' events: every change since the first, once.
		want := expected(w.acc.Name, w.sim.Ledger(w.acc.Name), from)
		assertExactlyOnce(t, readWanted(t, natsURL, w.acc.Name, want), want)
		r.stop(t)
	}
}

// qrPhone is a person who scans the QR code on screen with the phone's
// Telegram app as soon as it shows.
type qrPhone struct{ simPhone }

func (p qrPhone) ShowQR(ctx context.Context, _ string, _ time.Time) error {
	tokens := p.s.LoginTokens()
	if len(tokens) == 0 {
		return nil
	}
	return p.s.AcceptLoginToken(ctx, p.acc.Name, tokens[len(tokens)-1])
}
