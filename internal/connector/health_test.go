package connector

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/vfs"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgnats/tgnats/ingest"
	"github.com/tgnats/tgnats/internal/syncbuf"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/state"
)

// enospcFS fails file writes with ENOSPC while full is set.
type enospcFS struct {
	vfs.FS
	full *atomic.Bool
}

func (fs enospcFS) Create(name string) (vfs.File, error) {
	f, err := fs.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return enospcFile{File: f, full: fs.full}, nil
}

type enospcFile struct {
	vfs.File
	full *atomic.Bool
}

func (f enospcFile) Write(p []byte) (int, error) {
	if f.full.Load() {
		return 0, &os.PathError{Op: "write", Path: "wal", Err: syscall.ENOSPC}
	}
	return f.File.Write(p)
}

// /readyz and tgnats_state_disk_full show a store paused by a full disk,
// and /readyz an outbox JetStream does not take (publishing stalled).
func TestReadinessDiskFullAndStalledPublishing(t *testing.T) {
	var full atomic.Bool
	store, err := state.Open(filepath.Join(t.TempDir(), "acc"), state.Options{
		Account: "acc", FS: enospcFS{FS: vfs.Default, full: &full}, DiskFullRetry: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ing, err := ingest.NewAccount(ingest.AccountConfig{Account: "acc", AppID: 1, AppHash: "x", Store: store})
	if err != nil {
		t.Fatal(err)
	}
	a := &account{name: "acc", store: store, ing: ing}
	reg := prometheus.NewRegistry()
	if err := registerAccountMetrics(reg, []*account{a}); err != nil {
		t.Fatal(err)
	}
	later := time.Now()
	ready := readiness(func() bool { return true }, []*account{a}, func() time.Time { return later })
	diskFull := func() float64 { return gauge(t, reg, "tgnats_state_disk_full") }

	if _, detail := ready(); strings.Contains(detail, "disk full") || strings.Contains(detail, "stalled") || diskFull() != 0 {
		t.Fatalf("healthy store reported as blocked: %q, disk full gauge %v", detail, diskFull())
	}

	full.Store(true)
	done := make(chan error, 1)
	go func() {
		done <- store.Commit(&state.Commit{
			Events: []state.OutboxRecord{{Subject: "tg.acc.events.x", MsgID: "m1", Data: []byte("{}")}},
			State:  &state.UpdateState{Pts: 1},
		})
	}()
	testutil.Eventually(t, 10*time.Second, "the store to pause on the full disk", store.DiskFull)
	if ok, detail := ready(); ok || !strings.Contains(detail, "account acc: disk full") || diskFull() != 1 {
		t.Fatalf("ready = %v, %q, disk full gauge %v; want not ready, the account named, gauge 1", ok, detail, diskFull())
	}
	full.Store(false)
	if err := <-done; err != nil {
		t.Fatalf("commit after space returned: %v", err)
	}
	if _, detail := ready(); strings.Contains(detail, "disk full") || diskFull() != 0 {
		t.Fatalf("disk full still reported after space returned: %q", detail)
	}

	// The event waits in the outbox: once it is older than the stall bound,
	// publishing is reported as stalled.
	later = time.Now().Add(outboxStallAfter + time.Second)
	if ok, detail := ready(); ok || !strings.Contains(detail, "account acc: publishing stalled: 1 events waiting") {
		t.Fatalf("ready = %v, %q; want publishing stalled", ok, detail)
	}
}

// gauge reads the value of the single series of a gauge family.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no single gauge %s", name)
	return 0
}

// A panicking HTTP handler answers 500 and is logged; the server goes on.
func TestHTTPHandlerPanicAnswers500(t *testing.T) {
	var logs syncbuf.Buffer
	addr := make(chan string, 1)
	stop, err := serveHTTP("127.0.0.1:0", prometheus.NewRegistry(), func() (bool, string) { panic("boom") },
		func(a string) { addr <- a }, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	base := "http://" + <-addr
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz with a panicking handler: %v; want a 500 answer", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "HTTP handler panicked") || !strings.Contains(logs.String(), "boom") {
		t.Fatalf("panic not logged: %q", logs.String())
	}
	resp, err = http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after the panic, /healthz = %v, %v", resp, err)
	}
	resp.Body.Close()
}
