package tgconv

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrInvalidFileRef reports a string that ParseFileRef cannot decode.
var ErrInvalidFileRef = errors.New("tgconv: invalid file reference")

// FileKind is what a FileRef points to.
type FileKind byte

// File kinds.
const (
	FilePhoto    FileKind = 1
	FileDocument FileKind = 2
)

func (k FileKind) String() string {
	switch k {
	case FilePhoto:
		return "photo"
	case FileDocument:
		return "document"
	}
	return fmt.Sprintf("FileKind(%d)", byte(k))
}

// FileRef is what a later command needs to reuse a photo or document
// (inputPhoto / inputDocument, or a download location): Media.FileRef
// carries it encoded by String.
//
// Encoding, version 1, then base64url without padding:
//
//	byte     version (1)
//	byte     kind (1 photo, 2 document)
//	uvarint  dc id
//	8 bytes  id, big-endian
//	8 bytes  access hash, big-endian
//	uvarint  length of file_reference, then its bytes
//	uvarint  length of thumb size type, then its bytes (photos: the largest size; may be empty)
//
// Telegram's file_reference expires; a command that gets FILE_REFERENCE_EXPIRED
// must refetch the message. The string is opaque to consumers: only its
// round trip through ParseFileRef is a contract.
type FileRef struct {
	Kind          FileKind
	DC            int
	ID            int64
	AccessHash    int64
	FileReference []byte
	ThumbSize     string
}

const fileRefVersion = 1

// String encodes r as described on FileRef.
func (r FileRef) String() string {
	b := make([]byte, 0, 2+binary.MaxVarintLen32+16+2*binary.MaxVarintLen32+len(r.FileReference)+len(r.ThumbSize))
	b = append(b, fileRefVersion, byte(r.Kind))
	b = binary.AppendUvarint(b, uint64(max(r.DC, 0)))
	b = binary.BigEndian.AppendUint64(b, uint64(r.ID))
	b = binary.BigEndian.AppendUint64(b, uint64(r.AccessHash))
	b = binary.AppendUvarint(b, uint64(len(r.FileReference)))
	b = append(b, r.FileReference...)
	b = binary.AppendUvarint(b, uint64(len(r.ThumbSize)))
	b = append(b, r.ThumbSize...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseFileRef decodes a Media.FileRef string. It returns an error wrapping
// ErrInvalidFileRef for anything String did not produce.
func ParseFileRef(s string) (FileRef, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return FileRef{}, fmt.Errorf("%w: %w", ErrInvalidFileRef, err)
	}
	if len(b) < 2 {
		return FileRef{}, fmt.Errorf("%w: too short", ErrInvalidFileRef)
	}
	if b[0] != fileRefVersion {
		return FileRef{}, fmt.Errorf("%w: version %d", ErrInvalidFileRef, b[0])
	}
	r := FileRef{Kind: FileKind(b[1])}
	if r.Kind != FilePhoto && r.Kind != FileDocument {
		return FileRef{}, fmt.Errorf("%w: kind %d", ErrInvalidFileRef, b[1])
	}
	b = b[2:]
	dc, n := binary.Uvarint(b)
	if n <= 0 || dc > 1<<31-1 {
		return FileRef{}, fmt.Errorf("%w: dc id", ErrInvalidFileRef)
	}
	r.DC = int(dc)
	b = b[n:]
	if len(b) < 16 {
		return FileRef{}, fmt.Errorf("%w: truncated id", ErrInvalidFileRef)
	}
	r.ID = int64(binary.BigEndian.Uint64(b))
	r.AccessHash = int64(binary.BigEndian.Uint64(b[8:]))
	b = b[16:]
	ref, b, ok := lengthPrefixed(b)
	if !ok {
		return FileRef{}, fmt.Errorf("%w: file reference", ErrInvalidFileRef)
	}
	thumb, b, ok := lengthPrefixed(b)
	if !ok {
		return FileRef{}, fmt.Errorf("%w: thumb size", ErrInvalidFileRef)
	}
	if len(b) != 0 {
		return FileRef{}, fmt.Errorf("%w: %d trailing bytes", ErrInvalidFileRef, len(b))
	}
	if len(ref) > 0 {
		r.FileReference = append([]byte(nil), ref...)
	}
	r.ThumbSize = string(thumb)
	return r, nil
}

func lengthPrefixed(b []byte) (field, rest []byte, ok bool) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, nil, false
	}
	b = b[n:]
	return b[:l], b[l:], true
}
