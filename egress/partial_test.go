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

	"github.com/tgnats/tgnats/internal/testutil"
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

// TestStagingNeedsRoom: a download is staged only where the partial dir's
// file system has room for the file and a margin; without it the download
// is streamed into the Object Store (no staged file appears) and still
// completes, instead of filling the disk.
func TestStagingNeedsRoom(t *testing.T) {
	for _, tc := range []struct {
		name   string
		free   int64
		staged bool
	}{
		{name: "room", free: 1 << 40, staged: true},
		{name: "no room", free: 8 << 20, staged: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			const size = 3<<20 + 1000 // four parts
			files := &fakeFiles{size: size, hold: 2, released: make(chan struct{})}
			cfg := h.config()
			cfg.FileAPI = files
			cfg.Files.ResumeBytes = 1 << 20
			cfg.Files.PartialDir = t.TempDir()
			cfg.diskFree = func(string) (int64, error) { return tc.free, nil }
			h.start(cfg)
			h.publish(schema.CommandMediaDownload, `{"peer":{"kind":"user","id":7},"message_id":3}`, "dl-room")
			testutil.Eventually(t, 10*time.Second, "two parts served", func() bool { return files.servedParts() >= 2 })
			stagedBytes := func() int64 {
				ents, _ := os.ReadDir(cfg.Files.PartialDir)
				var n int64
				for _, e := range ents {
					if info, err := e.Info(); err == nil {
						n += info.Size()
					}
				}
				return n
			}
			chunks := func() int64 { return streamMsgs(h.js, objStream(schema.FilesBucketName("main"))) }
			// The parts served go to the staged file, or straight into
			// the bucket's stream.
			if tc.staged {
				testutil.Eventually(t, 10*time.Second, "the parts served staged", func() bool { return stagedBytes() > 0 })
				if n := chunks(); n != 0 {
					t.Errorf("%d chunks in the bucket's stream while the download is staged", n)
				}
			} else {
				testutil.Eventually(t, 10*time.Second, "the parts served in the bucket's stream", func() bool { return chunks() > 0 })
				if n := stagedBytes(); n != 0 {
					t.Errorf("%d bytes staged with %d bytes free on the disk, want none", n, tc.free)
				}
			}
			close(files.released)
			res, _ := h.result("dl-room")
			want := sha256.Sum256(content(0, size))
			if !res.OK || res.Result == nil || res.Result.File == nil || res.Result.File.SHA256 != hex.EncodeToString(want[:]) {
				t.Fatalf("result %+v, want the file with sha256 %x", res, want)
			}
		})
	}
}
