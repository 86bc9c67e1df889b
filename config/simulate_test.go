package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestSimulateBlock: the accounts of `connector simulate` come from the
// file's simulate block, the environment and --set like any key, the 2FA
// password also from a file, never shown; ValidateSimulate checks the
// block alone (simulate fills accounts itself), Validate includes it.
func TestSimulateBlock(t *testing.T) {
	pwFile := writeFile(t, "pw", "  from-file-SECRET\n")
	path := writeFile(t, "config.yaml", fmt.Sprintf(`simulate:
  accounts:
    - name: main
    - name: support
      phone: "+15550001111"
      password_file: %s
`, pwFile))
	c, err := Load(path, []string{"TGNATS_SIMULATE_ACCOUNTS_2_NAME=ops", "TGNATS_SIMULATE_ACCOUNTS_2_PHONE=+15550002222"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("simulate.accounts.2.password", "from-flag-SECRET"); err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, phone, password string }{{"main", "", ""}, {"support", "+15550001111", "from-file-SECRET"}, {"ops", "+15550002222", "from-flag-SECRET"}}
	if len(c.Simulate.Accounts) != len(want) {
		t.Fatalf("simulate.accounts = %+v, want %d", c.Simulate.Accounts, len(want))
	}
	for i, w := range want {
		a := c.Simulate.Accounts[i]
		if a.Name != w.name || a.Phone != w.phone || a.Password.Value() != w.password {
			t.Errorf("simulate.accounts[%d] = %s %q %q, want %+v", i, a.Name, a.Phone, a.Password.Value(), w)
		}
	}
	if err := c.ValidateSimulate(); err != nil {
		t.Errorf("ValidateSimulate: %v", err)
	}
	if s := c.String() + fmt.Sprintf("%+v", *c); strings.Contains(s, "SECRET") {
		t.Errorf("a 2FA password is shown:\n%s", s)
	}

	if err := c.Set("simulate.accounts.1.phone", "555"); err != nil {
		t.Fatal(err)
	}
	err = c.ValidateSimulate()
	var fe *FieldError
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Field != "simulate.accounts[1].phone" {
		t.Fatalf("ValidateSimulate with a short phone: %v, want a FieldError for simulate.accounts[1].phone", err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "simulate.accounts[1].phone") {
		t.Errorf("Validate does not report the simulate block: %v", err)
	}

	both := writeFile(t, "both.yaml", fmt.Sprintf("simulate:\n  accounts:\n    - name: a\n      phone: \"+15550001111\"\n      password: x\n      password_file: %s\n", pwFile))
	if _, err := Load(both, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "simulate.accounts[0].password: set only one of password and password_file") {
		t.Errorf("password and password_file: %v", err)
	}
	typo := writeFile(t, "typo.yaml", "simulate:\n  acounts: []\n")
	if _, err := Load(typo, nil); !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), `did you mean "simulate.accounts"`) {
		t.Errorf("a typo in the block: %v", err)
	}
}
