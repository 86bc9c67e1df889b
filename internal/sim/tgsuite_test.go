package sim

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgtestsuite"
	"github.com/tgnats/tgnats/schema"
)

// simWorld is the shared simulator, seen by the main account, as the
// world of the tgtestsuite cases the fakes of ingest and egress also run.
type simWorld struct {
	*tg.Client
	chat schema.PeerRef // of the last Incoming
}

func (w *simWorld) Incoming(t *testing.T, texts ...string) []int {
	t.Helper()
	w.chat = schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	var ids []int
	for _, text := range texts {
		id, err := shared.SendMessage(context.Background(), Outgoing{Account: "main", Chat: w.chat, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (w *simWorld) Delete(t *testing.T, ids ...int) {
	t.Helper()
	if err := shared.DeleteMessages(context.Background(), w.chat, "main", ids...); err != nil {
		t.Fatal(err)
	}
}

func (*simWorld) NewChannel(t *testing.T) *tg.InputChannel {
	t.Helper()
	ch, err := shared.CreateBroadcast(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return inputChannelOf(ch)
}

func (*simWorld) Post(t *testing.T, ch *tg.InputChannel, texts ...string) {
	t.Helper()
	chat := schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ChannelID}
	for _, text := range texts {
		if _, err := shared.SendMessage(context.Background(), Outgoing{Chat: chat, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
}

func (*simWorld) Peer(t *testing.T) tg.InputPeerClass { return inputUser(newTestUser(t)) }

// The simulator passes the cases the fakes pass.
func TestSimulatorAgreesWithTheFakes(t *testing.T) {
	w := &simWorld{Client: mainAPI}
	tgtestsuite.RunUpdates(t, w)
	tgtestsuite.RunSend(t, w)
}
