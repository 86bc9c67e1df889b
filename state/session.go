package state

import (
	"context"
	"errors"
	"fmt"

	"github.com/gotd/td/session"
)

var _ session.Storage = (*Store)(nil)

// LoadSession returns the stored gotd session, or session.ErrNotFound when
// none was stored. A sealed session read without a key or with the wrong
// one fails with ErrWrongKey. A plain session is returned as is even when a
// key is configured; it is sealed by the next StoreSession.
func (s *Store) LoadSession(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	v, err := s.get(keySession)
	if errors.Is(err, ErrNotFound) {
		return nil, session.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	if !isSealed(v) {
		return v, nil
	}
	plain, err := s.aead.open(keySession, v)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	return plain, nil
}

// StoreSession replaces the session in one synced write, sealed when a key
// is configured.
func (s *Store) StoreSession(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done, err := s.use()
	if err != nil {
		return err
	}
	defer done()
	v := data
	if s.aead != nil {
		if v, err = s.aead.seal(keySession, data); err != nil {
			return fmt.Errorf("store session: %w", err)
		}
	}
	if err := s.db.Set(keySession, v, s.sync); err != nil {
		return fmt.Errorf("store session: %w", err)
	}
	return nil
}

// DeleteSession removes the session (a logout). Deleting an absent session
// is not an error.
func (s *Store) DeleteSession(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done, err := s.use()
	if err != nil {
		return err
	}
	defer done()
	if err := s.db.Delete(keySession, s.sync); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
