package ingest

import (
	"slices"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// updateBotCallbackQuery carries no pts or qts: the engine emits it where it
// arrives, between the messages around it, without moving the update state
// or asking for the difference (which never contains one).
func TestEngineEmitsCallbackQueriesInPlace(t *testing.T) {
	ft := newFakeTelegram()
	h := newHarness(t, ft, newMemStore())
	u1 := ft.newMessage(1, 7, "pick one")
	h.push(wrap(u1))
	h.eventually("message committed", func() bool { return h.store.state().Pts == u1.Pts })

	press := &tg.UpdateBotCallbackQuery{QueryID: 77, UserID: 7, Peer: &tg.PeerUser{UserID: 7}, MsgID: 1, ChatInstance: 3, Data: []byte("yes")}
	press.SetFlags()
	h.push(&tg.Updates{Updates: []tg.UpdateClass{press}, Users: []tg.UserClass{&tg.User{ID: 7, AccessHash: 5, FirstName: "Ann"}}, Date: 1700000100})
	u2 := ft.newMessage(2, 7, "thanks")
	h.push(wrap(u2))
	h.eventually("second message committed", func() bool { return h.store.state().Pts == u2.Pts })

	query := schema.EventID(account, user(7), 1, schema.KindCallback, schema.ActionQuery, 77)
	if got, want := h.store.ids(), []string{created(user(7), 1), query, created(user(7), 2)}; !slices.Equal(got, want) {
		t.Fatalf("outbox = %v, want %v", got, want)
	}
	if n := ft.count("getDifference"); n != 0 {
		t.Fatalf("getDifference called %d times; a callback query needs none", n)
	}
}
