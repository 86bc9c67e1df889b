package logbridge

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestWithFieldsReachTheEntryOnlyOfItsLogger(t *testing.T) {
	var buf bytes.Buffer
	z := Zap(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	parent := z.With(zap.String("conn", "a"))
	child := parent.With(zap.Int("seq", 7))
	sibling := parent.With(zap.Int("seq", 8))

	child.Info("below the level") // gotd's Info is our Debug
	if buf.Len() != 0 {
		t.Fatalf("an entry below the level was written: %q", buf.String())
	}
	child.Warn("child", zap.String("extra", "x"))
	sibling.Warn("sibling")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("wrote %d lines, want 2: %q", len(lines), buf.String())
	}
	for _, want := range []string{"conn=a", "seq=7", "extra=x", "level=INFO", "msg=child"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("child line %q lacks %q", lines[0], want)
		}
	}
	if !strings.Contains(lines[1], "seq=8") || strings.Contains(lines[1], "seq=7") || strings.Contains(lines[1], "extra") {
		t.Errorf("sibling line %q carries the child's fields", lines[1])
	}
}
