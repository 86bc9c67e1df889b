package sim

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/schema"
)

func TestDialogs(t *testing.T) {
	ctx := context.Background()
	s, err := New(Config{Accounts: []Account{{Name: "u", Phone: "+15550001", UserID: 7}}, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var chans []schema.PeerRef
	for range 3 {
		ch, err := s.CreateBroadcast("c")
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	sendN(t, s, "u", chans[1], 4)
	u := s.CreateUser("A", "", "")
	sendN(t, s, "u", schema.PeerRef{Kind: schema.PeerUser, ID: u}, 1)
	if _, err := s.Inject(ctx, Fault{Kind: FaultHistory, N: 2}); err != nil { // not joined: not listed
		t.Fatal(err)
	}
	if _, err := s.Inject(ctx, Fault{Kind: FaultLeave, Account: "u", Channel: chans[2].ID}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	ds := s.w.dialogs(s.w.byName["u"])
	s.mu.Unlock()
	var got []schema.PeerRef
	for _, d := range ds {
		got = append(got, d.peer)
		if d.peer == chans[1] && d.pts != 5 {
			t.Errorf("channel pts %d in its dialog, want 5", d.pts)
		}
	}
	// Same second: the higher top message id first, then chats without messages.
	want := []schema.PeerRef{chans[1], {Kind: schema.PeerUser, ID: u}, chans[0]}
	if len(got) != len(want) {
		t.Fatalf("dialogs %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("dialogs %v, want %v", got, want)
		}
	}
	if _, err := mainAPI.MessagesGetDialogs(testCtx(t), &tg.MessagesGetDialogsRequest{OffsetPeer: &tg.InputPeerEmpty{}, Limit: 10}); !tgerr.Is(err, "BOT_METHOD_INVALID") {
		t.Fatalf("getDialogs of a bot: %v, want BOT_METHOD_INVALID", err)
	}
}
