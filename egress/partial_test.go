package egress

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tgnats/tgnats/schema"
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

// TestStagedDownloadResumes: a download above files.resume_bytes finds
// parts staged by an earlier run; it keeps the whole parts (a torn last
// part is dropped), asks Telegram only for the rest, stores the right
// bytes and deletes the staged file.
func TestStagedDownloadResumes(t *testing.T) {
	h := newHarness(t, nil)
	const size = 3<<20 + 1000 // four parts
	files := &fakeFiles{size: size}
	cfg := h.config()
	cfg.FileAPI = files
	cfg.Files.ResumeBytes = 1 << 20
	cfg.Files.PartialDir = t.TempDir()
	sum := sha256.Sum256([]byte(schema.FilesBucketName("main") + "\x00main/user/7/3"))
	staged := filepath.Join(cfg.Files.PartialDir, hex.EncodeToString(sum[:16]))
	// Two whole parts and half a torn one, with bytes that are not the file's.
	torn := append(content(0, 2<<20), bytes.Repeat([]byte{0xee}, 1<<19)...)
	if err := os.WriteFile(staged, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	h.start(cfg)
	h.publish(schema.CommandMediaDownload, `{"peer":{"kind":"user","id":7},"message_id":3}`, "dl-staged")
	res, _ := h.result("dl-staged")
	want := sha256.Sum256(content(0, size))
	if !res.OK || res.Result == nil || res.Result.File == nil || res.Result.File.SHA256 != hex.EncodeToString(want[:]) {
		t.Fatalf("result %+v, want the file with sha256 %x", res, want)
	}
	files.mu.Lock()
	offsets := files.offsets
	files.mu.Unlock()
	if len(offsets) < 2 {
		t.Errorf("Telegram served parts at %v, want the two after those staged", offsets)
	}
	for _, off := range offsets {
		if off < 2<<20 {
			t.Errorf("Telegram served parts at %v, want none of the two staged", offsets)
			break
		}
	}
	if _, err := os.Stat(staged); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staged file after the download: %v, want deleted", err)
	}
}
