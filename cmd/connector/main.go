// Command connector runs tgnats: Telegram ⇄ NATS.
//
//	connector simulate            simulated Telegram + embedded NATS + connector, no account needed
//	connector run --config FILE   a real account
//	connector login / logout      log a user account in or out
//	connector rekey               rotate the encryption key of the stores
//	connector schema [NAME]       print the JSON Schemas / AsyncAPI document
//	connector healthcheck         container HEALTHCHECK: GET /healthz
//	connector version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/tgnats/tgnats/config"
	"github.com/tgnats/tgnats/internal/connector"
	"github.com/tgnats/tgnats/schema"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `tgnats connects a Telegram account to NATS.

Usage:
  connector simulate [flags]       run a simulated Telegram, embedded NATS and the connector
  connector run --config FILE      run the connector for real accounts
  connector login --account NAME   log a user account in (phone and code, or --qr)
  connector logout --account NAME  revoke a user account's session and delete it
  connector rekey --new-key-file F re-encrypt every account store with a new key
  connector schema [NAME]          print a JSON Schema (or the list, or "asyncapi")
  connector healthcheck            exit 0 when a running connector's /healthz answers 200
  connector version                print the version

Run "connector COMMAND -h" for the flags of a command.
`

func main() {
	os.Exit(runIO(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is runIO without input: commands that read (login) get an empty stdin.
func run(args []string, stdout, stderr io.Writer) int {
	return runIO(args, strings.NewReader(""), stdout, stderr)
}

func runIO(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runCtx(ctx, args, stdin, stdout, stderr)
}

// runCtx runs the command until it ends or ctx is done (SIGINT, SIGTERM).
func runCtx(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var err error
	switch args[0] {
	case "run":
		err = runCmd(ctx, args[1:], stderr)
	case "login":
		err = loginCmd(ctx, args[1:], stdin, stdout, stderr)
	case "logout":
		err = logoutCmd(ctx, args[1:], stdout, stderr)
	case "rekey":
		err = rekeyCmd(ctx, args[1:], stdout, stderr)
	case "simulate":
		err = simulateCmd(ctx, args[1:], stdout, stderr)
	case "schema":
		err = schemaCmd(args[1:], stdout)
	case "healthcheck":
		err = healthcheckCmd(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "tgnats: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			return 2
		}
		if ctx.Err() != nil {
			// Ctrl-C or SIGTERM stopped a command that had not finished
			// (a login waiting for its code or for Telegram): 128+SIGINT,
			// as shells report it.
			if errors.Is(err, context.Canceled) {
				fmt.Fprintf(stderr, "tgnats: %s interrupted\n", args[0])
			} else {
				fmt.Fprintf(stderr, "tgnats: %s interrupted: %s\n", args[0], oneLine(err))
			}
			return exitInterrupted
		}
		fmt.Fprintf(stderr, "tgnats: %s\n", oneLine(err))
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// exitInterrupted is the exit status of a command stopped by Ctrl-C.
const exitInterrupted = 130

// oneLine folds a (possibly joined or multi-line) error into one line.
func oneLine(err error) string {
	var parts []string
	for l := range strings.SplitSeq(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// parseFlags parses args; the flag package has already told the user what
// is wrong, so a parse error becomes errUsage (exit 2, nothing more printed).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %w", errUsage, err)
}

// versionString is the version set at build time, else the module's,
// with the VCS revision and the Go version the binary was built with.
func versionString() string {
	v := version
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "tgnats " + v
	}
	if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	out := "tgnats " + v
	if rev != "" {
		out += " (" + rev[:min(12, len(rev))]
		if modified {
			out += ", modified"
		}
		if at != "" {
			out += ", " + at
		}
		out += ")"
	}
	return out + " " + bi.GoVersion
}

// newFlagSet returns the flag set of a command, whose -h prints how to
// call it and its flags.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: connector %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// overrides maps flags to the config keys they set; they win over file and env.
type overrides map[string]string

func (o overrides) add(fs *flag.FlagSet, name, key, usage string) {
	fs.String(name, "", usage)
	o[name] = key
}

// setFlag collects --set key=value, for any configuration key by its
// dotted path (accounts.0.bot_token); repeatable.
type setFlag []string

func (s *setFlag) String() string { return strings.Join(*s, " ") }

func (s *setFlag) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
		return fmt.Errorf("want key=value with a dotted key (e.g. nats.url=nats://host:4222), got %q", v)
	}
	*s = append(*s, v)
	return nil
}

// apply sets the config keys of the flags given on the command line.
func (o overrides) apply(fs *flag.FlagSet, cfg *config.Config) error {
	var errs []error
	fs.Visit(func(f *flag.Flag) {
		if sets, ok := f.Value.(*setFlag); ok {
			for _, kv := range *sets {
				k, v, _ := strings.Cut(kv, "=")
				if err := cfg.Set(k, v); err != nil {
					errs = append(errs, fmt.Errorf("--set %s: %w", k, err))
				}
			}
			return
		}
		if key, ok := o[f.Name]; ok {
			if err := cfg.Set(key, f.Value.String()); err != nil {
				errs = append(errs, fmt.Errorf("--%s: %w", f.Name, err))
			}
		}
	})
	return errors.Join(errs...)
}

func commonFlags(fs *flag.FlagSet) overrides {
	o := overrides{}
	o.add(fs, "data-dir", "data_dir", "data directory (state, embedded NATS)")
	o.add(fs, "nats-url", "nats.url", "NATS server URL (empty: start an embedded server)")
	o.add(fs, "nats-listen", "nats.listen", "listen address of the embedded NATS server")
	o.add(fs, "http-listen", "http.listen", "listen address of /metrics, /healthz and /readyz")
	o.add(fs, "log-level", "log.level", "debug, info, warn or error")
	fs.Var(&setFlag{}, "set", "set any configuration `key=value` by its dotted path, e.g. accounts.0.bot_token=… (repeatable)")
	return o
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: plainErrors}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// plainErrors logs an error by its message: the text handler formats
// values with %+v, which makes some errors (gotd's) print stack frames.
func plainErrors(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindAny {
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(err.Error())
		}
	}
	return a
}

func runCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("run", "--config FILE [flags]", stderr)
	path := fs.String("config", "", "config file (YAML); TGNATS_* environment variables and flags override it")
	o := commonFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, fs, o)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	log.Info("starting tgnats", "version", versionString(), "accounts", len(cfg.Accounts), "data_dir", cfg.DataDir)
	return connector.Run(ctx, connector.Options{Config: cfg, Logger: log, ConfigPath: *path})
}

func schemaCmd(args []string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, `Usage: connector schema [NAME | asyncapi]

Without NAME: the names of the embedded JSON Schemas, one per line.
NAME (e.g. message.created.v1): that JSON Schema. asyncapi: the AsyncAPI 3
document of every subject.
`)
		return nil
	}
	all := schema.Schemas()
	if len(args) == 0 {
		names := make([]string, 0, len(all))
		for n := range all {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(stdout, "asyncapi")
		for _, n := range names {
			fmt.Fprintln(stdout, n)
		}
		return nil
	}
	if args[0] == "asyncapi" {
		_, err := stdout.Write(schema.AsyncAPI())
		return err
	}
	doc, ok := all[args[0]]
	if !ok {
		doc, ok = all[args[0]+".json"]
	}
	if !ok {
		return fmt.Errorf("no schema named %q: run `connector schema` for the list", args[0])
	}
	_, err := stdout.Write(doc)
	return err
}
