package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/tgnats/tgnats/schema"
)

// TestCommandUpdatesCarryTelegramDate: Telegram answers a delete with pts
// only, and egress builds the update ingest applies. Its date becomes the
// stored date (sent back in getDifference) and the time of the
// message.deleted event, so it must be Telegram's, not this host's: with
// the simulator's clock 36 hours behind, the event's time follows the
// simulator.
func TestCommandUpdatesCarryTelegramDate(t *testing.T) {
	const skew = 36 * time.Hour
	simNow := func() time.Time { return time.Now().Add(-skew) }
	env := newCommandEnv(t, commandEnvOptions{simNow: simNow})
	// A send first: egress learns Telegram's time from the answer.
	if res := env.cl.rpc(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "before the delete"}`, peerJSON(env.user)), sent{key: env.cl.key("date-send")}); !res.OK {
		t.Fatalf("send: %+v", res)
	}
	id := env.own(t, env.user, "to be deleted")
	if res := env.cl.rpc(t, schema.CommandMessageDelete, fmt.Sprintf(`{"peer": %s, "message_ids": [%d]}`, peerJSON(env.user), id), sent{key: env.cl.key("date-delete")}); !res.OK {
		t.Fatalf("delete: %+v", res)
	}
	ev := env.cl.events.wait(t, schema.EventID(env.w.acc.Name, env.user, id, schema.KindMessage, schema.ActionDeleted, 0))
	got, err := time.Parse(time.RFC3339Nano, ev.header.Get("ce-time"))
	if err != nil {
		t.Fatalf("ce-time %q: %v", ev.header.Get("ce-time"), err)
	}
	if d := got.Sub(simNow()); d < -time.Minute || d > time.Minute {
		t.Fatalf("message.deleted time %v is %v from Telegram's (the simulator's) clock %v; the local clock says %v",
			got, d.Round(time.Second), simNow().Round(time.Second), time.Now().Round(time.Second))
	}
}
