package tgnats_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	tgnats "github.com/tgnats/tgnats/testcontainers"
)

// drainDeadline is the connector's default outbox.drain_timeout: a
// graceful stop must end within it (plus start-up of the stop itself).
const drainDeadline = 10 * time.Second

// eventually polls cond every 200ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(200 * time.Millisecond) // polling interval, not synchronisation
	}
}

// ledgerLen returns how many changes the simulator holds.
func ledgerLen(t *testing.T, ctx context.Context, ctr *tgnats.Container) int {
	t.Helper()
	l, err := ctr.Ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return len(l)
}

// streamIDs reads every event of the account's stream (TG_MAIN_EVENTS)
// and returns their ids (Nats-Msg-Id, which is the CloudEvent id).
func streamIDs(ctx context.Context, url string) ([]string, error) {
	// A short deadline: a cluster electing a leader drops API requests.
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	st, err := js.Stream(ctx, "TG_MAIN_EVENTS")
	if err != nil {
		return nil, fmt.Errorf("stream info: %w", err)
	}
	last := st.CachedInfo().State.LastSeq
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, fmt.Errorf("ordered consumer: %w", err)
	}
	var ids []string
	var seq uint64
	for seq < last {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, fmt.Errorf("fetch after %d of %d: %w", seq, last, err)
		}
		for m := range batch.Messages() {
			ids = append(ids, m.Headers().Get("Nats-Msg-Id"))
			if md, err := m.Metadata(); err == nil {
				seq = md.Sequence.Stream
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("fetch after %d of %d: %w", seq, last, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read %d of %d events: %w", seq, last, ctx.Err())
		}
	}
	return ids, nil
}

// assertExactlyOnce waits until the stream holds an event for every
// ledger entry from index from on, then checks each exactly once and
// nothing else.
func assertExactlyOnce(t *testing.T, ctx context.Context, ctr *tgnats.Container, url string, from int) {
	t.Helper()
	ledger, err := ctr.Ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, e := range ledger[from:] {
		want[e.EventID] = true
	}
	var got []string
	eventually(t, 90*time.Second, fmt.Sprintf("%d events in the stream", len(want)), func() bool {
		ids, err := streamIDs(ctx, url)
		if err != nil {
			t.Logf("reading the stream: %v (retrying)", err)
			return false
		}
		got = ids
		return len(got) >= len(want)
	})
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	var missing, doubled, extra []string
	for id := range want {
		switch count[id] {
		case 0:
			missing = append(missing, id)
		case 1:
		default:
			doubled = append(doubled, id)
		}
	}
	for id := range count {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(doubled)+len(extra) > 0 {
		t.Fatalf("stream vs ledger: %d events, %d expected\nmissing %d: %.10v\ndoubled %d: %.10v\nnot in ledger %d: %.10v",
			len(got), len(want), len(missing), missing, len(doubled), doubled, len(extra), extra)
	}
	t.Logf("stream holds each of the %d ledger changes exactly once", len(want))
}

// waitLedger waits until the simulator has produced n more changes.
func waitLedger(t *testing.T, ctx context.Context, ctr *tgnats.Container, n int) {
	t.Helper()
	target := ledgerLen(t, ctx, ctr) + n
	eventually(t, 60*time.Second, fmt.Sprintf("ledger reaching %d", target), func() bool {
		return ledgerLen(t, ctx, ctr) >= target
	})
}

func dockerKill(t *testing.T, ctx context.Context, ctr testcontainers.Container) {
	t.Helper()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if err := cli.ContainerKill(ctx, ctr.GetContainerID(), "KILL"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "killed container stopped", func() bool {
		st, err := ctr.State(ctx)
		return err == nil && !st.Running
	})
}

// TestRestartSafety stops tgnats with SIGTERM (docker stop) and later kills
// it with SIGKILL while the simulator produces, restarting it on the same
// volume each time: every change reaches the stream exactly once.
func TestRestartSafety(t *testing.T) {
	imgs := images(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ctr := startTgnats(t, ctx, imgs.connector, tgnats.WithNATSContainer(imgs.nats))
	url, err := ctr.NATSURL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The image's HEALTHCHECK (connector healthcheck, no shell) passes.
	eventually(t, 30*time.Second, "docker reporting the container healthy", func() bool {
		st, err := ctr.State(ctx)
		return err == nil && st.Health != nil && st.Health.Status == "healthy"
	})
	from := ledgerLen(t, ctx, ctr)

	// SIGTERM while producing: a graceful stop, exit 0, within the deadline.
	if err := ctr.StartTraffic(ctx, 30, 7); err != nil {
		t.Fatal(err)
	}
	waitLedger(t, ctx, ctr, 60)
	grace := 30 * time.Second
	start := time.Now()
	if err := ctr.Stop(ctx, &grace); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	st, err := ctr.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ExitCode != 0 || took > drainDeadline+5*time.Second {
		t.Fatalf("docker stop: exit code %d after %s, want 0 within %s", st.ExitCode, took.Round(time.Millisecond), drainDeadline+5*time.Second)
	}
	t.Logf("docker stop took %s (exit code 0)", took.Round(time.Millisecond))

	// Start on the same volume; produce; SIGKILL; start again.
	if err := ctr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ctr.StartTraffic(ctx, 30, 8); err != nil {
		t.Fatal(err)
	}
	waitLedger(t, ctx, ctr, 60)
	dockerKill(t, ctx, ctr)
	if err := ctr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ctr.StartTraffic(ctx, 30, 9); err != nil {
		t.Fatal(err)
	}
	waitLedger(t, ctx, ctr, 30)
	if err := ctr.StartTraffic(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	assertExactlyOnce(t, ctx, ctr, url, from)
}

// natsNode starts one JetStream cluster node named name on nw.
func natsNode(ctx context.Context, img, name string, nw *testcontainers.DockerNetwork) (testcontainers.Container, error) {
	routes := "nats://n1:6222,nats://n2:6222,nats://n3:6222"
	req := testcontainers.GenericContainerRequest{
		ContainerRequest: testcontainers.ContainerRequest{
			Image: img,
			Cmd: []string{"-js", "-sd", "/data", "-n", name, "-m", "8222",
				"--cluster_name", "tgnats", "--cluster", "nats://0.0.0.0:6222", "--routes", routes,
				"--no_advertise"},
			ExposedPorts: []string{"4222/tcp", "8222/tcp"},
			WaitingFor:   wait.ForListeningPort("4222/tcp").WithStartupTimeout(60 * time.Second),
		},
		Started: true,
	}
	if err := tcnetwork.WithNetwork([]string{name}, nw).Customize(&req); err != nil {
		return nil, err
	}
	return testcontainers.GenericContainer(ctx, req)
}

// clientOf reports whether the node serves a connection named "tgnats".
func clientOf(ctx context.Context, node testcontainers.Container) bool {
	base, err := node.PortEndpoint(ctx, "8222/tcp", "http")
	if err != nil {
		return false
	}
	resp, err := http.Get(base + "/connz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var connz struct {
		Connections []struct {
			Name string `json:"name"`
		} `json:"connections"`
	}
	b, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(b, &connz) != nil {
		return false
	}
	for _, c := range connz.Connections {
		if c.Name == "tgnats" {
			return true
		}
	}
	return false
}

// TestCluster runs tgnats against a three-node JetStream cluster with an
// events stream of 3 replicas and kills the node tgnats is connected to
// while it publishes: nothing lost, nothing doubled, no restart of tgnats.
func TestCluster(t *testing.T) {
	imgs := images(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nw, err := tcnetwork.New(ctx)
	testcontainers.CleanupNetwork(t, nw)
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]testcontainers.Container{}
	var hostURLs, insideURLs []string
	for _, name := range []string{"n1", "n2", "n3"} {
		n, err := natsNode(ctx, imgs.nats, name, nw)
		testcontainers.CleanupContainer(t, n)
		if err != nil {
			t.Fatal(err)
		}
		logsOnFailure(t, name, n)
		nodes[name] = n
		u, err := n.PortEndpoint(ctx, "4222/tcp", "nats")
		if err != nil {
			t.Fatal(err)
		}
		hostURLs = append(hostURLs, u)
		insideURLs = append(insideURLs, "nats://"+name+":4222")
	}
	ctr := startTgnats(t, ctx, imgs.connector,
		tgnats.WithNATS(strings.Join(insideURLs, ","), strings.Join(hostURLs, ",")),
		tcnetwork.WithNetwork(nil, nw),
		testcontainers.WithEnv(map[string]string{"TGNATS_NATS_STREAM_REPLICAS": "3"}))
	before, err := ctr.State(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The stream exists with 3 replicas once tgnats created it.
	nc, err := nats.Connect(strings.Join(hostURLs, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "events stream with 3 replicas", func() bool {
		// A short deadline per call: a cluster still electing its meta
		// leader does not answer JetStream API requests.
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		st, err := js.Stream(cctx, "TG_MAIN_EVENTS")
		if err != nil {
			return false
		}
		info, err := st.Info(cctx)
		return err == nil && info.Config.Replicas == 3 && info.Cluster != nil && len(info.Cluster.Replicas) == 2
	})
	from := ledgerLen(t, ctx, ctr)
	if err := ctr.StartTraffic(ctx, 30, 11); err != nil {
		t.Fatal(err)
	}
	waitLedger(t, ctx, ctr, 60)

	var victim string
	eventually(t, 10*time.Second, "a node serving tgnats", func() bool {
		for name, n := range nodes {
			if clientOf(ctx, n) {
				victim = name
				return true
			}
		}
		return false
	})
	t.Logf("killing %s, the node tgnats is connected to", victim)
	dockerKill(t, ctx, nodes[victim])
	var rest []string
	for i, name := range []string{"n1", "n2", "n3"} {
		if name != victim {
			rest = append(rest, hostURLs[i])
		}
	}
	waitLedger(t, ctx, ctr, 90)
	if err := ctr.StartTraffic(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "tgnats reconnected to a remaining node", func() bool {
		for name, n := range nodes {
			if name != victim && clientOf(ctx, n) {
				return true
			}
		}
		return false
	})
	assertExactlyOnce(t, ctx, ctr, strings.Join(rest, ","), from)
	after, err := ctr.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Running || after.StartedAt != before.StartedAt {
		t.Fatalf("tgnats restarted: started %s, now %s (running %v)", before.StartedAt, after.StartedAt, after.Running)
	}
}

// TestBadConfig: a configuration error stops the container at once with
// one clear log line.
func TestBadConfig(t *testing.T) {
	imgs := images(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cfg := strings.NewReader("nats:\n  stream:\n    replica: 3\n")
	ctr, err := tgnats.Run(ctx, imgs.connector, tgnats.WithConfigFile(cfg), tgnats.WithStartupTimeout(30*time.Second))
	testcontainers.CleanupContainer(t, ctr)
	if err == nil {
		t.Fatal("tgnats started with an unknown config field")
	}
	if ctr == nil || ctr.Container == nil {
		t.Fatalf("no container was created: %v", err)
	}
	runErr := err
	st, err := ctr.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Running || st.ExitCode != 1 {
		t.Fatalf("container running %v, exit code %d; want exited with 1 (Run: %v)", st.Running, st.ExitCode, runErr)
	}
	rc, err := ctr.Logs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	logs, _ := io.ReadAll(rc)
	var line string
	for l := range strings.SplitSeq(string(logs), "\n") {
		if strings.HasPrefix(l, "tgnats: ") {
			line = l
		}
	}
	if !strings.Contains(line, "config.yaml") || !strings.Contains(line, "replica") {
		t.Fatalf("no clear error line naming the file and the field; logs:\n%s", logs)
	}
	t.Logf("refused with: %s", line)
}
