// Package connector assembles a running tgnats process from its
// configuration: NATS (external or embedded), one state store, ingest
// account and outbox publisher per Telegram account, and the HTTP endpoints
// for metrics and health. It owns start-up order and graceful shutdown.
package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/egress"
	"github.com/tgnats/tgnats/ingest"
	"github.com/tgnats/tgnats/internal/natsembed"
	"github.com/tgnats/tgnats/internal/provision"
	"github.com/tgnats/tgnats/internal/publisher"
	"github.com/tgnats/tgnats/schema"
	"github.com/tgnats/tgnats/state"
)

// Options are what a process adds to the configuration.
type Options struct {
	Config *config.Config
	Logger *slog.Logger
	// Registry receives every metric; nil creates one.
	Registry *prometheus.Registry
	// PublicKeys overrides the DC public keys per account name (the
	// in-process simulator); otherwise dc.public_key_file is read.
	PublicKeys map[string][]telegram.PublicKey
	// OnNATS is called with the client URL once NATS is up.
	OnNATS func(url string)
	// OnHTTP is called with the address the HTTP endpoints listen on.
	OnHTTP func(addr string)
	// ConfigPath is the configuration file, named in hints such as the
	// login command of a user account without a session.
	ConfigPath string
}

// account is one running Telegram account.
type account struct {
	name  string
	store *state.Store
	ing   *ingest.Account
	pub   *publisher.Publisher
	egr   *egress.Egress
	err   error
	// failed is set once ingest stopped on an error (err is then set).
	failed atomic.Bool
}

// Run runs the connector until ctx is done, then shuts down gracefully: it
// stops ingest, drains the outbox to JetStream within outbox.drain_timeout
// and closes everything. It returns an error when start-up fails or when
// every account has stopped on an error.
//
// The steps, in order: check the configuration and the data dir, start
// NATS, open each account's state store with its ingest, egress and
// publisher, serve HTTP, provision the event streams and run the
// publishers, run ingest and commands, wait, shut down.
func Run(ctx context.Context, opts Options) error {
	p, err := newProcess(opts)
	if err != nil {
		return err
	}
	stopNATS, err := p.startNATS()
	if err != nil {
		return err
	}
	defer stopNATS()
	defer p.closeStores()
	if err := p.openAccounts(); err != nil {
		return err
	}
	stopHTTP, err := p.serveHTTP()
	if err != nil {
		return err
	}
	defer stopHTTP()
	pubs := p.startPublishers(ctx)
	defer pubs.stop()
	ing := p.startIngest(ctx)
	defer ing.stop()
	runErr := ing.wait(ctx, p.accounts)
	p.shutdown(ctx, ing, pubs)
	return runErr
}

// process is one run of the connector: what Run's steps share.
type process struct {
	cfg      *config.Config
	opts     Options
	log      *slog.Logger
	reg      *prometheus.Registry
	nc       *nats.Conn
	js       jetstream.JetStream
	accounts []*account
}

// newProcess checks the configuration, fills in the logger and registry,
// and prepares the data dir.
func newProcess(opts Options) (*process, error) {
	cfg := opts.Config
	if cfg == nil {
		return nil, errors.New("connector: config is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}

	if err := prepareDataDir(cfg.DataDir, cfg.State.AllowInsecureDir); err != nil {
		return nil, err
	}
	if cfg.State.EncryptionKey == "" {
		log.Warn("state.encryption_key is not set: Telegram sessions are stored unencrypted under the data dir; set a key (see `connector rekey`)")
	}
	return &process{cfg: cfg, opts: opts, log: log, reg: reg}, nil
}

// startNATS starts the embedded server when no URL is configured, connects
// and sets p.nc and p.js. The returned stop closes the connection, then
// shuts the embedded server down; on error startNATS has already done so.
func (p *process) startNATS() (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	cfg, log := p.cfg, p.log
	// NATS: external, or embedded under the data dir.
	url := cfg.NATS.URL
	if url == "" {
		srv, err := natsembed.Start(natsembed.Config{
			Listen:   cfg.NATS.Listen,
			StoreDir: filepath.Join(cfg.DataDir, "nats"),
			Logger:   log.With("component", "nats-server"),
		})
		if err != nil {
			return nil, fmt.Errorf("start embedded NATS: %w", err)
		}
		stops = append(stops, srv.Shutdown) // after the client is gone
		url = srv.ClientURL()
		log.Info("embedded NATS server started", "url", url, "store", filepath.Join(cfg.DataDir, "nats"))
	}
	nc, err := connectNATS(url, cfg, log)
	if err != nil {
		return nil, err
	}
	stops = append(stops, nc.Close)
	if p.opts.OnNATS != nil {
		p.opts.OnNATS(url)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	p.nc, p.js = nc, js
	return stop, nil
}

// openAccounts opens each account's state store and builds its ingest,
// egress and publisher, in configuration order. The stores opened before
// an error stay in p.accounts for closeStores.
func (p *process) openAccounts() error {
	mode, err := schema.ParseMode(p.cfg.NATS.ContentMode)
	if err != nil {
		return err
	}
	encoder := schema.Encoder{Prefix: p.cfg.NATS.SubjectPrefix, Mode: mode}
	metrics := ingest.NewMetrics(p.reg)
	for i := range p.cfg.Accounts {
		ac := &p.cfg.Accounts[i]
		a, err := newAccount(ac, p.cfg, p.opts, p.nc, p.js, encoder, metrics, p.reg, p.log)
		if err != nil {
			return fmt.Errorf("account %q: %w", ac.Name, err)
		}
		p.accounts = append(p.accounts, a)
	}
	return nil
}

// closeStores closes the state store of every opened account.
func (p *process) closeStores() {
	for _, a := range p.accounts {
		if err := a.store.Close(); err != nil {
			p.log.Error("close state store", "account", a.name, "error", err)
		}
	}
}

// serveHTTP registers the account metrics and serves /metrics, /healthz
// and /readyz.
func (p *process) serveHTTP() (stop func(), err error) {
	ready := readiness(p.nc.IsConnected, p.accounts, time.Now)
	if err := registerAccountMetrics(p.reg, p.accounts); err != nil {
		return nil, err
	}
	return serveHTTP(p.cfg.HTTP.Listen, p.reg, ready, p.opts.OnHTTP, p.log)
}

// group is goroutines that stop together.
type group struct {
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// startPublishers provisions each account's event stream and then runs its
// publisher. Publishers run until the very end, on a context of their own:
// ingest stops first on shutdown.
func (p *process) startPublishers(ctx context.Context) *group {
	pubCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	g := &group{stop: stop}
	for _, a := range p.accounts {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			ensureStream(pubCtx, p.js, p.cfg, a.name, p.log)
			if pubCtx.Err() != nil {
				return
			}
			if err := a.pub.Run(pubCtx); err != nil {
				p.log.Error("publisher stopped", "account", a.name, "error", err)
			}
		}()
	}
	return g
}

// ingestGroup is the running ingest and commands of every account.
type ingestGroup struct {
	group
	failed chan struct{} // one element per account stopped on an error
}

// startIngest runs each account's ingest and commands; with replicas, an
// account serves only while it holds its lease.
func (p *process) startIngest(ctx context.Context) *ingestGroup {
	ingCtx, stop := context.WithCancel(ctx)
	g := &ingestGroup{group: group{stop: stop}, failed: make(chan struct{}, len(p.accounts))}
	rep := newReplicas(p.cfg, p.js, p.reg, p.log)
	for _, a := range p.accounts {
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			var err error
			if rep != nil {
				err = rep.run(ingCtx, a, a.serve(p.log))
			} else {
				err = a.serve(p.log)(ingCtx)
			}
			if err != nil {
				a.err = err
				a.failed.Store(true)
				p.log.Error("account stopped", "account", a.name, "error", err)
				g.failed <- struct{}{}
			}
		}()
	}
	return g
}

// wait returns when ctx is done (nil) or every account has stopped on an
// error (their errors joined).
func (g *ingestGroup) wait(ctx context.Context, accounts []*account) error {
	nfailed := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-g.failed:
			nfailed++
			if nfailed == len(accounts) {
				var errs []error
				for _, a := range accounts {
					errs = append(errs, fmt.Errorf("account %q: %w", a.name, a.err))
				}
				return errors.Join(errs...)
			}
		}
	}
}

// shutdown stops ingest, then the publishers, drains every outbox within
// outbox.drain_timeout and drains the NATS connection.
func (p *process) shutdown(ctx context.Context, ing *ingestGroup, pubs *group) {
	p.log.Info("shutting down")
	// One drain deadline for the whole stop: the last checkpoint of a
	// leased account waits for the same outbox within it.
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.cfg.Outbox.DrainTimeout)
	ing.stop()
	ing.wg.Wait()
	pubs.stop()
	pubs.wg.Wait()
	for _, a := range p.accounts {
		if err := a.pub.Drain(drainCtx); err != nil {
			depth, _ := a.store.OutboxStats()
			p.log.Warn("outbox not fully drained before the deadline; the rest is published on next start",
				"account", a.name, "left", depth, "error", err)
		}
	}
	cancel()
	_ = p.nc.Drain()
	p.log.Info("stopped")
}

// serve returns the account's ingest and commands, run until ctx is done.
func (a *account) serve(log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Commands wait for the stream and a connection; failures are
			// logged, ingest goes on.
			for ctx.Err() == nil {
				err := a.egr.Run(ctx)
				if ctx.Err() != nil {
					return
				}
				log.Warn("command service stopped; restarting", "account", a.name, "error", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
		err := a.ing.Run(ctx)
		stop()
		wg.Wait()
		return err
	}
}

func newAccount(ac *config.Account, cfg *config.Config, opts Options, nc *nats.Conn, js jetstream.JetStream, enc schema.Encoder, metrics *ingest.Metrics, reg prometheus.Registerer, log *slog.Logger) (_ *account, err error) {
	store, err := openStore(cfg, ac.Name, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = store.Close()
		}
	}()
	keys, err := publicKeys(ac, opts.PublicKeys[ac.Name])
	if err != nil {
		return nil, err
	}
	autoDownload := egress.AutoDownloadConfig{Kinds: cfg.Files.AutoDownload.Kinds,
		MaxBytes: cfg.Files.AutoDownload.MaxBytes, Wait: cfg.Files.AutoDownload.Wait, Parallel: cfg.Files.AutoDownload.Parallel}
	ing, err := ingest.NewAccount(ingest.AccountConfig{
		Account:  ac.Name,
		AppID:    ac.AppID,
		AppHash:  ac.AppHash.Value(),
		BotToken: ac.BotToken.Value(),
		// Named when a user account has no session.
		LoginCommand: loginCommand(opts.ConfigPath, ac.Name),
		DC:           ac.DC.ID,
		DCAddr:       ac.DC.Address,
		PublicKeys:   keys,
		Store:        store,
		Engine: ingest.EngineConfig{
			Encoder:         enc,
			GapTimeout:      cfg.Ingest.GapTimeout,
			IdleTimeout:     cfg.Ingest.IdleTimeout,
			DifferenceLimit: cfg.Ingest.DifferenceLimit,
			BackfillDepth:   cfg.Ingest.BackfillDepth,
			BackfillOnJoin:  cfg.Ingest.BackfillOnJoin,
			Live:            (&livePublisher{nc: nc, prefix: cfg.NATS.SubjectPrefix, metrics: metrics, log: log}).publish,
			MarkFile:        egress.AutoDownloadMark(ac.Name, cfg.Files.Bucket, autoDownload),
		},
		Metrics: metrics,
		Logger:  log,
	})
	if err != nil {
		return nil, err
	}
	egr, err := egress.New(egress.Config{
		Account:            ac.Name,
		Prefix:             cfg.NATS.SubjectPrefix,
		NC:                 nc,
		JS:                 js,
		API:                tg.NewClient(ing.Invoker()),
		Store:              store,
		Updates:            ing.HandleUpdates,
		Encoder:            enc,
		AllowPeers:         cfg.Commands.AllowPeers,
		RateGlobal:         cfg.Commands.RateGlobal,
		BurstGlobal:        cfg.Commands.BurstGlobal,
		RatePerChat:        cfg.Commands.RatePerChat,
		BurstPerChat:       cfg.Commands.BurstPerChat,
		DeadlinePerCommand: cfg.Commands.Deadline,
		MaxPending:         cfg.Commands.MaxPending,
		Files: egress.FilesConfig{Bucket: cfg.Files.Bucket, TTL: cfg.Files.TTL, MaxBytes: cfg.Files.MaxBytes,
			Replicas: cfg.Files.Replicas, Deadline: cfg.Files.Deadline, MaxUploadBytes: cfg.Files.MaxUploadBytes,
			Auto: autoDownload, ProgressBytes: cfg.Files.ProgressBytes,
			ResumeBytes: cfg.Files.ResumeBytes, PartialDir: filepath.Join(cfg.DataDir, "files", "partial")},
		Logger:     log,
		Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	pub, err := publisher.New(publisher.Config{
		Account:    ac.Name,
		Outbox:     store,
		JS:         js,
		Window:     cfg.Outbox.Window,
		Logger:     log,
		Registerer: reg,
		Prepare:    egr.PrepareFile,
	})
	if err != nil {
		return nil, err
	}
	return &account{name: ac.Name, store: store, ing: ing, pub: pub, egr: egr}, nil
}

// ensureStream creates or updates the account's events stream, retrying
// until NATS answers or ctx ends: ingest goes on meanwhile, into the outbox.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg *config.Config, account string, log *slog.Logger) {
	delay := 250 * time.Millisecond
	for {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := provision.EnsureEventStream(sctx, js, provision.EventStream{
			Prefix:          cfg.NATS.SubjectPrefix,
			Account:         account,
			Replicas:        cfg.NATS.Stream.Replicas,
			MaxAge:          cfg.NATS.Stream.MaxAge,
			DuplicateWindow: cfg.NATS.Stream.DuplicateWindow,
		})
		cancel()
		if err == nil {
			return
		}
		log.Warn("cannot create the events stream yet; retrying", "account", account, "error", err, "in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// prepareDataDir creates the data dir 0700 and refuses one others can read.
func prepareDataDir(dir string, allowInsecure bool) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data dir %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data dir %s: not a directory", dir)
	}
	if fi.Mode().Perm()&0o077 != 0 && !allowInsecure {
		return fmt.Errorf("data dir %s is accessible to other users (mode %v); it holds account credentials: chmod 700 it, or set state.allow_insecure_dir", dir, fi.Mode().Perm())
	}
	return nil
}

func connectNATS(url string, cfg *config.Config, log *slog.Logger) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("tgnats"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			return min(time.Duration(attempts)*250*time.Millisecond, 5*time.Second)
		}),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: our own Close or Drain
				log.Warn("NATS disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("NATS reconnected", "url", c.ConnectedUrlRedacted())
		}),
		nats.ConnectHandler(func(c *nats.Conn) {
			log.Info("NATS connected", "url", c.ConnectedUrlRedacted())
		}),
		// Failed (re)connect attempts, once per distinct error: a
		// refused TLS handshake or an unreachable server while retrying.
		nats.ReconnectErrHandler(attemptLogger(log)),
		nats.ClosedHandler(func(c *nats.Conn) {
			if err := c.LastError(); err != nil {
				log.Info("NATS connection closed", "last_error", err)
			} else {
				log.Info("NATS connection closed")
			}
		}),
		// Async errors: permission violations, slow consumers. A missing
		// permission shows here with the subject it was refused on.
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Error("NATS error", "error", err, "subscription", sub.Subject)
			} else {
				log.Error("NATS error", "error", err)
			}
		}),
	}
	n := cfg.NATS
	if n.User != "" {
		opts = append(opts, nats.UserInfo(n.User, n.Password.Value()))
	}
	if n.Token != "" {
		opts = append(opts, nats.Token(n.Token.Value()))
	}
	if n.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(n.CredsFile))
	}
	if n.NKeySeedFile != "" {
		o, err := nats.NkeyOptionFromSeed(n.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("nats.nkey_seed_file: %w", err)
		}
		opts = append(opts, o)
	}
	if n.TLS.CAFile != "" {
		opts = append(opts, nats.RootCAs(n.TLS.CAFile))
	}
	if n.TLS.CertFile != "" {
		opts = append(opts, nats.ClientCert(n.TLS.CertFile, n.TLS.KeyFile))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return nc, nil
}

// serveHTTP serves /metrics, /healthz and /readyz.
func serveHTTP(addr string, reg *prometheus.Registry, ready func() (bool, string), onHTTP func(string), log *slog.Logger) (func(), error) {
	if addr == "" {
		return func() {}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, detail := ready()
		if !ok {
			http.Error(w, "not ready: logging in, catching up, NATS disconnected, disk full or publishing stalled\n"+detail, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n" + detail))
	})
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: recoverPanics(mux, log), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	log.Info("serving metrics and health", "addr", l.Addr().String())
	if onHTTP != nil {
		onHTTP(l.Addr().String())
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// recoverPanics answers 500 when a handler panics and logs the panic with
// its stack at error level, instead of net/http's bare log line and a
// dropped connection. http.ErrAbortHandler keeps its meaning.
func recoverPanics(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared as net/http does
				panic(v)
			}
			log.Error("HTTP handler panicked; answered 500", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			http.Error(w, "internal error", http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}
