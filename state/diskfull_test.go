package state

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/vfs"

	"github.com/tgnats/tgnats/internal/testutil"
)

// fullFS fails every write with ENOSPC while full is set, as a full disk does.
type fullFS struct {
	vfs.FS
	full *atomic.Bool
}

func (fs fullFS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return fullFile{File: f, full: fs.full}, nil
}

func (fs fullFS) Create(name string) (vfs.File, error) {
	if fs.full.Load() {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOSPC}
	}
	return fs.wrap(fs.FS.Create(name))
}

func (fs fullFS) OpenReadWrite(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	return fs.wrap(fs.FS.OpenReadWrite(name, opts...))
}

func (fs fullFS) ReuseForWrite(oldname, newname string) (vfs.File, error) {
	if fs.full.Load() {
		return nil, syscall.ENOSPC
	}
	return fs.wrap(fs.FS.ReuseForWrite(oldname, newname))
}

type fullFile struct {
	vfs.File
	full *atomic.Bool
}

func (f fullFile) Write(p []byte) (int, error) {
	if f.full.Load() {
		return 0, syscall.ENOSPC
	}
	return f.File.Write(p)
}

func (f fullFile) WriteAt(p []byte, off int64) (int, error) {
	if f.full.Load() {
		return 0, syscall.ENOSPC
	}
	return f.File.WriteAt(p, off)
}

// A full disk pauses writes instead of crashing the process: Commit waits,
// DiskFull reports it (readiness and a metric follow it), and once space
// returns the commit completes and is durable.
func TestDiskFullPausesWrites(t *testing.T) {
	var full atomic.Bool
	dir := t.TempDir()
	s := openT(t, dir, Options{FS: fullFS{FS: vfs.Default, full: &full}, DiskFullRetry: 10 * time.Millisecond})
	if err := s.Commit(&Commit{Events: []OutboxRecord{event("tg.a.events.x", "before", "{}")}, State: &UpdateState{Pts: 1}}); err != nil {
		t.Fatal(err)
	}

	full.Store(true)
	done := make(chan error, 1)
	go func() {
		done <- s.Commit(&Commit{Events: []OutboxRecord{event("tg.a.events.x", "during", "{}")}, State: &UpdateState{Pts: 2}})
	}()
	testutil.Eventually(t, 10*time.Second, "DiskFull to report the full disk", s.DiskFull)
	select {
	case err := <-done:
		t.Fatalf("Commit returned %v on a full disk, want it to wait for space", err)
	default:
	}

	full.Store(false)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Commit after space returned: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Commit still waiting after space returned")
	}
	if s.DiskFull() {
		t.Error("DiskFull still true after the write went through")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Nothing lost: both events and the newest position are durable.
	s = openT(t, dir, Options{})
	recs, err := s.OutboxRead(0, 10)
	if err != nil || len(recs) != 2 || recs[1].MsgID != "during" {
		t.Fatalf("outbox after reopening = %d records, %v; want before and during", len(recs), err)
	}
	if st, _, _ := s.UpdateState(); st.Pts != 2 {
		t.Fatalf("pts after reopening = %d, want 2", st.Pts)
	}
}

// A full disk at Open is a clear error, not a pause nor a panic.
func TestDiskFullAtOpen(t *testing.T) {
	var full atomic.Bool
	full.Store(true)
	_, err := Open(t.TempDir(), Options{FS: fullFS{FS: vfs.Default, full: &full}})
	if !errors.Is(err, ErrNotWritable) {
		t.Fatalf("Open on a full disk = %v, want ErrNotWritable", err)
	}
}

// Pebble's fatal errors end the process with one error line and status 1,
// not a panic with a goroutine dump.
func TestPebbleFatalExits(t *testing.T) {
	var buf bytes.Buffer
	code := make(chan int, 1)
	go func() {
		l := pebbleLogger{l: slog.New(slog.NewTextHandler(&buf, nil)), exit: func(c int) { code <- c; runtime.Goexit() }}
		l.Fatalf("pebble: fatal commit error: %v", syscall.ENOSPC)
	}()
	if c := <-code; c != 1 {
		t.Fatalf("exit status %d, want 1", c)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "no space left on device") {
		t.Fatalf("log = %q, want one error line naming the cause", out)
	}
}
