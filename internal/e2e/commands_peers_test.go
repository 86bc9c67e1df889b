package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tgnats/tgnats/egress"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// TestCommandToUnseenPeers: a chat the account can address but the
// connector has not seen in any event yet (created a moment ago, no
// message in it) is resolved through Telegram and the command is sent,
// through both entry points; an id Telegram gives no access hash for
// fails with PEER_NOT_FOUND saying what to do, and a repeat within a
// short while does not ask Telegram again.
func TestCommandToUnseenPeers(t *testing.T) {
	env := newCommandEnv(t, commandEnvOptions{allowAll: true})
	acc := env.w.acc.Name

	fresh, err := env.w.sim.CreateChat(schema.PeerChannel, "fresh", env.alice)
	if err != nil {
		t.Fatal(err)
	}
	// The peer in the canonical spelling, as events write chats.
	out := call{env: env, via: entryPoints[0]}.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": {"kind": %q, "id": %d}, "text": "first words"}`, fresh.Kind, fresh.ID), 1)
	if m := env.message(t, fresh, out.MessageID); m.Text != "first words" || !m.Out {
		t.Fatalf("simulator holds %+v", m)
	}

	// A user the bot met only in a supergroup created a moment ago.
	bob := env.w.sim.CreateUser("Bob", "", "")
	if _, err := env.w.sim.CreateChat(schema.PeerChannel, "with bob", bob); err != nil {
		t.Fatal(err)
	}
	user := schema.PeerRef{Kind: schema.PeerUser, ID: bob}
	out = call{env: env, via: entryPoints[1]}.ok(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "hello bob"}`, peerJSON(user)), 1)
	if m := env.message(t, user, out.MessageID); m.Text != "hello bob" {
		t.Fatalf("simulator holds %+v", m)
	}

	// Not addressable: a user the bot never met, a channel it is not in.
	stranger := env.w.sim.CreateUser("Stranger", "", "")
	notIn, err := env.w.sim.Inject(context.Background(), sim.Fault{Kind: sim.FaultHistory, N: 1})
	if err != nil {
		t.Fatal(err)
	}
	before := env.w.sim.Calls(acc)
	for _, p := range []schema.PeerRef{{Kind: schema.PeerUser, ID: stranger}, {Kind: schema.PeerChannel, ID: notIn}, {Kind: schema.PeerUser, ID: 987654321}} {
		for _, via := range entryPoints {
			res := via.run(env.cl, t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "hi"}`, peerJSON(p)), sent{key: env.cl.key("unseen")})
			if res.OK || res.Error.Code != schema.CodePeerNotFound {
				t.Fatalf("%s via %s: %+v, want PEER_NOT_FOUND", p, via.name, res)
			}
			for _, want := range []string{p.String() + " is unknown", "@username", "event"} {
				if !strings.Contains(res.Error.Message, want) {
					t.Errorf("%s: message %q does not mention %q", p, res.Error.Message, want)
				}
			}
		}
	}
	// Each bad id was looked up once: the second command was answered
	// from the connector's memory.
	after := env.w.sim.Calls(acc)
	if n := after["users.getUsers"] - before["users.getUsers"]; n != 2 {
		t.Errorf("%d users.getUsers calls for two unknown users, two commands each: want 2", n)
	}
	if n := after["channels.getChannels"] - before["channels.getChannels"]; n != 1 {
		t.Errorf("%d channels.getChannels calls for one unknown channel, two commands: want 1", n)
	}
}

// TestCommandClient: egress.Client, as a Go service uses it, sends a
// command built with schema.PeerOf over rpc and over the stream (waiting
// for its command.completed event), and reports a failure as the result
// plus a *schema.CommandError.
func TestCommandClient(t *testing.T) {
	env := newCommandEnv(t, commandEnvOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := egress.Client{NC: env.cl.nc, Account: env.w.acc.Name}

	res, err := c.Do(ctx, &schema.SendMessage{Peer: schema.PeerOf(env.super), Text: "via Do"}, egress.WithKey(env.cl.key("client-do")))
	if err != nil || res.Result == nil {
		t.Fatalf("Do: %+v, %v", res, err)
	}
	if m := env.message(t, env.super, res.Result.MessageID); m.Text != "via Do" {
		t.Fatalf("simulator holds %+v", m)
	}

	res, err = c.Submit(ctx, &schema.SendMessage{Peer: schema.PeerOf(env.group), Text: "via Submit"})
	if err != nil || res.Result == nil || res.Peer == nil || *res.Peer != env.group {
		t.Fatalf("Submit: %+v, %v", res, err)
	}
	if m := env.message(t, env.group, res.Result.MessageID); m.Text != "via Submit" {
		t.Fatalf("simulator holds %+v", m)
	}

	res, err = c.Submit(ctx, &schema.SendMessage{Peer: schema.PeerOf(env.outside), Text: "not allowed"}, egress.WithKey(env.cl.key("client-submit")))
	if !errors.Is(err, schema.ErrNotAllowed) || res == nil || res.OK {
		t.Fatalf("Submit outside the allow list: %+v, %v", res, err)
	}
}
