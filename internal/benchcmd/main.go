// Command benchcmd regenerates the benchmark table of README.md: it runs
// the throughput benchmarks with go test, several times each, and prints a
// markdown table of the medians (with the range over the runs), the ratio
// to raw JetStream publishing measured in the same runs, the targets of
// issue 11, the latency from the simulator to a consumer, and the machine
// it ran on.
//
//	go run ./internal/benchcmd            # the README's table, -count 3
//	go run ./internal/benchcmd -count 1 -only Publisher
//	go run ./internal/benchcmd -only Start # start → first event only
//	go run ./internal/benchcmd -soak 10m   # the memory curve of a soak
//
// Every figure is a ratio or a rate measured inside one benchmark run; a
// shared or loaded machine moves the rates more than the ratios.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// suite is one go test invocation.
type suite struct {
	name      string
	pkg       string
	bench     string
	benchtime string
	timeout   string
}

var suites = []suite{
	{name: "Publisher", pkg: "./internal/publisher/", bench: "^BenchmarkPublisher$", benchtime: "20000x", timeout: "20m"},
	{name: "Ingest", pkg: "./internal/e2e/", bench: "^BenchmarkIngest$", benchtime: "1x", timeout: "40m"},
	{name: "CatchUp", pkg: "./internal/e2e/", bench: "^BenchmarkCatchUp$", benchtime: "1x", timeout: "40m"},
	{name: "Latency", pkg: "./internal/e2e/", bench: "^BenchmarkLatency$", benchtime: "10000x", timeout: "20m"},
	{name: "Commands", pkg: "./internal/e2e/", bench: "^BenchmarkCommands$", benchtime: "2000x", timeout: "20m"},
}

// target is what issue 11 asks of a benchmark.
type target struct {
	metric string
	min    float64
	text   string
}

func targetOf(name string) (target, bool) {
	switch {
	case strings.HasPrefix(name, "BenchmarkPublisher/mode=batch"):
		return target{"x_of_raw", 0.8, "≥ 0.8× raw"}, true
	case strings.HasPrefix(name, "BenchmarkIngest/"):
		return target{"x_of_raw", 0.3, "≥ 0.3× raw"}, true
	case strings.HasPrefix(name, "BenchmarkCatchUp"):
		return target{"events/s", 20000, "≥ 20k events/s"}, true
	}
	return target{}, false
}

func main() {
	count := flag.Int("count", 3, "runs of each benchmark")
	only := flag.String("only", "", "run only the suites whose name contains this (Publisher, Ingest, CatchUp, Latency, Commands, Start)")
	soakFor := flag.Duration("soak", 0, "instead of the table: run connector run against simulate --sim-only and nats-server this long and print its memory curve")
	interval := flag.Duration("interval", 10*time.Second, "with -soak: the time between samples")
	rate := flag.Float64("rate", 1000, "simulated messages/s of -soak and of the start measurement")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *soakFor > 0 {
		err = soak(ctx, os.Stdout, os.Stderr, *soakFor, *interval, *rate)
	} else {
		err = run(ctx, os.Stdout, os.Stderr, *count, *only, *rate)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcmd:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out, progress io.Writer, count int, only string, rate float64) error {
	loadBefore := loadavg()
	results := map[string]map[string][]float64{} // benchmark → metric → values
	var order []string
	for _, s := range suites {
		if only != "" && !strings.Contains(s.name, only) {
			continue
		}
		args := []string{"test", "-run", "^$", "-bench", s.bench, "-benchtime", s.benchtime,
			"-count", strconv.Itoa(count), "-timeout", s.timeout, s.pkg}
		fmt.Fprintln(progress, "go", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, "go", args...)
		var buf bytes.Buffer
		cmd.Stdout = io.MultiWriter(&buf, progress)
		cmd.Stderr = progress
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		names, res := parse(&buf)
		for _, name := range names {
			if _, ok := results[name]; !ok {
				order = append(order, name)
				results[name] = map[string][]float64{}
			}
			for m, v := range res[name] {
				results[name][m] = append(results[name][m], v...)
			}
		}
	}
	var starts *startResult
	if only == "" || strings.Contains("Start", only) {
		res, err := startTimes(ctx, progress, max(count, 5), startWarm, rate)
		if err != nil {
			return fmt.Errorf("start: %w", err)
		}
		starts = &res
	}
	if len(order) == 0 && starts == nil {
		return errors.New("no benchmark results")
	}
	fmt.Fprintf(out, "Machine: %d CPUs, %s, %s %s/%s; load average %s before, %s after (%d runs each, median and range).\n\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH, loadBefore, loadavg(), count)
	var latency, commands []string
	header := false
	for _, name := range order {
		m := results[name]
		if strings.HasPrefix(name, "BenchmarkCommands/") {
			commands = append(commands, name)
			continue
		}
		if _, ok := m["p99_ms"]; ok {
			latency = append(latency, name)
			continue
		}
		tgt, hasTarget := targetOf(name)
		met := "—"
		if hasTarget {
			met = "no"
			if median(m[tgt.metric]) >= tgt.min {
				met = "yes"
			}
		}
		text := "—"
		if hasTarget {
			text = tgt.text
		}
		if !header {
			fmt.Fprintln(out, "| Benchmark | tgnats events/s | raw PublishMsgAsync events/s | × raw | Target | Met |")
			fmt.Fprintln(out, "|---|---|---|---|---|---|")
			header = true
		}
		fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(name, "Benchmark"),
			cell(m["events/s"], "%.0f"), cell(m["raw_events/s"], "%.0f"), cell(m["x_of_raw"], "%.2f"), text, met)
	}
	if len(latency) > 0 {
		fmt.Fprintln(out, "\n| Latency, simulator → JetStream consumer | rate achieved /s | p50 ms | p99 ms | max ms | Target | Met |")
		fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
		for _, name := range latency {
			m := results[name]
			met := "no"
			if median(m["p99_ms"]) <= 2 {
				met = "yes"
			}
			fmt.Fprintf(out, "| %s | %s | %s | %s | %s | p99 ≤ 2 ms at 2,000/s | %s |\n", strings.TrimPrefix(name, "Benchmark"),
				cell(m["sent/s"], "%.0f"), cell(m["p50_ms"], "%.2f"), cell(m["p99_ms"], "%.1f"), cell(m["max_ms"], "%.0f"), met)
		}
	}
	if len(commands) > 0 {
		fmt.Fprintln(out, "\n| Commands, message.send, rate limits lifted, 16 in flight (rpc_serial: one) | commands/s | p50 ms | p99 ms | × echo's rate | Target | Met |")
		fmt.Fprintln(out, "|---|---|---|---|---|---|---|")
		for _, name := range commands {
			m := results[name]
			text, met := "—", "—"
			if strings.Contains(name, "/rpc") {
				text, met = "p99 ≤ 5 ms", "no"
				if median(m["p99_ms"]) <= 5 {
					met = "yes"
				}
			}
			fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(name, "Benchmark"),
				cell(m["commands/s"], "%.0f"), cell(m["p50_ms"], "%.2f"), cell(m["p99_ms"], "%.1f"), cell(m["x_of_echo"], "%.3f"), text, met)
		}
	}
	if starts != nil {
		printStart(out, *starts, rate, startWarm)
	}
	return nil
}

// startWarm is how long the long-lived data dir of the start measurement
// streams before its restarts.
const startWarm = time.Minute

// parse reads go test -bench output: name, iterations, then value-unit
// pairs. It returns the names in the order they first appear.
func parse(r io.Reader) ([]string, map[string]map[string][]float64) {
	var names []string
	res := map[string]map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the GOMAXPROCS suffix
			}
		}
		if res[name] == nil {
			names = append(names, name)
			res[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			res[name][f[i+1]] = append(res[name][f[i+1]], v)
		}
	}
	return names, res
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func cell(v []float64, format string) string {
	if len(v) == 0 {
		return "—"
	}
	c := fmt.Sprintf(format, median(v))
	if len(v) > 1 {
		c += " (" + fmt.Sprintf(format, slices.Min(v)) + "–" + fmt.Sprintf(format, slices.Max(v)) + ")"
	}
	return c
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
