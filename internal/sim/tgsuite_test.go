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
type simWorld struct{ *tg.Client }

func (simWorld) Incoming(t *testing.T, texts ...string) {
	t.Helper()
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: newTestUser(t)}
	for _, text := range texts {
		if _, err := shared.SendMessage(context.Background(), Outgoing{Account: "main", Chat: chat, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
}

func (simWorld) NewChannel(t *testing.T) *tg.InputChannel {
	t.Helper()
	ch, err := shared.CreateBroadcast(t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return inputChannelOf(ch)
}

func (simWorld) Post(t *testing.T, ch *tg.InputChannel, texts ...string) {
	t.Helper()
	chat := schema.PeerRef{Kind: schema.PeerChannel, ID: ch.ChannelID}
	for _, text := range texts {
		if _, err := shared.SendMessage(context.Background(), Outgoing{Chat: chat, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
}

func (simWorld) Peer(t *testing.T) tg.InputPeerClass { return inputUser(newTestUser(t)) }

// The simulator passes the cases the fakes pass.
func TestSimulatorAgreesWithTheFakes(t *testing.T) {
	w := simWorld{mainAPI}
	tgtestsuite.RunUpdates(t, w)
	tgtestsuite.RunSend(t, w)
}
