package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tgnats/tgnats/egress"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/testutil"
	"github.com/tgnats/tgnats/schema"
)

// TestFiles2GB moves a file of 2000 MiB (Telegram's largest for a
// non-premium account: 2000 parts of 1 MiB down, 4000 of 512 KiB up) each
// way through each entry point: media.download of a generated file into
// the Object Store, then media.send of that object back to Telegram. The
// sha256 of what the connector stored and of what the simulator received
// must be the simulator's. The connector runs as a process of its own (the
// binary users run, against the test's simulator and NATS server), and its
// resident set must stay within memBudget of what it held before each
// transfer: the file streams through, it is never held. The simulator
// generates the file a part at a time and keeps the upload on disk.
//
// It runs with TGNATS_TEST_2GB=1 and without the race detector (MTProto's
// crypto under -race takes far too long):
//
//	TGNATS_TEST_2GB=1 go test -count=1 -run TestFiles2GB -timeout 10m -v ./internal/e2e/
func TestFiles2GB(t *testing.T) {
	if os.Getenv("TGNATS_TEST_2GB") == "" {
		t.Skip("set TGNATS_TEST_2GB=1 to move 2000 MiB each way (about 8 GB of disk in the temporary directory)")
	}
	if raceEnabled {
		t.Skip("too slow under the race detector")
	}
	// The file is staged, stored in the Object Store and uploaded to the
	// simulator's disk: about 8 GB of the temporary directory at most.
	var fs syscall.Statfs_t
	if err := syscall.Statfs(os.TempDir(), &fs); err == nil {
		if free := int64(fs.Bavail) * int64(fs.Bsize); free < 12<<30 {
			t.Skipf("%s has %d MiB free; moving 2000 MiB each way needs about 12 GiB", os.TempDir(), free>>20)
		}
	}
	const (
		size      = 2000 << 20
		memBudget = 64 << 20
		wait      = 10 * time.Minute
	)
	bin, err := buildConnector()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, sim.Config{})
	nsrv := startNATS(t, t.TempDir(), "127.0.0.1:-1")
	t.Cleanup(nsrv.Shutdown)
	httpAddr := freeAddr(t)
	p := startProcess(t, bin, w.processConfig(t, nsrv.ClientURL(), httpAddr, noLease))
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			t.Logf("connector output:\n%s", p.out)
		}
	})
	waitReady(t, httpAddr)
	cl := newCommandClient(t, nsrv.ClientURL(), w.acc.Name)
	ctx := context.Background()
	alice := w.sim.CreateUser("Alice", "", "alice_2gb")
	super, err := w.sim.CreateChat(schema.PeerChannel, "super", alice)
	if err != nil {
		t.Fatal(err)
	}
	post := func(out sim.Outgoing) int {
		t.Helper()
		out.Account, out.Chat, out.From = w.acc.Name, super, alice
		id, err := w.sim.SendMessage(ctx, out)
		if err != nil {
			t.Fatal(err)
		}
		cl.events.wait(t, schema.EventID(w.acc.Name, super, id, schema.KindMessage, schema.ActionCreated, 0))
		return id
	}
	messageFile := func(id int) sim.MediaFile {
		t.Helper()
		f, err := w.sim.MessageFile(ctx, w.acc.Name, super, id)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	bucket := schema.FilesBucketName(w.acc.Name)
	pid := p.cmd.Process.Pid

	for _, via := range []string{"stream", "rpc"} {
		t.Run(via, func(t *testing.T) {
			id := post(sim.Outgoing{Media: "document", File: &sim.File{Size: size, Name: "big.bin"}})
			want := messageFile(id)

			var out *schema.CommandOutput
			took, mem := measure(t, pid, func() {
				out = longCommand(t, cl, via, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(super), id), wait)
			})
			got := out.File
			if got == nil || got.Bucket != bucket || got.Size != size || got.SHA256 != want.SHA256 || got.Cached {
				t.Fatalf("download result %+v, want %d bytes sha256 %s", got, int64(size), want.SHA256)
			}
			mem.report(t, via+" download", size, took, memBudget)

			took, mem = measure(t, pid, func() {
				out = longCommand(t, cl, via, schema.CommandMediaSend, fmt.Sprintf(`{"peer": %s, "media": {"type": "document", "object": %q}}`, peerJSON(super), got.Object), wait)
			})
			// The simulator hashed the parts as they came (the call's
			// detail), and hashes again what it serves of the new document.
			calls := w.sim.ServedCalls(w.acc.Name)
			if len(calls) == 0 {
				t.Fatal("simulator served no call")
			}
			if detail := calls[len(calls)-1].Detail; !strings.Contains(detail, "sha256="+want.SHA256) || !strings.Contains(detail, "uploaded="+strconv.Itoa(size)) {
				t.Errorf("sendMedia detail %q, want %d bytes sha256 %s", detail, int64(size), want.SHA256)
			}
			if sent := messageFile(out.MessageID); sent.Size != size || sent.SHA256 != want.SHA256 {
				t.Errorf("Telegram holds %d bytes sha256 %s, want %d %s", sent.Size, sent.SHA256, int64(size), want.SHA256)
			}
			mem.report(t, via+" upload", size, took, memBudget)
		})
	}
}

// longCommand runs a command through entry point via ("stream" or "rpc"),
// waiting up to wait for its result, which must be a success.
func longCommand(t *testing.T, cl *commandClient, via, action, body string, wait time.Duration) *schema.CommandOutput {
	t.Helper()
	s := sent{key: cl.key(action)}
	var res schema.CommandResult
	switch via {
	case "rpc":
		reply, err := cl.nc.RequestMsg(cl.msg(egress.RPCSubject("tg", cl.account, action), body, s), wait)
		if err != nil {
			t.Fatalf("rpc %s: %v", action, err)
		}
		if err := json.Unmarshal(reply.Data, &res); err != nil {
			t.Fatalf("rpc %s: reply %s: %v", action, reply.Data, err)
		}
	default:
		cl.publish(t, action, body, s)
		base := cl.account + ":" + schema.KindCommand + ":" + s.key + ":"
		var ev loggedEvent
		testutil.Eventually(t, wait, "result event of command "+s.key, func() bool {
			for _, a := range []string{schema.ActionCompleted, schema.ActionFailed} {
				if evs := cl.events.get(base + a); len(evs) > 0 {
					ev = evs[0]
					return true
				}
			}
			return false
		})
		if err := json.Unmarshal(ev.data, &res); err != nil {
			t.Fatalf("result event %s: %v", ev.data, err)
		}
	}
	if !res.OK || res.Result == nil {
		b, _ := json.Marshal(res)
		t.Fatalf("%s via %s failed: %s", action, via, b)
	}
	return res.Result
}

// memUse is what the connector process held before a transfer and the
// peaks sampled during it, in bytes (/proc/<pid>/status).
type memUse struct {
	idleRSS, peakRSS   uint64 // resident set (VmRSS): the binary's mapped pages and what it allocated
	idleAnon, peakAnon uint64 // what it allocated (RssAnon): the Go heap, Pebble's caches
}

// measure runs f, sampling the memory of process pid every 10 ms.
func measure(t *testing.T, pid int, f func()) (time.Duration, memUse) {
	t.Helper()
	read := func() (rss, anon uint64) {
		st, err := procStatus(pid)
		if err != nil {
			return 0, 0
		}
		return st["VmRSS"], st["RssAnon"]
	}
	var m memUse
	if m.idleRSS, m.idleAnon = read(); m.idleRSS == 0 {
		t.Skip("no /proc/<pid>/status to measure the connector's memory with")
	}
	var mu sync.Mutex
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			r, a := read()
			mu.Lock()
			m.peakRSS, m.peakAnon = max(m.peakRSS, r), max(m.peakAnon, a)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	f()
	took := time.Since(start)
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	return took, m
}

// report logs the transfer's rate and memory and fails the test when the
// connector's resident set grew by more than budget.
func (m memUse) report(t *testing.T, what string, size int64, took time.Duration, budget uint64) {
	t.Helper()
	mib := func(v uint64) float64 { return float64(v) / (1 << 20) }
	grew := func(peak, idle uint64) uint64 { return peak - min(peak, idle) }
	t.Logf("%s of %d MiB: %.1fs, %.1f MB/s; connector above idle at peak: VmRSS +%.1f MiB (idle %.1f), RssAnon +%.1f MiB (idle %.1f)",
		what, size>>20, took.Seconds(), float64(size)/1e6/took.Seconds(),
		mib(grew(m.peakRSS, m.idleRSS)), mib(m.idleRSS), mib(grew(m.peakAnon, m.idleAnon)), mib(m.idleAnon))
	if g := grew(m.peakRSS, m.idleRSS); g > budget {
		t.Errorf("%s: the connector's resident set grew by %.1f MiB, want at most %.0f MiB", what, mib(g), mib(budget))
	}
}

// procStatus reads the memory lines of /proc/<pid>/status (Linux), in bytes.
func procStatus(pid int) (map[string]uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for l := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		if kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(v, " kB")), 10, 64); err == nil {
			out[k] = kb << 10
		}
	}
	return out, nil
}
