package egress

import (
	"strings"
	"testing"
	"time"

	"github.com/gotd/neo"
	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

// TestResolveAsksTelegram: a user and a channel the store has no access
// hash for (the connector has not seen them in an event) are looked up
// with access_hash 0, stored, and the command goes on; the next command
// finds them in the store.
func TestResolveAsksTelegram(t *testing.T) {
	h := newHarness(t, nil)
	h.api.users["#300"] = &tg.User{ID: 300, AccessHash: 3000, FirstName: "New"}
	h.api.chans["#400"] = &tg.Channel{ID: 400, AccessHash: 4000, Title: "Fresh"}
	h.start(h.config())

	for i, tc := range []struct {
		body string
		ref  schema.PeerRef
		hash int64
	}{
		{`{"peer":{"kind":"user","id":300},"text":"hi"}`, schema.PeerRef{Kind: schema.PeerUser, ID: 300}, 3000},
		{`{"peer":-1000000000400,"text":"hi"}`, schema.PeerRef{Kind: schema.PeerChannel, ID: 400}, 4000},
	} {
		for round := range 2 {
			res := h.rpc(schema.CommandMessageSend, tc.body, "")
			if !res.OK || res.Peer == nil || *res.Peer != tc.ref {
				t.Fatalf("%s round %d: %+v %+v", tc.ref, round, res, res.Error)
			}
			sends := h.api.callsOf("messages.sendMessage")
			in := sends[len(sends)-1].req.(*tg.MessagesSendMessageRequest).Peer
			if inputHash(in) != tc.hash {
				t.Fatalf("%s: sent to %+v, want access hash %d", tc.ref, in, tc.hash)
			}
		}
		p, err := h.store.Peer(tc.ref)
		if err != nil || p.AccessHash != tc.hash {
			t.Fatalf("%s stored as %+v (%v)", tc.ref, p, err)
		}
		if n := len(h.api.callsOf("users.getUsers")) + len(h.api.callsOf("channels.getChannels")); n != i+1 {
			t.Fatalf("%d lookups after %s, want %d: the second command should use the store", n, tc.ref, i+1)
		}
	}
}

func inputHash(in tg.InputPeerClass) int64 {
	switch in := in.(type) {
	case *tg.InputPeerUser:
		return in.AccessHash
	case *tg.InputPeerChannel:
		return in.AccessHash
	}
	return 0
}

// TestResolveUnknownIsRemembered: an id Telegram gives no access hash for
// fails with PEER_NOT_FOUND saying what to do; for negativeTTL later
// commands fail without asking again, and a bot's BOT_METHOD_INVALID for
// dialogs is asked once. The failure is not stored under the key: the same
// key succeeds once the peer is known.
func TestResolveUnknownIsRemembered(t *testing.T) {
	clock := neo.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := newHarness(t, clock.Now)
	cfg := h.config()
	cfg.Now = clock.Now
	h.start(cfg)
	body := `{"peer":{"peer_kind":"user","peer_id":999},"text":"x"}`
	lookups := func() (users, dialogs int) {
		return len(h.api.callsOf("users.getUsers")), len(h.api.callsOf("messages.getDialogs"))
	}
	for round := range 2 {
		res := h.rpc(schema.CommandMessageSend, body, "unknown-key")
		if res.OK || res.Error.Code != schema.CodePeerNotFound {
			t.Fatalf("round %d: %+v", round, res)
		}
		for _, want := range []string{"user:999 is unknown", "@username", "event"} {
			if !strings.Contains(res.Error.Message, want) {
				t.Errorf("message %q does not mention %q", res.Error.Message, want)
			}
		}
		if u, d := lookups(); u != 1 || d != 1 {
			t.Fatalf("round %d: %d users.getUsers and %d messages.getDialogs calls, want 1 and 1", round, u, d)
		}
	}
	clock.Travel(negativeTTL)
	h.rpc(schema.CommandMessageSend, body, "unknown-key")
	if u, d := lookups(); u != 2 || d != 1 {
		t.Fatalf("after the TTL: %d users.getUsers and %d messages.getDialogs calls, want 2 and 1 (a bot has no dialogs)", u, d)
	}

	clock.Travel(negativeTTL)
	h.api.users["#999"] = &tg.User{ID: 999, AccessHash: 9990}
	if res := h.rpc(schema.CommandMessageSend, body, "unknown-key"); !res.OK {
		t.Fatalf("same key once the peer is known: %+v", res.Error)
	}
}

// TestResolveUserAccountDialogs: a user account finds a chat Telegram does
// not give by id in its dialogs, and stores what the dialogs name.
func TestResolveUserAccountDialogs(t *testing.T) {
	h := newHarness(t, nil)
	h.api.dialogs = &tg.MessagesDialogs{
		Chats: []tg.ChatClass{&tg.Channel{ID: 500, AccessHash: 5000, Title: "Mine"}},
		Users: []tg.UserClass{&tg.User{ID: 501, AccessHash: 5010, FirstName: "Friend"}},
	}
	h.start(h.config())
	res := h.rpc(schema.CommandMessageSend, `{"peer":{"kind":"channel","id":500},"text":"hi"}`, "")
	if !res.OK {
		t.Fatalf("%+v", res.Error)
	}
	if len(h.api.callsOf("channels.getChannels")) != 1 || len(h.api.callsOf("messages.getDialogs")) != 1 {
		t.Fatalf("calls %+v", h.api.callsOf(""))
	}
	if p, err := h.store.Peer(schema.PeerRef{Kind: schema.PeerUser, ID: 501}); err != nil || p.AccessHash != 5010 {
		t.Fatalf("the dialogs' user stored as %+v (%v)", p, err)
	}
}
