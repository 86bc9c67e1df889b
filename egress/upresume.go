package egress

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/nats-io/nats.go/jetstream"
)

// Resuming an upload cut short by a crash. gotd's uploader picks a random
// file_id it does not tell and always starts from part 0, so an object of
// at least FilesConfig.ResumeBytes (a big file: saveBigFilePart) is sent
// by the part loop here instead. Its file_id, part size, part count and
// the count of leading parts Telegram confirmed are kept in a sidecar file
// in PartialDir, named from the bucket, the object's name and its NUID (a
// replaced object starts over), rewritten and fsynced every upSaveEvery
// parts: a lost update only sends a few parts again. A redelivered command
// reads it, reads and discards the object's bytes of the parts confirmed
// (they still feed its digest check), and sends the rest under the same
// file_id: Telegram keeps the parts saved for a while. When it no longer
// has them (FILE_PART_X_MISSING, FILE_PARTS_INVALID on a part or on
// messages.sendMedia) the upload starts over with a new file_id, once. The
// sidecar is deleted once the message is sent; stale ones go with stale
// staged downloads (preparePartialDir).

// upSaveEvery is how many confirmed parts (of 512 KiB) go between two
// writes of an upload's sidecar.
const upSaveEvery = 8

// upState is the sidecar of a resumable upload.
type upState struct {
	FileID   int64 `json:"file_id"`
	PartSize int   `json:"part_size"`
	Parts    int   `json:"parts"`
	// Done is how many parts from the first Telegram confirmed.
	Done int `json:"done"`
}

// resumableUpload reports whether an upload of size bytes keeps a sidecar.
func (e *Egress) resumableUpload(size int64) bool {
	rb := e.cfg.Files.ResumeBytes
	return e.cfg.Files.PartialDir != "" && rb > 0 && size >= rb && size > bigFileThreshold
}

// upStatePath is the sidecar of an upload of the object info describes.
func (e *Egress) upStatePath(info *jetstream.ObjectInfo) string {
	h := sha256.Sum256([]byte("upload\x00" + e.cfg.Files.Bucket + "\x00" + info.Name + "\x00" + info.NUID))
	return filepath.Join(e.cfg.Files.PartialDir, hex.EncodeToString(h[:16])+".up")
}

// readUpState reads the sidecar at path of an upload of parts parts; false
// when there is none, or none that fits.
func readUpState(path string, parts int) (upState, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return upState{}, false
	}
	var s upState
	if json.Unmarshal(b, &s) != nil || s.FileID == 0 || s.PartSize != uploadPartSize || s.Parts != parts || s.Done < 0 || s.Done > parts {
		return upState{}, false
	}
	return s, true
}

// writeUpState replaces the sidecar at path with s, durably: written to a
// temporary file, fsynced, renamed over the sidecar, the dir fsynced.
func writeUpState(path string, s upState) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("upload sidecar: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("upload sidecar: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// partsExpired reports whether Telegram refused an upload for parts it
// does not have (any more).
func partsExpired(err error) bool {
	return tgerr.Is(err, "FILE_PART_MISSING", "FILE_PARTS_INVALID", "FILE_PART_INVALID")
}

// randomFileID is a new upload's file_id.
func randomFileID() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:]) >> 1)
}

// objectUpload is an object uploaded for media.send, and what is left to
// do once its message is sent.
type objectUpload struct {
	file    tg.InputFileClass
	info    *jetstream.ObjectInfo
	state   string // the sidecar; "" for none
	resumed bool   // parts of an earlier run were used
	unlock  func()
}

// sent ends u after messages.sendMedia answered err: the sidecar goes when
// the message is sent (or was, by an earlier run), and when the parts
// expired, then reported true when the upload may start over (it had
// resumed). u may be nil.
func (u *objectUpload) sent(err error) (again bool) {
	if u == nil || u.state == "" {
		return false
	}
	defer u.unlock()
	expired := partsExpired(err)
	if err == nil || expired || tgerr.Is(err, "RANDOM_ID_DUPLICATE") {
		_ = os.Remove(u.state)
	}
	return expired && u.resumed
}

// uploadResumable sends size bytes of r in parts as file st.FileID from
// part st.Done on, uploadThreads at once, after reading and discarding
// the bytes of the parts before (skipped is told their count). Each time
// upSaveEvery more leading parts are confirmed save is given the state.
func (e *Egress) uploadResumable(ctx context.Context, c *command, api FileAPI, r io.Reader, size int64, st upState, skipped func(int64), counted func(io.Reader) io.Reader, save func(upState) error) error {
	skip := min(size, int64(st.Done)*uploadPartSize)
	if _, err := io.CopyN(io.Discard, r, skip); err != nil {
		return fmt.Errorf("skip the %d bytes uploaded: %w", skip, err)
	}
	skipped(skip)
	r = counted(r)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	calls := partCalls{e: e, c: c, FileAPI: api}
	type part struct {
		n int
		b []byte
	}
	work := make(chan part)
	// The parts' buffers go round: a part read waits for a free one.
	free := make(chan []byte, uploadThreads+1)
	for range cap(free) {
		free <- make([]byte, uploadPartSize)
	}
	var (
		mu       sync.Mutex
		firstErr error
		done     = map[int]bool{}
		saved    = st.Done
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for range uploadThreads {
		wg.Go(func() {
			for p := range work {
				req := &tg.UploadSaveBigFilePartRequest{FileID: st.FileID, FilePart: p.n, FileTotalParts: st.Parts, Bytes: p.b}
				_, err := calls.UploadSaveBigFilePart(ctx, req)
				free <- p.b[:cap(p.b)]
				if err != nil {
					fail(fmt.Errorf("upload part %d: %w", p.n, err))
					continue
				}
				mu.Lock()
				if done[p.n] = true; p.n == st.Done {
					for done[st.Done] {
						delete(done, st.Done)
						st.Done++
					}
					if st.Done-saved >= upSaveEvery || st.Done == st.Parts {
						err, saved = save(st), st.Done
					}
				}
				mu.Unlock()
				if err != nil {
					fail(err)
				}
			}
		})
	}
	var err error
	for n := st.Done; n < st.Parts && err == nil; n++ {
		var b []byte
		select {
		case b = <-free:
		case <-ctx.Done():
			err = ctx.Err()
			continue
		}
		b = b[:min(uploadPartSize, size-int64(n)*uploadPartSize)]
		if _, err = io.ReadFull(r, b); err != nil {
			break
		}
		work <- part{n, b}
	}
	if err != nil {
		cancel()
	} else {
		// The object ends here: reading on checks its digest.
		var more []byte
		if more, err = io.ReadAll(io.LimitReader(r, 1)); err == nil && len(more) > 0 {
			err = fmt.Errorf("the object holds more than its %d bytes", size)
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil && (err == nil || errors.Is(err, context.Canceled)) {
		err = firstErr
	}
	return err
}
