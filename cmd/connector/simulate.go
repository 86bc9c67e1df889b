package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/connector"
	"github.com/tgnats/tgnats/internal/sim"
	"github.com/tgnats/tgnats/schema"
)

// simulateCmd runs the Telegram simulator with embedded NATS and the
// connector in one process. Its world lives under the data dir, so a
// restart continues it, as Telegram's servers would.
func simulateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("simulate", "[flags]", stderr)
	path := fs.String("config", "", "config file (YAML) for NATS, HTTP, logs, stream; accounts are the simulator's")
	o := commonFlags(fs)
	rate := fs.Float64("rate", 2, "simulated messages per second (0: no traffic)")
	seed := fs.Int64("seed", 1, "seed of the simulated traffic")
	tgListen := fs.String("telegram-listen", "127.0.0.1:0", "listen address of the simulated Telegram (MTProto)")
	var af simAccountFlags
	fs.StringVar(&af.account, "account", sim.DefaultAccount().Name, "short name of the simulated account (subjects tg.<account>.…); flags override the config's simulate.accounts")
	fs.StringVar(&af.phone, "phone", "", "make the account a user account with this `phone` (e.g. +15550001111), logged in with connector login")
	fs.StringVar(&af.password, "password", "", "2FA password of the user account of --phone")
	fs.StringVar(&af.accounts, "accounts", "", "several simulated accounts instead of --account: "+accountsSyntax+", e.g. main,support:+15550001111")
	dialogs := fs.Int("dialogs", 0, "quiet broadcast channels every account is in, created once per world (a user account with hundreds: the start-up cost)")
	homeDC := fs.Int("home-dc", 0, "home DC of the simulated accounts: 2 (default) or 4, the simulator's second DC (logins there go through PHONE_MIGRATE_4 / USER_MIGRATE_4)")
	simOnly := fs.Bool("sim-only", false, "run only the simulated Telegram (and its traffic), for a separate connector run")
	window := fs.Int("ledger-window", 50000, "changes of each account the simulator keeps in its ledger (the control verb ledger), and of the other records its traffic adds, and so in memory; 0: all, growing without bound")
	msgWindow := fs.Int("message-window", 10000, "messages each account's common box and each channel of the simulator keep (and each chat's newest; an older one is gone as if deleted): most of its memory; 0: as many as --ledger-window")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return errUsage
	}
	af.accountSet, af.phoneSet, af.passwordSet = isSet(fs, "account"), isSet(fs, "phone"), isSet(fs, "password")
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return err
	}
	if !isSet(fs, "data-dir") && os.Getenv("TGNATS_DATA_DIR") == "" {
		cfg.DataDir = "./tgnats-sim"
	}
	if err := o.apply(fs, cfg); err != nil {
		return err
	}
	// The accounts: the config's simulate block, overridden by the flags.
	if err := cfg.ValidateSimulate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	accs, err := simAccounts(af, cfg.Simulate.Accounts)
	if err != nil {
		return err
	}
	for i := range accs {
		accs[i].DC = *homeDC
	}
	log := newLogger(cfg, stderr)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	// The lock comes before anything else under the data dir: a second
	// simulate on it must not rewrite the simulator's port or endpoint or
	// start a NATS on its store.
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()

	simDir := filepath.Join(cfg.DataDir, "simulator")
	codes := &codePrinter{}
	s, err := sim.New(sim.Config{Dir: simDir, Listen: *tgListen, Logger: log, Accounts: accs, OnLoginCode: codes.print,
		LedgerWindow: *window, MessageWindow: *msgWindow})
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	simErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		simErr <- s.Run(ctx)
	}()
	select {
	case <-s.Ready():
	case err := <-simErr:
		return fmt.Errorf("simulator: %w", err)
	}
	ep := s.Endpoint()
	keyFile := filepath.Join(simDir, "public_key.pem")
	if err := os.WriteFile(keyFile, []byte(ep.PublicKeyPEM), 0o600); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	if err := ep.WriteFile(filepath.Join(simDir, "endpoint.json")); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	keys, err := ep.PublicKeys()
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	cfg.Accounts = connectorAccounts(accs, ep, keyFile)
	users := userAccounts(accs)
	codes.setOut(stdout)

	if *dialogs > 0 {
		if _, err := s.EnsureDialogChannels(ctx, *dialogs); err != nil {
			return fmt.Errorf("simulator: --dialogs: %w", err)
		}
	}
	// One generator: the traffic control verb replaces (or, with rate 0,
	// stops) this one.
	if err := s.Traffic(sim.Scenario{Rate: *rate, Seed: *seed}); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}

	cfgFile := filepath.Join(cfg.DataDir, connectorConfigFile)
	if *simOnly {
		if cfg.NATS.URL != "" {
			for _, a := range accs {
				serveControl(ctx, &wg, cfg.NATS.URL, cfg, s, a.Name, log)
			}
		}
		// The separate connector keeps its state next to the simulator's.
		if err := writeConnectorConfig(cfgFile, filepath.Join(cfg.DataDir, "connector"), cfg.NATS.URL, cfg.Accounts); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Simulated Telegram listening on %s (DC %d)\n", ep.Addr, ep.DC)
		for _, o := range ep.OtherDCs {
			fmt.Fprintf(stdout, "  and on %s (DC %d; clients learn it from help.getConfig)\n", o.Addr, o.DC)
		}
		fmt.Fprintf(stdout, "Point `connector run` at it with:\n  accounts: [%s]\n", accountsYAML(cfg.Accounts))
		fmt.Fprintf(stdout, "or use the configuration written for it: %s\n", cfgFile)
		loginScreen(stdout, cfgFile, dialable(cfg.NATS.URL), users)
		fmt.Fprintf(stdout, "Then stream:\n  connector run --config %s\n", cfgFile)
		select {
		case <-ctx.Done():
		case err := <-simErr:
			return err
		}
		return nil
	}

	var url string // set by OnNATS, read by OnHTTP (Run calls them in turn)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), s.Collector())
	err = connector.Run(ctx, connector.Options{
		Config:     cfg,
		Logger:     log,
		Registry:   reg,
		PublicKeys: publicKeysOf(accs, keys),
		OnNATS: func(u string) {
			for _, a := range accs {
				serveControl(ctx, &wg, u, cfg, s, a.Name, log)
			}
			url = dialable(u)
			// User accounts log in with `connector login` before their
			// stores open: the connector goes on once they did.
			if waitingUsers := notLoggedIn(s, users); len(waitingUsers) > 0 {
				if err := writeConnectorConfig(cfgFile, cfg.DataDir, "", cfg.Accounts); err != nil {
					log.Error("login configuration not written", "error", err)
				}
				fmt.Fprintf(stdout, "\ntgnats simulator is waiting for the user account login (NATS at %s).\n", url)
				loginScreen(stdout, cfgFile, url, waitingUsers)
				fmt.Fprintf(stdout, "The connector starts streaming here once logged in. Ctrl-C stops.\n\n")
				if err := waitForLogins(ctx, s, cfg, waitingUsers); err != nil {
					return // ctx is done: Run stops
				}
			}
		},
		// The banner comes once everything listens: the accounts' stores
		// are open and the HTTP endpoints serve (OnHTTP is the last step).
		OnHTTP: func(addr string) {
			addr = dialable(addr)
			fmt.Fprintf(stdout, "\ntgnats simulator is running: simulated Telegram → NATS at %s\n", url)
			for i, a := range accs {
				if len(accs) > 1 {
					kind := "bot"
					if a.Phone != "" {
						kind = "user " + a.Phone
					}
					fmt.Fprintf(stdout, "Account %s (%s):\n", a.Name, kind)
				}
				fmt.Fprintf(stdout, "Watch the events (NATS CLI):\n  nats sub --server %s '%s'\n", url, schema.EventSubject(schema.DefaultPrefix, a.Name, ">"))
				fmt.Fprintf(stdout, "Or read the stream from the start:\n  nats stream view --server %s %s\n", url, schema.EventStreamName(a.Name))
				if i == 0 || len(accs) == 1 {
					fmt.Fprintf(stdout, "Drive the simulator (see README, Simulator control):\n")
				}
				fmt.Fprintf(stdout, "  nats req --server %s %s '{}'\n", url, schema.ControlSubject(schema.DefaultControlPrefix, a.Name, "ledger"))
			}
			fmt.Fprintf(stdout, "Metrics: http://%s/metrics   Health: http://%s/readyz\n", addr, addr)
			fmt.Fprintf(stdout, "Data dir: %s (run again on it to continue the same world). Ctrl-C stops.\n\n", cfg.DataDir)
		},
	})
	cancel()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// dialable turns a listen address or URL on every interface (0.0.0.0,
// ::) into one a client on this host can dial: the banner shows what to
// connect to, not what was bound.
func dialable(addr string) string {
	for _, wildcard := range []string{"0.0.0.0:", "[::]:"} {
		if strings.Contains(addr, wildcard) {
			return strings.Replace(addr, wildcard, "127.0.0.1:", 1)
		}
	}
	return addr
}
