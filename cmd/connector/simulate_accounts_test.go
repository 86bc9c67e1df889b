package main

import (
	"strings"
	"testing"

	"github.com/tgnats/tgnats/config"
)

// TestSimulateAccountsFlag: --accounts mixes bots and user accounts; the
// first bot is the default one (an earlier world goes on), the others get
// tokens and user ids of their own; mistakes are named.
func TestSimulateAccountsFlag(t *testing.T) {
	accs, err := simAccounts(simAccountFlags{accounts: "main,support:+15550001111,ops:+1 555 000-2222:s3cret:x"}, nil)
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
	if a := accs[2]; a.Phone != "+15550002222" || a.Password != "s3cret:x" || a.UserID != 1002 {
		t.Errorf("ops = %+v, want a user account with the password after the second colon, its phone without spaces and dashes (as the connector's configuration wants it)", a)
	}
	one, err := simAccounts(simAccountFlags{account: "me", phone: "+15550009999", password: "pw", accountSet: true, phoneSet: true, passwordSet: true}, nil)
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
		{simAccountFlags{accounts: "a:+1555000111122223333"}, "international format"},
		{simAccountFlags{account: "main", password: "pw", passwordSet: true}, "give --phone too"},
		{simAccountFlags{accounts: "a", phone: "+15550001111", phoneSet: true}, "not with --account, --phone or --password"},
	} {
		if _, err := simAccounts(tc.f, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one saying %q", tc.f, err, tc.want)
		}
	}
}

// TestSimulateAccountsConfig: without --accounts, the accounts come from
// the config's simulate block; --account, --phone and --password override
// the fields of its one account, --accounts replaces the list, and the
// one-account flags with a list of several are refused, by name.
func TestSimulateAccountsConfig(t *testing.T) {
	file := []config.SimAccount{{Name: "main"}, {Name: "support", Phone: "+15550001111", Password: "pw"}}
	accs, err := simAccounts(simAccountFlags{account: "main"}, file)
	if err != nil || len(accs) != 2 {
		t.Fatalf("simAccounts(file of 2) = %+v, %v", accs, err)
	}
	if a := accs[0]; a.Name != "main" || a.BotToken != "1000:simulated-token" {
		t.Errorf("main = %+v, want the default bot", a)
	}
	if a := accs[1]; a.Name != "support" || a.Phone != "+15550001111" || a.Password != "pw" || a.UserID != 1001 || a.BotToken != "" {
		t.Errorf("support = %+v, want the user account of the file", a)
	}

	one := []config.SimAccount{{Name: "me", Phone: "+15550001111", Password: "file-pw"}}
	for _, tc := range []struct {
		name                  string
		f                     simAccountFlags
		wantName, wantPhone   string
		wantPassword, wantBot string
	}{
		{"file alone", simAccountFlags{account: "main"}, "me", "+15550001111", "file-pw", ""},
		{"--phone", simAccountFlags{account: "main", phone: "+15550002222", phoneSet: true}, "me", "+15550002222", "file-pw", ""},
		{"--password", simAccountFlags{account: "main", password: "flag-pw", passwordSet: true}, "me", "+15550001111", "flag-pw", ""},
		{"--account", simAccountFlags{account: "other", accountSet: true}, "other", "+15550001111", "file-pw", ""},
		{"--accounts", simAccountFlags{accounts: "solo"}, "solo", "", "", "1000:simulated-token"},
	} {
		accs, err := simAccounts(tc.f, one)
		if err != nil || len(accs) != 1 {
			t.Errorf("%s: %+v, %v; want one account", tc.name, accs, err)
			continue
		}
		if a := accs[0]; a.Name != tc.wantName || a.Phone != tc.wantPhone || a.Password != tc.wantPassword || a.BotToken != tc.wantBot {
			t.Errorf("%s: %+v, want %s %q %q %q", tc.name, a, tc.wantName, tc.wantPhone, tc.wantPassword, tc.wantBot)
		}
	}

	for _, f := range []simAccountFlags{{phone: "+15550002222", phoneSet: true}, {password: "x", passwordSet: true}, {account: "x", accountSet: true}} {
		if _, err := simAccounts(f, file); err == nil || !strings.Contains(err.Error(), "simulate.accounts lists 2 accounts") || !strings.Contains(err.Error(), "--accounts") {
			t.Errorf("%+v with a file of 2 accounts: %v, want an error pointing to --accounts", f, err)
		}
	}
	if _, err := simAccounts(simAccountFlags{account: "main"}, []config.SimAccount{{Name: "bot", Password: "x"}}); err == nil || !strings.Contains(err.Error(), "give --phone too") {
		t.Errorf("a bot with a password: %v", err)
	}
}
