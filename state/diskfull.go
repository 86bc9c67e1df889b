package state

import (
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/vfs"
)

// diskPause holds writes that fail because the disk is full (ENOSPC) and
// retries them until they succeed, so that a full disk pauses the store
// instead of failing a write Pebble cannot recover from. At Open it is not
// armed yet: a full disk then fails Open (ErrNotWritable). Close releases
// the paused writes with their error.
//
// fsync is not retried: after a failed fsync the kernel may have dropped
// the dirty pages, and a second fsync that succeeds proves nothing. Pebble
// treats that failure as fatal.
type diskPause struct {
	retry  time.Duration
	log    *slog.Logger
	armed  atomic.Bool
	paused atomic.Int32 // writes waiting for space now
	stop   chan struct{}
	once   sync.Once
}

func newDiskPause(retry time.Duration, log *slog.Logger) *diskPause {
	return &diskPause{retry: retry, log: log, stop: make(chan struct{})}
}

// full reports whether a write is waiting for space.
func (p *diskPause) full() bool { return p.paused.Load() > 0 }

// close releases every paused write with its ENOSPC.
func (p *diskPause) close() { p.once.Do(func() { close(p.stop) }) }

// do runs op, and while it fails with ENOSPC (and the pause is armed)
// waits retry and runs it again.
func (p *diskPause) do(op func() error) error {
	err := op()
	if !isENOSPC(err) || !p.armed.Load() {
		return err
	}
	if p.paused.Add(1) == 1 {
		p.log.Warn("disk full: writes are paused until space is freed; nothing is lost, events wait in Telegram", "error", err)
	}
	defer func() {
		if p.paused.Add(-1) == 0 && err == nil {
			p.log.Info("disk space available again; writes resumed")
		}
	}()
	t := time.NewTicker(p.retry)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return err
		case <-t.C:
		}
		if err = op(); !isENOSPC(err) {
			return err
		}
	}
}

func isENOSPC(err error) bool { return err != nil && errors.Is(err, syscall.ENOSPC) }

// pausingFS is a vfs.FS whose writes wait out a full disk (see diskPause).
type pausingFS struct {
	vfs.FS
	p *diskPause
}

func (fs pausingFS) file(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return pausingFile{File: f, p: fs.p}, nil
}

func (fs pausingFS) Create(name string) (vfs.File, error) {
	var f vfs.File
	err := fs.p.do(func() (err error) { f, err = fs.FS.Create(name); return err })
	return fs.file(f, err)
}

func (fs pausingFS) OpenReadWrite(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	var f vfs.File
	err := fs.p.do(func() (err error) { f, err = fs.FS.OpenReadWrite(name, opts...); return err })
	return fs.file(f, err)
}

func (fs pausingFS) ReuseForWrite(oldname, newname string) (vfs.File, error) {
	var f vfs.File
	err := fs.p.do(func() (err error) { f, err = fs.FS.ReuseForWrite(oldname, newname); return err })
	return fs.file(f, err)
}

func (fs pausingFS) Link(oldname, newname string) error {
	return fs.p.do(func() error { return fs.FS.Link(oldname, newname) })
}

func (fs pausingFS) Rename(oldname, newname string) error {
	return fs.p.do(func() error { return fs.FS.Rename(oldname, newname) })
}

func (fs pausingFS) MkdirAll(dir string, perm os.FileMode) error {
	return fs.p.do(func() error { return fs.FS.MkdirAll(dir, perm) })
}

// Unwrap returns the file system underneath, for vfs.Root.
func (fs pausingFS) Unwrap() vfs.FS { return fs.FS }

type pausingFile struct {
	vfs.File
	p *diskPause
}

// Write writes p whole, waiting out a full disk; a short write before
// ENOSPC continues where it stopped.
func (f pausingFile) Write(b []byte) (int, error) {
	n := 0
	err := f.p.do(func() error {
		m, err := f.File.Write(b[n:])
		n += m
		return err
	})
	return n, err
}

func (f pausingFile) WriteAt(b []byte, off int64) (int, error) {
	n := 0
	err := f.p.do(func() error {
		m, err := f.File.WriteAt(b[n:], off+int64(n))
		n += m
		return err
	})
	return n, err
}

func (f pausingFile) Preallocate(off, length int64) error {
	return f.p.do(func() error { return f.File.Preallocate(off, length) })
}
