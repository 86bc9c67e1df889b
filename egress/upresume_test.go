package egress

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/schema"
)

// TestUploadState: an upload's sidecar is written 0600 and read back; one
// of another part count, or not whole, is not used; a stale one goes with
// stale staged downloads.
func TestUploadState(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.up")
	if _, ok := readUpState(path, 22); ok {
		t.Fatal("a missing sidecar read")
	}
	st := upState{FileID: 77, PartSize: uploadPartSize, Parts: 22, Done: 9}
	if err := writeUpState(path, st); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("sidecar %v %v, want 0600", fi, err)
	}
	if got, ok := readUpState(path, 22); !ok || got != st {
		t.Fatalf("read %+v %v, want %+v", got, ok, st)
	}
	if _, ok := readUpState(path, 23); ok {
		t.Error("a sidecar of 22 parts used for 23")
	}
	st.Done = 10
	if err := writeUpState(path, st); err != nil {
		t.Fatal(err)
	}
	if got, _ := readUpState(path, 22); got.Done != 10 {
		t.Errorf("rewritten sidecar read %+v, want 10 parts done", got)
	}
	if err := os.WriteFile(path, []byte(`{"file_id":77,"part_si`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := readUpState(path, 22); ok {
		t.Error("a torn sidecar read")
	}
	if err := writeUpState(path, st); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := os.Chtimes(path, now.Add(-2*time.Hour), now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := preparePartialDir(dir, time.Hour, now); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale sidecar: %v, want deleted", err)
	}
}

// TestObjectUploadResumes: media.send of an object above files.resume_bytes
// whose sidecar says Telegram confirmed its first 10 parts sends only the
// 12 others, under the same file_id, and deletes the sidecar once the
// message is sent. When Telegram no longer has the parts (on a part, or on
// messages.sendMedia) the upload starts over under a new file_id. The
// parts skipped are still read: a chunk among them changed fails the
// digest check, and nothing is sent.
func TestObjectUploadResumes(t *testing.T) {
	const size, parts, name = 11 << 20, 22, "in/resume.bin"
	data := content(0, size)
	for _, tt := range []struct {
		name              string
		bigFail, sendFail error
		changeChunk       bool
	}{
		{name: "resumed"},
		{name: "expired part", bigFail: tgerr.New(400, "FILE_PARTS_INVALID")},
		{name: "expired at send", sendFail: tgerr.New(400, "FILE_PART_3_MISSING")},
		{name: "changed chunk", changeChunk: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			files := &fakeFiles{parts: map[int][]byte{}}
			for i := range 10 {
				files.parts[i] = data[i*uploadPartSize : (i+1)*uploadPartSize]
			}
			if tt.bigFail != nil {
				files.bigFail = []error{tt.bigFail}
			}
			if tt.sendFail != nil {
				h.api.failNext("messages.sendMedia", tt.sendFail)
			}
			cfg := h.config()
			cfg.FileAPI = files
			cfg.Files.Bucket = schema.FilesBucketName("main")
			cfg.Files.ResumeBytes = 10 << 20
			cfg.Files.PartialDir = t.TempDir()
			ctx := context.Background()
			st, err := h.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: cfg.Files.Bucket})
			if err != nil {
				t.Fatal(err)
			}
			info, err := st.Put(ctx, jetstream.ObjectMeta{Name: name}, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			const id = 4242
			sidecar := (&Egress{cfg: cfg}).upStatePath(info)
			if err := writeUpState(sidecar, upState{FileID: id, PartSize: uploadPartSize, Parts: parts, Done: 10}); err != nil {
				t.Fatal(err)
			}
			if tt.changeChunk {
				changeFirstChunk(t, h.js, cfg.Files.Bucket, info.NUID)
			}
			h.start(cfg)
			res := h.rpc(schema.CommandMediaSend, `{"peer":{"kind":"user","id":7},"media":{"type":"document","object":"`+name+`"}}`, "send-"+tt.name)
			if tt.changeChunk {
				if res.OK || res.Error == nil || res.Error.Code != schema.CodeInvalidArgument {
					t.Fatalf("result %+v %+v, want INVALID_ARGUMENT: the chunks do not match the digest", res.Result, res.Error)
				}
				if n := len(h.api.callsOf("messages.sendMedia")); n != 0 {
					t.Errorf("%d sendMedia calls, want none", n)
				}
				return
			}
			if !res.OK {
				t.Fatalf("result %+v", res.Error)
			}
			files.mu.Lock()
			calls := files.bigCalls
			var got []byte
			for i := range parts {
				got = append(got, files.parts[i]...)
			}
			files.mu.Unlock()
			if !bytes.Equal(got, data) {
				t.Errorf("Telegram holds %d bytes, not the object's %d", len(got), len(data))
			}
			sends := h.api.callsOf("messages.sendMedia")
			file := sends[len(sends)-1].req.(*tg.MessagesSendMediaRequest).Media.(*tg.InputMediaUploadedDocument).File.(*tg.InputFileBig)
			wantSends := 1
			if tt.sendFail != nil {
				wantSends = 2
			}
			if file.Parts != parts || len(sends) != wantSends {
				t.Errorf("sent %+v in %d sendMedia calls, want %d parts in %d", file, len(sends), parts, wantSends)
			}
			sent := map[int64][]int{}
			for _, c := range calls {
				if c.FileTotalParts != parts {
					t.Errorf("part %d of file_total_parts %d, want %d", c.FilePart, c.FileTotalParts, parts)
				}
				sent[c.FileID] = append(sent[c.FileID], c.FilePart)
			}
			if tt.bigFail == nil && tt.sendFail == nil {
				if file.ID != id || len(sent) != 1 || len(sent[id]) != parts-10 {
					t.Errorf("sent %+v after parts %v, want file %d and its parts 10 to 21 only", file, sent, id)
				}
				for _, p := range sent[id] {
					if p < 10 {
						t.Errorf("part %d sent again", p)
					}
				}
			} else if file.ID == id || len(sent[file.ID]) != parts {
				t.Errorf("sent %+v after parts %v, want a new file of every part", file, sent)
			}
			if ents, _ := os.ReadDir(cfg.Files.PartialDir); len(ents) != 0 {
				t.Errorf("%d files left in the partial dir, want the sidecar deleted", len(ents))
			}
		})
	}
}

// changeFirstChunk changes the first chunk of object nuid in bucket,
// keeping the chunks' order: they are purged and written again.
func changeFirstChunk(t *testing.T, js jetstream.JetStream, bucket, nuid string) {
	t.Helper()
	ctx := context.Background()
	stream, err := js.Stream(ctx, "OBJ_"+bucket)
	if err != nil {
		t.Fatal(err)
	}
	subj := "$O." + bucket + ".C." + nuid
	var chunks [][]byte
	for seq := uint64(1); ; {
		m, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		chunks, seq = append(chunks, m.Data), m.Sequence+1
	}
	chunks[0][0] ^= 0xff
	if err := stream.Purge(ctx, jetstream.WithPurgeSubject(subj)); err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		if _, err := js.Publish(ctx, subj, c); err != nil {
			t.Fatal(err)
		}
	}
}
