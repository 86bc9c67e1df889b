package ingest

import (
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/schema"
)

func TestTracesFollowMessages(t *testing.T) {
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	var tr traces
	tr.note(&tg.Updates{Updates: []tg.UpdateClass{
		&tg.UpdateNewChannelMessage{Message: &tg.Message{ID: 5, PeerID: &tg.PeerChannel{ChannelID: 9}}},
		&tg.UpdateDeleteMessages{Messages: []int{7, 8}},
	}}, tp)
	msg := func(peer schema.PeerRef, id int) *schema.Event {
		return &schema.Event{Kind: schema.KindMessage, Peer: peer, MessageID: id}
	}
	channel := schema.PeerRef{Kind: schema.PeerChannel, ID: 9}
	if got := tr.take(msg(schema.PeerRef{Kind: schema.PeerChannel, ID: 10}, 5)); got != "" {
		t.Errorf("message 5 of another channel got %q", got)
	}
	if got := tr.take(msg(channel, 5)); got != tp {
		t.Errorf("channel message: %q", got)
	}
	if got := tr.take(msg(channel, 5)); got != "" {
		t.Errorf("taken twice: %q", got)
	}
	// Private deletions may not know their chat: the common box's ids are unique.
	if got := tr.take(msg(schema.PeerRef{Kind: schema.PeerUnknown}, 7)); got != tp {
		t.Errorf("deletion: %q", got)
	}
	for i := range maxTraces + 1 {
		tr.note(&tg.UpdateShortMessage{ID: 1000 + i}, tp)
	}
	if got := tr.take(msg(schema.PeerRef{Kind: schema.PeerUser, ID: 1}, 8)); got != "" {
		t.Errorf("oldest entry kept beyond the bound: %q", got)
	}
	if got := tr.take(msg(schema.PeerRef{Kind: schema.PeerUser, ID: 1}, 1000+maxTraces)); got != tp {
		t.Errorf("newest entry: %q", got)
	}
}
