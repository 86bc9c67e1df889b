package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gotd/td/telegram"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// accountsSyntax documents --accounts for the flag's help and its errors.
const accountsSyntax = "NAME (a bot), NAME:PHONE (a user account) or NAME:PHONE:PASSWORD (a user account with 2FA), comma-separated"

// simAccountFlags are the flags that choose the simulated accounts, and
// which of --account, --phone and --password were given.
type simAccountFlags struct {
	account, phone, password, accounts string
	accountSet, phoneSet, passwordSet  bool
}

// one reports whether a flag of the one-account form was given.
func (f simAccountFlags) one() bool { return f.accountSet || f.phoneSet || f.passwordSet }

// simAccounts returns the simulated accounts: those of --accounts; else
// those of the config's simulate block (file), with --account, --phone and
// --password overriding the fields of its one account; else one named
// --account, a user account with --phone. The n-th account (from 0) has
// user id 1000+n, and a bot the token "<user id>:simulated-token": the
// first one is sim.DefaultAccount, so a world made by an earlier version
// goes on with the same bot.
func simAccounts(f simAccountFlags, file []config.SimAccount) ([]sim.Account, error) {
	switch {
	case f.accounts != "":
		if f.one() {
			return nil, errors.New("--accounts lists every account: give the phone and password there (NAME:PHONE:PASSWORD), not with --account, --phone or --password")
		}
		return accountsFlag(f.accounts)
	case len(file) > 1 && f.one():
		return nil, fmt.Errorf("the config's simulate.accounts lists %d accounts: --account, --phone and --password apply to one; replace the list with --accounts", len(file))
	case len(file) > 1:
		out := make([]sim.Account, 0, len(file))
		for i, a := range file {
			acc, err := simAccount(i, a.Name, a.Phone, a.Password.Value())
			if err != nil {
				return nil, fmt.Errorf("simulate.accounts[%d]: %w", i, err)
			}
			out = append(out, acc)
		}
		return out, nil
	}
	name, phone, password := f.account, f.phone, f.password
	if len(file) == 1 {
		a := file[0]
		if !f.accountSet {
			name = a.Name
		}
		if !f.phoneSet {
			phone = a.Phone
		}
		if !f.passwordSet {
			password = a.Password.Value()
		}
	}
	if password != "" && phone == "" {
		return nil, errors.New("--password is the 2FA password of a user account: give --phone too")
	}
	a, err := simAccount(0, name, phone, password)
	if err != nil {
		return nil, fmt.Errorf("account %q: %w", name, err)
	}
	return []sim.Account{a}, nil
}

// accountsFlag returns the accounts of an --accounts value.
func accountsFlag(list string) ([]sim.Account, error) {
	var out []sim.Account
	seen := map[string]bool{}
	for i, entry := range strings.Split(list, ",") {
		parts := strings.SplitN(strings.TrimSpace(entry), ":", 3)
		name, phone, password := parts[0], "", ""
		if len(parts) > 1 {
			phone = parts[1]
			if phone == "" {
				return nil, fmt.Errorf("--accounts %q: empty phone; want %s", entry, accountsSyntax)
			}
		}
		if len(parts) > 2 {
			password = parts[2]
		}
		if seen[name] {
			return nil, fmt.Errorf("--accounts: %q appears twice", name)
		}
		seen[name] = true
		a, err := simAccount(i, name, phone, password)
		if err != nil {
			return nil, fmt.Errorf("--accounts %q: %w; want %s", entry, err, accountsSyntax)
		}
		out = append(out, a)
	}
	return out, nil
}

// simAccount is the n-th simulated account. A phone may have spaces and
// dashes; the account's phone is without them, as the connector's
// configuration wants it.
func simAccount(n int, name, phone, password string) (sim.Account, error) {
	if !schema.ValidAccount(name) {
		return sim.Account{}, fmt.Errorf("name %q: want [a-z0-9_-]+", name)
	}
	a := sim.DefaultAccount()
	a.Name = name
	a.UserID += int64(n)
	if phone == "" {
		if n > 0 {
			a.BotToken = fmt.Sprintf("%d:simulated-token", a.UserID)
			a.FirstName = "tgnats sim bot " + name
			a.Username = "tgnats_sim_" + strings.ReplaceAll(name, "-", "_") + "_bot"
		}
		return a, nil
	}
	plain := strings.NewReplacer(" ", "", "-", "").Replace(phone)
	digits := strings.TrimPrefix(plain, "+")
	if len(digits) < 5 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
		return sim.Account{}, fmt.Errorf("phone %q: want 5 to 15 digits in international format, e.g. +15550001111", phone)
	}
	a.BotToken, a.Username = "", ""
	a.Phone, a.Password = plain, password
	a.FirstName = "Sim " + name
	return a, nil
}

// connectorAccounts are the accounts block of a connector served by the
// simulator at ep, with its public key in keyFile.
func connectorAccounts(accs []sim.Account, ep sim.Endpoint, keyFile string) []config.Account {
	out := make([]config.Account, 0, len(accs))
	for _, a := range accs {
		out = append(out, config.Account{
			Name:     a.Name,
			AppID:    config.SimulatorAppID,
			AppHash:  config.SimulatorAppHash,
			BotToken: config.Secret(a.BotToken),
			Phone:    a.Phone,
			DC:       config.DC{ID: ep.DC, Address: ep.Addr, PublicKeyFile: keyFile},
		})
	}
	return out
}

// userAccounts are the user accounts of accs.
func userAccounts(accs []sim.Account) []sim.Account {
	var out []sim.Account
	for _, a := range accs {
		if a.Phone != "" {
			out = append(out, a)
		}
	}
	return out
}

// publicKeysOf gives every account the simulator's keys.
func publicKeysOf(accs []sim.Account, keys []telegram.PublicKey) map[string][]telegram.PublicKey {
	out := make(map[string][]telegram.PublicKey, len(accs))
	for _, a := range accs {
		out[a.Name] = keys
	}
	return out
}

// notLoggedIn are the user accounts with no session on the simulator.
func notLoggedIn(s *sim.Sim, users []sim.Account) []sim.Account {
	var out []sim.Account
	for _, a := range users {
		if !s.LoggedIn(a.Name) {
			out = append(out, a)
		}
	}
	return out
}

// accountsYAML is the accounts list in YAML flow style, for the banner.
func accountsYAML(accs []config.Account) string {
	items := make([]string, 0, len(accs))
	for _, a := range accs {
		cred := fmt.Sprintf("bot_token: %q", a.BotToken.Value())
		if a.Phone != "" {
			cred = fmt.Sprintf("phone: %q", a.Phone)
		}
		items = append(items, fmt.Sprintf("{name: %s, %s, dc: {id: %d, address: %q, public_key_file: %q}}", a.Name, cred, a.DC.ID, a.DC.Address, a.DC.PublicKeyFile))
	}
	return strings.Join(items, ", ")
}
