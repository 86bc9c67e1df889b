// Package tgclient holds what every gotd client of an account shares, the
// engine's (ingest.Account) and a login's (ingest/auth): the session format
// check, the DC override for test servers and the dialer that reports an
// unreachable Telegram.
package tgclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gotd/td/session"
)

// Errors of a stored session that stop a client instead of logging in again.
var (
	// ErrSessionVersion means the stored session was written by an
	// incompatible version; logging in again silently would hide that.
	ErrSessionVersion = errors.New("ingest: unsupported session format")
	// ErrSessionUnreadable means the stored session cannot be read (a wrong
	// or missing encryption key, a damaged store): tgnats never replaces it
	// with a new login silently.
	ErrSessionUnreadable = errors.New("ingest: stored session cannot be read")
)

// Session refuses a session blob of an unknown format version instead of
// letting gotd treat it as absent (which would log in again and silently
// replace it).
//
// gotd stores the session each time a connection is (re)established, so
// StoreSession is also where a reconnect becomes visible: OnStore runs then.
type Session struct {
	session.Storage
	OnStore func()
}

// StoreSession stores data, then runs OnStore.
func (s Session) StoreSession(ctx context.Context, data []byte) error {
	if err := s.Storage.StoreSession(ctx, data); err != nil {
		return err
	}
	if s.OnStore != nil {
		s.OnStore()
	}
	return nil
}

// sessionFormat is the gotd session format this build reads.
const sessionFormat = 1

// LoadSession returns the stored session, an error wrapping
// ErrSessionUnreadable when the store cannot read it and one wrapping
// ErrSessionVersion when it is of another format.
func (s Session) LoadSession(ctx context.Context) ([]byte, error) {
	data, err := s.Storage.LoadSession(ctx)
	if err != nil && !errors.Is(err, session.ErrNotFound) && ctx.Err() == nil {
		return nil, fmt.Errorf("%w: %w", ErrSessionUnreadable, err)
	}
	if err != nil || len(data) == 0 {
		return data, err
	}
	var v struct{ Version int }
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%w: stored session is not readable: %v", ErrSessionVersion, err)
	}
	if v.Version != sessionFormat {
		return nil, fmt.Errorf("%w: stored session has format %d, this build reads %d", ErrSessionVersion, v.Version, sessionFormat)
	}
	return data, nil
}
