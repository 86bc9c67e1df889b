package sim

import (
	"context"
	"fmt"
)

// LoginCode is a code the simulated Telegram sent to a user account's
// phone (Config.OnLoginCode).
type LoginCode struct {
	Account string // "" when the phone belongs to no account
	Phone   string
	Code    string
}

// notifyLoginCode hands a sent code to Config.OnLoginCode.
func (s *Sim) notifyLoginCode(phone, code string) {
	if s.cfg.OnLoginCode == nil {
		return
	}
	lc := LoginCode{Phone: phone, Code: code}
	if a := s.userByPhone(phone); a != nil {
		lc.Account, lc.Phone = a.Name, a.Phone
	}
	s.cfg.OnLoginCode(lc)
}

// AccountLoginCode returns the code last sent to the phone of the user
// account named account: ErrNotFound for an unknown account or one no
// code was sent to yet, ErrInvalid for a bot.
func (s *Sim) AccountLoginCode(account string) (string, error) {
	a := s.accountNamed(account)
	switch {
	case a == nil:
		return "", fmt.Errorf("%w: account %q", ErrNotFound, account)
	case a.Phone == "":
		return "", fmt.Errorf("%w: account %q is a bot: bots log in with their token, no code", ErrInvalid, account)
	}
	code, ok := s.LoginCode(a.Phone)
	if !ok {
		return "", fmt.Errorf("%w: no login code sent to account %q yet (start `connector login` first)", ErrNotFound, account)
	}
	return code, nil
}

// AcceptNewestLoginToken plays account's logged-in phone scanning the QR
// code shown last: it accepts the newest waiting login token. ErrNotFound
// when no token waits.
func (s *Sim) AcceptNewestLoginToken(ctx context.Context, account string) error {
	tokens := s.LoginTokens()
	if len(tokens) == 0 {
		return fmt.Errorf("%w: no QR login token waits (start `connector login --qr` first)", ErrNotFound)
	}
	return s.AcceptLoginToken(ctx, account, tokens[len(tokens)-1])
}

// RevokeSessions logs every auth key of account out, as "Terminate all
// sessions" in a Telegram app does: its connections are closed and every
// later call of those keys answers AUTH_KEY_UNREGISTERED. It returns the
// number of sessions revoked.
func (s *Sim) RevokeSessions(account string) (int, error) {
	if s.accountNamed(account) == nil {
		return 0, fmt.Errorf("%w: account %q", ErrNotFound, account)
	}
	s.net.Lock()
	revoked := map[[8]byte]bool{}
	for key, name := range s.authKeys {
		if name == account {
			revoked[key] = true
			delete(s.authKeys, key)
			delete(s.keys, key)
		}
	}
	delete(s.sessions, account)
	var conns []*trackedConn
	for c := range s.conns {
		if k, ok := c.authKey(); ok && revoked[k] {
			conns = append(conns, c)
		}
	}
	s.liveLocked()
	s.saveSessionsLocked()
	s.net.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	s.log.Info("sessions revoked", "account", account, "sessions", len(revoked))
	return len(revoked), nil
}
