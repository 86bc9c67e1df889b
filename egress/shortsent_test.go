package egress

import (
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

func TestExpandShortSent(t *testing.T) {
	peer := state.Peer{Kind: schema.PeerUser, ID: 777, AccessHash: 1}
	bold := []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 4}}
	url := []tg.MessageEntityClass{&tg.MessageEntityURL{Offset: 5, Length: 11}}
	tests := []struct {
		name      string
		req       *tg.MessagesSendMessageRequest
		answer    *tg.UpdateShortSentMessage
		wantEnts  []tg.MessageEntityClass
		wantReply int
	}{
		{name: "request entities", req: &tg.MessagesSendMessageRequest{Message: "bold text", Entities: bold, Silent: true},
			answer: &tg.UpdateShortSentMessage{Out: true, ID: 42, Pts: 10, PtsCount: 1, Date: 1700000000}, wantEnts: bold},
		{name: "entities Telegram detected win", req: &tg.MessagesSendMessageRequest{Message: "see https://x.io", Entities: bold},
			answer: &tg.UpdateShortSentMessage{Out: true, ID: 43, Pts: 11, PtsCount: 1, Date: 1700000001, Entities: url}, wantEnts: url},
		{name: "reply", req: &tg.MessagesSendMessageRequest{Message: "yes", ReplyTo: &tg.InputReplyToMessage{ReplyToMsgID: 7}},
			answer: &tg.UpdateShortSentMessage{Out: true, ID: 44, Pts: 12, PtsCount: 1, Date: 1700000002}, wantReply: 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := sentMessage{text: tc.req.Message, entities: tc.req.Entities, replyTo: tc.req.ReplyTo, silent: tc.req.Silent, markup: tc.req.ReplyMarkup}
			u := expandShortSent(tc.answer, req, peer)
			if len(u.Updates) != 1 || u.Seq != 0 || u.Date != tc.answer.Date {
				t.Fatalf("updates %+v", u)
			}
			nm, ok := u.Updates[0].(*tg.UpdateNewMessage)
			if !ok || nm.Pts != tc.answer.Pts || nm.PtsCount != tc.answer.PtsCount {
				t.Fatalf("update %+v", u.Updates[0])
			}
			m, ok := nm.Message.(*tg.Message)
			if !ok || m.ID != tc.answer.ID || !m.Out || m.Message != tc.req.Message || m.Date != tc.answer.Date || m.Silent != tc.req.Silent {
				t.Fatalf("message %+v", nm.Message)
			}
			if p, ok := m.PeerID.(*tg.PeerUser); !ok || p.UserID != peer.ID {
				t.Fatalf("peer %+v", m.PeerID)
			}
			if len(m.Entities) != len(tc.wantEnts) || (len(m.Entities) > 0 && m.Entities[0] != tc.wantEnts[0]) {
				t.Fatalf("entities %+v, want %+v", m.Entities, tc.wantEnts)
			}
			reply := 0
			if h, ok := m.ReplyTo.(*tg.MessageReplyHeader); ok {
				reply = h.ReplyToMsgID
			}
			if reply != tc.wantReply {
				t.Fatalf("reply to %d, want %d", reply, tc.wantReply)
			}
		})
	}
}
