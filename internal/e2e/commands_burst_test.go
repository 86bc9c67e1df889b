package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// burstLimits are the rate limits of TestCommandBursts: well above
// Telegram's defaults for bots (30/s global, 1/s per chat) so that the test
// stays short, but below what the connector and simulator manage here, so
// the limiter is what paces the sends.
var burstLimits = config.Commands{RateGlobal: 200, BurstGlobal: 20, RatePerChat: 50, BurstPerChat: 10}

// TestCommandBursts publishes 500 sends to one chat, then 2,000 across 50
// chats with a FLOOD_WAIT injected in the middle, on the commands stream.
// Nothing may be lost or doubled (simulator messages, command.completed
// events), the simulator must see no more calls than the limits allow in
// any window, and the chat that got FLOOD_WAIT no call during the wait.
func TestCommandBursts(t *testing.T) {
	if testing.Short() {
		t.Skip("2,500 commands; skipped with -short")
	}
	env := newCommandEnv(t, commandEnvOptions{limits: burstLimits, extraChats: 50})
	t.Run("500 to one chat", func(t *testing.T) {
		keys, took := burst(t, env, "one", []schema.PeerRef{env.super}, 500, nil)
		checkBurst(t, env, keys)
		checkRate(t, env, "one", burstLimits)
		t.Logf("500 sends in %v (%.0f/s; per-chat limit %v/s)", took, 500/took.Seconds(), burstLimits.RatePerChat)
	})

	t.Run("2000 across 50 chats with FLOOD_WAIT", func(t *testing.T) {
		const wait = 2
		flood := func(served int) {
			if served == 600 {
				env.w.sim.FloodWait(tg.MessagesSendMessageRequestTypeID, wait, 1)
			}
		}
		floodsBefore := len(env.w.sim.Floods())
		keys, took := burst(t, env, "many", env.extra, 2000, flood)
		checkBurst(t, env, keys)
		checkRate(t, env, "many", burstLimits)
		floods := env.w.sim.Floods()[floodsBefore:]
		if len(floods) != 1 {
			t.Fatalf("%d FLOOD_WAIT answers, want 1", len(floods))
		}
		f := floods[0]
		until := f.At.Add(wait * time.Second)
		n := 0
		for _, a := range sends(env, "many") {
			if a.Peer == f.Peer && a.Served.After(f.At) && a.Served.Before(until) {
				t.Errorf("call to %s at %v, inside the FLOOD_WAIT from %v to %v", a.Peer, a.Served, f.At, until)
			}
			if a.Peer == f.Peer && !a.Served.Before(until) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no call to %s after its FLOOD_WAIT: the wait was not tested", f.Peer)
		}
		t.Logf("2000 sends in %v (%.0f/s; global limit %v/s); FLOOD_WAIT_%d on %s honoured, %d sends to it after", took, 2000/took.Seconds(), burstLimits.RateGlobal, wait, f.Peer, n)
	})
}

// sends returns the simulator's served sends of a burst, in order.
func sends(env *commandEnv, label string) []sim.Call {
	var out []sim.Call
	for _, a := range env.w.sim.ServedCalls(env.w.acc.Name) {
		if a.Method == "messages.sendMessage" && strings.HasPrefix(a.Text, "burst "+label+" ") {
			out = append(out, a)
		}
	}
	return out
}

// burst publishes n sends spread round-robin over chats and waits until
// the simulator served all of them; progress is called with the number
// served so far while waiting. It returns the keys, in order, and the time
// from the first call served to the last.
func burst(t *testing.T, env *commandEnv, label string, chats []schema.PeerRef, n int, progress func(served int)) ([]string, time.Duration) {
	t.Helper()
	keys := make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprintf("burst-%s-%d", label, i)
		body := fmt.Sprintf(`{"peer": %s, "text": "burst %s %d"}`, peerJSON(chats[i%len(chats)]), label, i)
		m := env.cl.msg("tg."+env.w.acc.Name+".commands."+schema.CommandMessageSend, body, sent{key: keys[i]})
		if _, err := env.cl.js.PublishMsgAsync(m); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-env.cl.js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatal("commands not acknowledged by the stream")
	}
	last := -1
	testutil.Eventually(t, 2*time.Minute, fmt.Sprintf("%d sends served", n), func() bool {
		got := len(sends(env, label))
		for s := last + 1; s <= got && progress != nil; s++ {
			progress(s)
		}
		last = got
		return got >= n
	})
	s := sends(env, label)
	return keys, s[len(s)-1].Served.Sub(s[0].Served)
}

// checkBurst checks that every command completed exactly once with a
// message the simulator holds, and that no send was served twice.
func checkBurst(t *testing.T, env *commandEnv, keys []string) {
	t.Helper()
	acc := env.w.acc.Name
	base := acc + ":" + schema.KindCommand + ":"
	testutil.Eventually(t, time.Minute, "a command.completed event for every command", func() bool {
		for _, k := range keys {
			if len(env.cl.events.get(base+k+":"+schema.ActionCompleted)) == 0 {
				return false
			}
		}
		return true
	})
	env.cl.consumerIdle(t)
	label := strings.Split(keys[0], "-")[1]
	texts := map[string]int{}
	for _, a := range sends(env, label) {
		texts[a.Text]++
		if texts[a.Text] > 1 {
			t.Fatalf("%q sent twice", a.Text)
		}
	}
	if len(texts) != len(keys) {
		t.Fatalf("simulator holds %d distinct sends, want %d", len(texts), len(keys))
	}
	for _, k := range keys {
		if n := len(env.cl.events.get(base + k + ":" + schema.ActionCompleted)); n != 1 {
			t.Fatalf("%s: %d command.completed events", k, n)
		}
		if n := len(env.cl.events.get(base + k + ":" + schema.ActionFailed)); n != 0 {
			t.Fatalf("%s: %d command.failed events", k, n)
		}
	}
}

// checkRate checks the served sends of a burst against the limits: in no
// window of any length may one chat, or all together, have more calls than
// the bucket's burst plus its rate over the window. The simulator sees
// arrival times: timers that fire late on a busy machine, garbage
// collection pauses (simulator and connector share this process) and the
// trip over loopback bunch calls together, so the window gets jitter more
// of rate, and one call of slack. The jitter allowed was chosen from runs
// with every package's tests in parallel on 2 cores (bunching of
// ~60 ms seen); the minimum-duration check below keeps a limiter that is
// lax overall from passing. It also checks that the limit was binding: the burst
// took at least the time the limiter must have spread it over.
func checkRate(t *testing.T, env *commandEnv, label string, lim config.Commands) {
	t.Helper()
	const jitter = 150 * time.Millisecond
	all := sends(env, label)
	byChat := map[schema.PeerRef][]time.Time{}
	var global []time.Time
	for _, a := range all {
		byChat[a.Peer] = append(byChat[a.Peer], a.Served)
		global = append(global, a.Served)
	}
	check := func(what string, ts []time.Time, rate float64, burst int) {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		for i := range ts {
			for j := i; j < len(ts); j++ {
				window := ts[j].Sub(ts[i]).Seconds()
				allowed := float64(burst) + rate*(window+jitter.Seconds()) + 1
				if float64(j-i+1) > allowed {
					t.Fatalf("%s: %d calls within %.3fs, at most %.1f allowed (%v/s, burst %d), from %v after the first call", what, j-i+1, window, allowed, rate, burst, ts[i].Sub(ts[0]))
				}
			}
		}
	}
	check("all chats", global, lim.RateGlobal, lim.BurstGlobal)
	minTook := 0.0
	for chat, ts := range byChat {
		check(chat.String(), ts, lim.RatePerChat, lim.BurstPerChat)
		minTook = max(minTook, float64(len(ts)-lim.BurstPerChat)/lim.RatePerChat)
	}
	minTook = max(minTook, float64(len(global)-lim.BurstGlobal)/lim.RateGlobal)
	if took := global[len(global)-1].Sub(global[0]).Seconds(); took < 0.9*minTook {
		t.Fatalf("%d calls in %.2fs: the limits allow no less than %.2fs", len(global), took, minTook)
	}
}
