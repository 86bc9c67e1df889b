package e2e

import (
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// A stop while a Telegram call is in flight (a getDifference that Telegram
// has not answered yet) returns cleanly and promptly, and the restart
// publishes what the unanswered call was fetching. Under -race it also
// checks that the connection is not closed under the running call: gotd's
// RPC engine is not safe against that (the CI failure of stop 9).
func TestStopWithACallInFlight(t *testing.T) {
	sc := newScenario(t, sim.Config{})
	u := sc.sim.CreateUser("Ivy", "Inflight", "")
	private := schema.PeerRef{Kind: schema.PeerUser, ID: u}
	sc.send(t, sim.Outgoing{Chat: private, From: u, Text: "before"})
	testutil.Eventually(t, 30*time.Second, "the first message", func() bool {
		return streamCount(t, sc.url, sc.acc.Name) >= len(sc.want())
	})

	// A gap: the engine asks for the difference, which is never answered.
	diffs := sc.calls("updates.getDifference")
	sc.inject(t, sim.Fault{Kind: sim.FaultHoldReply, Method: "updates.getDifference"})
	sc.sim.Withhold(true)
	sc.send(t, sim.Outgoing{Chat: private, From: u, Text: "withheld"})
	sc.sim.Withhold(false)
	sc.send(t, sim.Outgoing{Chat: private, From: u, Text: "after the gap"})
	testutil.Eventually(t, 30*time.Second, "a getDifference in flight", func() bool {
		return sc.calls("updates.getDifference") > diffs
	})

	stopped := time.Now()
	sc.c.stop(t) // fails the test if Run returns an error or hangs
	if took := time.Since(stopped); took > 10*time.Second {
		t.Errorf("stop with a call in flight took %s", took.Round(time.Millisecond))
	}
	sc.c = sc.cfgC()
	sc.checkLedger(t)
}
