package egress

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// fakeFiles serves one document (message 3 of user 7) of size bytes,
// part by part; with hold set it serves hold parts, then blocks until
// released or the caller gives up.
type fakeFiles struct {
	size int64

	mu       sync.Mutex
	served   int     // parts answered
	offsets  []int64 // their offsets
	fetches  int     // getMessages calls
	hold     int     // parts to serve before blocking; 0: never block
	fail     error   // every getFile fails with it
	released chan struct{}
	uploaded bytes.Buffer   // saveFilePart bytes
	parts    map[int][]byte // saveBigFilePart parts by number
	total    int            // their file_total_parts

	bigCalls []tg.UploadSaveBigFilePartRequest // without their bytes
	bigFail  []error                           // errors for the next saveBigFilePart calls
}

func content(off int64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		x := off + int64(i)
		b[i] = byte(x*131 + x>>9)
	}
	return b
}

func (f *fakeFiles) MessagesGetMessages(_ context.Context, id []tg.InputMessageClass) (tg.MessagesMessagesClass, error) {
	f.mu.Lock()
	f.fetches++
	f.mu.Unlock()
	var msgs []tg.MessageClass
	for _, in := range id {
		i := in.(*tg.InputMessageID).ID
		if i != 3 {
			msgs = append(msgs, &tg.MessageEmpty{ID: i})
			continue
		}
		msgs = append(msgs, &tg.Message{ID: 3, PeerID: &tg.PeerUser{UserID: 7}, Media: &tg.MessageMediaDocument{Document: &tg.Document{
			ID: 55, AccessHash: 5, FileReference: []byte("ref"), Size: f.size, MimeType: "application/zip",
			Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeFilename{FileName: "a.zip"}},
		}}})
	}
	return &tg.MessagesMessages{Messages: msgs}, nil
}

func (f *fakeFiles) ChannelsGetMessages(context.Context, *tg.ChannelsGetMessagesRequest) (tg.MessagesMessagesClass, error) {
	return nil, tgerr.New(400, "CHANNEL_INVALID")
}

func (f *fakeFiles) UploadGetFile(ctx context.Context, req *tg.UploadGetFileRequest) (tg.UploadFileClass, error) {
	f.mu.Lock()
	block := f.hold > 0 && f.served >= f.hold
	released, fail := f.released, f.fail
	f.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	if block {
		select {
		case <-released:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	n := int(max(0, min(int64(req.Limit), f.size-req.Offset)))
	f.mu.Lock()
	f.served++
	f.offsets = append(f.offsets, req.Offset)
	f.mu.Unlock()
	return &tg.UploadFile{Type: &tg.StorageFilePartial{}, Bytes: content(req.Offset, n)}, nil
}

func (f *fakeFiles) UploadGetFileHashes(context.Context, *tg.UploadGetFileHashesRequest) ([]tg.FileHash, error) {
	return nil, tgerr.New(400, "INPUT_METHOD_INVALID")
}

func (f *fakeFiles) UploadReuploadCDNFile(context.Context, *tg.UploadReuploadCDNFileRequest) ([]tg.FileHash, error) {
	return nil, tgerr.New(400, "INPUT_METHOD_INVALID")
}

func (f *fakeFiles) UploadGetCDNFileHashes(context.Context, *tg.UploadGetCDNFileHashesRequest) ([]tg.FileHash, error) {
	return nil, tgerr.New(400, "INPUT_METHOD_INVALID")
}

func (f *fakeFiles) UploadGetWebFile(context.Context, *tg.UploadGetWebFileRequest) (*tg.UploadWebFile, error) {
	return nil, tgerr.New(400, "INPUT_METHOD_INVALID")
}

func (f *fakeFiles) UploadSaveFilePart(_ context.Context, req *tg.UploadSaveFilePartRequest) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploaded.Write(req.Bytes)
	return true, nil
}

func (f *fakeFiles) UploadSaveBigFilePart(_ context.Context, req *tg.UploadSaveBigFilePartRequest) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.parts == nil {
		f.parts = map[int][]byte{}
	}
	r := *req
	r.Bytes = nil
	f.bigCalls = append(f.bigCalls, r)
	if len(f.bigFail) > 0 {
		err := f.bigFail[0]
		f.bigFail = f.bigFail[1:]
		return false, err
	}
	f.parts[req.FilePart] = bytes.Clone(req.Bytes)
	f.total = req.FileTotalParts
	return true, nil
}

func (f *fakeFiles) servedParts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served
}

// TestDownloadCutShortLeavesNoObject: while a download is under way its
// chunks are in the bucket's stream but its name is not found; the
// connector stopped then leaves no object, and the redelivered stream
// command completes it with the right bytes.
func TestDownloadCutShortLeavesNoObject(t *testing.T) {
	h := newHarness(t, nil)
	const size = 3<<20 + 1000
	files := &fakeFiles{size: size, hold: 3, released: make(chan struct{})}
	cfg := h.config()
	cfg.FileAPI = files
	cfg.AckWait = time.Second // redelivery soon after the stop
	stop := h.start(cfg)
	const body = `{"peer":{"kind":"user","id":7},"message_id":3}`
	h.publish(schema.CommandMediaDownload, body, "dl-1")
	testutil.Eventually(t, 10*time.Second, "three parts served", func() bool { return files.servedParts() >= 3 })

	ctx := context.Background()
	store, err := h.js.ObjectStore(ctx, schema.FilesBucketName("main"))
	if err != nil {
		t.Fatal(err)
	}
	const name = "main/user/7/3"
	// The stream holds chunks of the transfer (up to the pipe's part in
	// flight), yet the name is not found: a SIGKILL now leaves nothing that
	// looks complete.
	testutil.Eventually(t, 10*time.Second, "chunks in the bucket's stream", func() bool {
		return streamMsgs(h.js, objStream(schema.FilesBucketName("main"))) > 0
	})
	if _, err := store.GetInfo(ctx, name); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Fatalf("GetInfo mid-transfer = %v, want ErrObjectNotFound", err)
	}
	stop()
	if _, err := store.GetInfo(ctx, name); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Fatalf("GetInfo after the stop = %v, want ErrObjectNotFound", err)
	}

	close(files.released)
	h.start(cfg)
	res, _ := h.result("dl-1")
	if !res.OK || res.Result == nil || res.Result.File == nil {
		t.Fatalf("result %+v", res)
	}
	want := sha256.Sum256(content(0, size))
	if f := res.Result.File; f.Object != name || f.Size != size || f.SHA256 != hex.EncodeToString(want[:]) || f.Mime != "application/zip" || f.Name != "a.zip" {
		t.Errorf("result file %+v, want %s of %d bytes sha256 %x", f, name, size, want)
	}
	obj, err := store.GetBytes(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(obj, content(0, size)) {
		t.Error("the object's bytes differ from the file's")
	}
}

// TestSendObjectStreamsItsBytes: media.send with an object uploads its
// bytes as they are stored, in big-file parts above 10 MiB.
func TestSendObjectStreamsItsBytes(t *testing.T) {
	h := newHarness(t, nil)
	files := &fakeFiles{}
	cfg := h.config()
	cfg.FileAPI = files
	h.start(cfg)
	ctx := context.Background()
	st, err := h.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: schema.FilesBucketName("main")})
	if err != nil {
		t.Fatal(err)
	}
	data := content(0, 11<<20)
	if _, err := st.Put(ctx, jetstream.ObjectMeta{Name: "in/big.bin", Metadata: map[string]string{"mime": "application/x-big"}}, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	res := h.rpc(schema.CommandMediaSend, `{"peer":{"kind":"user","id":7},"media":{"type":"document","object":"in/big.bin"}}`, "send-1")
	if !res.OK {
		t.Fatalf("result %+v", res.Error)
	}
	files.mu.Lock()
	var got []byte
	for i := range len(files.parts) {
		got = append(got, files.parts[i]...)
	}
	n, first, total := len(files.parts), len(files.parts[0]), files.total
	files.mu.Unlock()
	// 512 KiB parts, Telegram's largest: with its 4000 parts a file of
	// 2000 MiB fits (128 KiB parts would stop at 500 MiB).
	if total != 22 || n != 22 || first != 512<<10 {
		t.Errorf("%d parts, the first of %d bytes (file_total_parts %d), want 22 of 512 KiB", n, first, total)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("uploaded %d bytes, not the object's %d", len(got), len(data))
	}
	sends := h.api.callsOf("messages.sendMedia")
	if len(sends) != 1 {
		t.Fatalf("%d sendMedia calls, want 1", len(sends))
	}
	req := sends[0].req.(*tg.MessagesSendMediaRequest)
	doc := req.Media.(*tg.InputMediaUploadedDocument)
	if _, big := doc.File.(*tg.InputFileBig); !big || doc.MimeType != "application/x-big" {
		t.Errorf("sent %T mime %q, want a big file of the object's mime", doc.File, doc.MimeType)
	}
}

// TestOrderedWriter: parts written out of order come out in order; a part
// beyond the window waits until the bytes before it are written.
func TestOrderedWriter(t *testing.T) {
	var out bytes.Buffer
	o := newOrderedWriter(&out, 8)
	data := content(0, 16)
	ctx := context.Background()
	if err := o.wait(ctx, 4); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- o.wait(ctx, 8) }() // 8 is not < 0+8: held
	for _, off := range []int{12, 8, 4} {
		if _, err := o.WriteAt(data[off:off+4], int64(off)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-waited:
		t.Fatalf("a part beyond the window went ahead (%v)", err)
	default:
	}
	if out.Len() != 0 {
		t.Fatalf("wrote %d bytes before the first part", out.Len())
	}
	if err := o.complete(); err == nil {
		t.Error("complete with a gap at 0 reported nothing")
	}
	if _, err := o.WriteAt(data[0:4], 0); err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) || o.complete() != nil {
		t.Errorf("out %v, want %v", out.Bytes(), data)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := o.wait(cctx, 100); !errors.Is(err, context.Canceled) {
		t.Errorf("wait with a cancelled context = %v", err)
	}
}

// TestBucketDeletedIsCreatedAgain: after an operator deleted the files
// bucket, the next download creates it again instead of failing until
// the connector restarts.
func TestBucketDeletedIsCreatedAgain(t *testing.T) {
	h := newHarness(t, nil)
	files := &fakeFiles{size: 5000}
	cfg := h.config()
	cfg.FileAPI = files
	h.start(cfg)
	const body = `{"peer":{"kind":"user","id":7},"message_id":3}`
	if res := h.rpc(schema.CommandMediaDownload, body, "b-1"); !res.OK {
		t.Fatalf("first download: %+v", res.Error)
	}
	if err := h.js.DeleteObjectStore(context.Background(), schema.FilesBucketName("main")); err != nil {
		t.Fatal(err)
	}
	res := h.rpc(schema.CommandMediaDownload, body, "b-2")
	if !res.OK || res.Result.File.Cached || res.Result.File.Size != 5000 {
		t.Fatalf("download after the bucket was deleted: %+v %+v", res.Error, res.Result)
	}
}

// TestDownloadReferenceKeepsExpiring: a download by message refreshes an
// expired reference a bounded number of times, then fails with Telegram's
// error instead of fetching the message forever.
func TestDownloadReferenceKeepsExpiring(t *testing.T) {
	h := newHarness(t, nil)
	files := &fakeFiles{size: 3 << 20, fail: tgerr.New(400, "FILE_REFERENCE_EXPIRED")}
	cfg := h.config()
	cfg.FileAPI = files
	h.start(cfg)
	h.publish(schema.CommandMediaDownload, `{"peer":{"kind":"user","id":7},"message_id":3}`, "dl-exp")
	res, _ := h.result("dl-exp")
	if res.OK || res.Error == nil || res.Error.TelegramError != "FILE_REFERENCE_EXPIRED" {
		t.Fatalf("result %+v, want the command failed with FILE_REFERENCE_EXPIRED", res)
	}
	files.mu.Lock()
	defer files.mu.Unlock()
	if want := 1 + maxRefreshes; files.fetches != want {
		t.Errorf("the message was fetched %d times, want %d (once, then at most %d refreshes)", files.fetches, want, maxRefreshes)
	}
}

// TestSendObjectChecksDigest: media.send reads an object's chunks itself
// (objread.go) and checks them against the object's digest; an object
// whose chunks were changed after it was written is not sent.
func TestSendObjectChecksDigest(t *testing.T) {
	h := newHarness(t, nil)
	files := &fakeFiles{}
	cfg := h.config()
	cfg.FileAPI = files
	h.start(cfg)
	ctx := context.Background()
	bucket := schema.FilesBucketName("main")
	st, err := h.js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Put(ctx, jetstream.ObjectMeta{Name: "in/changed.bin"}, bytes.NewReader(content(0, 300<<10)))
	if err != nil {
		t.Fatal(err)
	}
	changeFirstChunk(t, h.js, bucket, info.NUID)
	res := h.rpc(schema.CommandMediaSend, `{"peer":{"kind":"user","id":7},"media":{"type":"document","object":"in/changed.bin"}}`, "send-changed")
	if res.OK || res.Error == nil || res.Error.Code != schema.CodeInvalidArgument {
		t.Fatalf("result %+v %+v, want INVALID_ARGUMENT: the chunks do not match the digest", res.Result, res.Error)
	}
	if n := len(h.api.callsOf("messages.sendMedia")); n != 0 {
		t.Errorf("%d sendMedia calls, want none", n)
	}
}
