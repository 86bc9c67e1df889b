package egress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// Automatic download (files.auto_download, DESIGN.md §8): the file of an
// incoming message is stored in the files bucket before its
// message.created event is published, and the event names the object.
//
//   - At mapping time (ingest, before the outbox commit) AutoDownloadMark
//     names the object in the event's media.file, by the message (the name
//     media.download by message gives it), and marks the outbox record
//     with the schema.HeaderFileObject header. The event's id and body are
//     then fixed in the outbox: a crash and restart publishes the same.
//   - At publish time the publisher hands each marked record to
//     PrepareFile (publisher.Config.Prepare) and publishes it once that
//     returns; meanwhile the record's chat waits, others go on.
//     PrepareFile stores the file unless the bucket holds it already (a
//     repeat after a crash finds it), retrying transient failures with a
//     backoff for at most AutoDownloadConfig.Wait. If the file cannot be
//     stored for good (the message is gone, a 400 from Telegram) or not
//     within Wait, the event is published without media.file and with
//     media.file_error saying why, and counted in
//     tgnats_auto_downloads_total{result="failed"|"timeout"}: an event
//     is never dropped, and never names an object that is not stored.
//
// Limit: the decision to publish without the object is not stored; after
// a crash between that decision and the ack, the next run tries again and
// may publish the event with its object. Nats-Msg-Id keeps one of the two
// in the stream, whichever was acknowledged first.

// AutoDownloadConfig configures the automatic download of incoming media.
// No kinds: off.
type AutoDownloadConfig struct {
	// Kinds are the media types downloaded: photo, document, video, audio,
	// voice, video_note, sticker, animation.
	Kinds []string
	// MaxBytes is the largest file downloaded (default 20 MiB).
	MaxBytes int64
	// Wait bounds the time an event waits for its file, retries included
	// (default 2 min).
	Wait time.Duration
	// Parallel is the most automatic downloads at once (default 4); the
	// wait of an event starts when its download does.
	Parallel int
}

// Defaults of AutoDownloadConfig.
const (
	DefaultAutoDownloadMaxBytes = 20 << 20
	DefaultAutoDownloadWait     = 2 * time.Minute
	defaultAutoDownloadParallel = 4
)

func (c *AutoDownloadConfig) setDefaults() {
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultAutoDownloadMaxBytes
	}
	if c.Wait == 0 {
		c.Wait = DefaultAutoDownloadWait
	}
	if c.Parallel == 0 {
		c.Parallel = defaultAutoDownloadParallel
	}
}

// AutoDownloadMark returns the function the ingest engine calls on each
// event before it commits it (ingest.EngineConfig.MarkFile), or nil when
// cfg names no kinds. For a message.created whose media is of one of the
// kinds, has a file_ref and is at most MaxBytes, it sets Media.File to the
// object the file will be stored in (bucket "" is TG_<ACCOUNT>_FILES) and
// returns the object's name; otherwise "".
func AutoDownloadMark(account, bucket string, cfg AutoDownloadConfig) func(*schema.Event) string {
	if len(cfg.Kinds) == 0 {
		return nil
	}
	cfg.setDefaults()
	if bucket == "" {
		bucket = schema.FilesBucketName(account)
	}
	return func(ev *schema.Event) string {
		if ev.Kind != schema.KindMessage || ev.Action != schema.ActionCreated || ev.MessageID <= 0 || !ev.Peer.Kind.Valid() {
			return ""
		}
		m, ok := ev.Data.(*schema.Message)
		if !ok || m.Media == nil || m.Media.FileRef == "" || m.Media.Size > cfg.MaxBytes || !slices.Contains(cfg.Kinds, m.Media.Type) {
			return ""
		}
		name := messageObject(account, ev.Peer, ev.MessageID)
		m.Media.File = &schema.StoredFile{Bucket: bucket, Object: name}
		return name
	}
}

// messageObject is the object name of the file of a message, as
// media.download by message names it.
func messageObject(account string, peer schema.PeerRef, msgID int) string {
	return fmt.Sprintf("%s/%s/%d/%d", account, peer.Kind, peer.ID, msgID)
}

// parseMessageObject reads peer and message id back from a messageObject
// name.
func parseMessageObject(name string) (schema.PeerRef, int, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 {
		return schema.PeerRef{}, 0, fmt.Errorf("object %q: not <account>/<peer kind>/<peer id>/<message id>", name)
	}
	id, err1 := strconv.ParseInt(parts[2], 10, 64)
	msg, err2 := strconv.Atoi(parts[3])
	peer := schema.PeerRef{Kind: schema.PeerKind(parts[1]), ID: id}
	if err := errors.Join(err1, err2); err != nil || !peer.Kind.Valid() {
		return schema.PeerRef{}, 0, fmt.Errorf("object %q: not <account>/<peer kind>/<peer id>/<message id>: %w", name, err)
	}
	return peer, msg, nil
}

// autoState is the automatic download's share of an Egress.
type autoState struct {
	sem chan struct{} // one token per download under way
}

// Auto-download results, the label of tgnats_auto_downloads_total.
const (
	autoStored  = "stored"
	autoCached  = "cached"
	autoFailed  = "failed"
	autoTimeout = "timeout"
)

// PrepareFile makes sure the object the event of rec names (its
// schema.HeaderFileObject header) is stored, downloading the file if it is
// not, and returns the record to publish: rec itself, or, when the file
// could not be stored, rec without media.file and with media.file_error.
// It returns rec as it is when ctx ends first (the publisher stops; the
// record is prepared again on its next run). See the top of this file.
func (e *Egress) PrepareFile(ctx context.Context, rec state.OutboxRecord) state.OutboxRecord {
	name := ""
	if v := rec.Header[schema.HeaderFileObject]; len(v) > 0 {
		name = v[0]
	}
	media, err := eventMedia(rec.Data)
	if err != nil {
		// Not the event AutoDownloadMark marked: a bug. Publish it as it is.
		e.log.Error("automatic download: event unreadable; published as it is", "msg_id", rec.MsgID, "error", err)
		return rec
	}
	peer, msgID, err := parseMessageObject(name)
	if err != nil {
		return e.dropFile(rec, autoFailed, schema.CodeInternal+": "+err.Error())
	}
	ref, err := tgconv.ParseFileRef(media.FileRef)
	if err != nil {
		return e.dropFile(rec, autoFailed, schema.CodeInvalidArgument+": the event's file_ref is unreadable")
	}
	select {
	case e.auto.sem <- struct{}{}:
	case <-ctx.Done():
		return rec
	}
	defer func() { <-e.auto.sem }()

	wait := e.cfg.Files.Auto.Wait
	dctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	hint := fileHint{mime: media.MimeType, name: media.FileName, size: media.Size}
	backoff := time.Second
	for {
		out, err := e.autoDownload(dctx, name, peer, msgID, &ref, hint)
		if err == nil {
			result := autoStored
			if out.File != nil && out.File.Cached {
				result = autoCached
			}
			e.metrics.autoFiles.WithLabelValues(result).Inc()
			return rec
		}
		if ctx.Err() != nil {
			return rec
		}
		ce := mapError(err)
		if ce != nil && !transientCode(ce.Code) {
			return e.dropFile(rec, autoFailed, ce.Code+": "+ce.Message)
		}
		pause := backoff
		if ce != nil && ce.RetryAfter > 0 {
			pause = time.Duration(ce.RetryAfter) * time.Second
		}
		e.log.Debug("automatic download failed; retrying", "object", name, "in", pause, "error", err)
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-dctx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return rec
			}
			return e.dropFile(rec, autoTimeout, fmt.Sprintf("%s: the file was not stored within %s (files.auto_download.wait)", schema.CodeTimeout, wait))
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// transientCode reports a command error code an automatic download retries.
func transientCode(code string) bool {
	return code == schema.CodeFloodWait || code == schema.CodeTimeout || code == schema.CodeTelegramError
}

// autoDownload stores the file of message msgID of peer as object name:
// by the event's reference first, by the message fetched again when the
// reference expired (or when the chat cannot be resolved, by the reference
// only).
func (e *Egress) autoDownload(ctx context.Context, name string, peer schema.PeerRef, msgID int, ref *tgconv.FileRef, hint fileHint) (*schema.CommandOutput, error) {
	api, err := e.fileAPI()
	if err != nil {
		return nil, err
	}
	// No command id: the progress signals of an automatic download carry none.
	c := &command{name: schema.CommandMediaDownload, deadline: e.cfg.Now().Add(e.cfg.Files.Deadline)}
	var tp *target
	if t, err := e.resolveID(ctx, c, peer); err == nil {
		tp = &t
	}
	return e.storeFile(ctx, c, api, name, tp, msgID, ref, "", hint)
}

// dropFile counts a file not stored and returns rec with its event's
// media.file replaced by media.file_error = reason.
func (e *Egress) dropFile(rec state.OutboxRecord, result, reason string) state.OutboxRecord {
	e.metrics.autoFiles.WithLabelValues(result).Inc()
	e.log.Warn("automatic download: event published without its file", "msg_id", rec.MsgID, "result", result, "reason", reason)
	data, err := rewriteMedia(rec.Data, func(media map[string]json.RawMessage) error {
		delete(media, "file")
		b, err := marshalRaw(reason)
		media["file_error"] = b
		return err
	})
	if err != nil {
		e.log.Error("automatic download: event unreadable; published as it is", "msg_id", rec.MsgID, "error", err)
		return rec
	}
	rec.Data = data
	return rec
}

// eventMedia reads the media of a message event's body, in binary
// (the message) or structured (a CloudEvent whose data is the message)
// content mode.
func eventMedia(data []byte) (*schema.Media, error) {
	var media *schema.Media
	_, err := rewriteMedia(data, func(m map[string]json.RawMessage) error {
		b, err := json.Marshal(m)
		if err == nil {
			err = json.Unmarshal(b, &media)
		}
		return err
	})
	if err == nil && media == nil {
		err = errors.New("no media")
	}
	return media, err
}

// rewriteMedia applies edit to the media object of a message event's body
// and returns the body encoded again.
func rewriteMedia(data []byte, edit func(map[string]json.RawMessage) error) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("event body: %w", err)
	}
	msg := top
	if _, ok := top["media"]; !ok {
		inner, ok := top["data"]
		if !ok {
			return nil, errors.New("event body: no media")
		}
		if err := json.Unmarshal(inner, &msg); err != nil {
			return nil, fmt.Errorf("event data: %w", err)
		}
	}
	var media map[string]json.RawMessage
	if err := json.Unmarshal(msg["media"], &media); err != nil || media == nil {
		return nil, fmt.Errorf("event media: not an object: %w", err)
	}
	if err := edit(media); err != nil {
		return nil, err
	}
	var err error
	if msg["media"], err = marshalRaw(media); err != nil {
		return nil, err
	}
	if _, ok := top["media"]; !ok {
		if top["data"], err = marshalRaw(msg); err != nil {
			return nil, err
		}
	}
	return marshalRaw(top)
}

// marshalRaw encodes v as json.Marshal does, without escaping HTML.
func marshalRaw(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
