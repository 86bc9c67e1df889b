package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/egress"
	"github.com/tgnats/tgnats/schema"
)

// benchWorkers is how many commands are in flight at once, each worker
// addressing its own chat (commands to one chat run one after another).
const benchWorkers = 16

// BenchmarkCommands measures message.send commands with the rate limits
// lifted, against the simulator, through rpc (request to reply) and through
// the stream (publish to the command.completed event seen by a core NATS
// subscriber), next to a bare nats.go request-reply echo on the same server.
// benchWorkers clients run b.N commands in all, each sequentially.
// rpc_serial sends rpc commands one at a time (the latency of one command
// without queueing behind others).
// Each reports commands/s and the p50/p99 latency in ms; rpc and stream also
// report x_of_echo (their rate divided by the echo's) and p50_x_of_echo.
// Run all three with the same -benchtime, echo first (the default order):
//
//	go test -run '^$' -bench BenchmarkCommands -benchtime 2000x ./internal/e2e/
func BenchmarkCommands(b *testing.B) {
	env := newCommandEnv(b, commandEnvOptions{extraChats: benchWorkers})
	acc := env.w.acc.Name
	nc := env.cl.nc
	echo, err := nc.Subscribe("bench.echo", func(m *nats.Msg) { _ = m.Respond(m.Data) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = echo.Unsubscribe() })

	// Results of stream commands, as soon as they are published.
	var mu sync.Mutex
	waiting := map[string]chan struct{}{}
	results, err := nc.Subscribe("tg."+acc+".events.command.>", func(m *nats.Msg) {
		var res schema.CommandResult
		if err := json.Unmarshal(m.Data, &res); err != nil {
			return
		}
		mu.Lock()
		if ch, ok := waiting[res.CommandID]; ok {
			close(ch)
			delete(waiting, res.CommandID)
		}
		mu.Unlock()
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = results.Unsubscribe() })

	body := func(w, i int) string {
		return fmt.Sprintf(`{"peer": %s, "text": "bench %d/%d %d"}`, peerJSON(env.extra[w]), w, i, time.Now().UnixNano())
	}
	var echoRate, echoP50 float64
	report := func(b *testing.B, lat []time.Duration, took time.Duration) (rate, p50 float64) {
		slices.Sort(lat)
		rate = float64(len(lat)) / took.Seconds()
		p50 = float64(lat[len(lat)/2].Microseconds()) / 1000
		b.ReportMetric(rate, "commands/s")
		b.ReportMetric(p50, "p50_ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
		b.ReportMetric(0, "ns/op")
		return rate, p50
	}
	relative := func(b *testing.B, rate, p50 float64) {
		if echoRate > 0 {
			b.ReportMetric(rate/echoRate, "x_of_echo")
			b.ReportMetric(p50/echoP50, "p50_x_of_echo")
		}
	}

	b.Run("echo", func(b *testing.B) {
		lat, took := runWorkers(b, b.N, benchWorkers, func(w, i int) error {
			_, err := nc.Request("bench.echo", []byte(body(w, i)), 10*time.Second)
			return err
		})
		echoRate, echoP50 = report(b, lat, took)
	})
	rpc := func(w, i int) error {
		reply, err := nc.Request(egress.RPCSubject("tg", acc, schema.CommandMessageSend), []byte(body(w, i)), 30*time.Second)
		if err != nil {
			return err
		}
		var res schema.CommandResult
		if err := json.Unmarshal(reply.Data, &res); err != nil || !res.OK {
			return fmt.Errorf("rpc reply %s: %v", reply.Data, err)
		}
		return nil
	}
	b.Run("rpc", func(b *testing.B) {
		lat, took := runWorkers(b, b.N, benchWorkers, rpc)
		rate, p50 := report(b, lat, took)
		relative(b, rate, p50)
	})
	// One command at a time: the latency of a command on its own, without
	// the queueing of 16 in flight (whose p50 is about 16 / the rate).
	b.Run("rpc_serial", func(b *testing.B) {
		lat, took := runWorkers(b, b.N, 1, rpc)
		report(b, lat, took)
	})
	run := 0
	b.Run("stream", func(b *testing.B) {
		run++
		lat, took := runWorkers(b, b.N, benchWorkers, func(w, i int) error {
			key := fmt.Sprintf("bench-%d-%d-%d", run, w, i)
			done := make(chan struct{})
			mu.Lock()
			waiting[key] = done
			mu.Unlock()
			m := env.cl.msg(egress.CommandSubject("tg", acc, schema.CommandMessageSend), body(w, i), sent{key: key})
			if err := nc.PublishMsg(m); err != nil {
				return err
			}
			select {
			case <-done:
				return nil
			case <-time.After(time.Minute):
				return errors.New("no result for " + key)
			}
		})
		rate, p50 := report(b, lat, took)
		relative(b, rate, p50)
	})
}

// runWorkers runs n calls of fn on workers goroutines (worker w, its
// i-th call) and returns each call's latency and the total time.
func runWorkers(b *testing.B, n, workers int, fn func(w, i int) error) ([]time.Duration, time.Duration) {
	b.Helper()
	lat := make([]time.Duration, n)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n && errs[w] == nil; i += workers {
				t0 := time.Now()
				errs[w] = fn(w, i)
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	b.StopTimer()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	return lat, took
}
