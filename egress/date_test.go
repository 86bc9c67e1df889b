package egress

import (
	"github.com/gotd/neo"

	"testing"
	"time"

	"github.com/gotd/td/tg"
)

// handed returns the updates egress handed to ingest so far.
func (h *harness) handed() []tg.UpdatesClass {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]tg.UpdatesClass(nil), h.updates...)
}

// TestSendMediaShortSentIsExpanded: Telegram answers a private media send
// with updateShortSentMessage. Handed on as is, ingest cannot apply it (no
// message), sees a pts gap and calls getDifference; it must reach ingest
// as the updateNewMessage it stands for, with Telegram's date.
func TestSendMediaShortSentIsExpanded(t *testing.T) {
	h := newHarness(t, nil)
	h.api.shortMedia = true
	h.start(h.config())
	res := h.rpc("media.send", `{"peer":7,"media":{"type":"document","data":"aGVsbG8=","file_name":"a.txt"},"caption":"the caption","silent":true}`, "media-short")
	if !res.OK || res.Result == nil || res.Result.MessageID == 0 {
		t.Fatalf("result %+v", res)
	}
	us := h.handed()
	if len(us) != 1 {
		t.Fatalf("%d updates handed to ingest, want 1", len(us))
	}
	u, ok := us[0].(*tg.Updates)
	if !ok || len(u.Updates) != 1 || u.Date != 1700000000 {
		t.Fatalf("handed %T %+v, want an updates with one updateNewMessage dated by Telegram", us[0], us[0])
	}
	nm, ok := u.Updates[0].(*tg.UpdateNewMessage)
	if !ok || nm.Pts != 20 || nm.PtsCount != 1 {
		t.Fatalf("update %+v", u.Updates[0])
	}
	m, ok := nm.Message.(*tg.Message)
	if !ok || m.ID != res.Result.MessageID || m.Message != "the caption" || !m.Silent || m.Date != 1700000000 || m.Media == nil {
		t.Fatalf("message %+v", nm.Message)
	}
	if p, ok := m.PeerID.(*tg.PeerUser); !ok || p.UserID != 7 {
		t.Fatalf("peer %+v", m.PeerID)
	}
}

// TestAffectedUpdatesCarryTelegramDate: the updates egress builds for a
// delete or a read (Telegram answers only pts) become ingest's stored
// date, the date of its next getDifference, and the time of the deletion
// events. They must follow Telegram's clock, not the local one.
func TestAffectedUpdatesCarryTelegramDate(t *testing.T) {
	local := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC) // this host's clock, far from Telegram's
	clock := neo.NewTime(local)
	h := newHarness(t, clock.Now)
	cfg := h.config()
	cfg.Now = clock.Now
	h.start(cfg)
	if res := h.rpc("message.send", `{"peer":7,"text":"hi"}`, "date-send"); !res.OK {
		t.Fatalf("send %+v", res)
	}
	clock.Travel(3 * time.Second)
	if res := h.rpc("message.delete", `{"peer":7,"message_ids":[3]}`, "date-delete"); !res.OK {
		t.Fatalf("delete %+v", res)
	}
	us := h.handed()
	del, ok := us[len(us)-1].(*tg.Updates)
	if !ok {
		t.Fatalf("last handed %T", us[len(us)-1])
	}
	// Telegram dated the send 1700000000; three seconds later on any clock.
	if want := 1700000000 + 3; del.Date < want-1 || del.Date > want+1 {
		t.Fatalf("delete's updates dated %d (%v), want Telegram's time %d, not the local clock's %d",
			del.Date, time.Unix(int64(del.Date), 0).UTC(), want, clock.Now().Unix())
	}
}
