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
