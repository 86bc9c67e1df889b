package state

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

// DefaultIndexSize is the default bound of the message-id → peer index.
const DefaultIndexSize = 100_000

// Options configures Open. The zero value is usable: no encryption, a
// 100 000-entry index, synced commits, logs discarded.
type Options struct {
	// Logger receives the store's own logs and Pebble's (at debug level).
	// Nil discards.
	Logger *slog.Logger
	// Account names the account the store belongs to. It is part of the
	// additional data of sealed checkpoints, so that a checkpoint of one
	// account does not open as another's.
	Account string
	// EncryptionKey, when set, must be 32 bytes: the session (and any other
	// credential) is sealed with AES-256-GCM. Nil stores it in the clear.
	EncryptionKey []byte
	// IndexSize bounds the message-id → peer index: entries with a message id
	// at or below newest-IndexSize are evicted. Zero means DefaultIndexSize.
	IndexSize int
	// NoSync skips the fsync of each write. For tests and benchmarks only:
	// with it a crash can lose committed events.
	NoSync bool
	// Now is the clock used for result expiry and outbox record times.
	// Nil means time.Now. A clock.Clock's Now (gotd/neo's Time in tests)
	// fits; see ingest.EngineConfig.Clock.
	Now func() time.Time
	// FS is the file system Pebble writes through. Nil means the OS's;
	// tests inject faults (a full disk) with it.
	FS vfs.FS
	// DiskFullRetry is how often a write paused by a full disk is retried.
	// Zero means DefaultDiskFullRetry.
	DiskFullRetry time.Duration

	// exit ends the process when Pebble cannot go on; os.Exit unless a
	// test of this package sets it.
	exit func(code int)
}

// DefaultDiskFullRetry is the default of Options.DiskFullRetry.
const DefaultDiskFullRetry = time.Second

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.IndexSize == 0 {
		o.IndexSize = DefaultIndexSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.exit == nil {
		o.exit = os.Exit
	}
	if o.DiskFullRetry == 0 {
		o.DiskFullRetry = DefaultDiskFullRetry
	}
}

// Validate reports options that cannot work. It is called by Open after
// defaults are applied.
func (o *Options) Validate() error {
	if o.EncryptionKey != nil && len(o.EncryptionKey) != 32 {
		return fmt.Errorf("%w: encryption key is %d bytes, want 32", ErrInvalid, len(o.EncryptionKey))
	}
	if o.DiskFullRetry < 0 {
		return fmt.Errorf("%w: disk full retry %s is negative", ErrInvalid, o.DiskFullRetry)
	}
	if o.IndexSize < 0 {
		return fmt.Errorf("%w: index size %d is negative", ErrInvalid, o.IndexSize)
	}
	return nil
}
