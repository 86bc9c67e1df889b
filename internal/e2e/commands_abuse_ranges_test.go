package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

// TestCommandIntegerRanges sends commands whose integers do not fit the
// TL type of their field, through both entry points. gotd writes a TL
// "int" in 32 bits, so before the range check message id 2^32+X acted on
// message X. Each must be answered INVALID_ARGUMENT naming the field, and
// the simulator must serve no call at all.
func TestCommandIntegerRanges(t *testing.T) {
	env := newCommandEnv(t, commandEnvOptions{})
	const wrap = 1 << 32
	victim := env.own(t, env.super, "a message that must stay untouched")
	super := peerJSON(env.super)
	cases := []struct {
		name, action, body, field string
	}{
		{"delete", schema.CommandMessageDelete, fmt.Sprintf(`{"peer": %s, "message_ids": [%d]}`, super, wrap+victim), "message_ids[0]"},
		{"edit", schema.CommandMessageEdit, fmt.Sprintf(`{"peer": %s, "message_id": %d, "text": "hijacked"}`, super, wrap+victim), "message_id"},
		{"pin", schema.CommandMessagePin, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, super, wrap+victim), "message_id"},
		{"reply", schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "r", "reply_to": %d}`, super, wrap+victim), "reply_to"},
		{"forward", schema.CommandMessageForward, fmt.Sprintf(`{"from_peer": %s, "to_peer": %s, "message_ids": [1, %d]}`, super, peerJSON(env.group), wrap+victim), "message_ids[1]"},
		{"read", schema.CommandReadMark, fmt.Sprintf(`{"peer": %s, "max_id": %d}`, super, wrap+victim), "max_id"},
		{"reaction", schema.CommandReactionSend, fmt.Sprintf(`{"peer": %s, "message_id": %d, "reaction": "👍"}`, super, wrap+victim), "message_id"},
		{"entity overflow", schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "ab", "entities": [{"type": "bold", "offset": 9223372036854775807, "length": 2}]}`, super), "entities[0].offset"},
	}
	before := len(env.w.sim.ServedCalls(env.w.acc.Name))
	for _, c := range cases {
		t.Run(c.name+" rpc", func(t *testing.T) {
			res := env.cl.rpc(t, c.action, c.body, sent{key: env.cl.key("range-rpc")})
			checkRangeRefused(t, res, c.field)
		})
		t.Run(c.name+" stream", func(t *testing.T) {
			res := env.cl.stream(t, c.action, c.body, sent{key: env.cl.key("range-stream")})
			checkRangeRefused(t, res, c.field)
		})
	}
	if acts := env.w.sim.ServedCalls(env.w.acc.Name)[before:]; len(acts) != 0 {
		t.Errorf("the simulator served %d calls for refused commands, want none; first: %s %v %q", len(acts), acts[0].Method, acts[0].MessageIDs, acts[0].Text)
	}
	if m := env.message(t, env.super, victim); m.Text != "a message that must stay untouched" {
		t.Errorf("message %d now reads %q", victim, m.Text)
	}
}

func checkRangeRefused(t *testing.T, res schema.CommandResult, field string) {
	t.Helper()
	if res.OK || res.Error == nil || res.Error.Code != schema.CodeInvalidArgument {
		t.Fatalf("result %+v, want INVALID_ARGUMENT", res)
	}
	if want := field + ": "; !strings.HasPrefix(res.Error.Message, want) || !strings.Contains(res.Error.Message, "out of range (int32)") {
		t.Fatalf("error message %q, want %q… out of range (int32)", res.Error.Message, want)
	}
}
