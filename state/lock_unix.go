//go:build unix

package state

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

const lockFileName = "tgnats.lock"

// lockDir takes an exclusive flock on path. flock locks belong to the open
// file description, so a second Open in the same process conflicts as well
// as one in another process.
func lockDir(path string) (io.Closer, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrNotWritable, path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by another process or another Open", ErrLocked, path)
		}
		return nil, fmt.Errorf("%w: lock %s: %w", ErrNotWritable, path, err)
	}
	return f, nil
}
