package sim

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	"github.com/tgnats/tgnats/schema"
)

// Tests of the RPCs a bot acts with, through a real gotd client.

var randomSeq struct {
	sync.Mutex
	n int64
}

func nextRandom() int64 {
	randomSeq.Lock()
	defer randomSeq.Unlock()
	randomSeq.n++
	return 0x5eed_0000_0000 + randomSeq.n
}

func inputUser(id int64) *tg.InputPeerUser {
	return &tg.InputPeerUser{UserID: id, AccessHash: accessHash("user", id)}
}

func inputPeerOf(p schema.PeerRef) tg.InputPeerClass {
	switch p.Kind {
	case schema.PeerChat:
		return &tg.InputPeerChat{ChatID: p.ID}
	case schema.PeerChannel:
		return &tg.InputPeerChannel{ChannelID: p.ID, AccessHash: accessHash("channel", p.ID)}
	}
	return inputUser(p.ID)
}

func inputChannelOf(p schema.PeerRef) *tg.InputChannel {
	return &tg.InputChannel{ChannelID: p.ID, AccessHash: accessHash("channel", p.ID)}
}

func wantRPCError(t *testing.T, err error, typ string) {
	t.Helper()
	if !tgerr.Is(err, typ) {
		t.Fatalf("error = %v, want %s", err, typ)
	}
}

// sendText sends text to peer as main and returns the result.
func sendText(t *testing.T, peer tg.InputPeerClass, text string) (*tg.Updates, int64) {
	t.Helper()
	rid := nextRandom()
	res, err := mainAPI.MessagesSendMessage(testCtx(t), &tg.MessagesSendMessageRequest{Peer: peer, Message: text, RandomID: rid})
	if err != nil {
		t.Fatal(err)
	}
	u, ok := res.(*tg.Updates)
	if !ok {
		t.Fatalf("result %T, want *tg.Updates", res)
	}
	return u, rid
}

// sentID checks the updateMessageID of rid and returns the message id.
func sentID(t *testing.T, u *tg.Updates, rid int64) int {
	t.Helper()
	for _, x := range u.Updates {
		if m, ok := x.(*tg.UpdateMessageID); ok && m.RandomID == rid {
			return m.ID
		}
	}
	t.Fatalf("no updateMessageID for random id %d in %v", rid, u)
	return 0
}

// assertNoEcho pushes a marker to main and checks that nothing about
// msgIDs reached main's session before it.
func assertNoEcho(t *testing.T, mark int, msgIDs ...int) {
	t.Helper()
	shared.PushTooLong("main")
	for _, p := range flatten(mainRec.waitFor(t, mark, untilTooLong)) {
		if p.msgID != 0 && slices.Contains(msgIDs, p.msgID) {
			t.Errorf("calling session got its own update back: %+v", p)
		}
	}
}

func lastLedger(account string) LedgerEntry {
	l := shared.Ledger(account)
	return l[len(l)-1]
}

func lastCall(t *testing.T, account string) Call {
	t.Helper()
	calls := shared.ServedCalls(account)
	if len(calls) == 0 {
		t.Fatal("no calls recorded")
	}
	return calls[len(calls)-1]
}

func TestSendMessagePrivate(t *testing.T) {
	u := newTestUser(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	before, _ := shared.State("main")
	mark := mainRec.mark()

	res, rid := sendText(t, inputUser(u), "hello from the bot")
	id := sentID(t, res, rid)
	var nm *tg.UpdateNewMessage
	for _, x := range res.Updates {
		if x, ok := x.(*tg.UpdateNewMessage); ok {
			nm = x
		}
	}
	if nm == nil || nm.Pts != before.Pts+1 || nm.PtsCount != 1 || nm.Message.GetID() != id {
		t.Fatalf("result updates %v, want updateNewMessage id %d pts %d", res.Updates, id, before.Pts+1)
	}
	if m := nm.Message.(*tg.Message); !m.Out || m.Message != "hello from the bot" {
		t.Errorf("message %+v, want outgoing text", m)
	}
	if res.Seq != 0 {
		t.Errorf("result seq = %d, want 0", res.Seq)
	}
	users := map[int64]bool{}
	for _, x := range res.Users {
		users[x.(*tg.User).ID] = true
	}
	if !users[u] || !users[1000] {
		t.Errorf("result users %v, want %d and self", users, u)
	}
	after, _ := shared.State("main")
	if after.Pts != before.Pts+1 || after.Seq != before.Seq {
		t.Errorf("state %+v after %+v, want pts+1 and seq unchanged", after, before)
	}
	if e := lastLedger("main"); e.Action != schema.ActionCreated || e.MessageID != id || e.Peer != private ||
		e.From != 1000 || e.Text != "hello from the bot" || e.Account != "main" {
		t.Errorf("ledger entry %+v", e)
	}
	if v, ok := shared.Message(private, "main", id); !ok || !v.Out || v.From != 1000 || v.Text != "hello from the bot" {
		t.Errorf("message view %+v %v", v, ok)
	}
	if a := lastCall(t, "main"); a.Method != "messages.sendMessage" || a.RandomID != rid || !slices.Equal(a.MessageIDs, []int{id}) || a.Peer != private {
		t.Errorf("action %+v", a)
	}
	assertNoEcho(t, mark, id)
}

func TestSendMessageChannelsAndOtherSessions(t *testing.T) {
	// A second session of account "second" (main must keep one session:
	// TestFaults counts them).
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	otherRec := newRecorder()
	if _, err := startClient(ctx, &wg, shared.Endpoint(), "2000:second-token", otherRec); err != nil {
		t.Fatal(err)
	}
	u := newTestUser(t)
	super, err := shared.CreateChat(schema.PeerChannel, "api supergroup", u)
	if err != nil {
		t.Fatal(err)
	}
	chPts, _ := shared.ChannelPts(super.ID)
	mark, otherMark := secondRec.mark(), otherRec.mark()

	rid := nextRandom()
	res, err := secondAPI.MessagesSendMessage(testCtx(t), &tg.MessagesSendMessageRequest{Peer: inputPeerOf(super), Message: "to the supergroup", RandomID: rid})
	if err != nil {
		t.Fatal(err)
	}
	up := res.(*tg.Updates)
	id := sentID(t, up, rid)
	var got *tg.UpdateNewChannelMessage
	for _, x := range up.Updates {
		if x, ok := x.(*tg.UpdateNewChannelMessage); ok {
			got = x
		}
	}
	if got == nil || got.Pts != chPts+1 || got.PtsCount != 1 || !got.Message.(*tg.Message).Out {
		t.Fatalf("result %v, want outgoing updateNewChannelMessage pts %d", up.Updates, chPts+1)
	}
	if len(up.Chats) != 1 || up.Chats[0].GetID() != super.ID {
		t.Errorf("result chats %v, want the supergroup", up.Chats)
	}
	// The account's other session gets the same update pushed.
	otherRec.waitFor(t, otherMark, func(ups []tg.UpdatesClass) bool {
		for _, p := range flatten(ups) {
			if _, ok := p.update.(*tg.UpdateNewChannelMessage); ok && p.msgID == id && p.pts == chPts+1 {
				return true
			}
		}
		return false
	})
	// main sees the message too, from second's bot.
	if e := lastLedger("main"); e.MessageID != id || e.Peer != super || e.From != 2000 {
		t.Errorf("main's ledger %+v, want the message from second's bot", e)
	}
	// The calling session does not get it back.
	shared.PushTooLong("second")
	for _, p := range flatten(secondRec.waitFor(t, mark, untilTooLong)) {
		if p.msgID == id {
			t.Errorf("calling session got its own update back: %+v", p)
		}
	}
}

func TestSendMessageErrors(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	broadcast, err := shared.CreateBroadcast("not admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := shared.SetWriteForbidden(broadcast, "main", true); err != nil {
		t.Fatal(err)
	}
	rocket := "🚀" // two UTF-16 units
	tests := []struct {
		name    string
		req     tg.MessagesSendMessageRequest
		wantErr string
	}{
		{name: "empty", req: tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: "  "}, wantErr: "MESSAGE_EMPTY"},
		{name: "too long in utf-16", req: tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: strings.Repeat(rocket, 2049)}, wantErr: "MESSAGE_TOO_LONG"},
		{name: "longest", req: tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: strings.Repeat(rocket, 2048)}},
		{name: "bad access hash", req: tg.MessagesSendMessageRequest{Peer: &tg.InputPeerUser{UserID: u, AccessHash: 1}, Message: "x"}, wantErr: "PEER_ID_INVALID"},
		{name: "unknown chat", req: tg.MessagesSendMessageRequest{Peer: &tg.InputPeerChat{ChatID: 1}, Message: "x"}, wantErr: "PEER_ID_INVALID"},
		{name: "bad channel hash", req: tg.MessagesSendMessageRequest{Peer: &tg.InputPeerChannel{ChannelID: broadcast.ID, AccessHash: 1}, Message: "x"}, wantErr: "CHANNEL_INVALID"},
		{name: "not admin", req: tg.MessagesSendMessageRequest{Peer: inputPeerOf(broadcast), Message: "x"}, wantErr: "CHAT_WRITE_FORBIDDEN"},
		{name: "other bot", req: tg.MessagesSendMessageRequest{Peer: inputUser(2000), Message: "x"}, wantErr: "USER_IS_BOT"},
		{name: "scheduled", req: tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: "x", ScheduleDate: 2_000_000_000}, wantErr: "SCHEDULE_BOT_NOT_ALLOWED"},
		{name: "reply to unknown", req: tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: "x", ReplyTo: &tg.InputReplyToMessage{ReplyToMsgID: 1 << 30}}, wantErr: "REPLY_MESSAGE_ID_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ledger := len(shared.Ledger("main"))
			req := tt.req
			req.RandomID = nextRandom()
			_, err := mainAPI.MessagesSendMessage(ctx, &req)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantRPCError(t, err, tt.wantErr)
			if n := len(shared.Ledger("main")); n != ledger {
				t.Errorf("ledger grew by %d on a refused send", n-ledger)
			}
		})
	}
	// Allowed again once the bot is admin.
	if err := shared.SetWriteForbidden(broadcast, "main", false); err != nil {
		t.Fatal(err)
	}
	res, rid := sendText(t, inputPeerOf(broadcast), "post")
	if v, ok := shared.Message(broadcast, "", sentID(t, res, rid)); !ok || v.Text != "post" || v.From != 0 {
		t.Errorf("post %+v %v", v, ok)
	}
}

func TestRandomIDDuplicate(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	_, rid := sendText(t, inputUser(u), "once")
	state, _ := shared.State("main")
	ledger := len(shared.Ledger("main"))
	_, err := mainAPI.MessagesSendMessage(ctx, &tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: "twice", RandomID: rid})
	wantRPCError(t, err, "RANDOM_ID_DUPLICATE")
	if after, _ := shared.State("main"); after != state || len(shared.Ledger("main")) != ledger {
		t.Errorf("a duplicate changed the world: state %+v → %+v", state, after)
	}
	// The random id is the account's: another account may use it.
	if _, err := secondAPI.MessagesSendMessage(ctx, &tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: "mine", RandomID: rid}); err != nil {
		t.Fatal(err)
	}
}

func TestFloodWaitOnSend(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	ledger := len(shared.Ledger("main"))
	shared.FloodWait(tg.MessagesSendMessageRequestTypeID, 7, 1)
	_, err := mainAPI.MessagesSendMessage(ctx, &tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: "x", RandomID: nextRandom()})
	if d, ok := tgerr.AsFloodWait(err); !ok || d != 7*time.Second {
		t.Fatalf("error = %v, want FLOOD_WAIT_7", err)
	}
	if len(shared.Ledger("main")) != ledger {
		t.Error("a flood-waited send changed the ledger")
	}
	sendText(t, inputUser(u), "after the wait")
}

func TestEditMessage(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	res, rid := sendText(t, inputUser(u), "draft")
	id := sentID(t, res, rid)
	incoming, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Text: "from the user"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := shared.State("main")
	mark := mainRec.mark()
	up, err := mainAPI.MessagesEditMessage(ctx, &tg.MessagesEditMessageRequest{Peer: inputUser(u), ID: id, Message: "final"})
	if err != nil {
		t.Fatal(err)
	}
	ups := up.(*tg.Updates)
	em, ok := ups.Updates[0].(*tg.UpdateEditMessage)
	if !ok || em.Pts != before.Pts+1 || em.PtsCount != 1 || em.Message.(*tg.Message).Message != "final" {
		t.Fatalf("edit result %v, want updateEditMessage pts %d", ups.Updates, before.Pts+1)
	}
	v, _ := shared.Message(private, "main", id)
	if v.Text != "final" || v.EditDate.IsZero() {
		t.Errorf("after edit %+v", v)
	}
	if e := lastLedger("main"); e.Action != schema.ActionEdited || e.MessageID != id || e.Version/1_000_000 != v.EditDate.Unix() || e.From != 1000 {
		t.Errorf("ledger %+v", e)
	}
	assertNoEcho(t, mark, id)

	tests := []struct {
		name    string
		req     tg.MessagesEditMessageRequest
		wantErr string
	}{
		{name: "same text", req: tg.MessagesEditMessageRequest{Peer: inputUser(u), ID: id, Message: "final"}, wantErr: "MESSAGE_NOT_MODIFIED"},
		{name: "another user's", req: tg.MessagesEditMessageRequest{Peer: inputUser(u), ID: incoming, Message: "mine now"}, wantErr: "MESSAGE_AUTHOR_REQUIRED"},
		{name: "unknown id", req: tg.MessagesEditMessageRequest{Peer: inputUser(u), ID: 1 << 30, Message: "x"}, wantErr: "MESSAGE_ID_INVALID"},
		{name: "empty", req: tg.MessagesEditMessageRequest{Peer: inputUser(u), ID: id, Message: ""}, wantErr: "MESSAGE_EMPTY"},
		{name: "too long", req: tg.MessagesEditMessageRequest{Peer: inputUser(u), ID: id, Message: strings.Repeat("a", 4097)}, wantErr: "MESSAGE_TOO_LONG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			req.SetMessage(req.Message)
			_, err := mainAPI.MessagesEditMessage(ctx, &req)
			wantRPCError(t, err, tt.wantErr)
		})
	}
}

func TestDeleteMessages(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	res, rid := sendText(t, inputUser(u), "to delete")
	id := sentID(t, res, rid)
	before, _ := shared.State("main")
	aff, err := mainAPI.MessagesDeleteMessages(ctx, &tg.MessagesDeleteMessagesRequest{Revoke: true, ID: []int{id, 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	if aff.Pts != before.Pts+1 || aff.PtsCount != 1 {
		t.Errorf("affected %+v, want pts %d count 1", aff, before.Pts+1)
	}
	if v, _ := shared.Message(private, "main", id); !v.Deleted {
		t.Errorf("message not deleted: %+v", v)
	}
	if e := lastLedger("main"); e.Action != schema.ActionDeleted || e.MessageID != id {
		t.Errorf("ledger %+v", e)
	}

	super, err := shared.CreateChat(schema.PeerChannel, "delete here", u)
	if err != nil {
		t.Fatal(err)
	}
	res, rid = sendText(t, inputPeerOf(super), "gone soon")
	cid := sentID(t, res, rid)
	chPts, _ := shared.ChannelPts(super.ID)
	aff, err = mainAPI.ChannelsDeleteMessages(ctx, &tg.ChannelsDeleteMessagesRequest{Channel: inputChannelOf(super), ID: []int{cid}})
	if err != nil {
		t.Fatal(err)
	}
	if aff.Pts != chPts+1 || aff.PtsCount != 1 {
		t.Errorf("channel affected %+v, want pts %d", aff, chPts+1)
	}
	if v, _ := shared.Message(super, "", cid); !v.Deleted {
		t.Error("channel message not deleted")
	}
	_, err = mainAPI.ChannelsDeleteMessages(ctx, &tg.ChannelsDeleteMessagesRequest{Channel: &tg.InputChannel{ChannelID: super.ID}, ID: []int{cid}})
	wantRPCError(t, err, "CHANNEL_INVALID")
}

func TestForwardPinReact(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	src, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Text: "worth sharing"})
	if err != nil {
		t.Fatal(err)
	}
	super, err := shared.CreateChat(schema.PeerChannel, "forward target", u)
	if err != nil {
		t.Fatal(err)
	}
	chPts, _ := shared.ChannelPts(super.ID)
	rid := nextRandom()
	up, err := mainAPI.MessagesForwardMessages(ctx, &tg.MessagesForwardMessagesRequest{
		FromPeer: inputUser(u), ToPeer: inputPeerOf(super), ID: []int{src}, RandomID: []int64{rid},
	})
	if err != nil {
		t.Fatal(err)
	}
	fid := sentID(t, up.(*tg.Updates), rid)
	v, _ := shared.Message(super, "", fid)
	if !v.Forwarded || v.Text != "worth sharing" || v.From != 1000 {
		t.Errorf("forwarded %+v", v)
	}
	if p, _ := shared.ChannelPts(super.ID); p != chPts+1 {
		t.Errorf("channel pts %d, want %d", p, chPts+1)
	}
	_, err = mainAPI.MessagesForwardMessages(ctx, &tg.MessagesForwardMessagesRequest{
		FromPeer: inputUser(u), ToPeer: inputPeerOf(super), ID: []int{1 << 30}, RandomID: []int64{nextRandom()},
	})
	wantRPCError(t, err, "MESSAGE_ID_INVALID")

	// Pin and unpin.
	up, err = mainAPI.MessagesUpdatePinnedMessage(ctx, &tg.MessagesUpdatePinnedMessageRequest{Peer: inputPeerOf(super), ID: fid})
	if err != nil {
		t.Fatal(err)
	}
	pin, ok := up.(*tg.Updates).Updates[0].(*tg.UpdatePinnedChannelMessages)
	if !ok || !pin.Pinned || pin.Pts != chPts+2 || !slices.Equal(pin.Messages, []int{fid}) {
		t.Fatalf("pin result %v", up)
	}
	if v, _ := shared.Message(super, "", fid); !v.Pinned {
		t.Error("not pinned")
	}
	before, _ := shared.State("main")
	up, err = mainAPI.MessagesUpdatePinnedMessage(ctx, &tg.MessagesUpdatePinnedMessageRequest{Peer: inputUser(u), ID: src})
	if err != nil {
		t.Fatal(err)
	}
	if pm, ok := up.(*tg.Updates).Updates[0].(*tg.UpdatePinnedMessages); !ok || pm.Pts != before.Pts+1 {
		t.Errorf("private pin result %v", up)
	}
	if _, err := mainAPI.MessagesUpdatePinnedMessage(ctx, &tg.MessagesUpdatePinnedMessageRequest{Peer: inputPeerOf(super), ID: fid, Unpin: true}); err != nil {
		t.Fatal(err)
	}
	if v, _ := shared.Message(super, "", fid); v.Pinned {
		t.Error("still pinned after unpin")
	}
	_, err = mainAPI.MessagesUpdatePinnedMessage(ctx, &tg.MessagesUpdatePinnedMessageRequest{Peer: inputPeerOf(super), ID: 1 << 30})
	wantRPCError(t, err, "MESSAGE_ID_INVALID")

	// Reactions.
	react := func(emoji ...string) error {
		var rs []tg.ReactionClass
		for _, e := range emoji {
			rs = append(rs, &tg.ReactionEmoji{Emoticon: e})
		}
		_, err := mainAPI.MessagesSendReaction(ctx, &tg.MessagesSendReactionRequest{Peer: inputPeerOf(super), MsgID: fid, Reaction: rs})
		return err
	}
	if err := react("👍"); err != nil {
		t.Fatal(err)
	}
	if v, _ := shared.Message(super, "", fid); v.Reactions["👍"] != 1 {
		t.Errorf("reactions %v", v.Reactions)
	}
	if a := lastCall(t, "main"); a.Method != "messages.sendReaction" || a.Text != "👍" {
		t.Errorf("action %+v", a)
	}
	wantRPCError(t, react("🦖"), "REACTION_INVALID")
	wantRPCError(t, react("👍", "🔥"), "REACTION_INVALID")
	if err := react(); err != nil {
		t.Fatal(err)
	}
	if v, _ := shared.Message(super, "", fid); len(v.Reactions) != 0 {
		t.Errorf("reactions after removal %v", v.Reactions)
	}
}

func TestTypingReadAndResolve(t *testing.T) {
	ctx := testCtx(t)
	const username = "Resolve_Me_Now"
	u := shared.CreateUser("Resolvable", "", username)
	super, err := shared.CreateChat(schema.PeerChannel, "public", u)
	if err != nil {
		t.Fatal(err)
	}
	if err := shared.SetChatUsername(super, "public_super"); err != nil {
		t.Fatal(err)
	}
	if _, err := mainAPI.MessagesSetTyping(ctx, &tg.MessagesSetTypingRequest{Peer: inputUser(u), Action: &tg.SendMessageTypingAction{}}); err != nil {
		t.Fatal(err)
	}
	if a := lastCall(t, "main"); a.Method != "messages.setTyping" || a.Detail != "action=typing" || a.Peer.ID != u {
		t.Errorf("typing action %+v", a)
	}
	aff, err := mainAPI.MessagesReadHistory(ctx, &tg.MessagesReadHistoryRequest{Peer: inputUser(u), MaxID: 5})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := shared.State("main"); aff.Pts != st.Pts || aff.PtsCount != 0 {
		t.Errorf("read history %+v, state pts %d", aff, st.Pts)
	}
	if _, err := mainAPI.ChannelsReadHistory(ctx, &tg.ChannelsReadHistoryRequest{Channel: inputChannelOf(super), MaxID: 1}); err != nil {
		t.Fatal(err)
	}
	if a := lastCall(t, "main"); a.Method != "channels.readHistory" || a.Detail != "max_id=1" {
		t.Errorf("read action %+v", a)
	}

	tests := []struct {
		name     string
		username string
		want     schema.PeerRef
		wantErr  string
	}{
		{name: "user", username: strings.ToLower(username), want: schema.PeerRef{Kind: schema.PeerUser, ID: u}},
		{name: "bot", username: "second_bot", want: schema.PeerRef{Kind: schema.PeerUser, ID: 2000}},
		{name: "channel", username: "public_super", want: super},
		{name: "unknown", username: "nobody_here", wantErr: "USERNAME_NOT_OCCUPIED"},
		{name: "invalid", username: "@x", wantErr: "USERNAME_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := mainAPI.ContactsResolveUsername(ctx, tt.username)
			if tt.wantErr != "" {
				wantRPCError(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got schema.PeerRef
			switch p := res.Peer.(type) {
			case *tg.PeerUser:
				got = schema.PeerRef{Kind: schema.PeerUser, ID: p.UserID}
				if len(res.Users) != 1 || res.Users[0].(*tg.User).AccessHash != accessHash("user", p.UserID) {
					t.Errorf("users %v", res.Users)
				}
			case *tg.PeerChannel:
				got = schema.PeerRef{Kind: schema.PeerChannel, ID: p.ChannelID}
				if len(res.Chats) != 1 || res.Chats[0].(*tg.Channel).Username != tt.username {
					t.Errorf("chats %v", res.Chats)
				}
			}
			if got != tt.want {
				t.Errorf("resolved %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCallbackQuery(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	res, rid := sendText(t, inputUser(u), "press me")
	id := sentID(t, res, rid)
	mark := mainRec.mark()
	qid, err := shared.PressButton(ctx, "main", private, id, u, []byte("btn:1"))
	if err != nil {
		t.Fatal(err)
	}
	mainRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool {
		for _, p := range flatten(ups) {
			if q, ok := p.update.(*tg.UpdateBotCallbackQuery); ok && q.QueryID == qid && q.MsgID == id && q.UserID == u && string(q.Data) == "btn:1" {
				return true
			}
		}
		return false
	})
	if _, err := shared.PressButton(ctx, "main", private, 1<<30, u, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("press on unknown message: %v, want ErrNotFound", err)
	}
	answer := func(q int64) error {
		_, err := mainAPI.MessagesSetBotCallbackAnswer(ctx, &tg.MessagesSetBotCallbackAnswerRequest{QueryID: q, Message: "done", Alert: true})
		return err
	}
	if err := answer(qid); err != nil {
		t.Fatal(err)
	}
	if a := lastCall(t, "main"); a.Method != "messages.setBotCallbackAnswer" || a.Text != "done" || !strings.Contains(a.Detail, "alert") || a.Peer != private {
		t.Errorf("answer action %+v", a)
	}
	wantRPCError(t, answer(qid), "QUERY_ID_INVALID")
	wantRPCError(t, answer(12345), "QUERY_ID_INVALID")
}

func TestSendMedia(t *testing.T) {
	ctx := testCtx(t)
	u := newTestUser(t)
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	src, err := shared.SendMessage(ctx, Outgoing{Account: "main", Chat: private, Text: "a photo", Media: "photo"})
	if err != nil {
		t.Fatal(err)
	}
	// The photo as a client sees it can be sent again.
	got, err := mainAPI.MessagesGetMessages(ctx, []tg.InputMessageClass{&tg.InputMessageID{ID: src}})
	if err != nil {
		t.Fatal(err)
	}
	photo := got.(*tg.MessagesMessages).Messages[0].(*tg.Message).Media.(*tg.MessageMediaPhoto).Photo.(*tg.Photo)
	send := func(media tg.InputMediaClass, caption string) (int, error) {
		rid := nextRandom()
		res, err := mainAPI.MessagesSendMedia(ctx, &tg.MessagesSendMediaRequest{Peer: inputUser(u), Media: media, Message: caption, RandomID: rid})
		if err != nil {
			return 0, err
		}
		return sentID(t, res.(*tg.Updates), rid), nil
	}
	id, err := send(&tg.InputMediaPhoto{ID: &tg.InputPhoto{ID: photo.ID, AccessHash: photo.AccessHash, FileReference: photo.FileReference}}, "again")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := shared.Message(private, "main", id); v.Media != "photo" || v.MediaID != photo.ID || v.Text != "again" {
		t.Errorf("resent photo %+v", v)
	}

	// An upload in two parts becomes a voice note.
	for part, data := range [][]byte{[]byte("OggS-part-one"), []byte("part-two")} {
		if _, err := mainAPI.UploadSaveFilePart(ctx, &tg.UploadSaveFilePartRequest{FileID: 77, FilePart: part, Bytes: data}); err != nil {
			t.Fatal(err)
		}
	}
	id, err = send(&tg.InputMediaUploadedDocument{
		File: &tg.InputFile{ID: 77, Parts: 2, Name: "note.ogg"}, MimeType: "audio/ogg",
		Attributes: []tg.DocumentAttributeClass{&tg.DocumentAttributeAudio{Voice: true, Duration: 2}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := shared.Message(private, "main", id)
	if v.Media != "voice" || v.MediaMime != "audio/ogg" || v.MediaSize != int64(len("OggS-part-one")+len("part-two")) || v.FileName != "note.ogg" {
		t.Errorf("uploaded voice %+v", v)
	}
	if a := lastCall(t, "main"); a.Method != "messages.sendMedia" || !strings.Contains(a.Detail, "mime=audio/ogg") {
		t.Errorf("media action %+v", a)
	}

	tests := []struct {
		name    string
		media   tg.InputMediaClass
		caption string
		wantErr string
	}{
		{name: "stale file reference", media: &tg.InputMediaPhoto{ID: &tg.InputPhoto{ID: photo.ID, AccessHash: photo.AccessHash, FileReference: []byte("old")}}, wantErr: "FILE_REFERENCE_EXPIRED"},
		{name: "unknown photo", media: &tg.InputMediaPhoto{ID: &tg.InputPhoto{ID: 3, AccessHash: 4}}, wantErr: "MEDIA_EMPTY"},
		{name: "photo as document", media: &tg.InputMediaDocument{ID: &tg.InputDocument{ID: photo.ID, AccessHash: photo.AccessHash, FileReference: photo.FileReference}}, wantErr: "MEDIA_EMPTY"},
		{name: "upload consumed", media: &tg.InputMediaUploadedPhoto{File: &tg.InputFile{ID: 77, Parts: 2}}, wantErr: "FILE_PARTS_INVALID"},
		{name: "caption too long", media: &tg.InputMediaPhoto{ID: &tg.InputPhoto{ID: photo.ID, AccessHash: photo.AccessHash, FileReference: photo.FileReference}}, caption: strings.Repeat("é", 1025), wantErr: "MEDIA_CAPTION_TOO_LONG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := send(tt.media, tt.caption)
			wantRPCError(t, err, tt.wantErr)
		})
	}
}

func TestAPIChangesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Accounts: testAccounts(), Now: (&fakeClock{}).Now}
	s1, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u := s1.CreateUser("Persisted", "", "")
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s1.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
	})
	<-s1.Ready()
	api, err := startClient(ctx, &wg, s1.Endpoint(), "1000:simulated-token", newRecorder())
	if err != nil {
		cancel()
		wg.Wait()
		t.Fatal(err)
	}
	rid := nextRandom()
	res, err := api.MessagesSendMessage(ctx, &tg.MessagesSendMessageRequest{Peer: inputUser(u), Message: "kept", RandomID: rid})
	if err != nil {
		cancel()
		wg.Wait()
		t.Fatal(err)
	}
	id := sentID(t, res.(*tg.Updates), rid)
	if _, err := api.MessagesUpdatePinnedMessage(ctx, &tg.MessagesUpdatePinnedMessageRequest{Peer: inputUser(u), ID: id}); err != nil {
		t.Error(err)
	}
	qid, err := s1.PressButton(ctx, "main", private, id, u, []byte("x"))
	if err != nil {
		t.Error(err)
	}
	cancel()
	wg.Wait()
	want, wantView := s1.ServedCalls("main"), func() MessageView { v, _ := s1.Message(private, "main", id); return v }()

	s2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := s2.ServedCalls("main"); !slices.EqualFunc(got, want, func(a, b Call) bool {
		return a.Seq == b.Seq && a.Method == b.Method && a.RandomID == b.RandomID && slices.Equal(a.MessageIDs, b.MessageIDs) && a.Time.Equal(b.Time)
	}) {
		t.Errorf("actions after restart %+v, want %+v", got, want)
	}
	if v, ok := s2.Message(private, "main", id); !ok || v.Text != "kept" || !v.Pinned || !v.Date.Equal(wantView.Date) {
		t.Errorf("message after restart %+v", v)
	}
	if _, dup := s2.w.randoms["main"][rid]; !dup {
		t.Error("random id forgotten after restart")
	}
	if q := s2.w.queries[qid]; q == nil || q.MsgID != id {
		t.Error("callback query forgotten after restart")
	}
}

func TestSendToBasicGroupReachesOtherAccounts(t *testing.T) {
	u := newTestUser(t)
	group, err := shared.CreateChat(schema.PeerChat, "api group", u)
	if err != nil {
		t.Fatal(err)
	}
	secondBefore, _ := shared.State("second")
	mark := secondRec.mark()
	res, rid := sendText(t, inputPeerOf(group), "hello group")
	id := sentID(t, res, rid)
	e := lastLedger("second")
	if e.Peer != group || e.From != 1000 || e.Text != "hello group" || e.Action != schema.ActionCreated {
		t.Fatalf("second's ledger %+v, want main's group message", e)
	}
	// second's copy is an incoming message pushed with its own pts.
	secondRec.waitFor(t, mark, func(ups []tg.UpdatesClass) bool {
		for _, p := range flatten(ups) {
			if p.msgID == e.MessageID && p.pts == secondBefore.Pts+1 {
				return true
			}
		}
		return false
	})
	if v, ok := shared.Message(group, "main", id); !ok || !v.Out {
		t.Errorf("main's copy %+v", v)
	}
	if v, ok := shared.Message(group, "second", e.MessageID); !ok || v.Out {
		t.Errorf("second's copy %+v", v)
	}
}
