// Package syncbuf is a bytes.Buffer safe for concurrent use: a sink for
// logs or a subprocess's output that a test reads while it is written.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects writes; String returns what was written so far.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
