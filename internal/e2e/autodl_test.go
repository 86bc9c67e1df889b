package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// TestAutoDownload: with files.auto_download, an incoming message's file
// is in the bucket, with the simulator's bytes, by the time its
// message.created event arrives, and the event names the object; a file
// over the ceiling, of a kind not named, or refused by Telegram arrives
// without an object (the last saying why), and nothing is dropped.
func TestAutoDownload(t *testing.T) {
	files := config.Default().Files
	files.AutoDownload = config.AutoDownload{Kinds: []string{"document", "photo"}, MaxBytes: 1 << 20, Wait: 20 * time.Second}
	files.ProgressBytes = 512 << 10
	env := newCommandEnv(t, commandEnvOptions{files: &files})
	acc := env.w.acc
	bucket := schema.FilesBucketName(acc.Name)
	ctx := context.Background()
	var progressMu sync.Mutex
	var progress []schema.FileProgress
	sub, err := env.cl.nc.Subscribe(fmt.Sprintf("tg.%s.live.file.progress.>", acc.Name), func(m *nats.Msg) {
		var p schema.FileProgress
		if err := json.Unmarshal(m.Data, &p); err == nil {
			progressMu.Lock()
			progress = append(progress, p)
			progressMu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := env.cl.nc.Flush(); err != nil {
		t.Fatal(err)
	}

	// post sends a message with f and returns the media of its
	// message.created event, with the object it names checked at once.
	post := func(t *testing.T, chat schema.PeerRef, media string, f sim.File) (int, *schema.Media) {
		t.Helper()
		id := env.post(t, sim.Outgoing{Chat: chat, From: env.alice, Media: media, File: &f})
		ev := env.cl.events.wait(t, schema.EventID(acc.Name, chat, id, schema.KindMessage, schema.ActionCreated, 0))
		var msg schema.Message
		if err := json.Unmarshal(ev.data, &msg); err != nil {
			t.Fatal(err)
		}
		if msg.Media == nil {
			t.Fatalf("message %d has no media: %s", id, ev.data)
		}
		return id, msg.Media
	}
	noObject := func(t *testing.T, chat schema.PeerRef, id int) {
		t.Helper()
		store, err := env.cl.js.ObjectStore(ctx, bucket)
		if err != nil {
			return // no bucket, no object
		}
		name := fmt.Sprintf("%s/%s/%d/%d", acc.Name, chat.Kind, chat.ID, id)
		if _, err := store.GetInfo(ctx, name); !errors.Is(err, jetstream.ErrObjectNotFound) {
			t.Errorf("object %s: %v, want not found", name, err)
		}
	}

	for _, tc := range []struct {
		name  string
		chat  schema.PeerRef
		media string
		file  sim.File
	}{
		{"small document in a private chat", env.user, "document", sim.File{Size: 1000, Mime: "text/plain", Name: "notes.txt"}},
		{"photo in a supergroup", env.super, "photo", sim.File{Size: 200_000}},
		{"document at the ceiling in a basic group", env.group, "document", sim.File{Size: 1 << 20}},
	} {
		t.Run("stored/"+tc.name, func(t *testing.T) {
			id, media := post(t, tc.chat, tc.media, tc.file)
			wantName := fmt.Sprintf("%s/%s/%d/%d", acc.Name, tc.chat.Kind, tc.chat.ID, id)
			if media.File == nil || *media.File != (schema.StoredFile{Bucket: bucket, Object: wantName}) || media.FileError != "" {
				t.Fatalf("media.file %+v file_error %q, want %s/%s", media.File, media.FileError, bucket, wantName)
			}
			// The event has arrived: the object must be complete already.
			want := env.messageFile(t, tc.chat, id)
			if n, sum := objectSHA256(t, env.cl.js, bucket, wantName); n != tc.file.Size || sum != want.SHA256 {
				t.Errorf("the object holds %d bytes sha256 %s, want %d %s", n, sum, tc.file.Size, want.SHA256)
			}
			// media.download by message finds it: the same name.
			out := call{env: env, via: entryPoints[0]}.ok(t, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(tc.chat), id), 0)
			if out.File == nil || !out.File.Cached || out.File.SHA256 != want.SHA256 {
				t.Errorf("media.download: %+v, want the cached object", out.File)
			}
		})
	}

	// The 1 MiB download is over files.progress_bytes: it reported its
	// progress, without a command id, up to done.
	testutil.Eventually(t, 10*time.Second, "the automatic download's last progress signal", func() bool {
		progressMu.Lock()
		defer progressMu.Unlock()
		for _, p := range progress {
			if p.Done && p.Direction == "download" && p.CommandID == "" && p.Bytes == 1<<20 && p.Total == 1<<20 &&
				strings.HasPrefix(p.Object, fmt.Sprintf("%s/%s/%d/", acc.Name, env.group.Kind, env.group.ID)) {
				return true
			}
		}
		return false
	})

	t.Run("over the ceiling", func(t *testing.T) {
		id, media := post(t, env.user, "document", sim.File{Size: 1<<20 + 1})
		if media.File != nil || media.FileError != "" {
			t.Errorf("media.file %+v file_error %q, want neither", media.File, media.FileError)
		}
		noObject(t, env.user, id)
	})
	t.Run("kind not named", func(t *testing.T) {
		id, media := post(t, env.user, "document", sim.File{Size: 1000, Attr: "voice"})
		if media.Type != "voice" || media.File != nil || media.FileError != "" {
			t.Errorf("media %q file %+v file_error %q, want a voice note without either", media.Type, media.File, media.FileError)
		}
		noObject(t, env.user, id)
	})
	t.Run("transient failure retried", func(t *testing.T) {
		if _, err := env.w.sim.Inject(ctx, sim.Fault{Kind: sim.FaultCallError, Account: acc.Name, Method: "upload.getFile", Code: 500, Error: "INTERNAL_SERVER_ERROR"}); err != nil {
			t.Fatal(err)
		}
		id, media := post(t, env.user, "document", sim.File{Size: 5000})
		if media.File == nil || media.FileError != "" {
			t.Fatalf("media.file %+v file_error %q, want the object after a retry", media.File, media.FileError)
		}
		if _, sum := objectSHA256(t, env.cl.js, bucket, media.File.Object); sum != env.messageFile(t, env.user, id).SHA256 {
			t.Error("the object's sha256 differs from the simulator's")
		}
	})
	t.Run("reference expired", func(t *testing.T) {
		if _, err := env.w.sim.Inject(ctx, sim.Fault{Kind: sim.FaultCallError, Account: acc.Name, Method: "upload.getFile", Code: 400, Error: "FILE_REFERENCE_EXPIRED"}); err != nil {
			t.Fatal(err)
		}
		fetches := env.w.sim.Calls(acc.Name)["channels.getMessages"]
		id, media := post(t, env.super, "document", sim.File{Size: 7000})
		if media.File == nil || media.FileError != "" {
			t.Fatalf("media.file %+v file_error %q, want the object after a fresh reference", media.File, media.FileError)
		}
		if _, sum := objectSHA256(t, env.cl.js, bucket, media.File.Object); sum != env.messageFile(t, env.super, id).SHA256 {
			t.Error("the object's sha256 differs from the simulator's")
		}
		if n := env.w.sim.Calls(acc.Name)["channels.getMessages"] - fetches; n != 1 {
			t.Errorf("channels.getMessages called %d times, want 1 (for a fresh reference)", n)
		}
	})
	t.Run("refused for good", func(t *testing.T) {
		if _, err := env.w.sim.Inject(ctx, sim.Fault{Kind: sim.FaultCallError, Account: acc.Name, Method: "upload.getFile", Code: 400, Error: "FILE_ID_INVALID"}); err != nil {
			t.Fatal(err)
		}
		id, media := post(t, env.user, "document", sim.File{Size: 5000})
		if media.File != nil || !strings.HasPrefix(media.FileError, schema.CodeInvalidArgument+": ") {
			t.Errorf("media.file %+v file_error %q, want no object and the reason", media.File, media.FileError)
		}
		noObject(t, env.user, id)
	})

	for result, least := range map[string]float64{"stored": 5, "failed": 1} {
		if n := metricValue(t, env.conn.http, fmt.Sprintf(`tgnats_auto_downloads_total{account=%q,result=%q}`, acc.Name, result)); n < least {
			t.Errorf("tgnats_auto_downloads_total{result=%q} = %v, want at least %v", result, n, least)
		}
	}
}

// TestAutoDownloadRestart stops the connector while the file of an
// incoming message is being downloaded: its event is not published
// meanwhile, and after the restart it is published once, naming the same
// object, which then holds the simulator's bytes.
func TestAutoDownloadRestart(t *testing.T) {
	w := newWorld(t, sim.Config{})
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	t.Cleanup(nsrv.Shutdown) // after the connector's stop
	cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), nsrv.ClientURL(), "127.0.0.1:0")
	cfg.Files.AutoDownload = config.AutoDownload{Kinds: []string{"document"}, MaxBytes: 8 << 20, Wait: time.Minute}
	cfg.Outbox.DrainTimeout = time.Second
	ctx := context.Background()

	alice := w.sim.CreateUser("Alice", "", "alice_auto")
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: alice}
	// Every part's reply is held back: the download stalls.
	w.sim.HoldReplies(tg.UploadGetFileRequestTypeID, 1000)
	r := w.startConnector(t, cfg)
	js := newCommandClient(t, nsrv.ClientURL(), w.acc.Name).js
	id, err := w.sim.SendMessage(ctx, sim.Outgoing{Account: w.acc.Name, Chat: chat, From: alice, Media: "document", File: &sim.File{Size: 3 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "the download under way", func() bool {
		return w.sim.Calls(w.acc.Name)["upload.getFile"] > 0
	})
	evID := schema.EventID(w.acc.Name, chat, id, schema.KindMessage, schema.ActionCreated, 0)
	published := func() [][]byte {
		var got [][]byte
		eachStreamMsg(t, nsrv.ClientURL(), w.acc.Name, 0, func(m jetstream.Msg) {
			if rc := check(t, m); rc.id == evID {
				got = append(got, m.Data())
			}
		})
		return got
	}
	if got := published(); len(got) != 0 {
		t.Fatal("the event was published before its file was stored")
	}
	r.stop(t)

	w.sim.HoldReplies(tg.UploadGetFileRequestTypeID, 0)
	w.startConnector(t, cfg)
	var got [][]byte
	testutil.Eventually(t, 30*time.Second, "the event published after the restart", func() bool {
		got = published()
		return len(got) > 0
	})
	if len(got) != 1 {
		t.Fatalf("the event is %d times in the stream, want once", len(got))
	}
	var msg schema.Message
	if err := json.Unmarshal(got[0], &msg); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("%s/user/%d/%d", w.acc.Name, alice, id)
	if msg.Media == nil || msg.Media.File == nil || msg.Media.File.Object != name || msg.Media.FileError != "" {
		t.Fatalf("media %+v, want the object %s", msg.Media, name)
	}
	want, err := w.sim.MessageFile(ctx, w.acc.Name, chat, id)
	if err != nil {
		t.Fatal(err)
	}
	if n, sum := objectSHA256(t, js, schema.FilesBucketName(w.acc.Name), name); n != 3<<20 || sum != want.SHA256 {
		t.Errorf("the object holds %d bytes sha256 %s, want %d %s", n, sum, 3<<20, want.SHA256)
	}
}
