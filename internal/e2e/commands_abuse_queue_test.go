package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// publishAsync puts n stream commands on the commands stream as fast as
// JetStream takes them; body(i) and key(i) ("" for none) make the i-th.
func publishAsync(t *testing.T, env *commandEnv, n int, body func(i int) string, key func(i int) string) {
	t.Helper()
	subject := "tg." + env.w.acc.Name + ".commands." + schema.CommandMessageSend
	for i := range n {
		m := nats.NewMsg(subject)
		m.Data = []byte(body(i))
		if k := key(i); k != "" {
			m.Header.Set(schema.HeaderMsgID, k)
		}
		if _, err := env.cl.js.PublishMsgAsync(m); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if i%1000 == 999 { // keep the client's window of unacknowledged publishes small
			select {
			case <-env.cl.js.PublishAsyncComplete():
			case <-time.After(30 * time.Second):
				t.Fatal("commands not acknowledged by the stream")
			}
		}
	}
	select {
	case <-env.cl.js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatal("commands not acknowledged by the stream")
	}
}

// servedTexts counts the sendMessage calls the simulator served, by text,
// for texts with prefix.
func servedTexts(env *commandEnv, prefix string) (map[string]int, int) {
	counts := map[string]int{}
	n := 0
	for _, a := range env.w.sim.ServedCalls(env.w.acc.Name) {
		if a.Method == "messages.sendMessage" && strings.HasPrefix(a.Text, prefix) {
			counts[a.Text]++
			n++
		}
	}
	return counts, n
}

// TestKeylessStreamCommandsRunOnce: 100 keyless sends to one chat wait in
// its lane far longer than the consumer's AckWait. JetStream must not
// redeliver them meanwhile (it did, and they ran again: 138 calls for 100
// sends): the simulator serves exactly 100 sendMessage calls. AckWait is
// twice the deadline, 2 s here, and the chat's rate 10/s makes the last
// command wait about 10 s.
func TestKeylessStreamCommandsRunOnce(t *testing.T) {
	limits := config.Commands{RateGlobal: 30, BurstGlobal: 1, RatePerChat: 10, BurstPerChat: 1, Deadline: time.Second}
	env := newCommandEnv(t, commandEnvOptions{limits: limits})
	const n = 100
	publishAsync(t, env, n, func(i int) string {
		return fmt.Sprintf(`{"peer": %s, "text": "keyless %d"}`, peerJSON(env.super), i)
	}, func(int) string { return "" })
	testutil.Eventually(t, time.Minute, fmt.Sprintf("%d sends served", n), func() bool {
		_, got := servedTexts(env, "keyless ")
		return got >= n
	})
	env.cl.consumerIdle(t) // every command acked: nothing left to redeliver
	counts, got := servedTexts(env, "keyless ")
	if got != n || len(counts) != n {
		for text, c := range counts {
			if c > 1 {
				t.Errorf("%q sent %d times", text, c)
			}
		}
		t.Fatalf("simulator served %d sendMessage calls (%d distinct texts) for %d keyless commands, want exactly %d", got, len(counts), n, n)
	}
}

// TestBusyChatDoesNotBlockOthers: with 10,000 stream commands queued for
// one chat (Telegram's default limits: it takes hours), a command to
// another chat completes within its own rate limit. Before, the backlog
// took every ack-pending slot and the other chat's command was not even
// fetched.
func TestBusyChatDoesNotBlockOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 commands; skipped with -short")
	}
	limits := config.Default().Commands
	env := newCommandEnv(t, commandEnvOptions{limits: limits})
	const backlog = 10000
	publishAsync(t, env, backlog, func(i int) string {
		return fmt.Sprintf(`{"peer": %s, "text": "backlog %d"}`, peerJSON(env.super), i)
	}, func(int) string { return "" })
	// The backlog's first sends are being served: it is queued, not waiting to be published.
	testutil.Eventually(t, 30*time.Second, "backlog started", func() bool {
		_, got := servedTexts(env, "backlog ")
		return got >= 2
	})
	key := env.cl.key("other-chat")
	start := time.Now()
	env.cl.publish(t, schema.CommandMessageSend, fmt.Sprintf(`{"peer": %s, "text": "to the other chat"}`, peerJSON(env.group)), sent{key: key})
	testutil.Eventually(t, 30*time.Second, "the other chat's command completed", func() bool {
		return len(env.cl.events.get(env.w.acc.Name+":"+schema.KindCommand+":"+key+":"+schema.ActionCompleted)) > 0
	})
	took := time.Since(start)
	if took > 2*time.Second {
		t.Fatalf("command to another chat completed after %v behind a backlog of %d, want <= 2s", took, backlog)
	}
	t.Logf("command to another chat completed in %v behind a backlog of %d", took, backlog)
	if _, got := servedTexts(env, "backlog "); got >= backlog/2 {
		t.Fatalf("%d of the backlog served: the limits did not hold it back, the test proves nothing", got)
	}
}

// TestQueuedCommandsSurviveStop: commands queued behind a chat's rate
// limit when the connector stops must not fail (before: the stop's
// aborted waits kept their limiter slots, pushed the next waits past the
// deadline, and the commands were terminated with FLOOD_WAIT). They stay
// in the stream and run after the restart: every one served exactly once.
// The restarted connector takes commands before it is connected to
// Telegram, so the first one's call may fail transiently; it is retried in
// its turn (before: handed back to the stream, it came back behind the
// whole backlog with its deadline still running, and failed FLOOD_WAIT
// "after the command's deadline" in about 1 run of 4).
func TestQueuedCommandsSurviveStop(t *testing.T) {
	limits := config.Commands{RateGlobal: 30, BurstGlobal: 1, RatePerChat: 5, BurstPerChat: 1, Deadline: 8 * time.Second} // 8s: slack for a loaded machine; 60 stale slots at 5/s (12s) still exceed it
	env := newCommandEnv(t, commandEnvOptions{limits: limits})
	const n = 60
	keys := make([]string, n)
	for i := range keys {
		keys[i] = env.cl.key("survive")
	}
	publishAsync(t, env, n, func(i int) string {
		return fmt.Sprintf(`{"peer": %s, "text": "survive %d"}`, peerJSON(env.super), i)
	}, func(i int) string { return keys[i] })
	testutil.Eventually(t, 30*time.Second, "first sends served", func() bool {
		_, got := servedTexts(env, "survive ")
		return got >= 3
	})
	env.restart(t)
	base := env.w.acc.Name + ":" + schema.KindCommand + ":"
	testutil.Eventually(t, time.Minute, fmt.Sprintf("a result event for each of the %d commands", n), func() bool {
		for _, k := range keys {
			if len(env.cl.events.get(base+k+":"+schema.ActionCompleted))+len(env.cl.events.get(base+k+":"+schema.ActionFailed)) == 0 {
				return false
			}
		}
		return true
	})
	env.cl.consumerIdle(t)
	for i, k := range keys {
		if evs := env.cl.events.get(base + k + ":" + schema.ActionFailed); len(evs) > 0 {
			t.Errorf("command %d failed: %s", i, evs[0].data)
		}
		if len(env.cl.events.get(base+k+":"+schema.ActionCompleted)) == 0 {
			t.Errorf("command %d: no command.completed event", i)
		}
	}
	counts, got := servedTexts(env, "survive ")
	if got != n {
		t.Errorf("simulator served %d sends for %d commands, want each exactly once", got, n)
	}
	for text, c := range counts {
		if c != 1 {
			t.Errorf("%q served %d times", text, c)
		}
	}
}
