package mapping

import "github.com/tgnats/tgnats/internal/tgconv"

// FileRef is what a later command needs to reuse a photo or document;
// Media.FileRef carries it encoded by String. It is defined, with its
// encoding, in internal/tgconv, which egress decodes it with.
type FileRef = tgconv.FileRef

// FileKind is what a FileRef points to.
type FileKind = tgconv.FileKind

// File kinds.
const (
	FilePhoto    = tgconv.FilePhoto
	FileDocument = tgconv.FileDocument
)

// ErrInvalidFileRef reports a string that ParseFileRef cannot decode.
var ErrInvalidFileRef = tgconv.ErrInvalidFileRef

// ParseFileRef decodes a Media.FileRef string. It returns an error wrapping
// ErrInvalidFileRef for anything FileRef.String did not produce.
func ParseFileRef(s string) (FileRef, error) { return tgconv.ParseFileRef(s) }
