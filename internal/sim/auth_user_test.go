package sim

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tg"
)

// TestSRPVerify checks the server half of SRP against gotd's client half.
func TestSRPVerify(t *testing.T) {
	salt1, salt2 := randomBytes(40), randomBytes(16)
	x := new(big.Int).SetBytes(passwordHash2([]byte("hunter2"), salt1, salt2))
	v := new(big.Int).Exp(srpG, x, srpP)
	pPad := pad256(srpP)
	algo := &tg.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow{Salt1: salt1, Salt2: salt2, G: 3, P: pPad[:]}
	answer := func(t *testing.T, password string, sess *srpSession) *tg.InputCheckPasswordSRP {
		t.Helper()
		random := make([]byte, 256)
		_, _ = rand.Read(random)
		in, err := auth.PasswordHash([]byte(password), sess.id, sess.gb[:], random, algo)
		if err != nil {
			t.Fatal(err) // gotd also checks that p and g are a safe group
		}
		return in
	}
	tests := []struct {
		name     string
		password string
		tamper   bool
		want     bool
	}{
		{name: "right password", password: "hunter2", want: true},
		{name: "wrong password", password: "hunter3", want: false},
		{name: "tampered proof", password: "hunter2", tamper: true, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := srpChallenge("user", v)
			in := answer(t, tt.password, sess)
			if tt.tamper {
				in.M1[0] ^= 1
			}
			if got := srpVerify(in.A, in.M1, sess, salt1, salt2, v); got != tt.want {
				t.Errorf("srpVerify() = %v, want %v", got, tt.want)
			}
		})
	}
	if srpVerify(make([]byte, 256), make([]byte, 32), srpChallenge("user", v), salt1, salt2, v) {
		t.Error("srpVerify accepted A = 0")
	}
}

func TestConfigUserAccounts(t *testing.T) {
	tests := []struct {
		name    string
		acc     Account
		wantErr error
	}{
		{name: "user", acc: Account{Name: "u", Phone: "+15550001", UserID: 7}},
		{name: "user with 2FA", acc: Account{Name: "u", Phone: "15550001", Password: "pw", UserID: 7}},
		{name: "neither token nor phone", acc: Account{Name: "u", UserID: 7}, wantErr: ErrInvalid},
		{name: "token and phone", acc: Account{Name: "u", BotToken: "7:x", Phone: "+15550001", UserID: 7}, wantErr: ErrInvalid},
		{name: "phone of another account", acc: Account{Name: "u", Phone: "+1 555 0002", UserID: 7}, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Accounts: []Account{{Name: "other", Phone: "15550002", UserID: 8}, tt.acc}}
			if err := cfg.Validate(); !errors.Is(err, tt.wantErr) {
				t.Errorf("Validate() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestAcceptLoginToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s, err := New(Config{Accounts: []Account{{Name: "u", Phone: "+15550001", UserID: 7}}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.users.tokens["old"] = &loginToken{token: []byte("old"), expires: now}
	tests := []struct {
		name, account, token string
		wantErr              error
	}{
		{name: "expired", account: "u", token: "old", wantErr: errTokenExpired},
		{name: "unknown token", account: "u", token: "never issued", wantErr: errLoginTokenBad},
		{name: "unknown account", account: "nobody", token: "old", wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.AcceptLoginToken(context.Background(), tt.account, []byte(tt.token)); !errors.Is(err, tt.wantErr) {
				t.Errorf("AcceptLoginToken() = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if s.LoggedIn("u") {
		t.Error("a refused token logged the account in")
	}
}
