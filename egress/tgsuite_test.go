package egress

import (
	"testing"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/tgtestsuite"
)

// fakeSendWorld is the egress fake as a tgtestsuite.SendWorld.
type fakeSendWorld struct{ *fakeAPI }

func (fakeSendWorld) Peer(*testing.T) tg.InputPeerClass {
	return &tg.InputPeerUser{UserID: 7, AccessHash: 70}
}

// The fake answers the send calls as the simulator does.
func TestFakeAPIAgreesWithTheSimulator(t *testing.T) {
	tgtestsuite.RunSend(t, fakeSendWorld{newFakeAPI()})
}
