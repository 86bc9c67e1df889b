package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// startResult is the time from process start to the first event in the
// stream, for each start of one kind.
type startResult struct {
	fresh, restart []float64 // ms
	events         float64   // in the long-lived data dir before its restarts
	// primeCheck is what checking Telegram's Diffie-Hellman prime costs
	// here, as the client does for every new auth key (ms).
	primeCheck []float64
}

// primeCheckTime does what gotd v0.93's key exchange does with the prime
// of server_DH_inner_data before anything else (internal/crypto.CheckDH):
// 64 Miller-Rabin rounds on p and on (p-1)/2, the check Telegram's
// documentation asks of clients. It returns the time taken, in ms.
func primeCheckTime() float64 {
	p := sim.TelegramPrime()
	t0 := time.Now()
	q := new(big.Int).Rsh(p, 1)
	if !p.ProbablyPrime(64) || !q.ProbablyPrime(64) {
		panic("sim.TelegramPrime is not a safe prime")
	}
	return float64(time.Since(t0).Microseconds()) / 1000
}

// startTimes measures `connector run` from the process start to the
// first event the stream stores, against a separate simulator at rate
// messages/s: n starts on a fresh data dir each, then n restarts of one
// data dir that first streamed for warm.
func startTimes(ctx context.Context, progress io.Writer, n int, warm time.Duration, rate float64) (startResult, error) {
	var res startResult
	dir, err := os.MkdirTemp("", "tgnats-start-")
	if err != nil {
		return res, fmt.Errorf("start: %w", err)
	}
	defer os.RemoveAll(dir)
	w, err := newWorld(ctx, dir, rate, progress)
	if err != nil {
		return res, err
	}
	defer w.close()
	nc, err := nats.Connect(w.natsURL)
	if err != nil {
		return res, fmt.Errorf("start: %w", err)
	}
	defer nc.Close()
	// The stream stores what is published on its subjects: a core
	// subscriber sees the same messages as they are published.
	msgs := make(chan *nats.Msg, 1<<16)
	sub, err := nc.ChanSubscribe("tg.main.events.>", msgs)
	if err != nil {
		return res, fmt.Errorf("start: %w", err)
	}
	defer sub.Unsubscribe()
	port, err := freePort()
	if err != nil {
		return res, err
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", port)

	js, err := jetstream.New(nc)
	if err != nil {
		return res, fmt.Errorf("start: %w", err)
	}

	// once starts the connector on dataDir, returns the time to its first
	// event, and stops it after it ran for hold. A fresh start also finds
	// no checkpoint in NATS KV (a new deployment): with one, the
	// connector restores the Telegram session and state from it instead
	// of logging in.
	once := func(dataDir string, hold time.Duration, fresh bool) (float64, error) {
		if fresh {
			err := js.DeleteKeyValue(ctx, schema.DefaultCheckpointBucket)
			if err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) {
				return 0, fmt.Errorf("start: no fresh checkpoints: %w", err)
			}
		}
		// Whatever an earlier run published is delivered before the flush
		// returns: drain it.
		if err := nc.Flush(); err != nil {
			return 0, fmt.Errorf("start: %w", err)
		}
		for len(msgs) > 0 {
			<-msgs
		}
		t0 := time.Now()
		cmd, err := w.run(ctx, dataDir, httpAddr)
		if err != nil {
			return 0, err
		}
		defer stop(cmd)
		select {
		case <-msgs:
		case <-time.After(30 * time.Second):
			return 0, fmt.Errorf("no event within 30 s of the start (see %s)", filepath.Join(dir, "run.log"))
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		took := time.Since(t0)
		seen := 1
		for end := time.After(hold); end != nil; {
			select {
			case <-msgs:
				seen++
			case <-end:
				end = nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		res.events = float64(seen)
		return float64(took.Microseconds()) / 1000, stop(cmd)
	}
	for i := range n {
		ms, err := once(filepath.Join(dir, fmt.Sprintf("fresh-%d", i)), 500*time.Millisecond, true)
		if err != nil {
			return res, err
		}
		res.fresh = append(res.fresh, ms)
		check := primeCheckTime()
		res.primeCheck = append(res.primeCheck, check)
		fmt.Fprintf(progress, "fresh start %d: %.0f ms (the DH prime check alone: %.0f ms)\n", i, ms, check)
	}
	long := filepath.Join(dir, "long-lived")
	if _, err := once(long, warm, true); err != nil {
		return res, err
	}
	warmEvents := res.events
	fmt.Fprintf(progress, "long-lived data dir: %.0f events in %s\n", res.events, warm)
	for i := range n {
		ms, err := once(long, time.Second, false)
		if err != nil {
			return res, err
		}
		fmt.Fprintf(progress, "restart %d: %.0f ms\n", i, ms)
		res.restart = append(res.restart, ms)
	}
	res.events = warmEvents
	return res, nil
}

func printStart(out io.Writer, res startResult, rate float64, warm time.Duration) {
	fmt.Fprintf(out, "\n| Start, process start → first event in the stream (simulator at %.0f/s) | runs | median ms | range ms | Target | Met |\n", rate)
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	row := func(name string, v []float64, limit float64) {
		met := "no"
		if median(v) <= limit {
			met = "yes"
		}
		fmt.Fprintf(out, "| %s | %d | %.0f | %.0f–%.0f | ≤ %.0f ms | %s |\n", name, len(v), median(v), minF(v), maxF(v), limit, met)
	}
	row("fresh data dir", res.fresh, 300)
	row(fmt.Sprintf("restart of a data dir that streamed %s (%.0f events)", warm, res.events), res.restart, 500)
	v := res.primeCheck
	fmt.Fprintf(out, "| of a fresh start: the client's check of Telegram's DH prime alone (2 × 64 Miller-Rabin rounds, after each fresh start) | %d | %.0f | %.0f–%.0f | — | — |\n", len(v), median(v), minF(v), maxF(v))
}

func minF(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxF(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
