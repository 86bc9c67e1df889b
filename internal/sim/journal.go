package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// journal is the append-only log of ops under Config.Dir. Each op is one
// JSON line written with a single write(2) before its effects become
// visible, so a killed process (not a lost machine: there is no fsync)
// loses nothing it reported.
//
// Reading it back: a last line without its newline is a write torn by a
// crash and is cut off (the op was never reported); any complete line
// that is not a valid op, anywhere, is corruption and fails New with
// ErrCorrupt instead of silently dropping the rest of the world. A
// snapshot (snapshot.go) covers the journal up to an offset; only the
// lines after it are replayed.
type journal struct {
	f    *os.File
	size int64 // bytes written so far: the offset the next op starts at
	ops  int   // ops appended since the last snapshot
}

const journalFile = "world.jsonl"

// ErrCorrupt reports a journal or snapshot that cannot be read back.
var ErrCorrupt = errors.New("sim: corrupt world data")

// openJournal opens the journal and returns the ops after offset.
func openJournal(dir string, offset int64) (*journal, []op, error) {
	path := filepath.Join(dir, journalFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open journal: %w", err)
	}
	fail := func(err error) (*journal, []op, error) {
		_ = f.Close()
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("stat journal: %w", err))
	}
	if st.Size() < offset {
		return fail(fmt.Errorf("%w: %s holds %d bytes, its snapshot covers %d", ErrCorrupt, path, st.Size(), offset))
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fail(fmt.Errorf("seek journal: %w", err))
	}
	ops, good, err := readOps(f)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", path, err))
	}
	good += offset
	if err := f.Truncate(good); err != nil {
		return fail(fmt.Errorf("truncate journal: %w", err))
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		return fail(fmt.Errorf("seek journal: %w", err))
	}
	return &journal{f: f, size: good}, ops, nil
}

// readOps reads op lines and returns the bytes read up to the end of the
// last complete one. A torn last line (no newline) is left out; a
// complete line that is not an op is an error wrapping ErrCorrupt.
func readOps(r io.Reader) ([]op, int64, error) {
	var (
		ops  []op
		good int64
	)
	br := bufio.NewReaderSize(r, 1<<16)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return ops, good, nil // a line without its newline is a torn write
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read journal: %w", err)
		}
		var o op
		if err := json.Unmarshal(bytes.TrimSpace(line), &o); err != nil {
			return nil, 0, fmt.Errorf("%w: journal line %d (byte %d): %w", ErrCorrupt, n, good, err)
		}
		if o.Body == nil {
			return nil, 0, fmt.Errorf("%w: journal line %d (byte %d): no op", ErrCorrupt, n, good)
		}
		if err := o.Body.check(); err != nil {
			return nil, 0, fmt.Errorf("journal line %d (byte %d): %w", n, good, err)
		}
		ops = append(ops, o)
		good += int64(len(line))
	}
}

func (j *journal) append(o *op) error {
	if j == nil {
		return nil
	}
	if j.f == nil {
		return ErrClosed
	}
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode op: %w", err)
	}
	n, err := j.f.Write(append(b, '\n'))
	j.size += int64(n)
	if err != nil {
		return fmt.Errorf("append journal: %w", err)
	}
	j.ops++
	return nil
}

func (j *journal) close() error {
	if j == nil || j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
