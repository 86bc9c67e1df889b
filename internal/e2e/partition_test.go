package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
)

// tcpProxy forwards connections to target until Cut closes them all and
// refuses new ones: a network partition between one client and NATS.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cut    bool
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) URL() string { return "nats://" + p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

// Cut drops every connection and refuses new ones.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *tcpProxy) close() {
	p.Cut()
	_ = p.ln.Close()
	p.wg.Wait()
}

// TestFailoverPartition cuts the leader off NATS while it stays connected
// to Telegram: it cannot renew its lease, so it must stop talking to
// Telegram before the lease expires and the standby, which still reaches
// NATS, takes over with the same session (auth key). The simulator fails
// the test if both ever held a connection with that key at once.
func TestFailoverPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a lease TTL; skipped with -short")
	}
	w := newWorld(t, sim.Config{})
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	defer nsrv.Shutdown()
	url := nsrv.ClientURL()
	proxy := startProxy(t, strings.TrimPrefix(url, "nats://"))

	start := func(name, natsURL string) (*running, *syncbuf.Buffer) {
		cfg := w.connectorConfig(filepath.Join(t.TempDir(), "data-"+name), natsURL, "127.0.0.1:0")
		cfg.Lease.TTL, cfg.Lease.Node, cfg.Lease.CheckpointInterval = failoverTTL, name, 300*time.Millisecond
		logs := &syncbuf.Buffer{}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("log of %s:\n%s", name, logs)
			}
		})
		log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if name == "b" {
			// The standby is not ready until it leads: do not wait for it.
			return w.launchConnector(t, cfg, log), logs
		}
		return w.startConnectorWith(t, cfg, log), logs
	}
	a, aLogs := start("a", proxy.URL())
	b, bLogs := start("b", url)
	from := len(w.sim.Ledger(w.acc.Name))
	if err := w.sim.Produce(context.Background(), sim.Scenario{Seed: 8}, 40); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "a checkpoint past some events", func() bool {
		return checkpointedEvents.MatchString(aLogs.String())
	})
	testutil.Eventually(t, 30*time.Second, "b standing by", func() bool {
		return strings.Contains(bLogs.String(), "lease held by another node")
	})

	cut := time.Now()
	proxy.Cut()
	testutil.Eventually(t, failoverTTL+15*time.Second, "b ready", func() bool { return ready(b.http) })
	t.Logf("standby served %s after the leader was cut off NATS", time.Since(cut).Round(time.Millisecond))
	if !strings.Contains(aLogs.String(), "lease lost; stopping the account at once") {
		t.Fatal("the cut-off leader did not report losing its lease")
	}
	if !strings.Contains(bLogs.String(), "state restored from the NATS checkpoint") {
		t.Fatal("the standby did not take over the leader's session from the checkpoint")
	}
	if err := w.sim.Produce(context.Background(), sim.Scenario{Seed: 9}, 40); err != nil {
		t.Fatal(err)
	}
	w.assertFailedOver(t, url, from)
	b.stop(t)
	a.stop(t)
}
