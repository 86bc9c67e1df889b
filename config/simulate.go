package config

import "fmt"

// Simulate configures `connector simulate`, the simulated Telegram: the
// accounts it plays (its command-line flags --account, --phone, --password
// and --accounts override them). `connector run` does not use it: the
// accounts it serves are Accounts.
type Simulate struct {
	Accounts []SimAccount `yaml:"accounts"`
}

// SimAccount is one simulated account: a bot, or with Phone a user
// account, logged in with `connector login` (Password its 2FA password).
type SimAccount struct {
	Name         string `yaml:"name"`
	Phone        string `yaml:"phone"`
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
}

// ValidateSimulate reports every invalid field of the simulate block,
// joined, like Validate (which includes them): each a *FieldError named as
// in YAML, "simulate.accounts[1].phone: …".
func (c *Config) ValidateSimulate() error {
	v := &validator{}
	c.validateSimulate(v)
	return v.err()
}

func (c *Config) validateSimulate(v *validator) {
	seen := map[string]bool{}
	for i, a := range c.Simulate.Accounts {
		at := func(f string) string { return fmt.Sprintf("simulate.accounts[%d].%s", i, f) }
		v.accountName(at("name"), a.Name, seen)
		switch {
		case a.Phone != "" && !phone.MatchString(a.Phone):
			v.add(at("phone"), "want international format, e.g. +15551234567")
		case a.Phone == "" && a.Password != "":
			v.add(at("password"), "a 2FA password is a user account's: set phone too")
		}
	}
}
