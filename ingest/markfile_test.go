package ingest

import (
	"slices"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

// An event MarkFile names an object for is committed naming it, and its
// outbox record carries the object in the header the publisher's Prepare
// looks for; other events carry no header.
func TestEngineMarkFileHeader(t *testing.T) {
	ft := newFakeTelegram()
	mark := func(ev *schema.Event) string {
		m, ok := ev.Data.(*schema.Message)
		if !ok || ev.Action != schema.ActionCreated || ev.MessageID != 2 {
			return ""
		}
		m.Media = &schema.Media{Type: "document", File: &schema.StoredFile{Bucket: "TG_MAIN_FILES", Object: "main/user/7/2"}}
		return "main/user/7/2"
	}
	h := newHarnessWith(t, ft, newMemStore(), func(c *EngineConfig) { c.MarkFile = mark })
	h.push(wrap(ft.newMessage(1, 7, "one")))
	h.push(wrap(ft.newMessage(2, 7, "two")))
	h.eventually("both committed", func() bool { return len(h.store.ids()) == 2 })
	for _, r := range h.store.Records() {
		got := r.Header[schema.HeaderFileObject]
		want := []string(nil)
		if r.MsgID == created(user(7), 2) {
			want = []string{"main/user/7/2"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("record %s: %s header %v, want %v", r.MsgID, schema.HeaderFileObject, got, want)
		}
	}
	media, _ := h.store.body(t, created(user(7), 2))["media"].(map[string]any)
	if file, _ := media["file"].(map[string]any); file["object"] != "main/user/7/2" || file["bucket"] != "TG_MAIN_FILES" {
		t.Errorf("event media %v, want it to name the object", media)
	}
}
