package state

import "errors"

// Errors callers branch on with errors.Is. Returned errors wrap them with
// context (the path, the versions found and supported, the offending field).
var (
	// ErrLocked means the data directory is held by another process or by
	// another Open in this process.
	ErrLocked = errors.New("state: directory locked")
	// ErrVersion means the store was written in a format this build does not know.
	ErrVersion = errors.New("state: unsupported format version")
	// ErrNotWritable means the data directory cannot be created or written.
	ErrNotWritable = errors.New("state: directory not writable")
	// ErrWrongKey means sealed data could not be opened: no key or the wrong key.
	ErrWrongKey = errors.New("state: wrong or missing encryption key")
	// ErrNotFound means the requested record is absent (or, for results, expired).
	ErrNotFound = errors.New("state: not found")
	// ErrInvalid means an argument or option was rejected before anything was written.
	ErrInvalid = errors.New("state: invalid argument")
	// ErrCorrupt means a stored value could not be decoded.
	ErrCorrupt = errors.New("state: corrupt value")
	// ErrRefused means a checkpoint was refused: not sealed and
	// authenticated under this store's key for this account, written by an
	// older format, or ahead of the stream it claims to follow.
	ErrRefused = errors.New("state: checkpoint refused")
	// ErrOldCheckpoint means a checkpoint was written in an older format,
	// not bound to the account and the stream: it is not restored, and the
	// next checkpoint written replaces it.
	ErrOldCheckpoint = errors.New("state: checkpoint of an older format")
	// ErrClosed means the Store was used after Close.
	ErrClosed = errors.New("state: closed")
)
