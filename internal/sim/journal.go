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
// loses nothing it reported. A torn last line is cut off on open.
type journal struct {
	f *os.File
}

const journalFile = "world.jsonl"

func openJournal(dir string) (*journal, []op, error) {
	path := filepath.Join(dir, journalFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open journal: %w", err)
	}
	ops, good, err := readOps(f)
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if err := f.Truncate(good); err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("truncate journal: %w", err)
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("seek journal: %w", err)
	}
	return &journal{f: f}, ops, nil
}

// readOps reads complete op lines and returns the offset after the last one.
func readOps(r io.Reader) ([]op, int64, error) {
	var (
		ops  []op
		good int64
	)
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A line without its newline is a torn write: drop it.
			return ops, good, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read journal: %w", err)
		}
		var o op
		if err := json.Unmarshal(bytes.TrimSpace(line), &o); err != nil {
			return ops, good, nil
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
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("append journal: %w", err)
	}
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
