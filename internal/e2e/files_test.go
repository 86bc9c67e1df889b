package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// Files through the Object Store (issue 13): media.download and media.send
// from an object, through both entry points, every byte checked against
// the sha256 the simulator computes from what it serves or received.

// objectSHA256 reads object name of bucket and returns its size and hex sha256.
func objectSHA256(t testing.TB, js jetstream.JetStream, bucket, name string) (int64, string) {
	t.Helper()
	// A deadline of its own: without one, nats.go gives each read of the
	// object 5 s, which a loaded machine can outlast mid-object.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	store, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := store.Get(ctx, name)
	if err != nil {
		t.Fatalf("get object %s: %v", name, err)
	}
	defer obj.Close()
	h := sha256.New()
	n, err := io.Copy(h, obj)
	if err != nil {
		t.Fatal(err)
	}
	return n, hex.EncodeToString(h.Sum(nil))
}

func (env *commandEnv) messageFile(t testing.TB, chat schema.PeerRef, id int) sim.MediaFile {
	t.Helper()
	f, err := env.w.sim.MessageFile(context.Background(), env.w.acc.Name, chat, id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (c call) fail(t testing.TB, action, body, code string) *schema.CommandError {
	t.Helper()
	res, _ := c.do(t, action, body)
	if res.OK || res.Error == nil || res.Error.Code != code {
		b, _ := json.Marshal(res)
		t.Fatalf("%s %s: %s, want code %s", action, body, b, code)
	}
	return res.Error
}

func TestFiles(t *testing.T) {
	env := newCommandEnv(t, commandEnvOptions{files: &config.Files{Deadline: config.Default().Files.Deadline, MaxUploadBytes: 11 << 20}})
	acc := env.w.acc
	bucket := schema.FilesBucketName(acc.Name)
	ctx := context.Background()
	calls := func(method string) int { return env.w.sim.Calls(acc.Name)[method] }

	for _, via := range entryPoints {
		c := call{env: env, via: via}
		for _, tc := range []struct {
			name  string
			chat  schema.PeerRef
			media string
			file  sim.File
		}{
			{"1KB document in a private chat", env.user, "document", sim.File{Size: 1000, Mime: "text/plain", Name: "notes.txt"}},
			{"10MB video in a supergroup", env.super, "document", sim.File{Size: 10 << 20, Mime: "video/mp4", Name: "clip.mp4", Attr: "video"}},
			{"photo in a basic group", env.group, "photo", sim.File{Size: 300_000}},
		} {
			t.Run(via.name+"/download "+tc.name, func(t *testing.T) {
				f := tc.file
				id := env.post(t, sim.Outgoing{Chat: tc.chat, From: env.alice, Media: tc.media, File: &f})
				want := env.messageFile(t, tc.chat, id)
				body := fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(tc.chat), id)
				out := c.ok(t, schema.CommandMediaDownload, body, 0)
				got := out.File
				wantName := fmt.Sprintf("%s/%s/%d/%d", acc.Name, tc.chat.Kind, tc.chat.ID, id)
				if got == nil || got.Bucket != bucket || got.Object != wantName || got.Size != tc.file.Size || got.SHA256 != want.SHA256 || got.Cached {
					t.Fatalf("result file %+v, want %s/%s of %d bytes sha256 %s", got, bucket, wantName, tc.file.Size, want.SHA256)
				}
				if got.Mime != want.Mime || tc.media == "document" && got.Name != want.Name {
					t.Errorf("result mime %q name %q, want %q %q", got.Mime, got.Name, want.Mime, want.Name)
				}
				if n, sum := objectSHA256(t, env.cl.js, bucket, got.Object); n != tc.file.Size || sum != want.SHA256 {
					t.Errorf("the object holds %d bytes sha256 %s, want %d %s", n, sum, tc.file.Size, want.SHA256)
				}
				// A repeat finds the object and calls nothing.
				getFile, getMessages := calls("upload.getFile"), calls("messages.getMessages")+calls("channels.getMessages")
				again := c.ok(t, schema.CommandMediaDownload, body, 0).File
				if again == nil || !again.Cached || again.SHA256 != want.SHA256 || again.Digest != got.Digest {
					t.Errorf("repeat: %+v, want the cached object %+v", again, got)
				}
				if calls("upload.getFile") != getFile || calls("messages.getMessages")+calls("channels.getMessages") != getMessages {
					t.Error("the repeat called Telegram")
				}
			})
		}
		for _, tc := range []struct {
			name, kind string
			size       int64
			wantMedia  string
		}{
			{"1KB document", "document", 1000, "document"},
			{"10MB voice note", "voice", 10 << 20, "voice"},
			{"photo", "photo", 200_000, "photo"},
		} {
			t.Run(via.name+"/send "+tc.name, func(t *testing.T) {
				store, err := env.cl.js.ObjectStore(ctx, bucket)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("outgoing/%s/%s", via.name, strings.ReplaceAll(tc.name, " ", "-"))
				info, err := store.Put(ctx, jetstream.ObjectMeta{Name: name}, sim.FileContent(tc.size+7, tc.size))
				if err != nil {
					t.Fatal(err)
				}
				_, sum := objectSHA256(t, env.cl.js, bucket, name)
				body := fmt.Sprintf(`{"peer": %s, "caption": "*from* the store", "parse_mode": "markdown", "media": {"type": %q, "object": %q}}`, peerJSON(env.super), tc.kind, name)
				out := c.ok(t, schema.CommandMediaSend, body, 1)
				m := env.message(t, env.super, out.MessageID)
				if m.Media != tc.wantMedia || m.Text != "from the store" || len(m.Entities) != 1 {
					t.Errorf("simulator holds media %q text %q entities %+v", m.Media, m.Text, m.Entities)
				}
				got := env.messageFile(t, env.super, out.MessageID)
				if got.Size != int64(info.Size) || got.SHA256 != sum {
					t.Errorf("Telegram got %d bytes sha256 %s, want %d %s", got.Size, got.SHA256, info.Size, sum)
				}
				if tc.kind == "voice" && got.Attr != "voice" {
					t.Errorf("attr %q, want voice", got.Attr)
				}
				detail := env.lastAction(t).Detail
				if !strings.Contains(detail, "sha256="+sum) {
					t.Errorf("sendMedia detail %q", detail)
				}
			})
		}
		t.Run(via.name+"/errors", func(t *testing.T) {
			text := env.post(t, sim.Outgoing{Chat: env.user, From: env.alice, Text: "no file here"})
			c.fail(t, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(env.user), text), schema.CodeNoMedia)
			c.fail(t, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": 99999}`, peerJSON(env.super)), schema.CodeMessageNotFound)
			c.fail(t, schema.CommandMediaSend, fmt.Sprintf(`{"peer": %s, "media": {"type": "document", "object": "no/such/object"}}`, peerJSON(env.user)), schema.CodeObjectNotFound)
			store, err := env.cl.js.ObjectStore(ctx, bucket)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Put(ctx, jetstream.ObjectMeta{Name: "too/large"}, sim.FileContent(1, 12<<20)); err != nil {
				t.Fatal(err)
			}
			before := calls("upload.saveBigFilePart") + calls("upload.saveFilePart")
			c.fail(t, schema.CommandMediaSend, fmt.Sprintf(`{"peer": %s, "media": {"type": "document", "object": "too/large"}}`, peerJSON(env.user)), schema.CodeFileTooLarge)
			if calls("upload.saveBigFilePart")+calls("upload.saveFilePart") != before {
				t.Error("a too large object was uploaded")
			}
		})
	}

	// An expired file reference: the message is fetched again and the
	// download completes.
	t.Run("reference expired", func(t *testing.T) {
		f := sim.File{Size: 3 << 20}
		id := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Media: "document", File: &f})
		if _, err := env.w.sim.Inject(ctx, sim.Fault{Kind: sim.FaultCallError, Account: acc.Name, Method: "upload.getFile", Code: 400, Error: "FILE_REFERENCE_EXPIRED"}); err != nil {
			t.Fatal(err)
		}
		fetches := calls("channels.getMessages")
		out := call{env: env, via: entryPoints[0]}.ok(t, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(env.super), id), 0)
		if want := env.messageFile(t, env.super, id); out.File.SHA256 != want.SHA256 {
			t.Errorf("sha256 %s, want %s", out.File.SHA256, want.SHA256)
		}
		if n := calls("channels.getMessages") - fetches; n != 2 {
			t.Errorf("channels.getMessages called %d times, want 2 (the fetch, and again for a fresh reference)", n)
		}
	})

	// References expire in the middle of a download by message: the parts
	// stored stay, the message is fetched once more for a fresh reference,
	// and the parts left are asked for with it. The simulator serves each
	// part once (at most the parts in flight again), not the parts before
	// the expiry a second time.
	t.Run("reference expired mid-download", func(t *testing.T) {
		const size = 16 << 20
		f := sim.File{Size: size, Name: "long.bin"}
		id := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Media: "document", File: &f})
		want := env.messageFile(t, env.super, id)
		if _, err := env.w.sim.Inject(ctx, sim.Fault{Kind: sim.FaultExpireRefs, N: 6}); err != nil {
			t.Fatal(err)
		}
		fetches := calls("channels.getMessages")
		out := call{env: env, via: entryPoints[1]}.ok(t, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(env.super), id), 0)
		if out.File == nil || out.File.Size != size || out.File.SHA256 != want.SHA256 {
			t.Fatalf("result %+v, want %d bytes sha256 %s", out.File, int64(size), want.SHA256)
		}
		if n, sum := objectSHA256(t, env.cl.js, bucket, out.File.Object); n != size || sum != want.SHA256 {
			t.Errorf("the object holds %d bytes sha256 %s, want %d %s", n, sum, int64(size), want.SHA256)
		}
		const inFlight = 4 << 20 // the downloader's parallel parts
		if n := env.w.sim.FileBytesServed(want.ID); n < size || n > size+inFlight {
			t.Errorf("the simulator served %d bytes of the %d-byte file, want each part once (at most %d more)", n, int64(size), inFlight)
		}
		if n := calls("channels.getMessages") - fetches; n != 2 {
			t.Errorf("channels.getMessages called %d times, want 2 (the fetch, and once again for a fresh reference)", n)
		}
	})

	// A file_ref from the event: downloaded under the media's name; once
	// expired it cannot be refreshed without the message.
	t.Run("file_ref", func(t *testing.T) {
		f := sim.File{Size: 5000, Name: "a.bin"}
		id := env.post(t, sim.Outgoing{Chat: env.user, From: env.alice, Media: "document", File: &f})
		ev := env.cl.events.wait(t, schema.EventID(acc.Name, env.user, id, schema.KindMessage, schema.ActionCreated, 0))
		var msg schema.Message
		if err := json.Unmarshal(ev.data, &msg); err != nil {
			t.Fatal(err)
		}
		want := env.messageFile(t, env.user, id)
		c := call{env: env, via: entryPoints[1]}
		out := c.ok(t, schema.CommandMediaDownload, fmt.Sprintf(`{"file_ref": %q}`, msg.Media.FileRef), 0)
		if out.File.Object != fmt.Sprintf("document/%d", want.ID) || out.File.SHA256 != want.SHA256 {
			t.Errorf("result %+v, want document/%d sha256 %s", out.File, want.ID, want.SHA256)
		}
		f2 := sim.File{Size: 6000}
		id2 := env.post(t, sim.Outgoing{Chat: env.user, From: env.alice, Media: "document", File: &f2})
		ev2 := env.cl.events.wait(t, schema.EventID(acc.Name, env.user, id2, schema.KindMessage, schema.ActionCreated, 0))
		var msg2 schema.Message
		if err := json.Unmarshal(ev2.data, &msg2); err != nil {
			t.Fatal(err)
		}
		if _, err := env.w.sim.Inject(ctx, sim.Fault{Kind: sim.FaultExpireRefs}); err != nil {
			t.Fatal(err)
		}
		ce := c.fail(t, schema.CommandMediaDownload, fmt.Sprintf(`{"file_ref": %q}`, msg2.Media.FileRef), schema.CodeInvalidArgument)
		if ce.TelegramError != "FILE_REFERENCE_EXPIRED" {
			t.Errorf("error %+v, want telegram_error FILE_REFERENCE_EXPIRED", ce)
		}
		store, _ := env.cl.js.ObjectStore(ctx, bucket)
		if _, err := store.GetInfo(ctx, fmt.Sprintf("document/%d", env.messageFile(t, env.user, id2).ID)); err == nil {
			t.Error("a failed download left an object")
		}
	})

	if n := metricValue(t, env.conn.http, fmt.Sprintf(`tgnats_file_bytes_total{account=%q,direction="download"}`, acc.Name)); n < 2*(10<<20) {
		t.Errorf("tgnats_file_bytes_total download = %v, want at least the two 10 MB downloads", n)
	}
	if n := metricValue(t, env.conn.http, fmt.Sprintf(`tgnats_file_bytes_total{account=%q,direction="upload"}`, acc.Name)); n < 2*(10<<20) {
		t.Errorf("tgnats_file_bytes_total upload = %v, want at least the two 10 MB uploads", n)
	}
}

// crashableChat starts a crashable connector (skipped with -short), a
// command client, and a private chat with a new user called username.
func crashableChat(t *testing.T, username string, extraConfig ...string) (*crashable, *commandClient, schema.PeerRef) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and kills a real connector process; skipped with -short")
	}
	c := startCrashable(t, extraConfig...)
	cl := newCommandClient(t, c.nsrv.ClientURL(), c.w.acc.Name)
	alice := c.w.sim.CreateUser("Alice", "", username)
	return c, cl, schema.PeerRef{Kind: schema.PeerUser, ID: alice}
}

// TestFileDownloadCrash kills the connector (SIGKILL, a real process) in
// the middle of a 64 MB download (files.resume_bytes, 64 MiB by default:
// staged on disk): its first parts are staged, the object's name is not
// found, before and after the kill. The restarted connector gets the
// command again and resumes it from the parts staged: the simulator serves
// less than the file the second time. The object holds exactly the
// simulator's bytes.
func TestFileDownloadCrash(t *testing.T) {
	c, cl, chat := crashableChat(t, "alice_files")
	w, alice := c.w, chat.ID

	ctx := context.Background()
	const size = 64 << 20
	id, err := w.sim.SendMessage(ctx, sim.Outgoing{Account: w.acc.Name, Chat: chat, From: alice, Media: "document", File: &sim.File{Size: size}})
	if err != nil {
		t.Fatal(err)
	}
	cl.events.wait(t, schema.EventID(w.acc.Name, chat, id, schema.KindMessage, schema.ActionCreated, 0))
	want, err := w.sim.MessageFile(ctx, w.acc.Name, chat, id)
	if err != nil {
		t.Fatal(err)
	}

	parts := func() int { return w.sim.Calls(w.acc.Name)["upload.getFile"] }
	key := "download-crash-1"
	cl.publish(t, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(chat), id), sent{key: key})
	testutil.Eventually(t, 30*time.Second, "the first parts downloaded", func() bool { return parts() >= 6 })
	// Every later part is served without its reply reaching the connector:
	// the download stalls midway.
	w.sim.HoldReplies(tg.UploadGetFileRequestTypeID, 1000)
	bucket := schema.FilesBucketName(w.acc.Name)
	name := fmt.Sprintf("%s/user/%d/%d", w.acc.Name, alice, id)
	partial := filepath.Join(dataDirOf(t, c.cfgFile), "files", "partial")
	staged := func() int64 {
		ents, _ := os.ReadDir(partial)
		var n int64
		for _, e := range ents {
			if info, err := e.Info(); err == nil {
				n += info.Size()
			}
		}
		return n
	}
	testutil.Eventually(t, 30*time.Second, "parts staged on disk", func() bool { return staged() >= 2<<20 })
	store, err := cl.js.ObjectStore(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.GetInfo(ctx, name); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Fatalf("mid-transfer GetInfo = %v, want not found", err)
	}
	if parts() >= size>>20 {
		t.Fatal("the download was not cut short: every part was asked for before the hold")
	}
	c.p.kill(t)
	if _, err := store.GetInfo(ctx, name); !errors.Is(err, jetstream.ErrObjectNotFound) {
		t.Fatalf("GetInfo after SIGKILL = %v, want not found", err)
	}
	firstRun, stagedBytes := w.sim.FileBytesServed(want.ID), staged()

	w.sim.HoldReplies(tg.UploadGetFileRequestTypeID, 0)
	c.restart(t)
	res, _ := cl.result(t, key)
	if !res.OK || res.Result == nil || res.Result.File == nil || res.Result.File.SHA256 != want.SHA256 || res.Result.File.Size != size {
		t.Fatalf("result %+v, want the object with sha256 %s", res, want.SHA256)
	}
	if n, sum := objectSHA256(t, cl.js, bucket, name); n != size || sum != want.SHA256 {
		t.Fatalf("the object holds %d bytes sha256 %s, want %d %s", n, sum, int64(size), want.SHA256)
	}
	// The second run asked only for the parts after those staged.
	second := w.sim.FileBytesServed(want.ID) - firstRun
	t.Logf("served %d bytes before the kill with %d staged, %d after the restart", firstRun, stagedBytes, second)
	if second >= size || second > size-stagedBytes/(1<<20)*(1<<20) {
		t.Errorf("the restarted connector was served %d bytes of the %d-byte file with %d bytes staged, want only the parts after those staged", second, int64(size), stagedBytes)
	}
	if left := staged(); left != 0 {
		t.Errorf("%d bytes left staged after the download", left)
	}
	c.p.term(t)
}

// TestFileUploadCrash kills the connector (SIGKILL, a real process) in the
// middle of a media.send of a 64 MiB object (files.resume_bytes): most of
// its parts are saved on Telegram, no message is sent. The restarted
// connector gets the command again and resumes the upload under the same
// file_id, sending only the parts Telegram had not confirmed: across both
// runs the simulator receives far less than twice the file. The command
// completes once, and the message holds exactly the object's bytes.
func TestFileUploadCrash(t *testing.T) {
	c, cl, chat := crashableChat(t, "alice_upload")
	const size = 64 << 20
	u := cutUpload(t, c, cl, chat, size, 77, 5.0/8)
	if n := u.calls("messages.sendMedia"); n != 0 {
		t.Fatalf("%d sendMedia calls before the upload completed", n)
	}
	u.finish(t)
	if n := u.calls("messages.sendMedia"); n != 1 {
		t.Errorf("%d sendMedia calls, want 1", n)
	}
	// The second run sent only the parts after those confirmed.
	total := c.w.sim.UploadBytesReceived(c.w.acc.Name)
	t.Logf("received %d bytes before the kill, %d after the restart", u.firstRun, total-u.firstRun)
	if total-u.firstRun >= size/2 || total >= size*5/4 {
		t.Errorf("the simulator received %d bytes before the kill and %d after, want the %d-byte file resumed, not sent again", u.firstRun, total-u.firstRun, int64(size))
	}
	c.p.term(t)
}

// TestFileUploadPartsExpired kills the connector in the middle of a
// resumable media.send (files.resume_bytes lowered to 8 MiB, a 16 MiB
// object), then Telegram forgets the parts uploaded (sim.ExpireUploads,
// as Telegram does after a while). The restarted connector resumes under
// the file_id it kept, Telegram refuses the parts as incomplete, and the
// upload starts over once under a new file_id: one message with the
// object's bytes, no failure, nothing left staged.
func TestFileUploadPartsExpired(t *testing.T) {
	c, cl, chat := crashableChat(t, "alice_expired", "files: {resume_bytes: 8388608}\n")
	const size = 16 << 20
	u := cutUpload(t, c, cl, chat, size, 78, 1.0/2)
	if n, err := c.w.sim.ExpireUploads(c.w.acc.Name); err != nil || n != 1 {
		t.Fatalf("ExpireUploads = %d, %v; want the one upload", n, err)
	}
	u.finish(t)
	// All of the file went again after the restart: the upload started over.
	if after := c.w.sim.UploadBytesReceived(c.w.acc.Name) - u.firstRun; after < size {
		t.Errorf("the simulator received %d bytes after the restart, want at least the %d-byte file sent again", after, int64(size))
	}
	c.p.term(t)
}

// cutUploadRun is a media.send killed mid-upload by cutUpload.
type cutUploadRun struct {
	c        *crashable
	cl       *commandClient
	chat     schema.PeerRef
	key      string
	size     int64
	sha256   string // the object's
	firstRun int64  // bytes the simulator received before the kill
}

func (u *cutUploadRun) calls(method string) int { return u.c.w.sim.Calls(u.c.w.acc.Name)[method] }

// cutUpload puts a generated object of size bytes (content seed) in the
// files bucket and sends it to chat with media.send; once the share done
// of its 512 KiB parts is saved it holds the replies of every later part
// (the upload stalls, the parts in flight are held too) and kills the
// connector.
func cutUpload(t *testing.T, c *crashable, cl *commandClient, chat schema.PeerRef, size, seed int64, done float64) *cutUploadRun {
	t.Helper()
	w := c.w
	ctx := context.Background()
	// A message from the user first: the connector learns its access hash.
	hello, err := w.sim.SendMessage(ctx, sim.Outgoing{Account: w.acc.Name, Chat: chat, From: chat.ID, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	cl.events.wait(t, schema.EventID(w.acc.Name, chat, hello, schema.KindMessage, schema.ActionCreated, 0))

	store, err := cl.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: schema.FilesBucketName(w.acc.Name), Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("in/%d.bin", seed)
	h := sha256.New()
	if _, err := store.Put(ctx, jetstream.ObjectMeta{Name: name}, io.TeeReader(sim.FileContent(seed, size), h)); err != nil {
		t.Fatal(err)
	}
	u := &cutUploadRun{c: c, cl: cl, chat: chat, key: fmt.Sprintf("upload-cut-%d", seed), size: size, sha256: hex.EncodeToString(h.Sum(nil))}
	cl.publish(t, schema.CommandMediaSend, fmt.Sprintf(`{"peer": %s, "media": {"type": "document", "object": %q}}`, peerJSON(chat), name), sent{key: u.key})
	parts := int(float64(size/(512<<10)) * done)
	testutil.Eventually(t, time.Minute, "the first parts uploaded", func() bool { return u.calls("upload.saveBigFilePart") >= parts })
	w.sim.HoldReplies(tg.UploadSaveBigFilePartRequestTypeID, 1000)
	held := u.calls("upload.saveBigFilePart") + 4
	testutil.Eventually(t, 30*time.Second, "the parts in flight held", func() bool { return u.calls("upload.saveBigFilePart") >= held })
	c.p.kill(t)
	u.firstRun = w.sim.UploadBytesReceived(w.acc.Name)
	return u
}

// finish lets parts through again, restarts the connector and checks that
// the command completed once, with a message holding exactly the
// object's bytes, and left nothing staged.
func (u *cutUploadRun) finish(t *testing.T) {
	t.Helper()
	w := u.c.w
	w.sim.HoldReplies(tg.UploadSaveBigFilePartRequestTypeID, 0)
	u.c.restart(t)
	res, _ := u.cl.result(t, u.key)
	if !res.OK || res.Result == nil || res.Result.MessageID == 0 {
		t.Fatalf("result %+v %+v, want the message sent", res.Result, res.Error)
	}
	f, err := w.sim.MessageFile(context.Background(), w.acc.Name, u.chat, res.Result.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != u.size || f.SHA256 != u.sha256 {
		t.Fatalf("the message holds %d bytes sha256 %s, want %d %s", f.Size, f.SHA256, u.size, u.sha256)
	}
	u.cl.consumerIdle(t)
	base := w.acc.Name + ":" + schema.KindCommand + ":" + u.key + ":"
	if n, failed := len(u.cl.events.get(base+schema.ActionCompleted)), len(u.cl.events.get(base+schema.ActionFailed)); n != 1 || failed != 0 {
		t.Errorf("%d command.completed and %d command.failed events, want 1 and 0", n, failed)
	}
	partial := filepath.Join(dataDirOf(t, u.c.cfgFile), "files", "partial")
	if ents, _ := os.ReadDir(partial); len(ents) != 0 {
		t.Errorf("%d files left in %s after the upload", len(ents), partial)
	}
}

// dataDirOf is the data_dir of a connector's config file.
func dataDirOf(t testing.TB, cfgFile string) string {
	t.Helper()
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^data_dir: (".*")$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no data_dir in %s", cfgFile)
	}
	dir, err := strconv.Unquote(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestFileOnAnotherDC downloads files that live on the simulator's second
// DC: upload.getFile on the home DC answers FILE_MIGRATE_4, gotd exports
// the authorization to DC 4 and downloads there, and later downloads reuse
// that connection instead of authorizing again.
func TestFileOnAnotherDC(t *testing.T) {
	env := newCommandEnv(t, commandEnvOptions{files: &config.Files{Deadline: config.Default().Files.Deadline, MaxUploadBytes: 11 << 20}})
	acc := env.w.acc
	bucket := schema.FilesBucketName(acc.Name)
	calls := func(method string) int { return env.w.sim.Calls(acc.Name)[method] }
	for i, via := range entryPoints {
		c := call{env: env, via: via}
		t.Run(via.name, func(t *testing.T) {
			size := int64(3<<20 + 1000*int64(i))
			id := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Media: "document",
				File: &sim.File{Size: size, Mime: "video/mp4", Name: "far.mp4", DC: sim.MediaDC}})
			want := env.messageFile(t, env.super, id)
			if want.DC != sim.MediaDC {
				t.Fatalf("simulator file %+v, want it on DC %d", want, sim.MediaDC)
			}
			out := c.ok(t, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(env.super), id), 0)
			if got := out.File; got == nil || got.Size != size || got.SHA256 != want.SHA256 {
				t.Fatalf("result file %+v, want %d bytes sha256 %s", got, size, want.SHA256)
			}
			if n, sum := objectSHA256(t, env.cl.js, bucket, out.File.Object); n != size || sum != want.SHA256 {
				t.Errorf("the object holds %d bytes sha256 %s, want %d %s", n, sum, size, want.SHA256)
			}
		})
	}
	if n := calls("auth.exportAuthorization"); n != 1 {
		t.Errorf("auth.exportAuthorization called %d times for two downloads on DC 4, want 1 (connection reused)", n)
	}
}
