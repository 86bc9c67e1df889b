package schema

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestBuilders: a command built with PeerOf / PeerByUsername and named by
// CommandOf parses back to the same peer.
func TestBuilders(t *testing.T) {
	ref := PeerRef{Kind: PeerChannel, ID: 42}
	for _, p := range []PeerInput{PeerOf(ref), PeerByUsername("@club"), PeerByUsername("club")} {
		cmd, err := CommandOf(&SendMessage{Peer: p, Text: "hi"})
		if err != nil || cmd.Name() != CommandMessageSend {
			t.Fatalf("CommandOf: %q, %v", cmd.Name(), err)
		}
		b, err := json.Marshal(cmd.Body)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseCommand(cmd.Name(), b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got := back.Peers()[0]; got != p {
			t.Errorf("%s parsed as %+v, want %+v", b, got, p)
		}
	}
	if got, ok := PeerOf(ref).Ref(); !ok || got != ref {
		t.Errorf("PeerOf(%v).Ref() = %v, %v", ref, got, ok)
	}
	for _, name := range CommandNames() {
		empty, _ := NewCommand(name)
		if cmd, err := CommandOf(empty.Body); err != nil || cmd.Name() != name {
			t.Errorf("CommandOf(body of %s) = %q, %v", name, cmd.Name(), err)
		}
	}
	if _, err := CommandOf(nil); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("CommandOf(nil): %v, want UNKNOWN_ACTION", err)
	}
}
