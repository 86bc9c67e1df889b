package sim

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzReadOps feeds arbitrary journals to the reader: it never panics,
// never reads past its input, and either fails with ErrCorrupt or returns
// ops that all have a kind, ending at a newline (a torn last line is left
// out). A complete line that is not an op is never skipped silently.
func FuzzReadOps(f *testing.F) {
	f.Add([]byte(`{"op":"user","now":1,"first":"A"}` + "\n"))
	f.Add([]byte(`{"op":"user","now":1,"first":"A"}` + "\n" + `{"op":"send","now":2,"out":{"chat":{"kind":"user","id":100001},"text":"hi"}}` + "\n"))
	f.Add([]byte(`{"op":"user","now":1}` + "\n" + `{"op":"send","now":17`))
	f.Add([]byte(`{"op":"user","now":1}` + "\n" + "garbage\n" + `{"op":"user","now":2}` + "\n"))
	f.Add([]byte("\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, good, err := readOps(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if good < 0 || good > int64(len(data)) {
			t.Fatalf("good offset %d outside 0..%d", good, len(data))
		}
		if good > 0 && data[good-1] != '\n' {
			t.Fatalf("good offset %d does not end a line", good)
		}
		if bytes.Count(data[:good], []byte("\n")) != len(ops) {
			t.Fatalf("%d ops from %d lines", len(ops), bytes.Count(data[:good], []byte("\n")))
		}
		for _, o := range ops {
			if o.Body == nil {
				t.Fatal("an op without a kind was accepted")
			}
		}
	})
}
