package tgtestsuite

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// SendAPI is the send calls of one account.
type SendAPI interface {
	MessagesSendMessage(ctx context.Context, req *tg.MessagesSendMessageRequest) (tg.UpdatesClass, error)
	ContactsResolveUsername(ctx context.Context, username string) (*tg.ContactsResolvedPeer, error)
}

// SendWorld is a Telegram seen by one account that sends.
type SendWorld interface {
	SendAPI
	// Peer returns a user the account may write to.
	Peer(t *testing.T) tg.InputPeerClass
}

// RunSend runs the send cases against w.
func RunSend(t *testing.T, w SendWorld) {
	t.Run("SendMessage", func(t *testing.T) { testSendMessage(t, w) })
	t.Run("UnknownUsername", func(t *testing.T) { testUnknownUsername(t, w) })
}

// sendMessage answers tg.Updates with the message's id under its random id
// and the new message, outgoing, in the account's box (pts advanced by its
// pts_count); the same random id again answers RANDOM_ID_DUPLICATE.
func testSendMessage(t *testing.T, w SendWorld) {
	ctx := testCtx(t)
	peer := w.Peer(t)
	rid := rand.Int64() // unique enough in a Telegram shared with other tests
	req := &tg.MessagesSendMessageRequest{Peer: peer, Message: "hello", RandomID: rid}
	res, err := w.MessagesSendMessage(ctx, req)
	if err != nil {
		t.Fatalf("sendMessage: %v", err)
	}
	ups, ok := res.(*tg.Updates)
	if !ok {
		t.Fatalf("sendMessage = %T, want *tg.Updates", res)
	}
	id := 0
	var msg *tg.UpdateNewMessage
	for _, u := range ups.Updates {
		switch u := u.(type) {
		case *tg.UpdateMessageID:
			if u.RandomID == rid {
				id = u.ID
			}
		case *tg.UpdateNewMessage:
			msg = u
		}
	}
	if id == 0 || msg == nil {
		t.Fatalf("sendMessage updates %v: want updateMessageID of random id %d and updateNewMessage", ups.Updates, rid)
	}
	m, ok := msg.Message.(*tg.Message)
	if !ok || m.ID != id || !m.Out || m.Message != "hello" {
		t.Errorf("new message = %v, want id %d, out, text %q", msg.Message, id, "hello")
	}
	if msg.Pts <= 0 || msg.PtsCount != 1 {
		t.Errorf("new message pts %d, pts_count %d; want a pts and pts_count 1", msg.Pts, msg.PtsCount)
	}

	_, err = w.MessagesSendMessage(ctx, &tg.MessagesSendMessageRequest{Peer: peer, Message: "again", RandomID: rid})
	if !tgerr.Is(err, "RANDOM_ID_DUPLICATE") {
		t.Errorf("sendMessage with a used random id: %v, want RANDOM_ID_DUPLICATE", err)
	}
}

// A username nobody has answers USERNAME_NOT_OCCUPIED.
func testUnknownUsername(t *testing.T, w SendWorld) {
	_, err := w.ContactsResolveUsername(testCtx(t), "nobody_has_this_name")
	if !tgerr.Is(err, "USERNAME_NOT_OCCUPIED") {
		t.Errorf("resolveUsername of an unknown name: %v, want USERNAME_NOT_OCCUPIED", err)
	}
}
