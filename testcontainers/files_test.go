package tgnats_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	tgnats "github.com/tgnats/tgnats/testcontainers"
)

// TestFiles downloads a file a user sent into the Object Store and sends
// it back, checked against the sha256 the simulated Telegram reports.
func TestFiles(t *testing.T) {
	imgs := images(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctr := startTgnats(t, ctx, imgs.connector)
	url, err := ctr.NATSURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	created := make(chan *nats.Msg, 16)
	sub, err := nc.ChanSubscribe("tg.main.events.message.created.>", created)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	alice, err := ctr.CreateUser(ctx, "Alice", "", "alice_files")
	if err != nil {
		t.Fatal(err)
	}
	chat := tgnats.Chat{Kind: "user", ID: alice}
	id, err := ctr.InjectFile(ctx, chat, "document", tgnats.File{Size: 3<<20 + 5, Mime: "application/pdf", Name: "report.pdf"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-created:
	case <-ctx.Done():
		t.Fatal("no message.created event")
	}
	want, err := ctr.MessageFile(ctx, chat, id)
	if err != nil {
		t.Fatal(err)
	}
	// References expired before the download do not matter: the
	// connector fetches the message for a fresh one.
	if err := ctr.ExpireFileReferences(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := ctr.Command(ctx, "media.download", map[string]any{"peer": chat, "message_id": id}, "dl-1")
	if err != nil {
		t.Fatal(err)
	}
	f := res.Result.File
	if f == nil || f.SHA256 != want.SHA256 || f.Size != want.Size || f.Name != "report.pdf" || f.Mime != "application/pdf" {
		t.Fatalf("downloaded %+v, want %+v", f, want)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := js.ObjectStore(ctx, f.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := store.Get(ctx, f.Object)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, obj); err != nil {
		t.Fatal(err)
	}
	obj.Close()
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		t.Fatalf("the object's sha256 %s, want %s", got, want.SHA256)
	}

	sent, err := ctr.Command(ctx, "media.send", map[string]any{"peer": chat, "caption": "back to you",
		"media": map[string]any{"type": "document", "object": f.Object}}, "send-1")
	if err != nil {
		t.Fatal(err)
	}
	back, err := ctr.MessageFile(ctx, chat, sent.Result.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if back.SHA256 != want.SHA256 || back.Name != "report.pdf" {
		t.Fatalf("sent back %+v, want the same bytes as %s", back, fmt.Sprint(want.SHA256))
	}
}

// TestFileOnSecondDC downloads a file that lives on the simulator's DC 4:
// the connector in the container gets FILE_MIGRATE_4, exports its
// authorization to DC 4 (listening inside the container as DC 2 does)
// and downloads there.
func TestFileOnSecondDC(t *testing.T) {
	imgs := images(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctr := startTgnats(t, ctx, imgs.connector)
	alice, err := ctr.CreateUser(ctx, "Alice", "", "alice_far")
	if err != nil {
		t.Fatal(err)
	}
	chat := tgnats.Chat{Kind: "user", ID: alice}
	for i, size := range []int64{2<<20 + 7, 1 << 20} {
		id, err := ctr.InjectFile(ctx, chat, "document", tgnats.File{Size: size, Mime: "video/mp4", Name: "far.mp4", DC: 4})
		if err != nil {
			t.Fatal(err)
		}
		want, err := ctr.MessageFile(ctx, chat, id)
		if err != nil {
			t.Fatal(err)
		}
		if want.DC != 4 || want.Size != size {
			t.Fatalf("simulator file %+v, want %d bytes on DC 4", want, size)
		}
		res, err := ctr.Command(ctx, "media.download", map[string]any{"peer": chat, "message_id": id}, fmt.Sprintf("far-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if f := res.Result.File; f == nil || f.SHA256 != want.SHA256 || f.Size != size {
			t.Fatalf("downloaded %+v, want %+v", f, want)
		}
	}
	calls, err := ctr.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := calls["auth.exportAuthorization"]; n != 1 {
		t.Errorf("auth.exportAuthorization called %d times for two downloads on DC 4, want 1 (%v)", n, calls)
	}
}
