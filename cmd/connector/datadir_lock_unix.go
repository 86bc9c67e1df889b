//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// simulateLockFile is the lock `connector simulate` holds on its data dir.
const simulateLockFile = "simulate.lock"

// lockDataDir takes an exclusive lock on dir for this process, or fails
// with one line naming dir when another process holds it.
func lockDataDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, simulateLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("data dir %s is in use by another `connector simulate` (lock %s): stop it or pass another --data-dir", dir, simulateLockFile)
		}
		return nil, fmt.Errorf("data dir %s: lock: %w", dir, err)
	}
	return func() { _ = f.Close() }, nil
}
