package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"

	"github.com/tgnats/tgnats/schema"
)

// Files: upload.getFile with Telegram's rules
// (https://core.telegram.org/api/files#downloading-files). The content of
// a photo or document is generated from its media id and size (fileAt),
// a part at a time, so a file of 2 GB costs no memory; media made from an
// upload keep the uploaded bytes (mediaInfo.Blob) and serve those.

// Errors of upload.getFile.
var (
	errLimitInvalid    = tgerr.New(400, "LIMIT_INVALID")
	errOffsetInvalid   = tgerr.New(400, "OFFSET_INVALID")
	errLocationInvalid = tgerr.New(400, "LOCATION_INVALID")
)

const (
	// maxFilePart is the largest limit of upload.getFile (1 MiB).
	maxFilePart = 1 << 20
	// thumbDivisor: a photo's "m" size is a quarter of the full ("x") size.
	thumbDivisor = 4
)

// MaxFileSize is the largest file injected messages may carry (4 GB,
// Telegram's limit for premium users).
const MaxFileSize = 4000 << 20

// fileSeed is the content seed of media id at size kind thumb ("" for the
// file itself): thumbnails get content of their own.
func fileSeed(id int64, thumb string) uint64 {
	s := uint64(id) * 0x9E3779B97F4A7C15
	for _, c := range []byte(thumb) {
		s = (s ^ uint64(c)) * 0x100000001B3
	}
	return s
}

// splitmix64 is the mixing function of SplitMix64.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// fileAt fills p with the generated content of seed from offset off: the
// 8-byte word i of a file is splitmix64(seed+i), little-endian, so any
// range is computed without the bytes before it.
func fileAt(seed uint64, off int64, p []byte) {
	var w [8]byte
	if r := off % 8; r != 0 && len(p) > 0 { // the rest of a word begun before off
		binary.LittleEndian.PutUint64(w[:], splitmix64(seed+uint64(off/8)))
		n := copy(p, w[r:])
		p, off = p[n:], off+int64(n)
	}
	i := seed + uint64(off/8)
	for ; len(p) >= 8; i++ { // whole words, written in place
		binary.LittleEndian.PutUint64(p, splitmix64(i))
		p = p[8:]
	}
	if len(p) > 0 {
		binary.LittleEndian.PutUint64(w[:], splitmix64(i))
		copy(p, w[:])
	}
}

// fileReader reads the generated content of seed, size bytes long.
type fileReader struct {
	seed      uint64
	off, size int64
}

func (r *fileReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.size-r.off)]
	fileAt(r.seed, r.off, p)
	r.off += int64(len(p))
	return len(p), nil
}

// FileContent returns the content the simulator serves for a generated
// file of media id and size: tests compute what a download must yield
// without holding it.
func FileContent(id, size int64) io.Reader { return &fileReader{seed: fileSeed(id, ""), size: size} }

// File describes the file of a photo or document a test injects with a
// message (Outgoing.File).
type File struct {
	// Size in bytes, 1 to MaxFileSize.
	Size int64 `json:"size"`
	// Mime is the MIME type of a document (default application/octet-stream).
	Mime string `json:"mime,omitempty"`
	// Name is the file name of a document (default file.bin).
	Name string `json:"name,omitempty"`
	// Attr is "video", "audio" or "voice" for such documents, else "".
	Attr string `json:"attr,omitempty"`
	// DC is the DC the file lives on: 0 or 2 the home DC, 4 the
	// simulator's second DC (dcs.go).
	DC int `json:"dc,omitempty"`
}

// Validate checks the file's fields.
func (f *File) Validate() error {
	if f.Size <= 0 || f.Size > MaxFileSize {
		return fmt.Errorf("%w: file size %d: want 1 to %d", ErrInvalid, f.Size, int64(MaxFileSize))
	}
	switch f.Attr {
	case "", "video", "audio", "voice":
	default:
		return fmt.Errorf("%w: file attr %q: want video, audio, voice or none", ErrInvalid, f.Attr)
	}
	return validFileDC(f.DC)
}

// info is the media description of f for a message of media kind.
func (f *File) info(kind string) *mediaInfo {
	m := &mediaInfo{Kind: kind, Size: f.Size}
	if f.DC != dcID {
		m.DC = f.DC
	}
	if kind == "document" {
		m.Mime, m.Name, m.Attr = f.Mime, f.Name, f.Attr
		if m.Mime == "" {
			m.Mime = "application/octet-stream"
		}
		if m.Name == "" {
			m.Name = "file.bin"
		}
	}
	return m
}

// MediaFile is the file of a message as the simulator holds it: what a
// download must yield.
type MediaFile struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"` // "photo" or "document"
	Size int64  `json:"size"`
	Mime string `json:"mime,omitempty"`
	Name string `json:"name,omitempty"`
	Attr string `json:"attr,omitempty"`
	// DC is the DC the file lives on.
	DC int `json:"dc"`
	// SHA256 is the hex sha256 of the content.
	SHA256 string `json:"sha256"`
}

// MessageFile returns the file of message id of chat as account sees it
// (account "": the first account). Hashing a generated file reads it once.
func (s *Sim) MessageFile(ctx context.Context, account string, chat schema.PeerRef, id int) (MediaFile, error) {
	if err := ctx.Err(); err != nil {
		return MediaFile{}, err
	}
	s.mu.Lock()
	_, m, err := s.w.liveMessage(account, chat, id)
	var info mediaInfo
	if err == nil {
		if mi, ok := s.w.media[m.MediaID]; ok && m.MediaID != 0 {
			info = *mi
		} else {
			err = fmt.Errorf("%w: message %d in %s has no file", ErrNotFound, id, chat)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return MediaFile{}, err
	}
	info.setDefaults()
	h := sha256.New()
	if _, err := io.Copy(h, info.content(s.w.store, "")); err != nil {
		return MediaFile{}, fmt.Errorf("hash media %d: %w", info.ID, err)
	}
	return MediaFile{ID: info.ID, Kind: info.Kind, Size: info.Size, Mime: info.Mime, Name: info.Name, Attr: info.Attr,
		DC: info.dc(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// content reads the bytes of the media's size thumb ("" or "x": the
// file); an upload's from st.
func (m *mediaInfo) content(st *uploadStore, thumb string) io.Reader {
	if thumb == "" || thumb == "x" {
		switch {
		case m.Upload != "":
			return &uploadReader{st: st, name: m.Upload, parts: m.Parts, size: m.Size}
		case m.Blob != nil:
			return bytes.NewReader(m.Blob)
		}
	}
	size, seed := m.sizeOf(thumb), fileSeed(m.ID, "")
	if thumb != "" && thumb != "x" {
		seed = fileSeed(m.ID, thumb)
	}
	return &fileReader{seed: seed, size: size}
}

// sizeOf is the size of the media's size thumb: "" or "x" the file, "m"
// a photo's or video's thumbnail; -1 when it has no such size.
func (m *mediaInfo) sizeOf(thumb string) int64 {
	switch {
	case thumb == "" || thumb == "x" && m.Kind == "photo":
		if m.Blob != nil {
			return int64(len(m.Blob))
		}
		return m.Size
	case thumb == "m" && m.Kind == "photo":
		return m.Size / thumbDivisor
	case thumb == "m" && m.Attr == "video":
		return 4096
	}
	return -1
}

// checkGetFile checks offset and limit by Telegram's rules: offset
// divisible by 4 KiB; limit divisible by 4 KiB and dividing 1 MiB, or
// with precise, divisible by 1 KiB, at most 1 MiB, and the range within
// one 1 MiB block.
func checkGetFile(offset int64, limit int, precise bool) error {
	if offset < 0 || offset%4096 != 0 {
		return errOffsetInvalid
	}
	if limit <= 0 || limit > maxFilePart {
		return errLimitInvalid
	}
	if precise {
		if limit%1024 != 0 || offset/maxFilePart != (offset+int64(limit)-1)/maxFilePart {
			return errLimitInvalid
		}
		return nil
	}
	if limit%4096 != 0 || maxFilePart%limit != 0 {
		return errLimitInvalid
	}
	return nil
}

// getFileResult is the answer to upload.getFile, encoded when sent (after
// the world lock is released): its bytes are generated then.
type getFileResult struct {
	store  *uploadStore
	media  mediaInfo
	thumb  string
	offset int64
	n      int
	mtime  int
}

func (r *getFileResult) Encode(b *bin.Buffer) error {
	fill := func(data []byte) error {
		switch {
		case r.media.Upload != "" && r.thumb == "":
			return r.store.readContent(r.media.Upload, r.media.Parts, r.offset, data)
		case r.media.Blob != nil && r.thumb == "":
			copy(data, r.media.Blob[r.offset:])
			return nil
		}
		seed := fileSeed(r.media.ID, "")
		if r.thumb != "" && r.thumb != "x" {
			seed = fileSeed(r.media.ID, r.thumb)
		}
		fileAt(seed, r.offset, data)
		return nil
	}
	if r.n < tlLongBytes {
		data := make([]byte, r.n)
		if err := fill(data); err != nil {
			return err
		}
		return (&tg.UploadFile{Type: &tg.StorageFilePartial{}, Mtime: r.mtime, Bytes: data}).Encode(b)
	}
	// upload.file as tg.UploadFile encodes it, with the bytes generated
	// in place rather than into a part-sized buffer copied after.
	b.PutID(tg.UploadFileTypeID)
	if err := (&tg.StorageFilePartial{}).Encode(b); err != nil {
		return err
	}
	b.PutInt(r.mtime)
	b.Buf = append(b.Buf, 0xfe, byte(r.n), byte(r.n>>8), byte(r.n>>16)) // TL bytes of 254 or more
	start := len(b.Buf)
	b.Expand((r.n+4+3)&^3 - 4) // the bytes padded to 4 with their header
	return fill(b.Buf[start : start+r.n])
}

// tlLongBytes is the length from which TL bytes have a 4-byte header.
const tlLongBytes = 254

func (s *Sim) onGetFile(_ *account, req *tgtest.Request, r *tg.UploadGetFileRequest) (bin.Encoder, error) {
	if err := checkGetFile(r.Offset, r.Limit, r.Precise); err != nil {
		return nil, err
	}
	var (
		kind, thumb string
		id, hash    int64
		ref         []byte
	)
	switch l := r.Location.(type) {
	case *tg.InputDocumentFileLocation:
		kind, id, hash, ref, thumb = "document", l.ID, l.AccessHash, l.FileReference, l.ThumbSize
	case *tg.InputPhotoFileLocation:
		kind, id, hash, ref, thumb = "photo", l.ID, l.AccessHash, l.FileReference, l.ThumbSize
		if thumb == "" {
			return nil, errLocationInvalid // a photo is downloaded by one of its sizes
		}
	default:
		return nil, errLocationInvalid
	}
	m, ok := s.w.media[id]
	if !ok || m.Kind != kind || hash != accessHash(kind, id) {
		return nil, errLocationInvalid
	}
	if err := checkFileDC(m.DC, req.DC); err != nil {
		return nil, err
	}
	if !bytes.Equal(ref, s.w.fileReference(id)) {
		return nil, errFileRefExpired
	}
	info := *m
	info.setDefaults()
	size := info.sizeOf(thumb)
	if size < 0 {
		return nil, errLocationInvalid
	}
	if thumb == "x" {
		thumb = ""
	}
	n := 0
	if r.Offset < size {
		n = int(min(int64(r.Limit), size-r.Offset))
	}
	s.w.served[id] += int64(n)
	if s.w.expireAfter > 0 {
		if s.w.expireAfter--; s.w.expireAfter == 0 {
			s.w.refEpoch++
		}
	}
	return &getFileResult{store: s.w.store, media: info, thumb: thumb, offset: r.Offset, n: n, mtime: int(s.cfg.Now().Unix())}, nil
}

// FileBytesServed returns how many bytes of media id upload.getFile has
// served, every size and every account together: tests check that a
// download asked for each part once.
func (s *Sim) FileBytesServed(id int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.served[id]
}

// UploadBytesReceived returns how many part bytes upload.saveFilePart and
// saveBigFilePart of account received, parts sent again counted again:
// tests check that a resumed upload sent only the parts missing.
func (s *Sim) UploadBytesReceived(account string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.received[account]
}

// ExpireUploads forgets the parts account uploaded and has not sent as
// media yet, as Telegram does after a while: a sendMedia naming them then
// answers FILE_PARTS_INVALID, and parts saved again under the same file id
// start a new upload. It returns how many uploads were forgotten. An
// empty account is the first.
func (s *Sim) ExpireUploads(account string) (int, error) {
	s.mu.Lock()
	a, err := s.w.account(account)
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n, err := s.change(&op{Body: &expireUploadsOp{Account: a.Name}})
	if err != nil {
		return 0, fmt.Errorf("expire uploads: %w", err)
	}
	return int(n), nil
}

// fileReference is the file_reference of media id: it changes when
// references are expired (FaultExpireRefs), so a client holding an older
// one gets FILE_REFERENCE_EXPIRED and must fetch the message again.
func (w *world) fileReference(id int64) []byte {
	b := binary.LittleEndian.AppendUint64([]byte{'s', 'i', 'm'}, uint64(id))
	if w.refEpoch == 0 {
		return b
	}
	return binary.LittleEndian.AppendUint64(b, w.refEpoch)
}
