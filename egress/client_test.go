package egress

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tgnats/tgnats/schema"
)

// TestClientDo: Do sends a command over rpc with its key and returns the
// result; a failed command is the result plus its *schema.CommandError.
func TestClientDo(t *testing.T) {
	h := newHarness(t, nil)
	h.start(h.config())
	h.rpc(schema.CommandChatAction, `{"peer":7,"action":"typing"}`, "") // the service is up
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := Client{NC: h.nc, Account: "main"}
	user := schema.PeerOf(schema.PeerRef{Kind: schema.PeerUser, ID: 7})

	var first *schema.CommandResult
	for range 2 {
		res, err := c.Do(ctx, &schema.SendMessage{Peer: user, Text: "hi"}, WithKey("client-1"), WithTraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))
		if err != nil || !res.OK || res.CommandID != "client-1" || res.Result == nil {
			t.Fatalf("Do: %+v, %v", res, err)
		}
		if first != nil && res.Result.MessageID != first.Result.MessageID {
			t.Fatalf("same key answered message %d, then %d", first.Result.MessageID, res.Result.MessageID)
		}
		first = res
	}
	if n := len(h.api.callsOf("messages.sendMessage")); n != 1 {
		t.Fatalf("%d sends for one key, want 1", n)
	}

	res, err := c.Do(ctx, &schema.SendMessage{Peer: schema.PeerByUsername("@nobody"), Text: "hi"})
	if !errors.Is(err, schema.ErrPeerNotFound) || res == nil || res.OK {
		t.Fatalf("Do to an unknown username: %+v, %v; want the result and PEER_NOT_FOUND", res, err)
	}
	ctx2, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel2()
	other := Client{NC: h.nc, Account: "nobody"}
	if res, err := other.Do(ctx2, &schema.SendMessage{Peer: user, Text: "hi"}); err == nil || res != nil {
		t.Fatalf("Do to an account nobody serves: %+v, %v", res, err)
	}
}
