package simctl

import (
	"strings"
	"testing"
)

// TestLoginVerbsRefuseClearly: on a bot account, login.code is an
// INVALID_ARGUMENT naming the reason; with no QR code shown, login.accept
// is NOT_FOUND; a token that is not base64url is INVALID_ARGUMENT, an
// unknown one Telegram's AUTH_TOKEN_INVALID; session.revoke answers the
// number of sessions it ended. (The successful paths run in the e2e
// tests, against a connector logging in.)
func TestLoginVerbsRefuseClearly(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		verb, body, code, says string
	}{
		{"login.code", "", CodeInvalidArgument, "is a bot"},
		{"login.accept", "", CodeNotFound, "no QR login token waits"},
		{"login.accept", `{"token":"not base64!"}`, CodeInvalidArgument, "base64url"},
		{"login.accept", `{"token":"tg://login?token=AAAA"}`, CodeInvalidArgument, "AUTH_TOKEN_INVALID"},
		{"login.code", `{"x":1}`, CodeInvalidArgument, "unknown field"},
	} {
		a := f.call(t, tc.verb, tc.body)
		if a.OK || a.Error.Code != tc.code || !strings.Contains(a.Error.Message, tc.says) {
			t.Errorf("%s %s: %+v, want %s saying %q", tc.verb, tc.body, a.Error, tc.code, tc.says)
		}
	}
	var r RevokeResult
	f.ok(t, "session.revoke", "", &r)
	if r.Revoked != 0 {
		t.Errorf("revoked %d sessions of a bot that never logged in", r.Revoked)
	}
}
