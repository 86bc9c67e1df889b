package state

import (
	"context"
	"errors"
	"fmt"
)

// Rekey re-seals the session with newKey (32 bytes) and makes it the key of
// this Store: later reads and writes use it, and the next Open needs it. The
// session must open with the current key (ErrWrongKey otherwise; nothing is
// changed then). A store without a session just switches keys.
//
// The old sealed value is flushed and compacted out of Pebble's tables; the
// write-ahead log it was written through is deleted by Pebble once obsolete.
// Call Rekey while nothing else uses the store.
func (s *Store) Rekey(ctx context.Context, newKey []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	next, err := newSealer(newKey)
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	done, err := s.use()
	if err != nil {
		return err
	}
	defer done()
	v, err := s.get(keySession)
	switch {
	case errors.Is(err, ErrNotFound):
		s.aead = next
		return nil
	case err != nil:
		return fmt.Errorf("rekey: %w", err)
	}
	plain := v
	if isSealed(v) {
		if plain, err = s.aead.open(keySession, v); err != nil {
			return fmt.Errorf("rekey: %w", err)
		}
	}
	sealed, err := next.seal(keySession, plain)
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	if err := s.db.Set(keySession, sealed, s.sync); err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	s.aead = next
	if err := s.db.Flush(); err != nil {
		return fmt.Errorf("rekey: flush: %w", err)
	}
	if err := s.db.Compact(keySession, []byte{prefixSession + 1}, false); err != nil {
		return fmt.Errorf("rekey: compact: %w", err)
	}
	return nil
}
