package egress

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPreparePartialDir: the staged files' dir is created 0700, and staged
// files not written to for the stale duration are deleted, others kept.
func TestPreparePartialDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files", "partial")
	now := time.Now()
	if err := preparePartialDir(dir, time.Hour, now); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir %v %v, want 0700", st, err)
	}
	for name, age := range map[string]time.Duration{"old": 2 * time.Hour, "new": time.Minute} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("part"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	if err := preparePartialDir(dir, time.Hour, now); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "old")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale staged file: %v, want deleted", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err != nil {
		t.Errorf("recent staged file: %v, want kept", err)
	}
}
