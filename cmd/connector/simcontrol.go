package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/internal/simctl"
)

// serveControl serves the simulator's control surface on the NATS at url
// until ctx is done. It connects on its own (user/password or token from
// the config), retrying, so NATS may come up later.
func serveControl(ctx context.Context, wg *sync.WaitGroup, url string, cfg *config.Config, s *sim.Sim, account string, log *slog.Logger) {
	opts := []nats.Option{
		nats.Name("tgnats-simctl"),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(250 * time.Millisecond),
	}
	if cfg.NATS.User != "" {
		opts = append(opts, nats.UserInfo(cfg.NATS.User, cfg.NATS.Password.Value()))
	}
	if cfg.NATS.Token != "" {
		opts = append(opts, nats.Token(cfg.NATS.Token.Value()))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		log.Error("simulator control not served", "error", err)
		return
	}
	ctl, err := simctl.New(simctl.Config{Sim: s, NC: nc, Account: account, EventPrefix: cfg.NATS.SubjectPrefix, Logger: log})
	if err != nil {
		nc.Close()
		log.Error("simulator control not served", "error", err)
		return
	}
	wg.Go(func() {
		defer nc.Close()
		if err := ctl.Run(ctx); err != nil {
			log.Error("simulator control stopped", "error", err)
		}
	})
}

// healthcheckCmd GETs /healthz of a running connector and exits 0 when it
// answers 200: the container HEALTHCHECK, which needs no shell or curl.
func healthcheckCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", "[--addr HOST:PORT | --addr URL] [--path /readyz]", stderr)
	def := os.Getenv("TGNATS_HTTP_LISTEN")
	if def == "" {
		def = config.Default().HTTP.Listen
	}
	addr := fs.String("addr", def, "address of the connector's HTTP endpoints (default: $TGNATS_HTTP_LISTEN or http.listen's default)")
	path := fs.String("path", "/healthz", "path to check (/healthz or /readyz)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	scheme, hostPort := "http", *addr
	if u, err := url.Parse(*addr); err == nil && u.Scheme != "" && u.Host != "" {
		// A URL, as a browser or Prometheus is given it.
		scheme, hostPort = u.Scheme, u.Host
		if u.Path != "" && u.Path != "/" && !isSet(fs, "path") {
			*path = u.Path
		}
		if u.Port() == "" {
			port := "80"
			if scheme == "https" {
				port = "443"
			}
			hostPort = net.JoinHostPort(u.Hostname(), port)
		}
	}
	if scheme != "http" && scheme != "https" {
		return fmt.Errorf("healthcheck: --addr %q: want HOST:PORT or an http(s) URL", *addr)
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return fmt.Errorf("healthcheck: --addr %q: want HOST:PORT or an http(s) URL: %w", *addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := scheme + "://" + net.JoinHostPort(host, port) + *path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	fmt.Fprintf(stdout, "%s: %s\n", url, resp.Status)
	return nil
}
