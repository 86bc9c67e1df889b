package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/connector"
	"github.com/tgnats/tgnats/internal/natsembed"
	"github.com/tgnats/tgnats/internal/natstest"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/simtest"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// Every test gets a simulated Telegram of its own, so that no test sees the
// world (channels, history) of another; each costs one auth key (~0.6 s CPU).
type world struct {
	sim     *sim.Sim
	ep      sim.Endpoint
	keys    []telegram.PublicKey
	keyFile string
	acc     sim.Account
}

var testAccount = sim.Account{Name: "e2e", BotToken: "2001:e2e-token", UserID: 2001, FirstName: "e2e", Username: "e2e_bot"}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, append(testutil.KnownLeaks(), goleak.Cleanup(func(int) { removeConnectorBuild() }))...)
}

// newWorld starts a simulator for the test and stops it at cleanup. Its
// accounts are testAccount unless cfg names others (testAccount first).
func newWorld(t testing.TB, cfg sim.Config) *world {
	t.Helper()
	if len(cfg.Accounts) == 0 {
		cfg.Accounts = []sim.Account{testAccount}
	}
	if os.Getenv("TGNATS_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s := simtest.Start(t, cfg)
	w := &world{sim: s, ep: s.Endpoint(), acc: testAccount}
	var err error
	w.keys, err = w.ep.PublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	w.keyFile = filepath.Join(t.TempDir(), "sim.pem")
	if err := os.WriteFile(w.keyFile, []byte(w.ep.PublicKeyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// startNATS runs an in-process nats-server with JetStream; listen may fix
// the port so that a restart comes back on the same address.
func startNATS(t testing.TB, dir, listen string) *natsembed.Server {
	t.Helper()
	srv, err := natsembed.Start(natsembed.Config{Listen: listen, StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// connectorConfig is the configuration of a connector serving acc from the
// shared simulator and publishing to natsURL.
func (w *world) connectorConfig(dataDir, natsURL, httpListen string) *config.Config {
	acc := w.acc
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.NATS.URL = natsURL
	cfg.HTTP.Listen = httpListen
	cfg.Outbox.DrainTimeout = 5 * time.Second
	cfg.Accounts = []config.Account{{
		Name:     acc.Name,
		AppID:    config.SimulatorAppID,
		AppHash:  config.SimulatorAppHash,
		BotToken: config.Secret(acc.BotToken),
		DC:       config.DC{ID: w.ep.DC, Address: w.ep.Addr, PublicKeyFile: w.keyFile},
	}}
	return cfg
}

type running struct {
	cancel context.CancelFunc
	done   chan error
	http   string
}

// startConnector runs a connector in this process and waits until it is ready.
func (w *world) startConnector(t testing.TB, cfg *config.Config) *running {
	t.Helper()
	return w.startConnectorWith(t, cfg, testLogger(t))
}

// startConnectorWith is startConnector logging to log.
func (w *world) startConnectorWith(t testing.TB, cfg *config.Config, log *slog.Logger) *running {
	t.Helper()
	r := w.launchConnector(t, cfg, log)
	waitReady(t, r.http)
	return r
}

// launchConnector runs a connector in this process without waiting until
// it is ready (a standby is not).
func (w *world) launchConnector(t testing.TB, cfg *config.Config, log *slog.Logger) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	httpAddr := make(chan string, 1)
	go func() {
		r.done <- connector.Run(ctx, connector.Options{
			Config:     cfg,
			Logger:     log,
			PublicKeys: map[string][]telegram.PublicKey{cfg.Accounts[0].Name: w.keys},
			OnHTTP:     func(addr string) { httpAddr <- addr },
		})
	}()
	select {
	case r.http = <-httpAddr:
	case err := <-r.done:
		t.Fatalf("connector did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("connector did not start")
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("connector returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("connector did not stop")
	}
}

func waitReady(t testing.TB, addr string) {
	t.Helper()
	testutil.Eventually(t, 60*time.Second, "connector ready", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("TGNATS_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// expectation is what consumers must see for one ledger entry.
type expectation struct {
	id      string
	subject string
	entry   sim.LedgerEntry
	// optional: Telegram only pushed the change (entry.Live), a connector
	// that was down then never learns it; or the connector publishes the
	// state it fetches, and a later change replaced this one first
	// (entry.Snapshot): at most once, not required.
	optional bool
}

// expected derives the events of ledger entries from seq on: the ground
// truth of the simulator turned into the ids and subjects DESIGN.md defines.
// A private or basic-group deletion of a message created before the
// connector's first start has no known chat: its peer is unknown, id 0.
func expected(account string, ledger []sim.LedgerEntry, from int) []expectation {
	seen := map[int]bool{}
	var out []expectation
	for _, e := range ledger[from:] {
		peer := e.Peer
		kind := e.EventKind()
		message := kind == schema.KindMessage
		if message && e.Action == schema.ActionCreated && peer.Kind != schema.PeerChannel {
			seen[e.MessageID] = true
		}
		if message && e.Action == schema.ActionDeleted && peer.Kind != schema.PeerChannel && !seen[e.MessageID] {
			peer = schema.PeerRef{Kind: schema.PeerUnknown}
		}
		ev := schema.Event{Account: account, Kind: kind, Action: e.Action, Peer: peer, MessageID: e.MessageID}
		out = append(out, expectation{
			optional: e.Live || e.Snapshot,
			id:       schema.EventID(account, peer, e.MessageID, kind, e.Action, e.Version),
			subject:  ev.Subject("tg"),
			entry:    e,
		})
	}
	return out
}

// received is one event read back from the stream.
type received struct {
	id        string
	subject   string
	partition string
	msgID     int
	kind      string
	action    string
	version   int64
}

// readStream waits until the account's stream holds at least want events,
// then reads all of them in stream order, checking each on the way.
func readStream(t *testing.T, natsURL, account string, want int) []received {
	t.Helper()
	var out []received
	eachStreamMsg(t, natsURL, account, want, func(msg jetstream.Msg) { out = append(out, check(t, msg)) })
	return out
}

// eachStreamMsg waits until the account's stream holds at least want
// events, then hands every one to f in stream order.
func eachStreamMsg(t *testing.T, natsURL, account string, want int, f func(jetstream.Msg)) {
	t.Helper()
	js := natstest.Connect(t, natsURL)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	name := schema.EventStreamName(account)
	var total uint64
	testutil.Eventually(t, 2*time.Minute, fmt.Sprintf("%d events in %s", want, name), func() bool {
		st, err := js.Stream(ctx, name)
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		if err != nil {
			return false
		}
		total = info.State.Msgs
		return total >= uint64(want)
	})
	cons, err := js.OrderedConsumer(ctx, name, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for n := uint64(0); n < total; {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for msg := range batch.Messages() {
			f(msg)
			n++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			t.Fatal(err)
		}
	}
}

// check validates one stream message as a consumer would read it.
func check(t *testing.T, msg jetstream.Msg) received {
	t.Helper()
	ev, err := schema.Decode(&nats.Msg{Subject: msg.Subject(), Header: msg.Headers(), Data: msg.Data()})
	if err != nil {
		t.Fatalf("%s: not a CloudEvent: %v", msg.Subject(), err)
	}
	if err := ev.Validate(); err != nil {
		t.Fatalf("%s: invalid CloudEvent: %v", msg.Subject(), err)
	}
	if got := msg.Headers().Get("Nats-Msg-Id"); got != ev.ID() {
		t.Fatalf("Nats-Msg-Id %q != ce-id %q", got, ev.ID())
	}
	var body struct {
		MessageID int     `json:"message_id"`
		EditDate  *string `json:"edit_date"`
	}
	if err := ev.DataAs(&body); err != nil {
		t.Fatalf("%s: body: %v", ev.ID(), err)
	}
	pk, _ := ev.Extensions()["partitionkey"].(string)
	r := received{id: ev.ID(), subject: msg.Subject(), partition: pk, msgID: body.MessageID}
	parts := strings.Split(ev.Type(), ".")
	if len(parts) >= 4 {
		r.kind, r.action = parts[2], parts[3]
	}
	if r.action == schema.ActionEdited {
		if i := strings.LastIndexByte(r.id, ':'); i > 0 {
			fmt.Sscan(r.id[i+1:], &r.version)
		}
	}
	return r
}

// assertExactlyOnce compares what the stream holds with the ledger: every
// expected event exactly once, on its subject, nothing else, and per chat
// in order (creations by message id; each message's created, edits by edit
// date, deleted).
func assertExactlyOnce(t *testing.T, got []received, want []expectation) {
	t.Helper()
	wantByID := map[string]expectation{}
	for _, w := range want {
		wantByID[w.id] = w
	}
	count := map[string]int{}
	var extra, wrongSubject []string
	for _, r := range got {
		count[r.id]++
		w, ok := wantByID[r.id]
		switch {
		case !ok:
			extra = append(extra, r.id)
		case w.subject != r.subject:
			wrongSubject = append(wrongSubject, fmt.Sprintf("%s on %s, want %s", r.id, r.subject, w.subject))
		}
	}
	var missing, doubled []string
	for _, w := range want {
		switch count[w.id] {
		case 0:
			if !w.optional {
				missing = append(missing, w.id)
			}
		case 1:
		default:
			doubled = append(doubled, w.id)
		}
	}
	if len(missing)+len(doubled)+len(extra)+len(wrongSubject) > 0 {
		t.Fatalf("stream vs ledger: %d events, %d expected\nmissing %d %v: %v\ndoubled %d: %v\nnot in ledger %d: %v\nwrong subject: %v",
			len(got), len(want), len(missing), byKind(missing), head(missing), len(doubled), head(doubled), len(extra), head(extra), head(wrongSubject))
	}

	// Per-chat order.
	lastCreated := map[string]int{}
	type life struct {
		stage   int // 1 created, 2 edited, 3 deleted
		version int64
	}
	lives := map[string]life{}
	for _, r := range got {
		if r.kind != schema.KindMessage {
			continue // reactions, pins, reads: no lifecycle of their own
		}
		key := r.partition + "/" + fmt.Sprint(r.msgID)
		l := lives[key]
		switch r.action {
		case schema.ActionCreated:
			if r.msgID <= lastCreated[r.partition] {
				t.Fatalf("%s: message %d created after message %d of the same chat", r.partition, r.msgID, lastCreated[r.partition])
			}
			lastCreated[r.partition] = r.msgID
			if l.stage > 0 {
				t.Fatalf("%s: created after an edit or deletion", key)
			}
			l.stage = 1
		case schema.ActionEdited:
			if l.stage == 3 || r.version < l.version {
				t.Fatalf("%s: edit %d out of order (stage %d, last version %d)", key, r.version, l.stage, l.version)
			}
			l.stage, l.version = 2, r.version
		case schema.ActionDeleted:
			l.stage = 3
		}
		lives[key] = l
	}
}

// byKind counts event ids by their kind and action ("reaction.updated").
func byKind(ids []string) map[string]int {
	n := map[string]int{}
	for _, id := range ids {
		parts := strings.Split(id, ":")
		if len(parts) >= 5 {
			n[parts[4]]++
		}
	}
	return n
}

func head(s []string) []string {
	if len(s) > 10 {
		return append(slices.Clone(s[:10]), "…")
	}
	return s
}

// outboxDepth reads tgnats_outbox_depth of account from /metrics.
func outboxDepth(t *testing.T, addr, account string) int {
	return int(metricValue(t, addr, fmt.Sprintf("tgnats_outbox_depth{account=%q}", account)))
}

// metricValue reads one sample (name with its labels, as exposed) from /metrics.
func metricValue(t *testing.T, addr, sample string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			var n float64
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

// assertSubset checks a stream after an unrecoverable gap: nothing twice,
// nothing that is not in the ledger, and everything of mustHave.
func assertSubset(t *testing.T, got []received, want, mustHave []expectation) {
	t.Helper()
	inLedger := map[string]bool{}
	for _, w := range want {
		inLedger[w.id] = true
	}
	count := map[string]int{}
	for _, r := range got {
		count[r.id]++
		if count[r.id] > 1 {
			t.Fatalf("%s delivered twice", r.id)
		}
		if !inLedger[r.id] {
			t.Fatalf("%s is not in the ledger", r.id)
		}
	}
	var missing []string
	for _, m := range mustHave {
		if count[m.id] == 0 {
			missing = append(missing, m.id)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d required events missing: %v", len(missing), len(mustHave), head(missing))
	}
}

// startDriving drives s with sc in the background until the returned stop
// is called (again: nothing), which reports a drive that failed.
func startDriving(t *testing.T, s *sim.Sim, sc sim.Scenario) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	driving := make(chan error, 1)
	go func() { driving <- s.Drive(ctx, sc) }()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			if err := <-driving; err != nil {
				t.Errorf("drive: %v", err)
			}
		})
	}
}

// durable counts the expectations the stream must hold: all but the optional.
func durable(want []expectation) int {
	n := 0
	for _, w := range want {
		if !w.optional {
			n++
		}
	}
	return n
}

// readWanted reads the account's stream once it holds every required
// event of want (or after two minutes, for assertExactlyOnce to report
// what is missing). Unlike readStream with a count, it does not stop early
// when optional events (changes Telegram only pushed) fill the count.
func readWanted(t *testing.T, natsURL, account string, want []expectation) []received {
	t.Helper()
	need := durable(want)
	js := natstest.Connect(t, natsURL)
	deadline := time.Now().Add(2 * time.Minute)
	poll := 50 * time.Millisecond
	for {
		if n := streamLen(js, account); n < need && time.Now().Before(deadline) {
			time.Sleep(poll) // polling interval, not synchronisation
			poll = min(2*poll, 2*time.Second)
			continue
		}
		got := readStream(t, natsURL, account, 0)
		have := make(map[string]bool, len(got))
		for _, r := range got {
			have[r.id] = true
		}
		complete := true
		for _, w := range want {
			complete = complete && (w.optional || have[w.id])
		}
		if complete || time.Now().After(deadline) {
			return got
		}
		time.Sleep(poll) // polling interval, not synchronisation
		poll = min(2*poll, 2*time.Second)
	}
}

// streamLen is the number of events in the account's stream (0 while it
// does not exist).
func streamLen(js jetstream.JetStream, account string) int {
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
