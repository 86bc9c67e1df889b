package egress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gotd/td/telegram/downloader"
	"github.com/gotd/td/tg"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/schema"
)

// Resuming a download cut short by a crash. An Object Store put cannot be
// appended to, so a file of at least FilesConfig.ResumeBytes is staged on
// disk first, in PartialDir, under a name made from its bucket and object
// name: parts are written there in order and fsynced one by one. A
// redelivered command finds the staged bytes, keeps them up to the last
// whole part, asks Telegram only for the parts after, and puts the staged
// file into the Object Store once complete; the staged file is then
// deleted. Staged files not written to for FilesConfig.Deadline are stale
// (their command is over) and deleted on start and before each staged
// download.

// DefaultFilesResumeBytes is the default of FilesConfig.ResumeBytes in the
// connector's configuration (files.resume_bytes).
const DefaultFilesResumeBytes = 64 << 20

// stageMargin is the free space a staged download leaves on its file
// system beyond the file (the data dir holds Pebble, and the embedded
// NATS server's store, the object itself).
const stageMargin = 64 << 20

// stageable reports whether a download of f is staged on disk: it is at
// least ResumeBytes and the partial dir's file system has room for the
// file and stageMargin. Without the room it is streamed into the Object
// Store as smaller files are (it does not resume after a crash) instead
// of failing with a full disk after gigabytes.
func (e *Egress) stageable(c *command, name string, f remoteFile) bool {
	rb := e.cfg.Files.ResumeBytes
	if e.cfg.Files.PartialDir == "" || rb <= 0 || f.size < rb {
		return false
	}
	free := e.cfg.diskFree
	if free == nil {
		free = diskFree
	}
	avail, err := free(e.cfg.Files.PartialDir)
	if err != nil {
		return true // unknown: stage, as before
	}
	var staged int64
	if st, err := os.Stat(e.partialPath(name)); err == nil {
		staged = st.Size()
	}
	if need := f.size - staged + stageMargin; avail < need {
		e.log.Warn("not enough free disk to stage a download: streaming it, it will not resume after a crash",
			"command_id", c.id, "object", name, "size", f.size, "free_bytes", avail, "dir", e.cfg.Files.PartialDir)
		return false
	}
	return true
}

// partialPath is the staged file of object name.
func (e *Egress) partialPath(name string) string {
	h := sha256.Sum256([]byte(e.cfg.Files.Bucket + "\x00" + name))
	return filepath.Join(e.cfg.Files.PartialDir, hex.EncodeToString(h[:16]))
}

// preparePartialDir creates dir 0700 and deletes the staged files in it
// not written to for stale.
func preparePartialDir(dir string, stale time.Duration, now time.Time) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("files partial dir: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("files partial dir: %w", err)
	}
	for _, ent := range ents {
		info, err := ent.Info()
		if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) < stale {
			continue
		}
		if err := os.Remove(filepath.Join(dir, ent.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("files partial dir: %w", err)
		}
	}
	return nil
}

// lockPartial holds path for this process's one download of it; the
// returned function releases it.
func (e *Egress) lockPartial(ctx context.Context, path string) (func(), error) {
	for {
		unlock, busy := e.claimPartial(path)
		if unlock != nil {
			return unlock, nil
		}
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// tryLockPartial holds path like lockPartial, or reports false when it is
// held already.
func (e *Egress) tryLockPartial(path string) (func(), bool) {
	unlock, _ := e.claimPartial(path)
	return unlock, unlock != nil
}

// claimPartial holds path and returns its release, or returns the channel
// closed when its holder releases it.
func (e *Egress) claimPartial(path string) (func(), <-chan struct{}) {
	e.files.mu.Lock()
	defer e.files.mu.Unlock()
	if e.files.staging == nil {
		e.files.staging = map[string]chan struct{}{}
	}
	if busy, ok := e.files.staging[path]; ok {
		return nil, busy
	}
	done := make(chan struct{})
	e.files.staging[path] = done
	return func() {
		e.files.mu.Lock()
		delete(e.files.staging, path)
		e.files.mu.Unlock()
		close(done)
	}, nil
}

// stagedWriter writes the bytes of a download in order into a staged
// file, skipping those it holds already (below start), and fsyncs each
// write: the staged length never runs ahead of what is on disk.
type stagedWriter struct {
	f          *os.File
	pos, start int64
	add        func(new int64)
}

func (w *stagedWriter) Write(p []byte) (int, error) {
	n := len(p)
	if w.pos < w.start {
		skip := min(int64(len(p)), w.start-w.pos)
		p, w.pos = p[skip:], w.pos+skip
	}
	if len(p) == 0 {
		return n, nil
	}
	if _, err := w.f.WriteAt(p, w.pos); err != nil {
		return 0, err
	}
	if err := w.f.Sync(); err != nil {
		return 0, err
	}
	w.pos += int64(len(p))
	w.add(int64(len(p)))
	return n, nil
}

// stagedParts answers the parts of a download below start from the staged
// file instead of Telegram.
type stagedParts struct {
	f     *os.File
	start int64
}

func (s *stagedParts) part(req *tg.UploadGetFileRequest) (tg.UploadFileClass, bool, error) {
	if s == nil || req.Offset >= s.start {
		return nil, false, nil
	}
	b := make([]byte, min(int64(req.Limit), s.start-req.Offset))
	if _, err := s.f.ReadAt(b, req.Offset); err != nil {
		return nil, true, fmt.Errorf("read staged part at %d: %w", req.Offset, err)
	}
	return &tg.UploadFile{Type: &tg.StorageFilePartial{}, Bytes: b}, true, nil
}

// putStaged downloads f into its staged file, from the last whole part
// staged, then puts the staged file into object name of store and deletes
// it. The caller holds the staged file's path (lockPartial, storeFile).
func (e *Egress) putStaged(ctx context.Context, c *command, api FileAPI, store jetstream.ObjectStore, name string, f remoteFile, peer schema.PeerRef, refs *freshRefs) (*jetstream.ObjectInfo, error) {
	path := e.partialPath(name)
	if err := preparePartialDir(e.cfg.Files.PartialDir, e.cfg.Files.Deadline, e.cfg.Now()); err != nil {
		return nil, err
	}
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", name, err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", name, err)
	}
	start := st.Size() / downloadPartSize * downloadPartSize
	if st.Size() > f.size {
		start = 0 // not this file's bytes
	}
	if err := file.Truncate(start); err != nil {
		return nil, fmt.Errorf("stage %s: %w", name, err)
	}
	if start > 0 {
		e.log.Info("resuming a download from its staged parts", "command_id", c.id, "object", name, "staged_bytes", start, "size", f.size)
	}

	e.metrics.transfers.WithLabelValues("download").Inc()
	defer e.metrics.transfers.WithLabelValues("download").Dec()
	prog := e.newProgress(c, peer, "download", name, f.size)
	prog.add(start)
	bytesDown := e.metrics.fileBytes.WithLabelValues("download")
	ordered := newOrderedWriter(&stagedWriter{f: file, start: start, add: func(n int64) { bytesDown.Add(float64(n)); prog.add(n) }}, downloadWindow)
	c.called = true
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	calls := partCalls{e: e, c: c, FileAPI: api, gate: ordered, refs: refs, staged: &stagedParts{f: file, start: start}}
	_, err = downloader.NewDownloader().WithPartSize(downloadPartSize).Download(calls, f.loc).
		WithThreads(downloadThreads).Parallel(dctx, ordered)
	if err == nil {
		err = ordered.complete()
	}
	if err != nil {
		return nil, fmt.Errorf("download %s %d: %w", f.kind, f.id, err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("stage %s: %w", name, err)
	}
	meta := jetstream.ObjectMeta{Name: name, Description: f.kind + " " + strconv.FormatInt(f.id, 10),
		Metadata: map[string]string{metaMime: f.mime}}
	if f.name != "" {
		meta.Metadata[metaName] = f.name
	}
	info, err := putObject(ctx, e.cfg.JS, store, e.cfg.Files.Bucket, meta, file)
	if err != nil {
		return nil, fmt.Errorf("put object %s: %w", name, err)
	}
	if err := os.Remove(path); err != nil {
		e.log.Warn("staged file not deleted", "path", path, "error", err)
	}
	prog.done()
	return info, nil
}
