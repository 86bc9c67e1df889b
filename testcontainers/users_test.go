package tgnats_test

import (
	"context"
	"testing"
	"time"

	tgnats "github.com/tgnats/tgnats/testcontainers"
)

// TestUserAccounts runs two user accounts (one with 2FA) and a bot in one
// container: "main" logs in with the code its phone got and its password,
// "ops" by QR code; then the connector streams main's traffic, each
// change once.
func TestUserAccounts(t *testing.T) {
	imgs := images(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ctr := startTgnats(t, ctx, imgs.connector, tgnats.WithAccounts(
		tgnats.AccountSpec{Name: "main", Phone: "+15550001111", Password: "hunter2"},
		tgnats.AccountSpec{Name: "ops", Phone: "+15550002222"},
		tgnats.AccountSpec{Name: "bot"},
	))
	if _, err := ctr.LoginCode(ctx, "bot"); err == nil {
		t.Error("a bot got a login code")
	}
	if err := ctr.LogIn(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := ctr.LogInQR(ctx, "ops"); err != nil {
		t.Fatal(err)
	}
	if err := ctr.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	url, err := ctr.NATSURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	from := ledgerLen(t, ctx, ctr)
	if err := ctr.StartTraffic(ctx, 50, 3); err != nil {
		t.Fatal(err)
	}
	waitLedger(t, ctx, ctr, 100)
	if err := ctr.StartTraffic(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	assertExactlyOnce(t, ctx, ctr, url, from)
}
