package egress

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gotd/td/telegram/downloader"
	"github.com/gotd/td/telegram/uploader"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
)

// Files: media.download streams a file from Telegram (gotd's downloader,
// upload.getFile in 512 KiB parts) into the account's Object Store bucket;
// media.send with media.object streams an object to Telegram (gotd's
// uploader: saveFilePart, saveBigFilePart above 10 MiB). Neither holds a
// file in memory: bytes flow through a pipe, a part at a time.
//
// Crash safety: the Object Store writes an object's chunks first and its
// info (name, size, digest) last; until that final info message the name
// is not found, so a transfer cut short, by an error or a SIGKILL, never
// looks complete. A failed Put purges its chunks; a killed process leaves
// them unnamed (they age out with the bucket's TTL). The redelivered
// command downloads again from the start, unless the file is large enough
// to be staged on disk (Files.ResumeBytes, partial.go): then it resumes
// from the last whole part staged. An expired file reference is refreshed in place (freshRefs): the
// download goes on from the part that failed. An upload cut short sends
// no message; one of at least Files.ResumeBytes resumes from the parts
// Telegram confirmed (upresume.go).

// FileAPI is the part of Telegram's API files take: downloads, uploads and
// the fetch of a message whose file reference expired. *tg.Client
// satisfies it.
type FileAPI interface {
	downloader.Client
	uploader.Client
	MessagesGetMessages(ctx context.Context, id []tg.InputMessageClass) (tg.MessagesMessagesClass, error)
	ChannelsGetMessages(ctx context.Context, req *tg.ChannelsGetMessagesRequest) (tg.MessagesMessagesClass, error)
}

var _ FileAPI = (*tg.Client)(nil)

// Defaults of FilesConfig.
const (
	DefaultFilesDeadline       = 30 * time.Minute
	DefaultFilesMaxUploadBytes = 2000 << 20 // Telegram's limit for accounts without premium
	// bigFileThreshold is the size above which uploads use saveBigFilePart.
	bigFileThreshold = 10 << 20
)

// FilesConfig configures the Object Store bucket of files.
type FilesConfig struct {
	// Bucket is the Object Store bucket (default TG_<ACCOUNT>_FILES).
	Bucket string
	// TTL is how long objects are kept (0: forever); MaxBytes bounds the
	// bucket (0: no bound); Replicas its replicas (default 1).
	TTL      time.Duration
	MaxBytes int64
	Replicas int
	// Deadline bounds one media.download or media.send (default 30 min),
	// in place of Config.DeadlinePerCommand.
	Deadline time.Duration
	// MaxUploadBytes bounds the object media.send sends (default 2000 MiB).
	MaxUploadBytes int64
	// Auto configures the automatic download (PrepareFile, autodl.go).
	Auto AutoDownloadConfig
	// ProgressBytes is the size from which a transfer sends live progress
	// signals (0: none; progress.go).
	ProgressBytes int64
	// ResumeBytes is the size from which a download is staged in
	// PartialDir and resumed after a crash (0 or no PartialDir: none;
	// partial.go), and an upload resumed from the parts Telegram
	// confirmed (upresume.go).
	ResumeBytes int64
	PartialDir  string
}

func (c *FilesConfig) setDefaults(account string) {
	if c.Bucket == "" {
		c.Bucket = schema.FilesBucketName(account)
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Deadline == 0 {
		c.Deadline = DefaultFilesDeadline
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultFilesMaxUploadBytes
	}
	c.Auto.setDefaults()
}

// deadline is how long the command name may take.
func (e *Egress) deadline(name string) time.Duration {
	if name == schema.CommandMediaDownload || name == schema.CommandMediaSend {
		return max(e.cfg.Files.Deadline, e.cfg.DeadlinePerCommand)
	}
	return e.cfg.DeadlinePerCommand
}

// fileStore returns the bucket of files, created or updated on first use.
type fileStore struct {
	mu    sync.Mutex
	store jetstream.ObjectStore
	// staging holds the staged files being written, each closed when
	// done (lockPartial).
	staging map[string]chan struct{}
}

func (e *Egress) objectStore(ctx context.Context) (jetstream.ObjectStore, error) {
	e.files.mu.Lock()
	defer e.files.mu.Unlock()
	if e.files.store != nil {
		return e.files.store, nil
	}
	f := e.cfg.Files
	st, err := e.cfg.JS.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      f.Bucket,
		Description: "tgnats files of account " + e.cfg.Account,
		TTL:         f.TTL,
		MaxBytes:    f.MaxBytes,
		Storage:     jetstream.FileStorage,
		Replicas:    f.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("files bucket %s: %w", f.Bucket, err)
	}
	e.files.store = st
	return st, nil
}

// bucketGone forgets the bucket when err says it may no longer exist
// (deleted by an operator; a direct get of a deleted stream finds no
// responders): the next attempt creates it again, or fails as this one.
func (e *Egress) bucketGone(err error) {
	if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, nats.ErrNoResponders) {
		e.files.mu.Lock()
		e.files.store = nil
		e.files.mu.Unlock()
	}
}

// fileAPI returns the API of files, or an error naming what is missing.
func (e *Egress) fileAPI() (FileAPI, error) {
	if e.cfg.FileAPI != nil {
		return e.cfg.FileAPI, nil
	}
	if f, ok := e.cfg.API.(FileAPI); ok {
		return f, nil
	}
	return nil, schema.NewCommandError(schema.CodeInternal, "files are not served: no file API configured")
}

// remoteFile is a file on Telegram: where to download it and what it is.
type remoteFile struct {
	loc  tg.InputFileLocationClass
	kind string // "photo" or "document"
	id   int64
	size int64
	mime string
	name string
}

// fileOf finds the file of media at size thumb ("": the file itself, a
// photo's largest size).
func fileOf(media tg.MessageMediaClass, thumb string) (remoteFile, error) {
	switch m := media.(type) {
	case *tg.MessageMediaPhoto:
		p, ok := m.Photo.(*tg.Photo)
		if !ok {
			break
		}
		size, typ, best := int64(-1), "", -1
		for _, s := range p.Sizes {
			var t string
			var n, area int
			switch s := s.(type) {
			case *tg.PhotoSize:
				t, n, area = s.Type, s.Size, s.W*s.H
			case *tg.PhotoSizeProgressive:
				if len(s.Sizes) > 0 {
					t, n, area = s.Type, s.Sizes[len(s.Sizes)-1], s.W*s.H
				}
			}
			if t == "" {
				continue
			}
			if thumb == t || thumb == "" && area > best {
				size, typ, best = int64(n), t, area
			}
		}
		if typ == "" {
			return remoteFile{}, schema.NewCommandError(schema.CodeNoMedia, "the photo has no size %q", thumb)
		}
		return remoteFile{
			loc:  &tg.InputPhotoFileLocation{ID: p.ID, AccessHash: p.AccessHash, FileReference: p.FileReference, ThumbSize: typ},
			kind: "photo", id: p.ID, size: size, mime: "image/jpeg", name: "photo_" + strconv.FormatInt(p.ID, 10) + ".jpg",
		}, nil
	case *tg.MessageMediaDocument:
		d, ok := m.Document.(*tg.Document)
		if !ok {
			break
		}
		f := remoteFile{
			loc:  &tg.InputDocumentFileLocation{ID: d.ID, AccessHash: d.AccessHash, FileReference: d.FileReference, ThumbSize: thumb},
			kind: "document", id: d.ID, size: d.Size, mime: d.MimeType,
		}
		for _, a := range d.Attributes {
			if fn, ok := a.(*tg.DocumentAttributeFilename); ok {
				f.name = fn.FileName
			}
		}
		if thumb != "" {
			f.size, f.mime, f.name = -1, "image/jpeg", ""
			for _, s := range d.Thumbs {
				if ps, ok := s.(*tg.PhotoSize); ok && ps.Type == thumb {
					f.size = int64(ps.Size)
				}
			}
			if f.size < 0 {
				return remoteFile{}, schema.NewCommandError(schema.CodeNoMedia, "the document has no thumbnail %q", thumb)
			}
		}
		return f, nil
	}
	return remoteFile{}, schema.NewCommandError(schema.CodeNoMedia, "the message has no photo or document")
}

// objectName is the deterministic object name of a download: by message
// "<account>/<peer kind>/<peer id>/<message id>", by file_ref
// "<photo|document>/<media id>", with "/<thumb>" for a thumbnail.
func (e *Egress) objectName(cmd *schema.DownloadMedia, t *target, ref *tgconv.FileRef) string {
	var name string
	if t != nil {
		name = fmt.Sprintf("%s/%s/%d/%d", e.cfg.Account, t.peer.Kind, t.peer.ID, cmd.MessageID)
	} else {
		name = fmt.Sprintf("%s/%d", ref.Kind, ref.ID)
	}
	if cmd.Thumb != "" {
		name += "/" + cmd.Thumb
	}
	return name
}

// Object metadata keys set by media.download.
const (
	metaMime = "mime"
	metaName = "file_name"
)

// fileOutput is the result of a stored object.
func fileOutput(info *jetstream.ObjectInfo, cached bool) (*schema.CommandOutput, error) {
	sum, err := digestHex(info.Digest)
	if err != nil {
		return nil, err
	}
	return &schema.CommandOutput{File: &schema.FileObject{
		Bucket: info.Bucket, Object: info.Name, Size: int64(info.Size),
		Mime: info.Metadata[metaMime], Name: info.Metadata[metaName],
		SHA256: sum, Digest: info.Digest, Cached: cached,
	}}, nil
}

// digestHex turns the Object Store's "SHA-256=<base64url>" into hex.
func digestHex(d string) (string, error) {
	b64, ok := strings.CutPrefix(d, "SHA-256=")
	if !ok {
		return "", fmt.Errorf("object digest %q: not SHA-256", d)
	}
	b, err := base64.URLEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("object digest %q: %w", d, err)
	}
	return hex.EncodeToString(b), nil
}

func (e *Egress) downloadMedia(ctx context.Context, c *command, cmd *schema.DownloadMedia, ts []target) (*schema.CommandOutput, error) {
	api, err := e.fileAPI()
	if err != nil {
		return nil, err
	}
	var t *target
	var ref tgconv.FileRef
	if len(ts) > 0 {
		t = &ts[0]
	} else {
		ref, err = tgconv.ParseFileRef(cmd.FileRef)
		if err != nil {
			return nil, schema.NewCommandError(schema.CodeInvalidArgument, "file_ref: not a file_ref from an event")
		}
	}
	var byRef *tgconv.FileRef
	if t == nil {
		byRef = &ref
	}
	return e.storeFile(ctx, c, api, e.objectName(cmd, t, &ref), t, cmd.MessageID, byRef, cmd.Thumb, fileHint{})
}

// storeFile stores a file under object name, unless the bucket holds it
// already: the file of message msgID of t, or the file of ref (tried first
// when both are given; a message is fetched again for a fresh reference
// when it expired). hint names what a reference does not tell.
func (e *Egress) storeFile(ctx context.Context, c *command, api FileAPI, name string, t *target, msgID int, ref *tgconv.FileRef, thumb string, hint fileHint) (*schema.CommandOutput, error) {
	store, err := e.objectStore(ctx)
	if err != nil {
		return nil, err
	}
	if info, err := e.storedObject(ctx, c, store, name); err != nil || info != nil {
		return cachedOutput(info, err)
	}

	var f remoteFile
	if ref != nil {
		f = remoteFile{kind: ref.Kind.String(), id: ref.ID, size: -1}
		switch ref.Kind {
		case tgconv.FilePhoto:
			f.mime, f.name = "image/jpeg", "photo_"+strconv.FormatInt(ref.ID, 10)+".jpg"
			f.loc = &tg.InputPhotoFileLocation{ID: ref.ID, AccessHash: ref.AccessHash, FileReference: ref.FileReference, ThumbSize: cmp.Or(thumb, ref.ThumbSize)}
		default:
			f.loc = &tg.InputDocumentFileLocation{ID: ref.ID, AccessHash: ref.AccessHash, FileReference: ref.FileReference, ThumbSize: thumb}
			f.mime, f.name = hint.mime, hint.name
		}
	}
	// byMessage fetches the message for its file, with a fresh reference.
	byMessage := func(ctx context.Context) (remoteFile, error) {
		media, err := e.fetchMedia(ctx, c, api, *t, msgID)
		if err != nil {
			return remoteFile{}, err
		}
		return fileOf(media, thumb)
	}
	if ref == nil {
		if f, err = byMessage(ctx); err != nil {
			return nil, err
		}
	}
	// One transfer of a name at a time in this process (its staged file's
	// path is the key, whether or not it is staged): a download of a name
	// that another (an rpc command, an automatic download) is transferring
	// waits for it and answers its object, cached.
	unlock, err := e.lockPartial(ctx, e.partialPath(name))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if info, err := e.storedObject(ctx, c, store, name); err != nil || info != nil {
		return cachedOutput(info, err)
	}
	var peer schema.PeerRef
	if t != nil {
		peer = t.peer.Ref()
	}
	for restarted := false; ; restarted = true {
		if f.size < 0 && hint.size > 0 {
			f.size = hint.size
		}
		// A download by message refreshes an expired reference in place:
		// the parts stored stay and the download goes on (partCalls).
		var refs *freshRefs
		if t != nil {
			refs = &freshRefs{e: e, c: c, locate: byMessage, loc: f.loc, kind: f.kind, id: f.id}
		}
		put := e.putDownload
		if e.stageable(c, name, f) {
			put = e.putStaged
		}
		info, err := put(ctx, c, api, store, name, f, peer, refs)
		if err == nil {
			return fileOutput(info, false)
		}
		changed := refs.changedFile()
		if changed == nil || restarted {
			return nil, err
		}
		// The message holds another file now (edited): download that one
		// from the start.
		f = *changed
	}
}

// storedObject returns the info of object name when the bucket holds it
// whole, nil when it holds no such object or only an info message whose
// chunks are gone (see chunksStored: it is downloaded again).
func (e *Egress) storedObject(ctx context.Context, c *command, store jetstream.ObjectStore, name string) (*jetstream.ObjectInfo, error) {
	info, err := store.GetInfo(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, nil
	}
	if err != nil {
		e.bucketGone(err)
		return nil, fmt.Errorf("look up object %s: %w", name, err)
	}
	whole, err := chunksStored(ctx, e.cfg.JS, e.cfg.Files.Bucket, info)
	if err != nil {
		return nil, err
	}
	if !whole {
		e.log.Warn("the stored object's chunks are gone; downloading it again", "command_id", c.id, "object", name)
		return nil, nil
	}
	return info, nil
}

// cachedOutput is the result of an object found stored, or err.
func cachedOutput(info *jetstream.ObjectInfo, err error) (*schema.CommandOutput, error) {
	if err != nil {
		return nil, err
	}
	return fileOutput(info, true)
}

// maxRefreshes bounds the fresh references one download fetches: a
// reference that keeps expiring fails the download instead of looping.
const maxRefreshes = 3

// freshRefs holds the location of a download by message with its newest
// file reference. When a part answers FILE_REFERENCE_EXPIRED the first
// part to see it fetches the message again (once for all the parts in
// flight) and every part goes on with the new reference.
type freshRefs struct {
	e      *Egress
	c      *command
	locate func(context.Context) (remoteFile, error)
	kind   string
	id     int64

	mu      sync.Mutex
	loc     tg.InputFileLocationClass
	gen     int         // refreshes done
	changed *remoteFile // the message's file is another one now
}

// location returns the location with the newest reference and its
// generation.
func (r *freshRefs) location() (tg.InputFileLocationClass, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loc, r.gen
}

// refresh returns a location with a newer reference than generation gen
// had, fetching the message unless another part has already done so. It
// returns nil when no fresh reference is to be had (too many refreshes, or
// the message holds another file).
func (r *freshRefs) refresh(ctx context.Context, gen int) (tg.InputFileLocationClass, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen {
		return r.loc, r.gen, nil
	}
	if r.gen >= maxRefreshes || r.changed != nil {
		return nil, r.gen, nil
	}
	r.e.log.Debug("file reference expired; fetching the message again", "command_id", r.c.id, "refresh", r.gen+1)
	f, err := r.locate(ctx)
	if err != nil {
		return nil, r.gen, err
	}
	if f.kind != r.kind || f.id != r.id {
		r.changed = &f
		return nil, r.gen, nil
	}
	loc := withReference(r.loc, fileReference(f.loc))
	if loc == nil {
		return nil, r.gen, nil
	}
	r.loc, r.gen = loc, r.gen+1
	return r.loc, r.gen, nil
}

// changedFile is the file the message holds now when it is not the one
// downloaded (nil for none, and for r nil).
func (r *freshRefs) changedFile() *remoteFile {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// fileReference is the file reference of loc.
func fileReference(loc tg.InputFileLocationClass) []byte {
	switch l := loc.(type) {
	case *tg.InputDocumentFileLocation:
		return l.FileReference
	case *tg.InputPhotoFileLocation:
		return l.FileReference
	}
	return nil
}

// withReference returns a copy of loc with file reference ref (nil for a
// location without one).
func withReference(loc tg.InputFileLocationClass, ref []byte) tg.InputFileLocationClass {
	switch l := loc.(type) {
	case *tg.InputDocumentFileLocation:
		n := *l
		n.FileReference = ref
		return &n
	case *tg.InputPhotoFileLocation:
		n := *l
		n.FileReference = ref
		return &n
	}
	return nil
}

// fileHint is the mime type, file name and size of a document an event
// told.
type fileHint struct {
	mime, name string
	size       int64
}

// fetchMedia fetches message id of t and returns its media.
func (e *Egress) fetchMedia(ctx context.Context, c *command, api FileAPI, t target, id int) (tg.MessageMediaClass, error) {
	ids := []tg.InputMessageClass{&tg.InputMessageID{ID: id}}
	var res tg.MessagesMessagesClass
	var err error
	if t.peer.Kind == schema.PeerChannel {
		res, err = invoke(ctx, e, c, t.chatKey(), api.ChannelsGetMessages, &tg.ChannelsGetMessagesRequest{Channel: t.channel(), ID: ids})
	} else {
		res, err = invoke(ctx, e, c, t.chatKey(), api.MessagesGetMessages, ids)
	}
	if err != nil {
		return nil, err
	}
	var msgs []tg.MessageClass
	switch r := res.(type) {
	case *tg.MessagesMessages:
		msgs = r.Messages
	case *tg.MessagesMessagesSlice:
		msgs = r.Messages
	case *tg.MessagesChannelMessages:
		msgs = r.Messages
	}
	for _, m := range msgs {
		msg, ok := m.(*tg.Message)
		if !ok || msg.ID != id {
			continue
		}
		// A private chat or basic group shares one id space: the message
		// must be in the chat the command named.
		if ref, err := tgconv.Peer(msg.PeerID); t.peer.Kind != schema.PeerChannel && (err != nil || ref != t.peer.Ref()) {
			break
		}
		if msg.Media == nil {
			return nil, schema.NewCommandError(schema.CodeNoMedia, "message %d has no media", id)
		}
		return msg.Media, nil
	}
	return nil, schema.NewCommandError(schema.CodeMessageNotFound, "message %d not found in %s", id, t.peer.Ref())
}

// putDownload streams f from Telegram into object name of store,
// reporting its progress on peer's subject.
func (e *Egress) putDownload(ctx context.Context, c *command, api FileAPI, store jetstream.ObjectStore, name string, f remoteFile, peer schema.PeerRef, refs *freshRefs) (*jetstream.ObjectInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	e.metrics.transfers.WithLabelValues("download").Inc()
	defer e.metrics.transfers.WithLabelValues("download").Dec()
	prog := e.newProgress(c, peer, "download", name, f.size)
	bytesDown := e.metrics.fileBytes.WithLabelValues("download")
	counted := &byteCounter{w: pw, add: func(n float64) { bytesDown.Add(n); prog.add(int64(n)) }}
	ordered := newOrderedWriter(counted, downloadWindow)
	c.called = true
	go func() {
		_, err := downloader.NewDownloader().WithPartSize(downloadPartSize).Download(partCalls{e: e, c: c, FileAPI: api, gate: ordered, refs: refs}, f.loc).
			WithThreads(downloadThreads).Parallel(ctx, ordered)
		if err == nil {
			err = ordered.complete()
		}
		_ = pw.CloseWithError(err)
		done <- err
	}()
	meta := jetstream.ObjectMeta{Name: name, Description: f.kind + " " + strconv.FormatInt(f.id, 10),
		Metadata: map[string]string{metaMime: f.mime}}
	if f.name != "" {
		meta.Metadata[metaName] = f.name
	}
	info, err := putObject(ctx, e.cfg.JS, store, e.cfg.Files.Bucket, meta, pr)
	_ = pr.CloseWithError(errors.Join(err, io.ErrClosedPipe))
	dlErr := <-done
	if dlErr != nil {
		return nil, fmt.Errorf("download %s %d: %w", f.kind, f.id, dlErr)
	}
	if err != nil {
		return nil, fmt.Errorf("put object %s: %w", name, err)
	}
	prog.done()
	return info, nil
}

// byteCounter counts the bytes written through it.
type byteCounter struct {
	w   io.Writer
	add func(float64)
}

func (b *byteCounter) Write(p []byte) (int, error) {
	n, err := b.w.Write(p)
	b.add(float64(n))
	return n, err
}

// partCalls passes file part calls to Telegram and waits out a FLOOD_WAIT
// in place while the command's deadline allows (a restart would lose the
// parts done). Parts are not held to the message rate limits: Telegram
// limits file parts apart from messages.
type partCalls struct {
	e *Egress
	c *command
	FileAPI
	// gate, for downloads, holds back a part too far ahead of the bytes
	// written so far.
	gate *orderedWriter
	// refs, for downloads by message, refreshes an expired reference.
	refs *freshRefs
	// staged, for a resumed download, answers the parts staged already.
	staged *stagedParts
}

func floodRetry[Req, Res any](ctx context.Context, p partCalls, method func(context.Context, Req) (Res, error), req Req) (Res, error) {
	for {
		res, err := method(ctx, req)
		d, ok := tgerr.AsFloodWait(err)
		if !ok || p.e.cfg.Now().Add(d).After(p.c.deadline) {
			return res, err
		}
		p.e.metrics.floodWait.WithLabelValues("files").Add(d.Seconds())
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(d):
		}
	}
}

func (p partCalls) UploadGetFile(ctx context.Context, req *tg.UploadGetFileRequest) (tg.UploadFileClass, error) {
	if p.gate != nil {
		if err := p.gate.wait(ctx, req.Offset); err != nil {
			return nil, err
		}
	}
	if res, ok, err := p.staged.part(req); ok {
		return res, err
	}
	if p.refs == nil {
		return floodRetry(ctx, p, p.FileAPI.UploadGetFile, req)
	}
	// A part asks with the newest reference; one that expired is refreshed
	// and the part asked for again: the parts done stay done.
	loc, gen := p.refs.location()
	for {
		r := *req
		r.Location = loc
		res, err := floodRetry(ctx, p, p.FileAPI.UploadGetFile, &r)
		if !tgerr.Is(err, "FILE_REFERENCE_EXPIRED") {
			return res, err
		}
		var rerr error
		if loc, gen, rerr = p.refs.refresh(ctx, gen); rerr != nil {
			return nil, rerr
		} else if loc == nil {
			return nil, err
		}
	}
}

// Downloads fetch downloadThreads parts at once (gotd's parallel
// downloader) and write them in order into the Object Store: parts that
// arrive early wait in an orderedWriter, and a part more than
// downloadWindow bytes ahead of those written is not requested yet, so a
// download holds at most about downloadWindow bytes whatever its size.
const (
	downloadPartSize = 1 << 20 // Telegram's largest part: the fewest calls
	downloadThreads  = 4
	downloadWindow   = 2 * downloadThreads * downloadPartSize
)

// orderedWriter turns the WriteAt of parallel parts into sequential
// writes to w, buffering parts that arrive before their turn.
type orderedWriter struct {
	w      io.Writer
	window int64

	mu      sync.Mutex
	next    int64            // offset of the next byte to write
	pending map[int64][]byte // parts that came early, by offset
	moved   chan struct{}    // closed and replaced when next advances
	err     error
}

func newOrderedWriter(w io.Writer, window int64) *orderedWriter {
	return &orderedWriter{w: w, window: window, pending: map[int64][]byte{}, moved: make(chan struct{})}
}

// WriteAt implements io.WriterAt; it never waits for an earlier part
// (gotd's write loop would then hold the part it waits for).
func (o *orderedWriter) WriteAt(p []byte, off int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return 0, o.err
	}
	if off != o.next {
		o.pending[off] = bytes.Clone(p)
		return len(p), nil
	}
	for part := p; ; {
		if _, err := o.w.Write(part); err != nil {
			o.err = err
			return 0, err
		}
		o.next += int64(len(part))
		var ok bool
		if part, ok = o.pending[o.next]; !ok {
			break
		}
		delete(o.pending, o.next)
	}
	close(o.moved)
	o.moved = make(chan struct{})
	return len(p), nil
}

// wait returns once a part at off is within the window of the bytes
// written.
func (o *orderedWriter) wait(ctx context.Context, off int64) error {
	for {
		o.mu.Lock()
		ok, moved := off < o.next+o.window, o.moved
		o.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// complete reports parts left unwritten: a gap in what was downloaded.
func (o *orderedWriter) complete() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.pending) > 0 {
		return fmt.Errorf("download: %d parts after a gap at byte %d", len(o.pending), o.next)
	}
	return nil
}

func (p partCalls) UploadSaveFilePart(ctx context.Context, req *tg.UploadSaveFilePartRequest) (bool, error) {
	return floodRetry(ctx, p, p.FileAPI.UploadSaveFilePart, req)
}

func (p partCalls) UploadSaveBigFilePart(ctx context.Context, req *tg.UploadSaveBigFilePartRequest) (bool, error) {
	return floodRetry(ctx, p, p.FileAPI.UploadSaveBigFilePart, req)
}

// Uploads send parts of 512 KiB, Telegram's largest (its 4000 parts then
// hold 2000 MiB; gotd's default of 128 KiB stops at 500 MiB), 4 at once.
const uploadThreads = 4

// uploadObject streams object name of the files bucket to Telegram and
// returns the uploaded file with the object's size and metadata; an object
// of at least Files.ResumeBytes resumes an upload cut short (upresume.go).
func (e *Egress) uploadObject(ctx context.Context, c *command, name string, peer schema.PeerRef) (*objectUpload, error) {
	api, err := e.fileAPI()
	if err != nil {
		return nil, err
	}
	store, err := e.objectStore(ctx)
	if err != nil {
		return nil, err
	}
	var linked jetstream.ObjectResult // the open object a link leads to
	defer func() {
		if linked != nil {
			_ = linked.Close()
		}
	}()
	info, err := store.GetInfo(ctx, name)
	isLink := err == nil && info.Opts != nil && info.Opts.Link != nil
	if isLink {
		// A link: the Object Store's Get follows it.
		linked, err = store.Get(ctx, name)
		if err == nil {
			info, err = linked.Info()
		}
	}
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, schema.NewCommandError(schema.CodeObjectNotFound, "media.object: no object %q in bucket %s", name, e.cfg.Files.Bucket)
	}
	if err != nil {
		e.bucketGone(err)
		return nil, fmt.Errorf("get object %s: %w", name, err)
	}
	if info.Size == 0 {
		return nil, schema.NewCommandError(schema.CodeInvalidArgument, "media.object: object %q is empty", name)
	}
	if int64(info.Size) > e.cfg.Files.MaxUploadBytes {
		return nil, schema.NewCommandError(schema.CodeFileTooLarge, "media.object: %d bytes, at most %d (files.max_upload_bytes)", info.Size, e.cfg.Files.MaxUploadBytes)
	}
	// open reads the object from its start.
	open := func() (io.Reader, func(), error) {
		if r := linked; r != nil {
			linked = nil
			return r, func() { _ = r.Close() }, nil
		}
		if isLink {
			r, err := store.Get(ctx, name)
			if err != nil {
				return nil, nil, fmt.Errorf("get object %s: %w", name, err)
			}
			return r, func() { _ = r.Close() }, nil
		}
		chunks, err := openChunks(ctx, e.cfg.JS, e.cfg.Files.Bucket, info)
		if err != nil {
			e.bucketGone(err)
			return nil, nil, err
		}
		return chunks, chunks.Close, nil
	}
	e.metrics.transfers.WithLabelValues("upload").Inc()
	defer e.metrics.transfers.WithLabelValues("upload").Dec()
	c.called = true
	fileName := info.Metadata[metaName]
	if fileName == "" {
		fileName = name[strings.LastIndexByte(name, '/')+1:]
	}
	prog := e.newProgress(c, peer, "upload", name, int64(info.Size))
	bytesUp := e.metrics.fileBytes.WithLabelValues("upload")
	counted := func(r io.Reader) io.Reader {
		return io.TeeReader(r, &byteCounter{w: io.Discard, add: func(n float64) { bytesUp.Add(n); prog.add(int64(n)) }})
	}
	if e.resumableUpload(int64(info.Size)) {
		u, err := e.uploadObjectResumable(ctx, c, api, info, fileName, open, prog.add, counted)
		if u != nil || err != nil {
			if err != nil {
				return nil, fmt.Errorf("upload object %s: %w", name, err)
			}
			prog.done()
			return u, nil
		}
	}
	src, closeSrc, err := open()
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	up := uploader.NewUploader(partCalls{e: e, c: c, FileAPI: api}).WithPartSize(uploadPartSize).WithThreads(uploadThreads)
	f, err := up.Upload(ctx, uploader.NewUpload(fileName, counted(src), int64(info.Size)))
	if err != nil {
		return nil, fmt.Errorf("upload object %s: %w", name, err)
	}
	prog.done()
	return &objectUpload{file: f, info: info}, nil
}

// uploadObjectResumable uploads the object info describes, resuming from
// its sidecar (upresume.go); nil and no error when another command of this
// process is uploading it already (the caller then uploads it afresh).
func (e *Egress) uploadObjectResumable(ctx context.Context, c *command, api FileAPI, info *jetstream.ObjectInfo, fileName string,
	open func() (io.Reader, func(), error), skipped func(int64), counted func(io.Reader) io.Reader) (*objectUpload, error) {
	path := e.upStatePath(info)
	unlock, ok := e.tryLockPartial(path)
	if !ok {
		return nil, nil
	}
	if err := preparePartialDir(e.cfg.Files.PartialDir, e.cfg.Files.Deadline, e.cfg.Now()); err != nil {
		unlock()
		return nil, err
	}
	size := int64(info.Size)
	parts := int((size + uploadPartSize - 1) / uploadPartSize)
	save := func(st upState) error { return writeUpState(path, st) }
	for restarted := false; ; restarted = true {
		st, resumed := readUpState(path, parts)
		if !resumed {
			st = upState{FileID: randomFileID(), PartSize: uploadPartSize, Parts: parts}
			if err := save(st); err != nil {
				unlock()
				return nil, err
			}
		} else if st.Done > 0 {
			e.log.Info("resuming an upload from the parts Telegram confirmed", "command_id", c.id, "object", info.Name, "parts_done", st.Done, "parts", parts)
		}
		src, closeSrc, err := open()
		if err != nil {
			unlock()
			return nil, err
		}
		err = e.uploadResumable(ctx, c, api, src, size, st, skipped, counted, save)
		closeSrc()
		if err == nil {
			return &objectUpload{file: &tg.InputFileBig{ID: st.FileID, Parts: parts, Name: fileName}, info: info,
				state: path, resumed: resumed && st.Done > 0, unlock: unlock}, nil
		}
		if !partsExpired(err) || !resumed || restarted {
			unlock()
			return nil, err
		}
		// Telegram no longer has the parts: start over under a new file_id.
		e.log.Info("the parts of an upload expired; starting it over", "command_id", c.id, "object", info.Name, "error", err)
		_ = os.Remove(path)
	}
}
