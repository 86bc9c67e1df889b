package main

import (
	"strings"
	"testing"
)

// TestSimulateAccountsFlag: --accounts mixes bots and user accounts; the
// first bot is the default one (an earlier world goes on), the others get
// tokens and user ids of their own; mistakes are named.
func TestSimulateAccountsFlag(t *testing.T) {
	accs, err := simAccounts(simAccountFlags{accounts: "main,support:+15550001111,ops:+1 555 000 2222:s3cret:x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(accs) != 3 {
		t.Fatalf("%d accounts, want 3", len(accs))
	}
	if a := accs[0]; a.Name != "main" || a.BotToken != "1000:simulated-token" || a.UserID != 1000 || a.Phone != "" {
		t.Errorf("main = %+v, want the default bot", a)
	}
	if a := accs[1]; a.Phone != "+15550001111" || a.BotToken != "" || a.Password != "" || a.UserID != 1001 {
		t.Errorf("support = %+v, want a user account without 2FA", a)
	}
	if a := accs[2]; a.Phone != "+1 555 000 2222" || a.Password != "s3cret:x" || a.UserID != 1002 {
		t.Errorf("ops = %+v, want a user account with the password after the second colon", a)
	}
	one, err := simAccounts(simAccountFlags{account: "me", phone: "+15550009999", password: "pw"})
	if err != nil || len(one) != 1 || one[0].Name != "me" || one[0].Phone != "+15550009999" || one[0].Password != "pw" {
		t.Errorf("--account me --phone … --password pw = %+v, %v", one, err)
	}
	for _, tc := range []struct {
		f    simAccountFlags
		want string
	}{
		{simAccountFlags{accounts: "main,main"}, `"main" appears twice`},
		{simAccountFlags{accounts: "Main"}, "want [a-z0-9_-]+"},
		{simAccountFlags{accounts: "a:"}, "empty phone"},
		{simAccountFlags{accounts: "a:12"}, "international format"},
		{simAccountFlags{accounts: "a:+1555abc"}, "international format"},
		{simAccountFlags{account: "main", password: "pw"}, "give --phone too"},
	} {
		if _, err := simAccounts(tc.f); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one saying %q", tc.f, err, tc.want)
		}
	}
}
