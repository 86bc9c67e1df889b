package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Uploads (upload.saveFilePart, saveBigFilePart) are kept on disk, not in
// memory, so a file of 2000 MiB costs the simulator no more memory than
// one of 1 KB. Each upload has a file of its own in the upload store,
// part i at offset i×512 KiB (the largest part): parts may come in any
// order (a client's parallel uploader) and any size up to that. The
// sha256 of the parts received in order is computed as they arrive,
// reading back from the file those that came early, so sending the upload
// as media names its sha256 without reading it again. Media made from an
// upload keep its file and serve downloads from it. Parts are kept per
// account and file id, whatever the session: a restarted client resumes
// an upload by sending the parts missing under the same file id (a part
// sent again replaces the earlier one; a big file's file_total_parts is
// fixed by its first part). UploadBytesReceived counts the part bytes.
//
// With Config.Dir the store is Dir/uploads and survives restarts with the
// journal, which records each part's size but not its bytes; without Dir
// it is a temporary directory, made on the first part and removed by
// Close.

// uploadsDir is the upload store under Config.Dir.
const uploadsDir = "uploads"

// uploadStore is the directory of upload files.
type uploadStore struct {
	persist string // Dir/uploads; "" for a temporary directory

	mu     sync.Mutex
	dir    string // made on first use
	closed bool
}

func newUploadStore(dir string) *uploadStore {
	if dir == "" {
		return &uploadStore{}
	}
	return &uploadStore{persist: filepath.Join(dir, uploadsDir)}
}

// path returns the path of upload file name, making the store's
// directory when create is set.
func (st *uploadStore) path(name string, create bool) (string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return "", ErrClosed
	}
	if st.dir == "" {
		switch {
		case st.persist != "":
			if create {
				if err := os.MkdirAll(st.persist, 0o700); err != nil {
					return "", fmt.Errorf("upload store: %w", err)
				}
			}
			st.dir = st.persist
		case !create:
			return "", fmt.Errorf("%w: upload file %s", ErrNotFound, name)
		default:
			d, err := os.MkdirTemp("", "tgsim-uploads-")
			if err != nil {
				return "", fmt.Errorf("upload store: %w", err)
			}
			st.dir = d
		}
	}
	return filepath.Join(st.dir, name), nil
}

// writePart writes part of upload file name at its slot.
func (st *uploadStore) writePart(name string, part int, data []byte) error {
	p, err := st.path(name, true)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("upload store: %w", err)
	}
	_, err = f.WriteAt(data, int64(part)*maxPartSize)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("upload store: %w", err)
	}
	return nil
}

// readAt fills p from upload file name at offset off of its slots.
func (st *uploadStore) readAt(name string, p []byte, off int64) error {
	path, err := st.path(name, false)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload store: %w", err)
	}
	defer f.Close()
	if _, err := f.ReadAt(p, off); err != nil {
		return fmt.Errorf("upload store: read %s: %w", name, err)
	}
	return nil
}

// readContent fills p with the content of the upload made of parts (their
// sizes, in order) in file name, from content offset off.
func (st *uploadStore) readContent(name string, parts []int, off int64, p []byte) error {
	var start int64 // content offset of part i
	for i, n := range parts {
		if len(p) == 0 {
			return nil
		}
		end := start + int64(n)
		if off < end {
			k := min(int64(len(p)), end-off)
			if err := st.readAt(name, p[:k], int64(i)*maxPartSize+off-start); err != nil {
				return err
			}
			p, off = p[k:], off+k
		}
		start = end
	}
	if len(p) > 0 {
		return fmt.Errorf("upload store: read %s beyond its %d parts", name, len(parts))
	}
	return nil
}

// close removes a temporary store; later reads and writes fail.
func (st *uploadStore) close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.closed = true
	if st.persist != "" || st.dir == "" {
		return nil
	}
	return os.RemoveAll(st.dir)
}

// uploadReader reads the content of an upload from the store.
type uploadReader struct {
	st    *uploadStore
	name  string
	parts []int
	off   int64
	size  int64
}

func (r *uploadReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.size-r.off)]
	if err := r.st.readContent(r.name, r.parts, r.off, p); err != nil {
		return 0, err
	}
	r.off += int64(len(p))
	return len(p), nil
}

// pendingUpload is an upload not yet sent as media.
type pendingUpload struct {
	// File is its file in the upload store.
	File string
	// Sizes are the sizes of the parts received, by part number.
	Sizes map[int]int
	// Total is a big file's file_total_parts, fixed by its first part
	// (0: saveFilePart).
	Total int `json:",omitempty"`

	// Parts 0 to next-1 are hashed into h (not kept in snapshots: hashed
	// again from the file when needed).
	next int
	h    hash.Hash
}

// uploadFileName is the name of the store's file for upload number n.
func uploadFileName(n int64) string { return "upload-" + strconv.FormatInt(n, 10) }

// savePart records part of upload k (a big file of total parts, 0 for a
// small one) with its size; data, when not nil, is written to the
// upload's file (nil when replaying a journal: the bytes are in the file
// already). A part sent again replaces the earlier one.
func (w *world) savePart(k uploadKey, part, total, size int, data []byte) error {
	p := w.uploads[k]
	name := ""
	if p != nil {
		name = p.File
	} else {
		name = uploadFileName(w.nextUpload + 1)
	}
	if data != nil {
		if err := w.store.writePart(name, part, data); err != nil {
			return err
		}
	}
	if p == nil {
		w.nextUpload++
		p = &pendingUpload{File: name, Sizes: map[int]int{}, Total: total}
		w.uploads[k] = p
	}
	if _, again := p.Sizes[part]; again && part < p.next {
		p.h, p.next = nil, 0 // a part hashed already came again: hash anew
	}
	p.Sizes[part] = size
	if data != nil && part == p.next && p.h != nil {
		p.h.Write(data)
		p.next++
	}
	if err := w.hashParts(p); err != nil {
		p.h, p.next = nil, 0
	}
	return nil
}

// hashParts hashes the parts of p that follow those hashed, as far as
// they are contiguous, reading them back from the store.
func (w *world) hashParts(p *pendingUpload) error {
	if p.h == nil {
		p.h, p.next = sha256.New(), 0
	}
	var buf []byte
	for {
		n, ok := p.Sizes[p.next]
		if !ok {
			return nil
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		if err := w.store.readAt(p.File, buf[:n], int64(p.next)*maxPartSize); err != nil {
			return err
		}
		p.h.Write(buf[:n])
		p.next++
	}
}

// uploadSize returns the size of a complete upload, or false when a part is missing.
func (w *world) uploadSize(account string, ref uploadRef) (int64, bool) {
	p := w.uploads[uploadKey{account, ref.FileID}]
	if p == nil || ref.Parts <= 0 || len(p.Sizes) < ref.Parts {
		return 0, false
	}
	var n int64
	for i := range ref.Parts {
		s, ok := p.Sizes[i]
		if !ok {
			return 0, false
		}
		n += int64(s)
	}
	return n, true
}

// uploadParts returns the sizes of the parts of a complete upload, in order.
func (w *world) uploadParts(account string, ref uploadRef) (string, []int) {
	p := w.uploads[uploadKey{account, ref.FileID}]
	parts := make([]int, ref.Parts)
	for i := range parts {
		parts[i] = p.Sizes[i]
	}
	return p.File, parts
}

// uploadSum returns the hex sha256 of a complete upload: the one computed
// as its parts came, or, when it holds more parts than ref names, read
// back from the store.
func (w *world) uploadSum(account string, ref uploadRef) (string, error) {
	p := w.uploads[uploadKey{account, ref.FileID}]
	if p == nil {
		return "", errors.New("no such upload")
	}
	if p.h != nil && p.next == ref.Parts {
		return hex.EncodeToString(p.h.Sum(nil)), nil
	}
	name, parts := w.uploadParts(account, ref)
	h := sha256.New()
	if _, err := io.Copy(h, &uploadReader{st: w.store, name: name, parts: parts, size: sumInts(parts)}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sumInts(s []int) int64 {
	var n int64
	for _, v := range s {
		n += int64(v)
	}
	return n
}

// expireUploadsOp is Sim.ExpireUploads.
type expireUploadsOp struct {
	Account string `json:"account"`
}

func (*expireUploadsOp) kind() string { return opExpireUploads }
func (o *expireUploadsOp) check() error {
	if o.Account == "" {
		return corrupt(opExpireUploads, "no account")
	}
	return nil
}
func (o *expireUploadsOp) apply(w *world, _ int, _ *Call) (int64, error) {
	var n int64
	for k := range w.uploads {
		if k.Account == o.Account {
			delete(w.uploads, k)
			n++
		}
	}
	return n, nil
}
