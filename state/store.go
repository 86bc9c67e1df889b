package state

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

// FormatVersion is the on-disk format this build writes and reads.
const FormatVersion = 1

// migrations upgrade a store from version v to v+1, keyed by v. Each runs in
// the batch that also records the new version, so an upgrade is atomic.
// There are none yet: version 1 is the first format.
var migrations = map[uint32]func(r pebble.Reader, w *pebble.Batch) error{}

// Store is the durable state of one Telegram account: session, update
// positions, peers, the outbox and the message index, in one Pebble DB.
// All methods are safe for concurrent use.
type Store struct {
	db   *pebble.DB
	dir  string
	opts Options
	log  *slog.Logger
	lock io.Closer
	aead *aeadSealer // nil without a key
	// pause holds writes while the disk is full (see diskfull.go).
	pause *diskPause
	sync  *pebble.WriteOptions

	// closeMu guards db against use after Close: every call holds it for reading.
	closeMu sync.RWMutex
	closed  bool

	// writeMu orders Commit and checkpoints and guards the counters below.
	writeMu   sync.Mutex
	nextSeq   uint64       // seq the next outbox record gets
	indexMax  atomic.Int64 // newest message id in the index (read without writeMu)
	indexGone int          // ids at or below this were evicted

	// ackMu orders OutboxAck calls and guards ackedAhead, the records
	// deleted while an older one is live. Acks never take writeMu, so acks
	// and commits do not wait for each other.
	ackMu      sync.Mutex
	ackedAhead map[uint64]struct{}

	// statsMu guards the outbox counters: every seq in [oldestSeq, outboxEnd)
	// is live unless acked out of order; outboxEnd is past the last record of
	// the last durable Commit (OutboxRead reads nothing beyond it).
	statsMu     sync.Mutex
	depth       int
	oldestSeq   uint64
	oldestStamp time.Time
	outboxEnd   uint64

	notify chan struct{}
}

// Open opens (creating when absent, with mode 0700) the store in dir. It
// fails with ErrLocked when dir is held by another process or another Open
// in this process, ErrNotWritable when dir cannot be created or written,
// ErrVersion when the data was written by an unknown format version, and
// ErrInvalid for bad options.
func Open(dir string, opts Options) (*Store, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: create %s: %w", ErrNotWritable, dir, err)
	}
	lock, err := lockDir(filepath.Join(dir, lockFileName))
	if err != nil {
		return nil, err
	}
	s := &Store{
		dir:    dir,
		opts:   opts,
		log:    opts.Logger.With(slog.String("component", "state")),
		lock:   lock,
		sync:   pebble.Sync,
		notify: make(chan struct{}, 1),

		ackedAhead: make(map[uint64]struct{}),
	}
	s.pause = newDiskPause(opts.DiskFullRetry, s.log.With(slog.String("dir", dir)))
	if opts.NoSync {
		s.sync = pebble.NoSync
	}
	if opts.EncryptionKey != nil {
		if s.aead, err = newSealer(opts.EncryptionKey); err != nil {
			_ = lock.Close()
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	if err := s.open(); err != nil {
		if s.db != nil {
			_ = s.db.Close()
		}
		_ = lock.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) open() error {
	db, err := pebble.Open(s.dir, &pebble.Options{
		FS:     privateFS{pausingFS{FS: s.opts.FS, p: s.pause}},
		Logger: pebbleLogger{l: s.opts.Logger.With(slog.String("component", "pebble"), slog.String("dir", s.dir)), exit: s.opts.exit},
	})
	if err != nil {
		switch {
		case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EROFS), errors.Is(err, syscall.ENOSPC):
			return fmt.Errorf("%w: %s: %w", ErrNotWritable, s.dir, err)
		case isLockErr(err):
			return fmt.Errorf("%w: %s: %w", ErrLocked, s.dir, err)
		}
		return fmt.Errorf("open store %s: %w", s.dir, err)
	}
	s.db = db
	if err := s.checkVersion(); err != nil {
		return err
	}
	if err := s.recover(); err != nil {
		return fmt.Errorf("open store %s: %w", s.dir, err)
	}
	s.pause.armed.Store(true) // from now on a full disk pauses writes
	s.log.Debug("store opened", slog.String("dir", s.dir),
		slog.Uint64("next_seq", s.nextSeq), slog.Int("outbox_depth", s.depth))
	return nil
}

// checkVersion writes the format version on first Open, runs migrations
// from older versions and refuses versions it does not know.
func (s *Store) checkVersion() error {
	v, err := s.get(keyVersion)
	if errors.Is(err, ErrNotFound) {
		return s.db.Set(keyVersion, be32(FormatVersion), pebble.Sync)
	}
	if err != nil {
		return fmt.Errorf("read format version: %w", err)
	}
	if len(v) != 4 {
		return fmt.Errorf("%w: %s: format version key holds %d bytes, supported version is %d",
			ErrVersion, s.dir, len(v), FormatVersion)
	}
	found := binary.BigEndian.Uint32(v)
	if found == 0 || found > FormatVersion {
		return fmt.Errorf("%w: %s: found version %d, this build supports up to %d",
			ErrVersion, s.dir, found, FormatVersion)
	}
	for ver := found; ver < FormatVersion; ver++ {
		migrate, ok := migrations[ver]
		if !ok {
			return fmt.Errorf("%w: %s: no migration from version %d", ErrVersion, s.dir, ver)
		}
		b := s.db.NewBatch()
		if err := migrate(s.db, b); err != nil {
			_ = b.Close()
			return fmt.Errorf("migrate %s from version %d: %w", s.dir, ver, err)
		}
		if err := b.Set(keyVersion, be32(ver+1), nil); err != nil {
			_ = b.Close()
			return fmt.Errorf("migrate %s from version %d: %w", s.dir, ver, err)
		}
		if err := b.Commit(pebble.Sync); err != nil {
			return fmt.Errorf("migrate %s from version %d: %w", s.dir, ver, err)
		}
		s.log.Info("store migrated", slog.Uint64("from", uint64(ver)), slog.Uint64("to", uint64(ver+1)))
	}
	return nil
}

// recover rebuilds the in-memory counters: next outbox seq from the last
// outbox key or the high-water mark, whichever is higher; outbox depth and oldest record by a scan, newest indexed id.
func (s *Store) recover() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixOutbox}, UpperBound: prefixUpper(prefixOutbox)})
	if err != nil {
		return fmt.Errorf("scan outbox: %w", err)
	}
	if it.Last() {
		s.nextSeq = binary.BigEndian.Uint64(it.Key()[1:]) + 1
	}
	for ok := it.First(); ok; ok = it.Next() {
		if s.depth == 0 {
			s.oldestSeq = binary.BigEndian.Uint64(it.Key()[1:])
			if s.oldestStamp, err = recordCreated(it.Value()); err != nil {
				_ = it.Close()
				return fmt.Errorf("outbox seq %d: %w", s.oldestSeq, err)
			}
		}
		s.depth++
	}
	if err := closeIter(it); err != nil {
		return fmt.Errorf("scan outbox: %w", err)
	}
	v, err := s.get(keySeq)
	switch {
	case err == nil && len(v) == 8:
		s.nextSeq = max(s.nextSeq, binary.BigEndian.Uint64(v)+1)
	case err == nil:
		return fmt.Errorf("%w: seq high-water mark of %d bytes", ErrCorrupt, len(v))
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("read seq high-water mark: %w", err)
	}
	if s.nextSeq == 0 {
		s.nextSeq = 1 // seq 0 is "before everything" for OutboxRead
	}
	s.outboxEnd = s.nextSeq

	it, err = s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixIndex}, UpperBound: prefixUpper(prefixIndex)})
	if err != nil {
		return fmt.Errorf("scan index: %w", err)
	}
	if it.Last() {
		s.indexMax.Store(int64(binary.BigEndian.Uint64(it.Key()[1:])))
	}
	if err := closeIter(it); err != nil {
		return fmt.Errorf("scan index: %w", err)
	}
	return nil
}

// Close flushes and closes the database and releases the directory lock.
// Later calls on the Store return ErrClosed; a second Close returns nil.
func (s *Store) Close() error {
	s.pause.close() // a write paused by a full disk gives up (see DiskFull)
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.db.Close()
	if lerr := s.lock.Close(); lerr != nil && err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("close store %s: %w", s.dir, err)
	}
	return nil
}

// use takes the read side of closeMu; the caller must call the returned
// func when done. It fails with ErrClosed after Close.
func (s *Store) use() (func(), error) {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return nil, ErrClosed
	}
	return s.closeMu.RUnlock, nil
}

// get returns a copy of the value at key, or ErrNotFound.
func (s *Store) get(key []byte) ([]byte, error) {
	return getFrom(s.db, key)
}

func getFrom(r pebble.Reader, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), v...)
	if err := closer.Close(); err != nil {
		return nil, err
	}
	return out, nil
}

func closeIter(it *pebble.Iterator) error {
	err := it.Error()
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	return err
}

func be32(v uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, v)
	return b
}

// isLockErr recognises Pebble's failure to take its LOCK file (held by a
// process that is not tgnats, since tgnats.lock is taken first): fcntl's
// EAGAIN, or Pebble's own in-process check, which has no sentinel.
func isLockErr(err error) bool {
	return errors.Is(err, syscall.EAGAIN) || strings.Contains(err.Error(), "lock held")
}

// pebbleLogger routes Pebble's logs into slog at debug level. Pebble calls
// Fatalf only when it cannot continue safely (a failed fsync, a write that
// failed for another reason than a full disk, a broken invariant):
// returning would let Pebble carry on with state it has declared unsound
// (a failed commit would look successful), so the message is logged as one
// error line and the process exits with status 1, as Pebble's own logger
// does, without a panic and its goroutine dump. Nothing acknowledged is
// lost: a commit that did not reach the disk was never acknowledged.
type pebbleLogger struct {
	l    *slog.Logger
	exit func(code int) // os.Exit unless a test sets Options.exit
}

func (p pebbleLogger) Infof(format string, args ...any) {
	if p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug(strings.TrimSpace(fmt.Sprintf(format, args...)))
	}
}

func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := strings.TrimSpace(fmt.Sprintf(format, args...))
	p.l.Error("state store failed; exiting: fix the cause (free disk space, check the disk) and start again", slog.String("error", msg))
	p.exit(1)
	select {} // exit does not return; a test's stand-in must not let Pebble go on either
}

// privateFS makes every file Pebble creates mode 0600 (the default is 0666
// less the umask).
type privateFS struct{ vfs.FS }

func (fs privateFS) Create(name string) (vfs.File, error) {
	f, err := fs.FS.Create(name)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(name, 0o600); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

func (fs privateFS) Lock(name string) (io.Closer, error) {
	c, err := fs.FS.Lock(name)
	if err != nil {
		return nil, err
	}
	_ = os.Chmod(name, 0o600)
	return c, nil
}

// DiskFull reports whether writes are paused by a full disk: Commit and
// the other writes wait, retrying every Options.DiskFullRetry, and complete
// once space is freed. Close releases them, and Pebble then fails on the
// write it could not make (see pebbleLogger).
func (s *Store) DiskFull() bool { return s.pause.full() }
