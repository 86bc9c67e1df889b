package egress

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// TestDownloadWithinServerIngestLimit: a nats-server takes at most
// max_buffered_size bytes waiting to be stored per stream (128 MiB by
// default) and answers 429 to what comes beyond. A download written
// faster than the server stores it (in CI: a 2000 MiB staged file read
// from the page cache) must neither fail nor leave an object whose chunks
// the stream does not hold: the result is the file, whole, and fresh.
func TestDownloadWithinServerIngestLimit(t *testing.T) {
	for _, staged := range []bool{true, false} {
		name := map[bool]string{true: "staged", false: "streamed"}[staged]
		t.Run(name, func(t *testing.T) {
			srv := natstest.Server(t, &server.Options{JetStream: true, StoreDir: t.TempDir(), StreamMaxBufferedSize: 2 << 20})
			h := newHarnessOn(t, natstest.Connect(t, srv.ClientURL()), nil)
			const size = 48 << 20
			cfg := h.config()
			cfg.FileAPI = &fakeFiles{size: size}
			if staged {
				// Staged, the Object Store reads the file as fast as the disk gives it.
				cfg.Files.PartialDir, cfg.Files.ResumeBytes = t.TempDir(), 1<<20
			}
			h.start(cfg)

			res := h.rpc(schema.CommandMediaDownload, `{"peer":{"kind":"user","id":7},"message_id":3}`, "dl-"+name)
			if !res.OK || res.Result == nil || res.Result.File == nil {
				t.Fatalf("download: %+v", res.Error)
			}
			want := sha256.Sum256(content(0, size))
			f := res.Result.File
			if f.Cached || f.Size != size || f.SHA256 != hex.EncodeToString(want[:]) {
				t.Fatalf("result %+v, want %d fresh bytes sha256 %x", f, size, want)
			}
			ctx := context.Background()
			store, err := h.js.ObjectStore(ctx, schema.FilesBucketName("main"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := store.GetBytes(ctx, f.Object)
			if err != nil {
				t.Fatalf("reading object %s back: %v", f.Object, err)
			}
			if !bytes.Equal(got, content(0, size)) {
				t.Fatalf("object %s holds %d bytes, not the file's", f.Object, len(got))
			}
		})
	}
}

// TestPutObjectReplacesWhole: an object written again under its name is
// read whole by nats.go's Object Store, the chunks of the one it replaced
// are gone from the stream, and a put cut short by its reader leaves the
// name as it was and no chunk of its own.
func TestPutObjectReplacesWhole(t *testing.T) {
	js := natstest.JetStream(t)
	ctx := context.Background()
	store, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "B"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := func() int64 { return streamMsgs(js, objStream("B")) }
	first, second := content(0, 3*putChunkSize+10), content(7, 2*putChunkSize)
	for _, data := range [][]byte{first, second} {
		info, err := putObject(ctx, js, store, "B", jetstream.ObjectMeta{Name: "a/b"}, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.GetBytes(ctx, "a/b")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("object read back: %d bytes, %v; want %d bytes", len(got), err, len(data))
		}
		if info.Size != uint64(len(data)) {
			t.Errorf("info size %d, want %d", info.Size, len(data))
		}
	}
	if n := msgs(); n != 3 { // two chunks and the meta message
		t.Errorf("the bucket's stream holds %d messages, want 3: the replaced object's chunks purged", n)
	}

	cut := io.MultiReader(bytes.NewReader(content(0, 5*putChunkSize)), iotest.ErrReader(errors.New("cut")))
	if _, err := putObject(ctx, js, store, "B", jetstream.ObjectMeta{Name: "a/b"}, cut); err == nil {
		t.Fatal("a put whose reader failed succeeded")
	}
	if got, err := store.GetBytes(ctx, "a/b"); err != nil || !bytes.Equal(got, second) {
		t.Errorf("after a failed put the object reads %d bytes, %v; want the earlier %d", len(got), err, len(second))
	}
	if n := msgs(); n != 3 {
		t.Errorf("after a failed put the stream holds %d messages, want 3", n)
	}
}

// TestDownloadAgainWhenChunksGone: an object whose info message names
// chunks the stream no longer holds (what nats.go's Put leaves when a
// chunk is refused after it published the info) is not the file: a
// media.download downloads it again instead of answering it as cached.
func TestDownloadAgainWhenChunksGone(t *testing.T) {
	h := newHarness(t, nil)
	const size = 300 << 10
	files := &fakeFiles{size: size}
	cfg := h.config()
	cfg.FileAPI = files
	h.start(cfg)
	const body = `{"peer":{"kind":"user","id":7},"message_id":3}`
	first := h.rpc(schema.CommandMediaDownload, body, "gone-1")
	if !first.OK {
		t.Fatalf("first download: %+v", first.Error)
	}
	ctx := context.Background()
	store, err := h.js.ObjectStore(ctx, schema.FilesBucketName("main"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := store.GetInfo(ctx, first.Result.File.Object)
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.js.Stream(ctx, "OBJ_"+schema.FilesBucketName("main"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSubject("$O."+schema.FilesBucketName("main")+".C."+info.NUID)); err != nil {
		t.Fatal(err)
	}
	served := files.servedParts()

	again := h.rpc(schema.CommandMediaDownload, body, "gone-2")
	if !again.OK || again.Result.File.Cached || again.Result.File.Size != size {
		t.Fatalf("download after the chunks were purged: %+v %+v, want a fresh download", again.Error, again.Result)
	}
	if files.servedParts() == served {
		t.Error("Telegram was not asked for the file again")
	}
	got, err := store.GetBytes(ctx, again.Result.File.Object)
	if err != nil || !bytes.Equal(got, content(0, size)) {
		t.Fatalf("object read back: %d bytes, %v", len(got), err)
	}
	cached := h.rpc(schema.CommandMediaDownload, body, "gone-3")
	if !cached.OK || !cached.Result.File.Cached {
		t.Errorf("a third download: %+v %+v, want the stored object, cached", cached.Error, cached.Result)
	}
}

// TestConcurrentDownloadsTransferOnce: two rpc media.download of one
// message at once transfer the file once; the second waits for the first
// and answers its object, cached.
func TestConcurrentDownloadsTransferOnce(t *testing.T) {
	h := newHarness(t, nil)
	const size = 3<<20 + 1000 // 4 parts
	files := &fakeFiles{size: size, hold: 1, released: make(chan struct{})}
	cfg := h.config()
	cfg.FileAPI = files
	h.start(cfg)
	const body = `{"peer":{"kind":"user","id":7},"message_id":3}`
	h.rpc("no.such.action", `{}`, "") // the service answers
	results := make(chan schema.CommandResult, 2)
	for _, key := range []string{"twin-1", "twin-2"} {
		go func() {
			var res schema.CommandResult
			msg := &nats.Msg{Subject: RPCSubject("tg", "main", schema.CommandMediaDownload), Data: []byte(body), Header: header(key)}
			reply, err := h.nc.RequestMsg(msg, 10*time.Second)
			if err == nil {
				err = json.Unmarshal(reply.Data, &res)
			}
			if err != nil {
				res.Error = &schema.CommandError{Message: err.Error()}
			}
			results <- res
		}()
	}
	// Both asked for the message; the first holds its transfer.
	testutil.Eventually(t, 10*time.Second, "both downloads to fetch the message", func() bool {
		files.mu.Lock()
		defer files.mu.Unlock()
		return files.fetches == 2 && files.served >= 1
	})
	close(files.released)
	var cached int
	for range 2 {
		res := <-results
		if !res.OK || res.Result == nil || res.Result.File == nil || res.Result.File.Size != size {
			t.Fatalf("download: %+v %+v", res.Error, res.Result)
		}
		if res.Result.File.Cached {
			cached++
		}
	}
	files.mu.Lock()
	defer files.mu.Unlock()
	seen := map[int64]bool{}
	for _, off := range files.offsets {
		if seen[off] {
			t.Errorf("Telegram was asked twice for the part at %d (parts asked: %v): two transfers", off, files.offsets)
			break
		}
		seen[off] = true
	}
	if cached != 1 {
		t.Errorf("%d results were cached, want 1 (the download that waited)", cached)
	}
}
