package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/natsembed"
	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// The scenarios of issue 9: one per case of Telegram's "Working with
// Updates", produced by the simulator (internal/sim's fault surface), run
// end to end (simulator → connector → JetStream) and judged against the
// simulator's ledger.

// scenario is a simulator, NATS and a connector for one test.
type scenario struct {
	*world
	nats *natsembed.Server
	url  string
	cfgC func() *running
	c    *running
	from int // ledger length when the connector first was ready
}

func newScenario(t *testing.T, cfg sim.Config) *scenario {
	t.Helper()
	w := newWorld(t, cfg)
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	t.Cleanup(nsrv.Shutdown)
	sc := &scenario{world: w, nats: nsrv, url: nsrv.ClientURL()}
	ccfg := w.connectorConfig(filepath.Join(t.TempDir(), "data"), sc.url, "127.0.0.1:0")
	ccfg.Ingest.GapTimeout = 200 * time.Millisecond
	sc.cfgC = func() *running { return w.startConnector(t, ccfg) }
	sc.c = sc.cfgC()
	sc.from = len(w.sim.Ledger(w.acc.Name))
	return sc
}

// restart stops the connector and starts it again on the same data dir.
func (sc *scenario) restart(t *testing.T) {
	t.Helper()
	sc.c.stop(t)
	sc.c = sc.cfgC()
}

func (sc *scenario) inject(t *testing.T, f sim.Fault) int64 {
	t.Helper()
	id, err := sc.sim.Inject(context.Background(), f)
	if err != nil {
		t.Fatalf("inject %s: %v", f.Kind, err)
	}
	return id
}

func (sc *scenario) send(t *testing.T, m sim.Outgoing) int {
	t.Helper()
	id, err := sc.sim.SendMessage(context.Background(), m)
	if err != nil {
		t.Fatalf("send to %s: %v", m.Chat, err)
	}
	return id
}

// calls is the number of calls of method the account made so far.
func (sc *scenario) calls(method string) int { return sc.sim.Calls(sc.acc.Name)[method] }

// want is the ledger of the account from the connector's first start on.
func (sc *scenario) want() []expectation {
	return expected(sc.acc.Name, sc.sim.Ledger(sc.acc.Name), sc.from)
}

// checkLedger reads the stream and requires every ledger change once, in
// per-chat order, with the ledger's text and sender.
func (sc *scenario) checkLedger(t *testing.T) []streamEvent {
	t.Helper()
	want := sc.want()
	readWanted(t, sc.url, sc.acc.Name, want)
	evs := readEvents(t, sc.url, sc.acc.Name, 0)
	got := make([]received, len(evs))
	for i := range evs {
		got[i] = evs[i].received
	}
	assertExactlyOnce(t, got, want)
	assertFields(t, evs, want)
	return evs
}

// streamEvent is a received event with its message body, when it has one.
type streamEvent struct {
	received
	msg *schema.Message
}

// readEvents is readStream keeping the message bodies.
func readEvents(t *testing.T, natsURL, account string, want int) []streamEvent {
	t.Helper()
	var out []streamEvent
	eachStreamMsg(t, natsURL, account, want, func(msg jetstream.Msg) {
		se := streamEvent{received: check(t, msg)}
		ev, _ := schema.Decode(&nats.Msg{Subject: msg.Subject(), Header: msg.Headers(), Data: msg.Data()})
		if strings.HasPrefix(se.subject, "tg."+account+".events.message.") && (se.action == schema.ActionCreated || se.action == schema.ActionEdited) {
			var m schema.Message
			if err := ev.DataAs(&m); err == nil {
				se.msg = &m
			}
		}
		out = append(out, se)
	})
	return out
}

// eventsOf returns the number of events in the account's stream.
func streamCount(t *testing.T, natsURL, account string) int {
	t.Helper()
	js := natstest.Connect(t, natsURL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, schema.EventStreamName(account))
	if err != nil {
		return 0
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0
	}
	return int(info.State.Msgs)
}

// assertFields requires a created or edited event to carry the ledger's
// text and sender.
func assertFields(t *testing.T, evs []streamEvent, want []expectation) {
	t.Helper()
	byID := map[string]*streamEvent{}
	for i := range evs {
		byID[evs[i].id] = &evs[i]
	}
	for _, w := range want {
		e := w.entry
		if e.Action == schema.ActionDeleted || e.EventKind() != schema.KindMessage {
			continue
		}
		ev := byID[w.id]
		if ev == nil || ev.msg == nil {
			continue // assertExactlyOnce reports missing events
		}
		if ev.msg.Text != e.Text {
			t.Errorf("%s: text %q, ledger %q", w.id, ev.msg.Text, e.Text)
		}
		if e.From != 0 && (ev.msg.Sender == nil || ev.msg.Sender.ID != e.From) {
			t.Errorf("%s: sender %+v, ledger %d", w.id, ev.msg.Sender, e.From)
		}
	}
}

// cpuTime is the CPU time (user + system) this process used so far.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
