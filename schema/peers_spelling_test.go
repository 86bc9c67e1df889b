package schema_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tgnats/tgnats/schema"
)

// TestPeerSpellings: a command's peer object is {"kind", "id"}, as events
// and replies name chats, or the older {"peer_kind", "peer_id"}; never
// both; errors name the fields as written; encoding writes {"kind", "id"}.
func TestPeerSpellings(t *testing.T) {
	want := schema.PeerInput{Kind: schema.PeerChannel, ID: 123}
	for _, peer := range []string{`{"kind":"channel","id":123}`, `{"peer_kind":"channel","peer_id":123}`, `-1000000000123`} {
		cmd, err := schema.ParseCommand(schema.CommandMessageSend, []byte(`{"peer":`+peer+`,"text":"hi"}`))
		if err != nil {
			t.Fatalf("%s: %v", peer, err)
		}
		if got := cmd.Peers()[0]; got != want {
			t.Errorf("%s parsed as %+v", peer, got)
		}
	}
	for peer, msg := range map[string]string{
		`{"kind":"group","id":1}`:                   `peer: kind "group"`,
		`{"peer_kind":"group","peer_id":1}`:         `peer: peer_kind "group"`,
		`{"kind":"user","id":0}`:                    `peer: id 0`,
		`{"kind":"user"}`:                           `peer: id 0`,
		`{"kind":"user","peer_id":1}`:               "one spelling",
		`{"kind":"user","id":1,"title":"x"}`:        "title",
		`{"kind":"user","id":1,"peer_kind":"user"}`: "one spelling",
	} {
		_, err := schema.ParseCommand(schema.CommandMessageSend, []byte(`{"peer":`+peer+`,"text":"hi"}`))
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one mentioning %q", peer, err, msg)
		}
	}
	b, err := json.Marshal(want)
	if err != nil || string(b) != `{"kind":"channel","id":123}` {
		t.Errorf("encoded as %s (%v)", b, err)
	}
}
