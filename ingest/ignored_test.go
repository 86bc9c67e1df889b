package ingest

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/syncbuf"
)

// Updates mapping ignores on purpose (client state, typing) publish
// nothing, still move their position and are counted by type in
// tgnats_updates_ignored_total.
func TestEngineCountsIgnoredUpdates(t *testing.T) {
	ft := newFakeTelegram()
	h := newHarness(t, ft, newMemStore())
	folders := ft.folderPeers()
	h.push(wrap(folders, &tg.UpdateUserTyping{UserID: 7, Action: &tg.SendMessageTypingAction{}}))
	u1 := ft.newMessage(1, 7, "after the folders")
	h.push(wrap(u1))
	h.eventually("message committed", func() bool { return h.store.state().Pts == u1.Pts })
	if got, want := h.store.ids(), []string{created(user(7), 1)}; !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	for _, typ := range []string{"updateFolderPeers", "updateUserTyping"} {
		if n := counterValue(h.eng.cfg.Metrics.ignoredC.WithLabelValues(account, typ)); n != 1 {
			t.Errorf("updates_ignored_total{type=%q} = %v, want 1", typ, n)
		}
	}
	if n := counterValue(h.eng.cfg.Metrics.mapErrors.WithLabelValues(account, "updateFolderPeers")); n != 0 {
		t.Errorf("an ignored update counted as a mapping error: %v", n)
	}
}

// futureUpdate stands for a constructor a newer gotd brings that mapping's
// table does not classify yet.
type futureUpdate struct{ *tg.UpdateNewMessage }

func (futureUpdate) TypeID() uint32   { return 0x7e570001 }
func (futureUpdate) TypeName() string { return "updateFromTheFuture" }

// An update of an unclassified constructor is logged at warn with its type
// name, never its content, counted as a mapping error, and does not hold
// the sequence up.
func TestEngineWarnsOnAnUnclassifiedUpdate(t *testing.T) {
	var logs syncbuf.Buffer
	ft := newFakeTelegram()
	h := newHarnessWith(t, ft, newMemStore(), func(c *EngineConfig) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	u0 := ft.newMessage(1, 7, "secret words")
	h.push(wrap(futureUpdate{u0}))
	u1 := ft.newMessage(2, 7, "next")
	h.push(wrap(u1))
	h.eventually("next message committed", func() bool { return h.store.state().Pts == u1.Pts })
	if got, want := h.store.ids(), []string{created(user(7), 2)}; !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "type=updateFromTheFuture") {
		t.Errorf("no warning naming the type; logs:\n%s", out)
	}
	if strings.Contains(out, "secret words") {
		t.Errorf("the log carries message text:\n%s", out)
	}
	if n := counterValue(h.eng.cfg.Metrics.mapErrors.WithLabelValues(account, "updateFromTheFuture")); n != 1 {
		t.Errorf("mapping_errors_total{type=updateFromTheFuture} = %v, want 1", n)
	}
}
