package auth

import (
	"errors"
	"fmt"
	"testing"
	"time"

	tgauth "github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tgerr"
)

func TestLoginError(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("sign in: %w", err) }
	tests := []struct {
		name    string
		err     error
		wantErr error
	}{
		{name: "wrong code", err: wrap(tgerr.New(400, "PHONE_CODE_INVALID")), wantErr: ErrCodeInvalid},
		{name: "expired code", err: wrap(tgerr.New(400, "PHONE_CODE_EXPIRED")), wantErr: ErrCodeExpired},
		{name: "unregistered phone", err: wrap(tgerr.New(400, "PHONE_NUMBER_UNOCCUPIED")), wantErr: ErrSignUpRequired},
		{name: "sign-up required", err: wrap(&tgauth.SignUpRequired{}), wantErr: ErrSignUpRequired},
		{name: "wrong password", err: wrap(tgauth.ErrPasswordInvalid), wantErr: ErrPasswordInvalid},
		{name: "invalid phone", err: wrap(tgerr.New(400, "PHONE_NUMBER_INVALID")), wantErr: ErrPhoneInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loginError(tt.err); !errors.Is(got, tt.wantErr) {
				t.Errorf("loginError() = %v, want %v", got, tt.wantErr)
			}
		})
	}
	var flood *FloodWaitError
	if got := loginError(wrap(tgerr.New(420, "FLOOD_WAIT_90"))); !errors.As(got, &flood) || flood.Wait != 90*time.Second {
		t.Errorf("loginError(FLOOD_WAIT_90) = %v, want a FloodWaitError of 90s", got)
	}
	other := errors.New("connection reset")
	if got := loginError(other); !errors.Is(got, other) {
		t.Errorf("loginError() = %v, want it to wrap %v", got, other)
	}
}
