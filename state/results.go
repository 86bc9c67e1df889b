package state

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble"
)

// PutResult stores the result of an idempotent command under key until ttl
// has passed (by Options.Now).
func (s *Store) PutResult(key string, value []byte, ttl time.Duration) error {
	if key == "" || ttl <= 0 {
		return fmt.Errorf("put result: %w: key %q, ttl %v", ErrInvalid, key, ttl)
	}
	done, err := s.use()
	if err != nil {
		return err
	}
	defer done()
	v := make([]byte, 8, 8+len(value))
	binary.BigEndian.PutUint64(v, uint64(s.opts.Now().Add(ttl).UnixNano()))
	v = append(v, value...)
	if err := s.db.Set(resultKey(key), v, s.sync); err != nil {
		return fmt.Errorf("put result %q: %w", key, err)
	}
	return nil
}

// Result returns the stored result for key, or ErrNotFound when absent or expired.
func (s *Store) Result(key string) ([]byte, error) {
	done, err := s.use()
	if err != nil {
		return nil, err
	}
	defer done()
	v, err := s.get(resultKey(key))
	if err != nil {
		return nil, fmt.Errorf("result %q: %w", key, err)
	}
	if len(v) < 8 {
		return nil, fmt.Errorf("result %q: %w: %d bytes", key, ErrCorrupt, len(v))
	}
	if !s.opts.Now().Before(time.Unix(0, int64(binary.BigEndian.Uint64(v)))) {
		return nil, fmt.Errorf("result %q: expired: %w", key, ErrNotFound)
	}
	return v[8:], nil
}

// DeleteExpiredResults removes expired results and returns how many. Result
// already hides them; call this now and then to reclaim space.
func (s *Store) DeleteExpiredResults() (int, error) {
	done, err := s.use()
	if err != nil {
		return 0, err
	}
	defer done()
	now := s.opts.Now()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixResult}, UpperBound: prefixUpper(prefixResult)})
	if err != nil {
		return 0, fmt.Errorf("delete expired results: %w", err)
	}
	b := s.db.NewBatch()
	defer b.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		v := it.Value()
		if len(v) >= 8 && now.Before(time.Unix(0, int64(binary.BigEndian.Uint64(v)))) {
			continue
		}
		if err := b.Delete(append([]byte(nil), it.Key()...), nil); err != nil {
			_ = it.Close()
			return 0, fmt.Errorf("delete expired results: %w", err)
		}
		n++
	}
	if err := closeIter(it); err != nil {
		return 0, fmt.Errorf("delete expired results: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := b.Commit(s.sync); err != nil {
		return 0, fmt.Errorf("delete expired results: %w", err)
	}
	return n, nil
}
