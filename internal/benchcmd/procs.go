package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// world is a nats-server and a `connector simulate --sim-only`, each its
// own process, for `connector run` processes started against them: the
// set-up of issue 11's memory and start targets.
type world struct {
	dir       string // temporary: binaries, data dirs, logs
	connector string // the connector binary
	natsURL   string
	cfgFile   string // the connector configuration simulate wrote
	procs     []*exec.Cmd
	sim       *exec.Cmd
}

// newWorld builds the connector and nats-server (from the module's
// github.com/nats-io/nats-server/v2) into dir and starts the server and
// the simulator at rate messages/s.
func newWorld(ctx context.Context, dir string, rate float64, progress io.Writer) (*world, error) {
	w := &world{dir: dir, connector: filepath.Join(dir, "bin-connector")}
	natsBin := filepath.Join(dir, "bin-nats-server")
	for _, b := range [][2]string{{w.connector, "./cmd/connector"}, {natsBin, "github.com/nats-io/nats-server/v2"}} {
		fmt.Fprintln(progress, "go build -o", b[0], b[1])
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b[0], b[1])
		cmd.Stdout, cmd.Stderr = progress, progress
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("build %s: %w", b[1], err)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	w.natsURL = "nats://127.0.0.1:" + strconv.Itoa(port)
	if _, err := w.start(ctx, "nats", natsBin, "-js", "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-sd", filepath.Join(dir, "nats")); err != nil {
		return nil, err
	}
	if err := waitFor(ctx, 10*time.Second, func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}); err != nil {
		return nil, fmt.Errorf("nats-server: %w", err)
	}
	simDir := filepath.Join(dir, "sim")
	w.sim, err = w.start(ctx, "simulate", w.connector, "simulate", "--sim-only", "--rate", strconv.FormatFloat(rate, 'f', -1, 64),
		"--nats-url", w.natsURL, "--data-dir", simDir, "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	w.cfgFile = filepath.Join(simDir, "connector.yaml")
	if err := waitFor(ctx, 30*time.Second, func() bool { _, err := os.Stat(w.cfgFile); return err == nil }); err != nil {
		return nil, fmt.Errorf("simulate wrote no %s: %w", w.cfgFile, err)
	}
	return w, nil
}

// start starts a process with its output in dir/<name>.log.
func (w *world) start(ctx context.Context, name, bin string, args ...string) (*exec.Cmd, error) {
	log, err := os.OpenFile(filepath.Join(w.dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	w.procs = append(w.procs, cmd)
	return cmd, nil
}

// run starts `connector run` on the simulator's configuration with its
// own data dir and metrics address.
func (w *world) run(ctx context.Context, dataDir, httpAddr string) (*exec.Cmd, error) {
	return w.start(ctx, "run", w.connector, "run", "--config", w.cfgFile, "--data-dir", dataDir,
		"--http-listen", httpAddr, "--log-level", "warn")
}

// stop ends a process with SIGTERM and waits for it.
func stop(cmd *exec.Cmd) error {
	if cmd.ProcessState != nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil // a signal's exit status
		}
		return err
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return fmt.Errorf("%s did not stop in 30 s", cmd.Path)
	}
}

// logs writes the end of every process's log to out, after a failure.
func (w *world) logs(out io.Writer) {
	for _, name := range []string{"nats", "simulate", "run"} {
		b, err := os.ReadFile(filepath.Join(w.dir, name+".log"))
		if err != nil {
			continue
		}
		if len(b) > 4096 {
			b = b[len(b)-4096:]
		}
		fmt.Fprintf(out, "--- %s.log (end)\n%s\n", name, b)
	}
}

// close stops every process still running, the last started first.
func (w *world) close() {
	for i := len(w.procs) - 1; i >= 0; i-- {
		_ = stop(w.procs[i])
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitFor(ctx context.Context, limit time.Duration, ok func() bool) error {
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// memory is a process's resident set from /proc/<pid>/status, in bytes:
// all of it (VmRSS), anonymous memory (heap, stacks, Pebble's cache) and
// file-backed pages (mostly the mapped binary, shared with the page cache).
type memory struct{ rss, anon, file int64 }

func memoryOf(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("memory: %w", err)
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &m.rss
		case "RssAnon":
			dst = &m.anon
		case "RssFile":
			dst = &m.file
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("memory: %s: %w", k, err)
		}
		*dst = kb << 10
	}
	return m, sc.Err()
}

// metrics reads the named samples (without labels, or summed over them)
// from a Prometheus text endpoint.
func metrics(ctx context.Context, addr string, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, n := range names {
			if !strings.HasPrefix(line, n) || (len(line) > len(n) && line[len(n)] != ' ' && line[len(n)] != '{') {
				continue
			}
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err == nil {
				out[n] += v
			}
		}
	}
	return out, sc.Err()
}

const mib = 1 << 20
