package e2e

import (
	"encoding/json"
	"testing"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// TestMessageDetails: a reply in a supergroup thread quoting its parent,
// and a photo, reach consumers with the quote, the thread and the media
// descriptor a later download needs (dc, size, dimensions, thumbnails).
func TestMessageDetails(t *testing.T) {
	env := newCommandEnv(t, commandEnvOptions{})
	acc := env.w.acc.Name
	root := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Text: "root of the thread", Media: "photo"})
	first := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Text: "first reply", ReplyTo: root})
	second := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Text: "second reply", ReplyTo: first})

	body := func(id int) schema.Message {
		t.Helper()
		ev := env.cl.events.wait(t, schema.EventID(acc, env.super, id, schema.KindMessage, schema.ActionCreated, 0))
		var m schema.Message
		if err := json.Unmarshal(ev.data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	photo := body(root).Media
	if photo == nil || photo.DCID == 0 || photo.FileRef == "" || photo.Width != 800 || photo.Height != 600 || photo.Size == 0 || len(photo.Thumbs) != 2 || photo.Thumbs[0].Type != "m" {
		t.Fatalf("photo %+v", photo)
	}
	r1 := body(first)
	if r1.ReplyTo == nil || r1.ReplyTo.MessageID != root || !r1.ReplyTo.Quote || r1.ReplyTo.QuoteText != "root" || r1.ThreadID != 0 {
		t.Fatalf("first reply: reply_to %+v, thread %d", r1.ReplyTo, r1.ThreadID)
	}
	r2 := body(second)
	if r2.ReplyTo == nil || r2.ReplyTo.MessageID != first || r2.ReplyTo.QuoteText != "first" || r2.ReplyTo.TopID != root || r2.ThreadID != root {
		t.Fatalf("second reply: reply_to %+v, thread %d", r2.ReplyTo, r2.ThreadID)
	}
}
