package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// TestUploadStore: parts that come out of order go to the upload store's
// file, not to memory or the journal; the sha256 of the upload is known
// when it is complete; the media made from it serve its bytes, also in a
// world replayed from the journal with the same store; a temporary store
// is removed on close.
func TestUploadStore(t *testing.T) {
	const last = 1000
	content := make([]byte, 2*maxPartSize+last)
	if _, err := io.ReadFull(FileContent(5, int64(len(content))), content); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])
	part := func(i int) []byte { return content[i*maxPartSize : min(len(content), (i+1)*maxPartSize)] }

	dir := t.TempDir()
	w := newWorld(testAccounts())
	w.store = newUploadStore(dir)
	t.Cleanup(func() { _ = w.store.close() })
	var journal []op
	do := func(w *world, o op) int64 {
		t.Helper()
		res, err := w.apply(&o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(&o)
		if err != nil {
			t.Fatal(err)
		}
		var back op
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		journal = append(journal, back)
		if o.kind() == opUpload && bytes.Contains(b, []byte(`"data"`)) {
			t.Errorf("journaled part holds its bytes: %.200s", b)
		}
		return res
	}
	u := do(w, op{Body: &userOp{First: "Up"}})
	for _, i := range []int{2, 0, 1} { // gotd's parallel uploader: any order
		do(w, op{Body: &uploadOp{Account: "main", FileID: 9, Part: i, Size: len(part(i)), data: part(i)}})
	}
	ref := uploadRef{FileID: 9, Parts: 3}
	if got, err := w.uploadSum("main", ref); err != nil || got != want {
		t.Fatalf("upload sha256 %s %v, want %s", got, err, want)
	}
	if p := w.uploads[uploadKey{"main", 9}]; p.h == nil || p.next != 3 {
		t.Errorf("hashed %d parts as they came, want 3", p.next)
	}
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	send := op{Body: &apiSendOp{Account: "main", RandomID: 1, Media: &mediaInfo{Kind: "document", Mime: "application/octet-stream"}, Upload: &ref,
		Out: &Outgoing{Account: "main", Chat: chat, From: DefaultAccount().UserID, Media: "document"}}}
	id := do(w, send)

	check := func(w *world) {
		t.Helper()
		_, m, err := w.liveMessage("main", chat, int(id))
		if err != nil {
			t.Fatal(err)
		}
		info := w.media[m.MediaID]
		if info.Size != int64(len(content)) || info.Upload == "" || info.Blob != nil {
			t.Fatalf("media %+v, want %d bytes in the upload store", info, len(content))
		}
		got, err := io.ReadAll(info.content(w.store, ""))
		if err != nil || !bytes.Equal(got, content) {
			t.Errorf("media content: %d bytes %v, want the %d uploaded", len(got), err, len(content))
		}
		// A range across parts, as upload.getFile asks for it.
		r := make([]byte, maxFilePart)
		if err := w.store.readContent(info.Upload, info.Parts, maxPartSize-4096, r[:maxPartSize+4096+last]); err != nil ||
			!bytes.Equal(r[:maxPartSize+4096+last], content[maxPartSize-4096:]) {
			t.Errorf("range read: %v", err)
		}
	}
	check(w)
	if len(w.uploads) != 0 {
		t.Errorf("%d uploads pending after the send", len(w.uploads))
	}

	// Replayed from the journal (no bytes in it) with the same store.
	w2 := newWorld(testAccounts())
	w2.store = newUploadStore(dir)
	for i := range journal {
		if _, err := w2.apply(&journal[i]); err != nil {
			t.Fatalf("replay op %d: %v", i, err)
		}
	}
	check(w2)

	// A temporary store is made on the first part and removed on close.
	tmp := newWorld(testAccounts())
	if _, err := tmp.apply(&op{Body: &uploadOp{Account: "main", FileID: 1, Part: 0, Size: 3, data: []byte("abc")}}); err != nil {
		t.Fatal(err)
	}
	d := tmp.store.dir
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("temporary store: %v", err)
	}
	if err := tmp.store.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary store %s after close: %v, want removed", d, err)
	}
	if err := tmp.store.readAt(uploadFileName(1), make([]byte, 3), 0); !errors.Is(err, ErrClosed) {
		t.Errorf("read after close: %v, want ErrClosed", err)
	}
}

// TestBigUploadResumes: the parts of a big file stay under its file_id for
// another session of the same account (a restarted client), which sends
// only the parts missing; a part sent again replaces the earlier one; a
// part beyond file_total_parts or a changed total is refused as on
// Telegram; UploadBytesReceived counts every part taken.
func TestBigUploadResumes(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	const id, total = 0x0b16_f11e, 3
	part := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 1024) }
	save := func(api *tg.Client, i, n int, data []byte) error {
		_, err := api.UploadSaveBigFilePart(ctx, &tg.UploadSaveBigFilePartRequest{FileID: id, FilePart: i, FileTotalParts: n, Bytes: data})
		return err
	}
	before := shared.UploadBytesReceived("main")
	for _, data := range [][]byte{[]byte("torn"), part(0)} {
		if err := save(mainAPI, 0, total, data); err != nil {
			t.Fatal(err)
		}
	}
	wantRPCError(t, save(mainAPI, total, total, part(total)), "FILE_PART_INVALID")
	wantRPCError(t, save(mainAPI, 1, total+1, part(1)), "FILE_PARTS_INVALID")

	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	again, err := startClient(cctx, &wg, shared.Endpoint(), "1000:simulated-token", newRecorder())
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < total; i++ {
		if err := save(again, i, total, part(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := shared.UploadBytesReceived("main")-before, int64(len("torn")+total*1024); got != want {
		t.Errorf("UploadBytesReceived grew by %d, want %d", got, want)
	}
	rid := nextRandom()
	res, err := again.MessagesSendMedia(ctx, &tg.MessagesSendMediaRequest{Peer: inputUser(u), RandomID: rid,
		Media: &tg.InputMediaUploadedDocument{File: &tg.InputFileBig{ID: id, Parts: total, Name: "big.bin"}, MimeType: "application/octet-stream"}})
	if err != nil {
		t.Fatal(err)
	}
	msg := sentID(t, res.(*tg.Updates), rid)
	f, err := shared.MessageFile(ctx, "main", schema.PeerRef{Kind: schema.PeerUser, ID: u}, msg)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bytes.Join([][]byte{part(0), part(1), part(2)}, nil))
	if f.Size != total*1024 || f.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sent file %+v, want %d bytes sha256 %x", f, total*1024, sum)
	}
}

// TestExpiredUploadStartsOver: ExpireUploads (fault file.expire_uploads)
// forgets the parts an account uploaded: a sendMedia naming them answers
// FILE_PARTS_INVALID, and parts saved again under the same file_id make a
// new upload, which sends.
func TestExpiredUploadStartsOver(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	const id, total = 0x0e_f11e, 3
	part := func(i int) []byte { return bytes.Repeat([]byte{byte('k' + i)}, 1024) }
	save := func(i int) {
		t.Helper()
		if _, err := mainAPI.UploadSaveBigFilePart(ctx, &tg.UploadSaveBigFilePartRequest{FileID: id, FilePart: i, FileTotalParts: total, Bytes: part(i)}); err != nil {
			t.Fatal(err)
		}
	}
	send := func() (tg.UpdatesClass, int64, error) {
		rid := nextRandom()
		res, err := mainAPI.MessagesSendMedia(ctx, &tg.MessagesSendMediaRequest{Peer: inputUser(u), RandomID: rid,
			Media: &tg.InputMediaUploadedDocument{File: &tg.InputFileBig{ID: id, Parts: total, Name: "big.bin"}, MimeType: "application/octet-stream"}})
		return res, rid, err
	}
	for i := range total {
		save(i)
	}
	// The fault verb's kind, for the first account.
	if _, err := shared.Inject(ctx, Fault{Kind: FaultExpireUploads}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := send(); err == nil {
		t.Fatal("sendMedia of expired parts succeeded")
	} else {
		wantRPCError(t, err, "FILE_PARTS_INVALID")
	}
	// Resumed as a client would that kept its file_id: the parts after
	// those it thinks saved are not enough.
	save(2)
	if _, _, err := send(); err == nil {
		t.Fatal("sendMedia of a part saved after the expiry succeeded without the others")
	}
	for i := range total {
		save(i)
	}
	res, rid, err := send()
	if err != nil {
		t.Fatal(err)
	}
	f, err := shared.MessageFile(ctx, "main", schema.PeerRef{Kind: schema.PeerUser, ID: u}, sentID(t, res.(*tg.Updates), rid))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bytes.Join([][]byte{part(0), part(1), part(2)}, nil))
	if f.Size != total*1024 || f.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sent file %+v, want %d bytes sha256 %x", f, total*1024, sum)
	}
	if _, err := shared.ExpireUploads("nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ExpireUploads of an unknown account = %v, want ErrNotFound", err)
	}
}
