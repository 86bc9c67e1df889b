package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
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
// non-premium account: 4000 parts of 512 KiB) each way through each entry
// point: media.download of a generated file into the Object Store, then
// media.send of that object back to Telegram. The sha256 of what the
// connector stored and of what the simulator received must be the
// simulator's; the process's memory (simulator, connector and NATS server
// all run in it) must stay within a constant of what it held before each
// transfer: the live heap (as the GC last marked it) within memBudget, the
// resident set within twice that, the room the GC gives garbage (GOGC=100)
// before it collects. The simulator generates the file a part at a time
// and keeps the upload on disk, so whatever grows is the connector's or
// NATS's (the server's file store caches blocks it reads and writes).
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
	env := newCommandEnv(t, commandEnvOptions{})
	acc := env.w.acc
	bucket := schema.FilesBucketName(acc.Name)

	for _, via := range []string{"stream", "rpc"} {
		t.Run(via, func(t *testing.T) {
			id := env.post(t, sim.Outgoing{Chat: env.super, From: env.alice, Media: "document", File: &sim.File{Size: size, Name: "big.bin"}})
			want := env.messageFile(t, env.super, id)

			var out *schema.CommandOutput
			took, mem := measure(func() {
				out = longCommand(t, env, via, schema.CommandMediaDownload, fmt.Sprintf(`{"peer": %s, "message_id": %d}`, peerJSON(env.super), id), wait)
			})
			got := out.File
			if got == nil || got.Bucket != bucket || got.Size != size || got.SHA256 != want.SHA256 || got.Cached {
				t.Fatalf("download result %+v, want %d bytes sha256 %s", got, int64(size), want.SHA256)
			}
			mem.report(t, via+" download", size, took, memBudget)

			took, mem = measure(func() {
				out = longCommand(t, env, via, schema.CommandMediaSend, fmt.Sprintf(`{"peer": %s, "media": {"type": "document", "object": %q}}`, peerJSON(env.super), got.Object), wait)
			})
			// The simulator hashed the parts as they came (the call's
			// detail), and hashes again what it serves of the new document.
			if detail := env.lastAction(t).Detail; !strings.Contains(detail, "sha256="+want.SHA256) || !strings.Contains(detail, "uploaded="+strconv.Itoa(size)) {
				t.Errorf("sendMedia detail %q, want %d bytes sha256 %s", detail, int64(size), want.SHA256)
			}
			if sent := env.messageFile(t, env.super, out.MessageID); sent.Size != size || sent.SHA256 != want.SHA256 {
				t.Errorf("Telegram holds %d bytes sha256 %s, want %d %s", sent.Size, sent.SHA256, int64(size), want.SHA256)
			}
			mem.report(t, via+" upload", size, took, memBudget)
		})
	}
}

// longCommand runs a command through entry point via ("stream" or "rpc"),
// waiting up to wait for its result, which must be a success.
func longCommand(t *testing.T, env *commandEnv, via, action, body string, wait time.Duration) *schema.CommandOutput {
	t.Helper()
	cl := env.cl
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

// memUse is what the process held before a transfer (after a GC) and the
// peaks sampled during it, in bytes.
type memUse struct {
	idleLive, peakLive uint64 // live heap as of the last GC
	idleHeap, peakHeap uint64 // heap objects, garbage not yet collected included
	idleGo, peakGo     uint64 // memory the Go runtime has mapped and not released
	idleRSS, peakRSS   uint64 // resident set (VmRSS)
}

// measure runs f, sampling the process's memory every 10 ms.
func measure(f func()) (time.Duration, memUse) {
	runtime.GC()
	debug.FreeOSMemory()
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	read := func() (live, heap, goMem, rss uint64) {
		metrics.Read(samples)
		return samples[0].Value.Uint64(), samples[1].Value.Uint64(), samples[2].Value.Uint64() - samples[3].Value.Uint64(), vmRSS()
	}
	var m memUse
	m.idleLive, m.idleHeap, m.idleGo, m.idleRSS = read()
	var mu sync.Mutex
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			l, h, g, r := read()
			mu.Lock()
			m.peakLive, m.peakHeap, m.peakGo, m.peakRSS = max(m.peakLive, l), max(m.peakHeap, h), max(m.peakGo, g), max(m.peakRSS, r)
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
// live heap grew by more than budget or the resident set by more than
// twice that.
func (m memUse) report(t *testing.T, what string, size int64, took time.Duration, budget uint64) {
	t.Helper()
	mib := func(v uint64) float64 { return float64(v) / (1 << 20) }
	grew := func(peak, idle uint64) uint64 { return peak - min(peak, idle) }
	t.Logf("%s of %d MiB: %.1fs, %.1f MB/s; above idle at peak: live heap %.1f MiB (idle %.1f), heap objects %.1f MiB (idle %.1f), Go runtime %.1f MiB (idle %.1f), RSS %.1f MiB (idle %.1f)",
		what, size>>20, took.Seconds(), float64(size)/1e6/took.Seconds(),
		mib(grew(m.peakLive, m.idleLive)), mib(m.idleLive), mib(m.peakHeap-min(m.peakHeap, m.idleHeap)), mib(m.idleHeap), mib(m.peakGo-min(m.peakGo, m.idleGo)), mib(m.idleGo),
		mib(m.peakRSS-min(m.peakRSS, m.idleRSS)), mib(m.idleRSS))
	if g := grew(m.peakLive, m.idleLive); g > budget {
		t.Errorf("%s: live heap grew by %.1f MiB, want at most %.0f MiB", what, mib(g), mib(budget))
	}
	if g := grew(m.peakRSS, m.idleRSS); g > 2*budget {
		t.Errorf("%s: resident set grew by %.1f MiB, want at most %.0f MiB", what, mib(g), mib(2*budget))
	}
}

// vmRSS is the process's resident set (VmRSS, Linux) in bytes, 0 elsewhere.
func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
