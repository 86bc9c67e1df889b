//go:build !unix

package state

import "io"

const lockFileName = "tgnats.lock"

// lockDir is a no-op off unix: Pebble's own LOCK file still guards the
// directory and its failure is reported as ErrLocked.
func lockDir(string) (io.Closer, error) { return io.NopCloser(nil), nil }
