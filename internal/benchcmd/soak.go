package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// soakLimit is issue 11's memory target for `connector run`.
const soakLimit = 64 * mib

// soakSample is one row of the curve.
type soakSample struct {
	at        time.Duration
	run, sim  memory
	heap      float64 // the connector's go_memstats_heap_inuse_bytes
	published float64 // tgnats_events_published_total
}

// soak runs `connector run` against a separate simulator (at rate
// messages/s) and nats-server for d, samples the resident memory of both
// every interval and prints the curve and its summary.
func soak(ctx context.Context, out, progress io.Writer, d, interval time.Duration, rate float64) (err error) {
	dir, err := os.MkdirTemp("", "tgnats-soak-")
	if err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	defer os.RemoveAll(dir)
	w, err := newWorld(ctx, dir, rate, progress)
	if err != nil {
		return err
	}
	defer w.close()
	defer func() {
		if err != nil {
			w.logs(progress)
		}
	}()
	port, err := freePort()
	if err != nil {
		return err
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", port)
	run, err := w.run(ctx, filepath.Join(dir, "data"), httpAddr)
	if err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(out, "Soak: connector run against simulate --sim-only at %.0f messages/s and nats-server, %s, sampled every %s.\n\n", rate, d, interval)
	fmt.Fprintln(out, "| t | connector VmRSS MiB | RssAnon | RssFile | Go heap in use | events published | events/s | simulator VmRSS MiB |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|")
	var samples []soakSample
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		s := soakSample{at: time.Since(start).Round(time.Second)}
		if s.run, err = memoryOf(run.Process.Pid); err != nil {
			return fmt.Errorf("connector exited? %w (see %s)", err, filepath.Join(dir, "run.log"))
		}
		if s.sim, err = memoryOf(w.sim.Process.Pid); err != nil {
			return fmt.Errorf("simulator exited? %w", err)
		}
		m, err := metrics(ctx, httpAddr, "go_memstats_heap_inuse_bytes", "tgnats_events_published_total")
		if err != nil {
			return fmt.Errorf("connector: %w", err)
		}
		s.heap, s.published = m["go_memstats_heap_inuse_bytes"], m["tgnats_events_published_total"]
		rateNow := s.published / s.at.Seconds()
		if len(samples) > 0 {
			p := samples[len(samples)-1]
			rateNow = (s.published - p.published) / (s.at - p.at).Seconds()
		}
		samples = append(samples, s)
		fmt.Fprintf(out, "| %s | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f | %.1f |\n", s.at, mb(s.run.rss), mb(s.run.anon), mb(s.run.file),
			s.heap/mib, s.published, rateNow, mb(s.sim.rss))
		if s.at >= d {
			break
		}
	}
	if err = stop(run); err != nil {
		return err
	}
	fmt.Fprintln(out)
	summarizeSoak(out, samples, d)
	return nil
}

// summarizeSoak prints the range and the slope of the curve after its
// first minute (start-up: stores open, caches fill).
func summarizeSoak(out io.Writer, samples []soakSample, d time.Duration) {
	steady := samples
	for i, s := range samples {
		if s.at >= time.Minute || i == len(samples)-1 {
			steady = samples[i:]
			break
		}
	}
	rss := func(s soakSample) float64 { return mb(s.run.rss) }
	anon := func(s soakSample) float64 { return mb(s.run.anon) }
	sim := func(s soakSample) float64 { return mb(s.sim.rss) }
	maxRSS := slices.MaxFunc(samples, func(a, b soakSample) int { return int(a.run.rss - b.run.rss) })
	last := samples[len(samples)-1]
	met := "yes"
	if maxRSS.run.rss > soakLimit {
		met = "no"
	}
	fmt.Fprintf(out, "connector: VmRSS %.1f–%.1f MiB after the first minute (max %.1f MiB at %s; target ≤ 64 MiB: %s), slope %+.2f MiB/min; RssAnon %.1f–%.1f MiB, slope %+.2f MiB/min.\n",
		minOf(steady, rss), maxOf(steady, rss), mb(maxRSS.run.rss), maxRSS.at, met, slope(steady, rss), minOf(steady, anon), maxOf(steady, anon), slope(steady, anon))
	fmt.Fprintf(out, "events: %.0f published in %s (%.0f/s).\n", last.published, last.at, last.published/last.at.Seconds())
	fmt.Fprintf(out, "simulator: VmRSS %.1f → %.1f MiB, slope %+.2f MiB/min after the first minute.\n", sim(samples[0]), sim(last), slope(steady, sim))
}

func mb(b int64) float64 { return float64(b) / mib }

func minOf(s []soakSample, f func(soakSample) float64) float64 {
	return f(slices.MinFunc(s, func(a, b soakSample) int { return cmpFloat(f(a), f(b)) }))
}

func maxOf(s []soakSample, f func(soakSample) float64) float64 {
	return f(slices.MaxFunc(s, func(a, b soakSample) int { return cmpFloat(f(a), f(b)) }))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// slope is the least-squares slope of f over time, per minute.
func slope(s []soakSample, f func(soakSample) float64) float64 {
	if len(s) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, p := range s {
		x, y := p.at.Minutes(), f(p)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(s))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}
