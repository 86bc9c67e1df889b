package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/egress"
	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// loggedEvent is one message of the events stream as a consumer reads it.
type loggedEvent struct {
	id      string
	subject string
	header  nats.Header
	data    []byte
}

// eventLog follows an account's events stream from its start in the
// background and indexes every event by its CloudEvent id.
type eventLog struct {
	mu   sync.Mutex
	byID map[string][]loggedEvent
	n    int
	cc   jetstream.ConsumeContext
}

// followEvents waits until the events stream of account exists and follows
// it until the test ends.
func followEvents(t testing.TB, js jetstream.JetStream, account string) *eventLog {
	t.Helper()
	ctx := context.Background()
	name := schema.EventStreamName(account)
	testutil.Eventually(t, 30*time.Second, "events stream "+name, func() bool {
		_, err := js.Stream(ctx, name)
		return err == nil
	})
	cons, err := js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	l := &eventLog{byID: map[string][]loggedEvent{}}
	l.cc, err = cons.Consume(func(msg jetstream.Msg) {
		e := loggedEvent{id: msg.Headers().Get("ce-id"), subject: msg.Subject(), header: msg.Headers(), data: msg.Data()}
		l.mu.Lock()
		l.byID[e.id] = append(l.byID[e.id], e)
		l.n++
		l.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.cc.Stop)
	return l
}

// get returns the copies of event id seen so far.
func (l *eventLog) get(id string) []loggedEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byID[id]
}

// wait returns event id once it was seen.
func (l *eventLog) wait(t testing.TB, id string) loggedEvent {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, "event "+id, func() bool { return len(l.get(id)) > 0 })
	return l.get(id)[0]
}

// waitFor returns the first event seen that matches, for events whose id a
// consumer cannot know in advance (a callback query's id holds the query id).
func (l *eventLog) waitFor(t testing.TB, what string, match func(loggedEvent) bool) loggedEvent {
	t.Helper()
	var found loggedEvent
	testutil.Eventually(t, 30*time.Second, what, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, evs := range l.byID {
			if len(evs) > 0 && match(evs[0]) {
				found = evs[0]
				return true
			}
		}
		return false
	})
	return found
}

// commandClient publishes commands of one account through either entry
// point and waits for their results.
type commandClient struct {
	account string
	nc      *nats.Conn
	js      jetstream.JetStream
	events  *eventLog
	seq     atomic.Int64
}

func newCommandClient(t testing.TB, url, account string) *commandClient {
	t.Helper()
	js := natstest.Connect(t, url)
	return &commandClient{account: account, nc: js.Conn(), js: js, events: followEvents(t, js, account)}
}

// newTraceParent returns a fresh W3C traceparent.
func newTraceParent() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "00-" + hex.EncodeToString(b[:16]) + "-" + hex.EncodeToString(b[16:]) + "-01"
}

// sent is one command as published.
type sent struct {
	key, traceParent string
}

// key returns a fresh idempotency key.
func (c *commandClient) key(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), c.seq.Add(1))
}

func (c *commandClient) msg(subject, body string, s sent) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = []byte(body)
	if s.key != "" {
		m.Header.Set(schema.HeaderMsgID, s.key)
	}
	if s.traceParent != "" {
		m.Header.Set("traceparent", s.traceParent)
	}
	return m
}

// rpc sends a request to tg.<account>.rpc.<action> and decodes the reply.
func (c *commandClient) rpc(t testing.TB, action, body string, s sent) schema.CommandResult {
	t.Helper()
	reply, err := c.nc.RequestMsg(c.msg(egress.RPCSubject("tg", c.account, action), body, s), 30*time.Second)
	if err != nil {
		t.Fatalf("rpc %s: %v", action, err)
	}
	var res schema.CommandResult
	if err := json.Unmarshal(reply.Data, &res); err != nil {
		t.Fatalf("rpc %s: reply %s: %v", action, reply.Data, err)
	}
	return res
}

// publish puts a command on tg.<account>.commands.<action>.
func (c *commandClient) publish(t testing.TB, action, body string, s sent) {
	t.Helper()
	if _, err := c.js.PublishMsg(context.Background(), c.msg(egress.CommandSubject("tg", c.account, action), body, s)); err != nil {
		t.Fatalf("publish %s: %v", action, err)
	}
}

// result waits for the command.completed or command.failed event of key and
// returns the result it carries and the event.
func (c *commandClient) result(t testing.TB, key string) (schema.CommandResult, loggedEvent) {
	t.Helper()
	base := c.account + ":" + schema.KindCommand + ":" + key + ":"
	var ev loggedEvent
	testutil.Eventually(t, 30*time.Second, "result event of command "+key, func() bool {
		for _, a := range []string{schema.ActionCompleted, schema.ActionFailed} {
			if evs := c.events.get(base + a); len(evs) > 0 {
				ev = evs[0]
				return true
			}
		}
		return false
	})
	var res schema.CommandResult
	if err := json.Unmarshal(ev.data, &res); err != nil {
		t.Fatalf("result event %s: %v", ev.data, err)
	}
	return res, ev
}

// stream publishes a command and waits for its result event.
func (c *commandClient) stream(t testing.TB, action, body string, s sent) schema.CommandResult {
	t.Helper()
	c.publish(t, action, body, s)
	res, ev := c.result(t, s.key)
	if got := ev.header.Get("traceparent"); s.traceParent != "" && got != s.traceParent {
		t.Errorf("result event traceparent %q, want %q", got, s.traceParent)
	}
	return res
}

// consumerIdle waits until the commands consumer has nothing pending or
// unacknowledged: every command was acked or terminated.
func (c *commandClient) consumerIdle(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	var info *jetstream.ConsumerInfo
	testutil.Eventually(t, 30*time.Second, "commands consumer idle", func() bool {
		cons, err := c.js.Consumer(ctx, egress.StreamName(c.account), egress.ConsumerName)
		if err != nil {
			return false
		}
		info, err = cons.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0
	})
}

// peerJSON renders a peer as a command's peer field.
func peerJSON(p schema.PeerRef) string {
	return fmt.Sprintf(`{"peer_kind": %q, "peer_id": %d}`, p.Kind, p.ID)
}
