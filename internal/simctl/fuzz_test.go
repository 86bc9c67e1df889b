package simctl

import (
	"errors"
	"testing"

	"github.com/tgnats/tgnats/internal/sim"
)

// FuzzDecodeRequest feeds arbitrary bodies to the decoding and validation
// of every verb's request: it never panics and every refusal is an
// INVALID_ARGUMENT failure with a message (what the verb would answer).
func FuzzDecodeRequest(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `{"chat":{"kind":"user","id":5},"text":"hi"}`, `{"chat":{"kind":"channel","id":-1}}`,
		`{"kind":"qts","n":2}`, `{"kind":"call.error","method":"updates.getDifference","code":500,"error":"HISTORY_GET_FAILED"}`,
		`{"kind":"channel.leave","channel":1500000001}`, `{"kind":"combine","n":3,"drop":true}`,
		`{"from":10,"limit":100}`, `{"rate":0}`, `{"rate":1e309}`, `{"message_ids":[4294970536]}`, `[]`, `{"a":1}{}`, `null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(what string, err error) {
			if err == nil {
				return
			}
			var fl *failure
			if !errors.As(err, &fl) && !errors.Is(err, sim.ErrInvalid) {
				t.Fatalf("%s: error %v is neither a failure nor sim.ErrInvalid", what, err)
			}
			if f := asFailure(err); f.Code != CodeInvalidArgument || f.Message == "" {
				t.Fatalf("%s: refusal %+v, want INVALID_ARGUMENT with a message", what, f)
			}
		}
		for name, r := range map[string]request{
			"message.inject": &InjectRequest{}, "message.edit": &EditRequest{},
			"message.delete": &DeleteRequest{}, "callback.press": &PressRequest{},
			"inline.query": &InlineQueryRequest{}, "inline.send": &InlineSendRequest{}, "inline.press": &InlinePressRequest{},
			"precheckout": &PrecheckoutRequest{}, "shipping": &ShippingRequest{},
			"reaction.set": &ReactionRequest{}, "message.pin": &PinRequest{}, "read": &ReadRequest{}, "user.change": &ChangeUserRequest{}, "chat.members": &ChatMembersRequest{},
			"poll.send": &PollRequest{}, "poll.vote": &VoteRequest{},
		} {
			check(name, decodeValid(body, r))
		}
		var fr FaultRequest
		if err := decode(body, &fr.Fault); err == nil {
			check("fault", fr.Validate())
		} else {
			check("fault", err)
		}
		for name, v := range map[string]any{
			"user.create": &UserRequest{}, "chat.create": &ChatRequest{}, "gap.withhold": &WithholdRequest{},
			"flood_wait": &FloodWaitRequest{}, "traffic": &TrafficRequest{}, "ledger": &LedgerRequest{},
		} {
			check(name, decode(body, v))
		}
	})
}
