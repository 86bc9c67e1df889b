package egress

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tgerr"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tgnats/tgnats/internal/tgconv"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// fileEvent is message 3 of user 7 with a document of size bytes (the
// one fakeFiles serves).
func fileEvent(typ string, size int64) *schema.Event {
	ref := tgconv.FileRef{Kind: tgconv.FileDocument, DC: 2, ID: 55, AccessHash: 5, FileReference: []byte("ref")}
	peer := schema.PeerRef{Kind: schema.PeerUser, ID: 7}
	return &schema.Event{
		ID: schema.EventID("main", peer, 3, schema.KindMessage, schema.ActionCreated, 0), Account: "main",
		Kind: schema.KindMessage, Action: schema.ActionCreated, Peer: peer, MessageID: 3,
		Time: time.Unix(1700000000, 0).UTC(),
		Data: &schema.Message{Account: "main", MessageID: 3, Chat: schema.Chat{Kind: schema.PeerUser, ID: 7},
			Media: &schema.Media{Type: typ, FileRef: ref.String(), Size: size, MimeType: "application/zip", FileName: "a.zip"}},
	}
}

func TestAutoDownloadMark(t *testing.T) {
	if AutoDownloadMark("main", "", AutoDownloadConfig{}) != nil {
		t.Fatal("no kinds: want no marker (off)")
	}
	mark := AutoDownloadMark("main", "", AutoDownloadConfig{Kinds: []string{"photo", "document"}, MaxBytes: 1000})
	tests := []struct {
		name string
		ev   *schema.Event
		want string
	}{
		{"document within the ceiling", fileEvent("document", 1000), "main/user/7/3"},
		{"over the ceiling", fileEvent("document", 1001), ""},
		{"excluded kind", fileEvent("voice", 10), ""},
		{"an edit", func() *schema.Event { ev := fileEvent("document", 10); ev.Action = schema.ActionEdited; return ev }(), ""},
		{"no file_ref", func() *schema.Event {
			ev := fileEvent("document", 10)
			ev.Data.(*schema.Message).Media.FileRef = ""
			return ev
		}(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mark(tt.ev)
			file := tt.ev.Data.(*schema.Message).Media.File
			if got != tt.want {
				t.Fatalf("object %q, want %q", got, tt.want)
			}
			if tt.want == "" && file != nil {
				t.Fatalf("media.file %+v set on an event not downloaded", file)
			}
			if tt.want != "" && (file == nil || *file != schema.StoredFile{Bucket: "TG_MAIN_FILES", Object: tt.want}) {
				t.Fatalf("media.file %+v", file)
			}
		})
	}
}

// markedRecord returns the outbox record of a marked event, as ingest
// commits it, in the encoder's mode.
func markedRecord(t *testing.T, mode schema.Mode) state.OutboxRecord {
	t.Helper()
	ev := fileEvent("document", 3<<20)
	name := AutoDownloadMark("main", "", AutoDownloadConfig{Kinds: []string{"document"}})(ev)
	msg, err := schema.Encoder{Mode: mode}.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg.Header[schema.HeaderFileObject] = []string{name}
	return state.OutboxRecord{Subject: msg.Subject, MsgID: ev.ID, Header: msg.Header, Data: msg.Data}
}

func autoEgress(t *testing.T, files *fakeFiles, wait time.Duration) (*Egress, *harness, *prometheus.Registry) {
	t.Helper()
	h := newHarness(t, nil)
	cfg := h.config()
	cfg.FileAPI = files
	cfg.Files.Auto = AutoDownloadConfig{Kinds: []string{"document"}, Wait: wait}
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e, h, reg
}

// The file is in the bucket when PrepareFile returns the record, which is
// unchanged (it names the object); a repeat (a restart) finds the object
// and downloads nothing.
func TestPrepareFileStoresBeforePublishing(t *testing.T) {
	const size = 3<<20 + 1000
	files := &fakeFiles{size: size}
	e, h, _ := autoEgress(t, files, time.Minute)
	rec := markedRecord(t, schema.ModeBinary)
	ctx := context.Background()
	got := e.PrepareFile(ctx, rec)
	if !bytes.Equal(got.Data, rec.Data) {
		t.Errorf("record changed:\n%s\nwant\n%s", got.Data, rec.Data)
	}
	store, err := h.js.ObjectStore(ctx, schema.FilesBucketName("main"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := store.GetBytes(ctx, "main/user/7/3")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(obj, content(0, size)) {
		t.Error("the object's bytes differ from the file's")
	}
	info, _ := store.GetInfo(ctx, "main/user/7/3")
	if info.Metadata["mime"] != "application/zip" || info.Metadata["file_name"] != "a.zip" {
		t.Errorf("object metadata %v, want the event's mime and file name", info.Metadata)
	}
	if files.fetches != 0 {
		t.Errorf("%d getMessages calls, want none: the event's reference serves", files.fetches)
	}
	served := files.servedParts()
	e.PrepareFile(ctx, rec)
	if files.servedParts() != served {
		t.Error("a repeat downloaded again")
	}
	for result, want := range map[string]float64{autoStored: 1, autoCached: 1} {
		if got := counterValue(t, e.metrics.autoFiles.WithLabelValues(result)); got != want {
			t.Errorf("tgnats_auto_downloads_total{result=%q} = %v, want %v", result, got, want)
		}
	}
}

// A file Telegram refuses for good, or one not stored within the wait, is
// published without media.file and with media.file_error; the event is
// never dropped, in either content mode.
func TestPrepareFileFailurePolicy(t *testing.T) {
	tests := []struct {
		name   string
		fail   error
		mode   schema.Mode
		result string
		reason string
	}{
		{"refused for good", tgerr.New(400, "FILE_ID_INVALID"), schema.ModeBinary, autoFailed, "INVALID_ARGUMENT: "},
		{"refused for good, structured", tgerr.New(400, "FILE_ID_INVALID"), schema.ModeStructured, autoFailed, "INVALID_ARGUMENT: "},
		{"transient past the wait", tgerr.New(500, "INTERNAL"), schema.ModeBinary, autoTimeout, "TIMEOUT: the file was not stored within 300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := &fakeFiles{size: 1000, fail: tt.fail}
			e, h, _ := autoEgress(t, files, 300*time.Millisecond)
			rec := markedRecord(t, tt.mode)
			got := e.PrepareFile(context.Background(), rec)
			media, err := eventMedia(got.Data)
			if err != nil {
				t.Fatal(err)
			}
			if media.File != nil || !strings.HasPrefix(media.FileError, tt.reason) {
				t.Errorf("media.file %+v, file_error %q; want none and %q…", media.File, media.FileError, tt.reason)
			}
			if media.FileRef == "" || media.MimeType != "application/zip" {
				t.Errorf("the rest of the media lost: %+v", media)
			}
			if got.MsgID != rec.MsgID || got.Subject != rec.Subject {
				t.Errorf("record %s on %s, want %s on %s", got.MsgID, got.Subject, rec.MsgID, rec.Subject)
			}
			if tt.mode == schema.ModeStructured {
				var ce map[string]json.RawMessage
				if err := json.Unmarshal(got.Data, &ce); err != nil || string(ce["id"]) != `"`+rec.MsgID+`"` {
					t.Errorf("structured event lost its envelope: %s", got.Data)
				}
			}
			if n := counterValue(t, e.metrics.autoFiles.WithLabelValues(tt.result)); n != 1 {
				t.Errorf("tgnats_auto_downloads_total{result=%q} = %v, want 1", tt.result, n)
			}
			store, err := h.js.ObjectStore(context.Background(), schema.FilesBucketName("main"))
			if err == nil {
				if _, err := store.GetInfo(context.Background(), "main/user/7/3"); err != jetstream.ErrObjectNotFound {
					t.Errorf("object lookup = %v, want not found", err)
				}
			}
		})
	}
}

// A PrepareFile whose context ends (the publisher stops) returns the
// record as it is, for the next run.
func TestPrepareFileStopped(t *testing.T) {
	files := &fakeFiles{size: 1000, fail: tgerr.New(500, "INTERNAL")}
	e, _, _ := autoEgress(t, files, time.Minute)
	rec := markedRecord(t, schema.ModeBinary)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel) // the stop comes within the wait
	got := e.PrepareFile(ctx, rec)
	if !bytes.Equal(got.Data, rec.Data) {
		t.Errorf("record changed on a stop: %s", got.Data)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// Publishing without the file changes only media.file and
// media.file_error: the rest of the body, its text included, is kept as
// it was (no HTML escaping).
func TestDropFileKeepsTheRest(t *testing.T) {
	e, _, _ := autoEgress(t, &fakeFiles{}, time.Minute)
	rec := state.OutboxRecord{MsgID: "x", Data: []byte(`{"text":"a <b> & c","media":{"type":"photo","file_ref":"r","file":{"bucket":"B","object":"o"}},"n":1}`)}
	got := e.dropFile(rec, autoFailed, "NO_MEDIA: gone <now>")
	want := `{"media":{"file_error":"NO_MEDIA: gone <now>","file_ref":"r","type":"photo"},"n":1,"text":"a <b> & c"}`
	if string(got.Data) != want {
		t.Errorf("body\n%s\nwant\n%s", got.Data, want)
	}
}
