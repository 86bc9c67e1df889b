package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/internal/natsembed"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// TestCommandCrashAfterTelegramCall kills the connector (SIGKILL, a real
// process) after Telegram performed a stream command's send but before the
// connector heard back. The restarted connector gets the command again and
// must not send a second message: the same key gives the same random_id,
// which Telegram refuses as RANDOM_ID_DUPLICATE, and the command completes
// once, marked duplicate. The message itself reaches the stream once,
// recovered by getDifference.
func TestCommandCrashAfterTelegramCall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real connector process; skipped with -short")
	}
	c := startCrashable(t)
	w, nsrv := c.w, c.nsrv

	cl := newCommandClient(t, nsrv.ClientURL(), w.acc.Name)
	alice := w.sim.CreateUser("Alice", "", "alice_crash")
	chat := schema.PeerRef{Kind: schema.PeerUser, ID: alice}
	// One message makes the chat known (the simulator may send it as
	// updateShortMessage: ingest then learns the access hash through the
	// difference).
	hello, err := w.sim.SendMessage(context.Background(), sim.Outgoing{Account: w.acc.Name, Chat: chat, From: alice, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	cl.events.wait(t, schema.EventID(w.acc.Name, chat, hello, schema.KindMessage, schema.ActionCreated, 0))

	const text = "exactly once, crash or not"
	served := func() []sim.Call {
		var out []sim.Call
		for _, a := range w.sim.ServedCalls(w.acc.Name) {
			if a.Method == "messages.sendMessage" && a.Text == text {
				out = append(out, a)
			}
		}
		return out
	}
	w.sim.HoldReplies(tg.MessagesSendMessageRequestTypeID, 1)
	key := "crash-after-call-1"
	cl.publish(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": %q}`, peerJSON(chat), text), sent{key: key, traceParent: newTraceParent()})
	testutil.Eventually(t, 30*time.Second, "the simulator performing the send", func() bool { return len(served()) > 0 })
	c.p.kill(t)

	c.restart(t)
	res, _ := cl.result(t, key)
	if !res.OK || !res.Duplicate {
		t.Fatalf("result %+v, want completed and marked duplicate", res)
	}
	cl.consumerIdle(t)
	if n := len(served()); n != 1 {
		t.Fatalf("simulator sent the message %d times", n)
	}
	var msgID int
	for _, e := range w.sim.Ledger(w.acc.Name) {
		if e.Text == text && e.Action == schema.ActionCreated {
			if msgID != 0 {
				t.Fatal("two messages in the ledger")
			}
			msgID = e.MessageID
		}
	}
	// The message's event arrives (from the difference after the restart),
	// once; the command completed once and never failed.
	base := w.acc.Name + ":" + schema.KindCommand + ":" + key + ":"
	want := expected(w.acc.Name, w.sim.Ledger(w.acc.Name), 0)
	got := readStream(t, nsrv.ClientURL(), w.acc.Name, durable(want)+1)
	completed, created := 0, 0
	sentID := schema.EventID(w.acc.Name, chat, msgID, schema.KindMessage, schema.ActionCreated, 0)
	for _, r := range got {
		switch r.id {
		case sentID:
			created++
		case base + schema.ActionCompleted:
			completed++
		case base + schema.ActionFailed:
			t.Fatal("the command also failed")
		}
	}
	if completed != 1 || created != 1 {
		t.Fatalf("%d command.completed and %d message.created events, want 1 each", completed, created)
	}
	c.p.term(t)
}

// crashable is a connector running as a process of its own, to be killed
// with SIGKILL, against a simulated world and an in-process NATS server;
// commands have a 2 s deadline, so that the consumer redelivers a command
// whose connector died after twice it.
type crashable struct {
	w        *world
	nsrv     *natsembed.Server
	bin      string
	cfgFile  string
	httpAddr string
	p        *process
}

// startCrashable starts a crashable connector, with extraConfig appended
// to its config file, and waits until it is ready; the test's end kills it
// and, on failure, logs its output.
func startCrashable(t *testing.T, extraConfig ...string) *crashable {
	t.Helper()
	bin, err := buildConnector()
	if err != nil {
		t.Fatal(err)
	}
	c := &crashable{w: newWorld(t, sim.Config{}), bin: bin, httpAddr: freeAddr(t)}
	c.nsrv = startNATS(t, t.TempDir(), "127.0.0.1:-1")
	t.Cleanup(c.nsrv.Shutdown)
	c.cfgFile = c.w.processConfig(t, c.nsrv.ClientURL(), c.httpAddr, noLease+"commands: {deadline: 2s}\n"+strings.Join(extraConfig, ""))
	c.p = startProcess(t, bin, c.cfgFile)
	t.Cleanup(func() {
		c.p.kill(t)
		if t.Failed() {
			t.Logf("connector output:\n%s", c.p.out)
		}
	})
	waitReady(t, c.httpAddr)
	return c
}

// restart starts the connector again on the same data dir and config.
func (c *crashable) restart(t *testing.T) {
	t.Helper()
	c.p = startProcess(t, c.bin, c.cfgFile)
	waitReady(t, c.httpAddr)
}
