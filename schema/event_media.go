package schema

// Thumb is one size of a photo or one thumbnail of a document: its TL size
// type ("s", "m", "x", "y", "w", …) names it when downloading the file
// (the thumb_size of upload.getFile's location).
type Thumb struct {
	Type   string `json:"type"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Size   int    `json:"size,omitempty"` // bytes
}
