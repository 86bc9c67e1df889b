package simctl

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/gotd/td/tgerr"
)

// LoginSimulator is the part of Simulator that plays a user account's
// phone: the login code its Telegram app shows, the QR code it scans, and
// "Terminate all sessions".
type LoginSimulator interface {
	AccountLoginCode(account string) (string, error)
	AcceptLoginToken(ctx context.Context, account string, token []byte) error
	AcceptNewestLoginToken(ctx context.Context, account string) error
	RevokeSessions(account string) (int, error)
}

// LoginCodeResult is the answer to login.code: the code the simulated
// Telegram sent last to the account's phone (`connector login` asks for it).
type LoginCodeResult struct {
	Code string `json:"code"`
}

func (s *Server) loginCode(_ context.Context, body []byte) (any, error) {
	var r struct{}
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	code, err := s.cfg.Sim.AccountLoginCode(s.cfg.Account)
	if err != nil {
		return nil, err
	}
	return LoginCodeResult{Code: code}, nil
}

// AcceptRequest accepts a QR login token as the account's logged-in phone
// scanning the QR code would (login.accept). Token is the token of the QR
// code's tg://login?token=… URL (base64url, the whole URL is accepted
// too); empty accepts the newest token waiting, the QR code on screen.
type AcceptRequest struct {
	Token string `json:"token,omitempty"`
}

func (s *Server) loginAccept(ctx context.Context, body []byte) (any, error) {
	var r AcceptRequest
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	if r.Token == "" {
		if err := s.cfg.Sim.AcceptNewestLoginToken(ctx, s.cfg.Account); err != nil {
			return nil, tokenRefused(err)
		}
		return struct {
			Accepted bool `json:"accepted"`
		}{true}, nil
	}
	tok := r.Token
	if i := strings.Index(tok, "token="); i >= 0 {
		tok = tok[i+len("token="):]
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(tok, "="))
	if err != nil {
		return nil, invalid("token: want the base64url token of a tg://login?token=… URL")
	}
	if err := s.cfg.Sim.AcceptLoginToken(ctx, s.cfg.Account, raw); err != nil {
		return nil, tokenRefused(err)
	}
	return struct {
		Accepted bool `json:"accepted"`
	}{true}, nil
}

// RevokeResult is the answer to session.revoke: how many sessions
// (auth keys) of the account were logged out.
type RevokeResult struct {
	Revoked int `json:"revoked"`
}

// sessionRevoke logs every session of the account out, as "Terminate all
// sessions" does (session.revoke): a running connector's user account then
// stops and asks for `connector login`; a bot logs in again by its token.
func (s *Server) sessionRevoke(_ context.Context, body []byte) (any, error) {
	var r struct{}
	if err := decode(body, &r); err != nil {
		return nil, err
	}
	n, err := s.cfg.Sim.RevokeSessions(s.cfg.Account)
	if err != nil {
		return nil, err
	}
	return RevokeResult{Revoked: n}, nil
}

// tokenRefused turns Telegram's refusal of a token (expired, unknown,
// accepted already) into a client error.
func tokenRefused(err error) error {
	var rpc *tgerr.Error
	if errors.As(err, &rpc) {
		return invalid("Telegram refused the token: %s", rpc.Type)
	}
	return err
}
