package state

import (
	"fmt"
	"io"
	"log/slog"
	"time"
)

// DefaultIndexSize is the default bound of the message-id → peer index.
const DefaultIndexSize = 100_000

// Options configures Open. The zero value is usable: no encryption, a
// 100 000-entry index, synced commits, logs discarded.
type Options struct {
	// Logger receives the store's own logs and Pebble's (at debug level).
	// Nil discards.
	Logger *slog.Logger
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
	// Nil means time.Now.
	Now func() time.Time
}

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
}

// Validate reports options that cannot work. It is called by Open after
// defaults are applied.
func (o *Options) Validate() error {
	if o.EncryptionKey != nil && len(o.EncryptionKey) != 32 {
		return fmt.Errorf("%w: encryption key is %d bytes, want 32", ErrInvalid, len(o.EncryptionKey))
	}
	if o.IndexSize < 0 {
		return fmt.Errorf("%w: index size %d is negative", ErrInvalid, o.IndexSize)
	}
	return nil
}
