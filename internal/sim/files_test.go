package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gotd/td/telegram/downloader"
	"github.com/gotd/td/telegram/uploader"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/schema"
)

// Tests of upload.getFile and of files made by uploads, through gotd's
// downloader and uploader as the connector uses them.

// fetchMedia returns the media of message id in private as main sees it.
func fetchMedia(t *testing.T, id int) tg.MessageMediaClass {
	t.Helper()
	got, err := mainAPI.MessagesGetMessages(testCtx(t), []tg.InputMessageClass{&tg.InputMessageID{ID: id}})
	if err != nil {
		t.Fatal(err)
	}
	return got.(*tg.MessagesMessages).Messages[0].(*tg.Message).Media
}

func docLocation(t *testing.T, media tg.MessageMediaClass) (*tg.InputDocumentFileLocation, *tg.Document) {
	t.Helper()
	d := media.(*tg.MessageMediaDocument).Document.(*tg.Document)
	return &tg.InputDocumentFileLocation{ID: d.ID, AccessHash: d.AccessHash, FileReference: d.FileReference}, d
}

func sha256Of(t *testing.T, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func download(ctx context.Context, loc tg.InputFileLocationClass) (string, int64, error) {
	h := sha256.New()
	cw := &countWriter{w: h}
	if _, err := downloader.NewDownloader().Download(mainAPI, loc).Stream(ctx, cw); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}

func TestGetFileServesInjectedDocument(t *testing.T) {
	ctx := testCtx(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	const size = 3<<20 + 123 // parts of 512 KiB, the last one short
	id, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Media: "document",
		File: &File{Size: size, Mime: "video/mp4", Name: "clip.mp4", Attr: "video"}})
	if err != nil {
		t.Fatal(err)
	}
	loc, doc := docLocation(t, fetchMedia(t, id))
	if doc.Size != size || doc.MimeType != "video/mp4" {
		t.Fatalf("document size %d mime %q, want %d video/mp4", doc.Size, doc.MimeType, size)
	}
	want, err := shared.MessageFile(ctx, "main", private, id)
	if err != nil {
		t.Fatal(err)
	}
	if want.Size != size || want.ID != doc.ID || want.Name != "clip.mp4" {
		t.Errorf("MessageFile = %+v", want)
	}
	if h := sha256Of(t, FileContent(doc.ID, size)); h != want.SHA256 {
		t.Errorf("FileContent sha256 %s, MessageFile says %s", h, want.SHA256)
	}
	got, n, err := download(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if n != size || got != want.SHA256 {
		t.Errorf("downloaded %d bytes sha256 %s, want %d %s", n, got, size, want.SHA256)
	}
	// The same file again is the same bytes; another file differs.
	again, _, err := download(ctx, loc)
	if err != nil || again != got {
		t.Errorf("second download %s, %v; want %s", again, err, got)
	}
	if sha256Of(t, FileContent(doc.ID+10, size)) == got {
		t.Error("two media ids generate the same content")
	}
}

func TestGetFileRules(t *testing.T) {
	ctx := testCtx(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	const size = 3 << 20
	id, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Media: "document", File: &File{Size: size}})
	if err != nil {
		t.Fatal(err)
	}
	loc, doc := docLocation(t, fetchMedia(t, id))
	content := make([]byte, size)
	if _, err := io.ReadFull(FileContent(doc.ID, size), content); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		offset  int64
		limit   int
		precise bool
		wantErr string
		wantN   int
	}{
		{name: "1 MiB part", offset: 1 << 20, limit: 1 << 20, wantN: 1 << 20},
		{name: "4 KiB part", offset: 4096, limit: 4096, wantN: 4096},
		{name: "past the end", offset: size, limit: 4096, wantN: 0},
		{name: "last part short", offset: size - 4096, limit: 8192, wantN: 4096},
		{name: "offset not 4 KiB aligned", offset: 1000, limit: 4096, wantErr: "OFFSET_INVALID"},
		{name: "negative offset", offset: -4096, limit: 4096, wantErr: "OFFSET_INVALID"},
		{name: "limit not 4 KiB aligned", offset: 0, limit: 5000, wantErr: "LIMIT_INVALID"},
		{name: "limit not dividing 1 MiB", offset: 0, limit: 12288, wantErr: "LIMIT_INVALID"},
		{name: "limit over 1 MiB", offset: 0, limit: 2 << 20, wantErr: "LIMIT_INVALID"},
		{name: "zero limit", offset: 0, limit: 0, wantErr: "LIMIT_INVALID"},
		{name: "precise 1 KiB multiple", offset: 4096, limit: 3072, precise: true, wantN: 3072},
		{name: "precise limit not 1 KiB multiple", offset: 4096, limit: 1000, precise: true, wantErr: "LIMIT_INVALID"},
		{name: "precise across a 1 MiB block", offset: 1<<20 - 4096, limit: 8192, precise: true, wantErr: "LIMIT_INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &tg.UploadGetFileRequest{Location: loc, Offset: tc.offset, Limit: tc.limit}
			req.SetPrecise(tc.precise)
			res, err := mainAPI.UploadGetFile(ctx, req)
			if tc.wantErr != "" {
				wantRPCError(t, err, tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := res.(*tg.UploadFile)
			if len(f.Bytes) != tc.wantN {
				t.Fatalf("got %d bytes, want %d", len(f.Bytes), tc.wantN)
			}
			if tc.wantN > 0 && !bytes.Equal(f.Bytes, content[tc.offset:tc.offset+int64(tc.wantN)]) {
				t.Error("bytes differ from the file's content at that offset")
			}
		})
	}
	// Locations the simulator does not hold.
	for _, l := range []tg.InputFileLocationClass{
		&tg.InputDocumentFileLocation{ID: doc.ID, AccessHash: doc.AccessHash + 1, FileReference: doc.FileReference},
		&tg.InputDocumentFileLocation{ID: doc.ID + 1000, AccessHash: doc.AccessHash, FileReference: doc.FileReference},
		&tg.InputPhotoFileLocation{ID: doc.ID, AccessHash: doc.AccessHash, FileReference: doc.FileReference, ThumbSize: "x"},
	} {
		_, err := mainAPI.UploadGetFile(ctx, &tg.UploadGetFileRequest{Location: l, Limit: 4096})
		wantRPCError(t, err, "LOCATION_INVALID")
	}
}

func TestGetFileReferenceExpires(t *testing.T) {
	ctx := testCtx(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	id, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Media: "document", File: &File{Size: 10000}})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := docLocation(t, fetchMedia(t, id))
	if _, err := shared.Inject(ctx, Fault{Kind: FaultExpireRefs}); err != nil {
		t.Fatal(err)
	}
	_, _, err = download(ctx, old)
	wantRPCError(t, err, "FILE_REFERENCE_EXPIRED")
	// The message fetched again carries a reference that works.
	fresh, _ := docLocation(t, fetchMedia(t, id))
	if bytes.Equal(fresh.FileReference, old.FileReference) {
		t.Fatal("the reference did not change")
	}
	want, _ := shared.MessageFile(ctx, "main", private, id)
	if got, n, err := download(ctx, fresh); err != nil || got != want.SHA256 || n != 10000 {
		t.Errorf("download with the fresh reference: %s %d %v, want %s 10000", got, n, err, want.SHA256)
	}
}

// TestGetFileReferenceExpiresAfterParts: file.expire_refs with n lets n
// more parts through, then expires the references; FileBytesServed counts
// the bytes answered, not the refused parts.
func TestGetFileReferenceExpiresAfterParts(t *testing.T) {
	ctx := testCtx(t)
	const part = 64 << 10
	private := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	id, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Media: "document", File: &File{Size: 3 * part}})
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := docLocation(t, fetchMedia(t, id))
	if _, err := shared.Inject(ctx, Fault{Kind: FaultExpireRefs, N: 2}); err != nil {
		t.Fatal(err)
	}
	get := func(i int64) error {
		_, err := mainAPI.UploadGetFile(ctx, &tg.UploadGetFileRequest{Location: loc, Offset: i * part, Limit: part})
		return err
	}
	for i := range int64(2) {
		if err := get(i); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	wantRPCError(t, get(2), "FILE_REFERENCE_EXPIRED")
	fresh, _ := docLocation(t, fetchMedia(t, id))
	loc = fresh
	if err := get(2); err != nil {
		t.Fatalf("part 2 with a fresh reference: %v", err)
	}
	if n := shared.FileBytesServed(fresh.ID); n != 3*part {
		t.Errorf("FileBytesServed = %d, want %d (each part once)", n, 3*part)
	}
}

func TestGetFileServesPhotoSizes(t *testing.T) {
	ctx := testCtx(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	const size = 200_000
	id, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Media: "photo", File: &File{Size: size}})
	if err != nil {
		t.Fatal(err)
	}
	p := fetchMedia(t, id).(*tg.MessageMediaPhoto).Photo.(*tg.Photo)
	loc := func(thumb string) *tg.InputPhotoFileLocation {
		return &tg.InputPhotoFileLocation{ID: p.ID, AccessHash: p.AccessHash, FileReference: p.FileReference, ThumbSize: thumb}
	}
	want, _ := shared.MessageFile(ctx, "main", private, id)
	if got, n, err := download(ctx, loc("x")); err != nil || n != size || got != want.SHA256 {
		t.Errorf("size x: %s %d %v, want %s %d", got, n, err, want.SHA256, size)
	}
	if _, n, err := download(ctx, loc("m")); err != nil || n != size/4 {
		t.Errorf("size m: %d bytes %v, want %d", n, err, size/4)
	}
	_, err = mainAPI.UploadGetFile(ctx, &tg.UploadGetFileRequest{Location: loc("w"), Limit: 4096})
	wantRPCError(t, err, "LOCATION_INVALID")
}

// TestUploadedFileDownloads: a file uploaded in big-file parts and sent
// is served back byte for byte, and the call's detail names its sha256.
func TestUploadedFileDownloads(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	for _, size := range []int{1000, 11 << 20} { // small parts; big-file parts above 10 MiB
		data := make([]byte, size)
		if _, err := io.ReadFull(FileContent(int64(size), int64(size)), data); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		f, err := uploader.NewUploader(mainAPI).Upload(ctx, uploader.NewUpload("data.bin", bytes.NewReader(data), int64(size)))
		if err != nil {
			t.Fatal(err)
		}
		if _, big := f.(*tg.InputFileBig); big != (size > 10<<20) {
			t.Errorf("size %d uploaded as %T", size, f)
		}
		rid := nextRandom()
		res, err := mainAPI.MessagesSendMedia(ctx, &tg.MessagesSendMediaRequest{Peer: inputUser(u), RandomID: rid,
			Media: &tg.InputMediaUploadedDocument{File: f, MimeType: "application/octet-stream"}})
		if err != nil {
			t.Fatal(err)
		}
		id := sentID(t, res.(*tg.Updates), rid)
		loc, doc := docLocation(t, fetchMedia(t, id))
		if doc.Size != int64(size) {
			t.Errorf("document size %d, want %d", doc.Size, size)
		}
		got, n, err := download(ctx, loc)
		if err != nil || n != int64(size) || got != hex.EncodeToString(sum[:]) {
			t.Errorf("size %d: downloaded %d bytes %s %v, want %x", size, n, got, err, sum)
		}
		if mf, _ := shared.MessageFile(ctx, "main", private, id); mf.SHA256 != got {
			t.Errorf("MessageFile sha256 %s, want %s", mf.SHA256, got)
		}
		calls := shared.ServedCalls("main")
		last := calls[len(calls)-1]
		if last.Method != "messages.sendMedia" || !strings.Contains(last.Detail, "sha256="+got) {
			t.Errorf("last call %s %q, want messages.sendMedia with sha256=%s", last.Method, last.Detail, got)
		}
	}
}

func TestInjectedFileIsValidated(t *testing.T) {
	ctx := testCtx(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	for _, m := range []Outgoing{
		{Chat: private, Media: "document", File: &File{Size: 0}},
		{Chat: private, Media: "document", File: &File{Size: MaxFileSize + 1}},
		{Chat: private, Media: "document", File: &File{Size: 10, Attr: "sticker"}},
		{Chat: private, Text: "no media", File: &File{Size: 10}},
	} {
		if _, err := shared.SendMessage(ctx, m); !errors.Is(err, ErrInvalid) {
			t.Errorf("SendMessage(%+v) = %v, want ErrInvalid", m.File, err)
		}
	}
}

func TestGetChannelMessages(t *testing.T) {
	ctx := testCtx(t)
	ch, err := shared.CreateChat(schema.PeerChannel, "files", newTestUser(t))
	if err != nil {
		t.Fatal(err)
	}
	id, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: ch, Media: "document", File: &File{Size: 4096}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := mainAPI.ChannelsGetMessages(ctx, &tg.ChannelsGetMessagesRequest{Channel: inputChannelOf(ch),
		ID: []tg.InputMessageClass{&tg.InputMessageID{ID: id}, &tg.InputMessageID{ID: id + 100}}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := res.(*tg.MessagesChannelMessages).Messages
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if m, ok := msgs[0].(*tg.Message); !ok || m.ID != id || m.Media.(*tg.MessageMediaDocument).Document.(*tg.Document).Size != 4096 {
		t.Errorf("first message %v", msgs[0])
	}
	if _, ok := msgs[1].(*tg.MessageEmpty); !ok {
		t.Errorf("missing message as %T, want messageEmpty", msgs[1])
	}
	_, err = mainAPI.ChannelsGetMessages(ctx, &tg.ChannelsGetMessagesRequest{Channel: &tg.InputChannel{ChannelID: ch.ID, AccessHash: 1},
		ID: []tg.InputMessageClass{&tg.InputMessageID{ID: id}}})
	wantRPCError(t, err, "CHANNEL_INVALID")
}

// A file on the second DC: its document says DC 4, upload.getFile on the
// home DC answers FILE_MIGRATE_4, and gotd's client exports its
// authorization to DC 4 once and downloads the file there.
func TestFileOnSecondDC(t *testing.T) {
	ctx := testCtx(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	const size = 1<<20 + 4321
	id, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Media: "document",
		File: &File{Size: size, DC: MediaDC}})
	if err != nil {
		t.Fatal(err)
	}
	loc, doc := docLocation(t, fetchMedia(t, id))
	if doc.DCID != MediaDC {
		t.Fatalf("document dc_id %d, want %d", doc.DCID, MediaDC)
	}
	want, err := shared.MessageFile(ctx, "main", private, id)
	if err != nil {
		t.Fatal(err)
	}
	if want.DC != MediaDC {
		t.Errorf("MessageFile DC %d, want %d", want.DC, MediaDC)
	}
	before := shared.Calls("main")
	for range 2 {
		got, n, err := download(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		if n != size || got != want.SHA256 {
			t.Errorf("downloaded %d bytes sha256 %s, want %d %s", n, got, size, want.SHA256)
		}
	}
	after := shared.Calls("main")
	shared.dcs.mu.Lock()
	onDC4 := slices.Collect(maps.Values(shared.dcs.keys[MediaDC]))
	shared.dcs.mu.Unlock()
	if !slices.Contains(onDC4, "main") {
		t.Errorf("accounts authorized on DC 4: %v, want main", onDC4)
	}
	// The first part is asked on the home DC (FILE_MIGRATE_4), then on DC 4;
	// the authorization is exported once and the DC 4 connection reused.
	if n := after["auth.exportAuthorization"] - before["auth.exportAuthorization"]; n > 1 {
		t.Errorf("auth.exportAuthorization called %d times, want at most 1 (connection reused)", n)
	}
	if n := after["upload.getFile"] - before["upload.getFile"]; n < 4 {
		t.Errorf("upload.getFile counted %d times for two downloads of 3 parts, want them counted for the account on DC 4", n)
	}
	if err := checkFileDC(MediaDC, dcID); !tgerr.Is(err, "FILE_MIGRATE") {
		t.Errorf("getFile on the home DC for a DC 4 file: %v, want FILE_MIGRATE_4", err)
	} else if e, _ := tgerr.As(err); e.Argument != MediaDC {
		t.Errorf("FILE_MIGRATE argument %d, want %d", e.Argument, MediaDC)
	}
	if _, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Media: "document", File: &File{Size: 10, DC: 3}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("file on DC 3: %v, want ErrInvalid", err)
	}
}
