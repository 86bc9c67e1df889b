package natsembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long Start waits for the server to accept clients.
const readyTimeout = 10 * time.Second

// Sentinel errors of Start; callers branch on them with errors.Is.
var (
	// ErrInvalidConfig reports a Config that cannot start a server.
	ErrInvalidConfig = errors.New("natsembed: invalid config")
	// ErrNotReady reports a server that failed to start or to become ready.
	ErrNotReady = errors.New("natsembed: server not ready")
)

// Config configures the embedded server.
type Config struct {
	// Listen is the client address, host:port. Port 0 or -1 picks a free port.
	Listen string
	// StoreDir is the JetStream store directory (created if missing).
	StoreDir string
	// Logger receives the server's log lines; nil discards them.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports whether c can start a server.
func (c *Config) Validate() error {
	if c.StoreDir == "" {
		return fmt.Errorf("%w: store dir: required", ErrInvalidConfig)
	}
	if _, _, err := splitListen(c.Listen); err != nil {
		return fmt.Errorf("%w: listen: %w", ErrInvalidConfig, err)
	}
	return nil
}

func splitListen(listen string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port %q", portStr)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// Server is a running embedded nats-server.
type Server struct {
	srv *server.Server
}

// Start starts a server with JetStream and waits until it accepts clients.
func Start(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, port, _ := splitListen(cfg.Listen)
	opts := &server.Options{
		Host:      host,
		Port:      port,
		JetStream: true,
		StoreDir:  cfg.StoreDir,
		NoSigs:    true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsembed: new server: %w", err)
	}
	log := &logBridge{log: cfg.Logger.With("component", "nats-server")}
	srv.SetLoggerV2(log, true, false, false)

	// Start returns after trying to listen; a failure is reported through
	// Fatalf, which the bridge records instead of exiting the process.
	srv.Start()
	if msg := log.fatal(); msg != "" {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("%w: %s", ErrNotReady, msg)
	}
	if !srv.ReadyForConnections(readyTimeout) {
		msg := log.fatal()
		if msg == "" {
			msg = "not accepting connections after " + readyTimeout.String()
		}
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("%w: %s", ErrNotReady, msg)
	}
	cfg.Logger.Debug("embedded nats-server ready", "url", srv.ClientURL(), "store_dir", cfg.StoreDir)
	return &Server{srv: srv}, nil
}

// ClientURL returns the URL clients connect to, e.g. nats://127.0.0.1:4222.
func (s *Server) ClientURL() string { return s.srv.ClientURL() }

// Shutdown stops the server and waits until it has stopped.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}

// logBridge implements server.Logger on top of slog.
type logBridge struct {
	log *slog.Logger

	mu       sync.Mutex
	firstErr string // first Fatalf message, if any
}

var _ server.Logger = (*logBridge)(nil)

func (l *logBridge) emit(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	l.log.Log(ctx, level, fmt.Sprintf(format, v...))
}

func (l *logBridge) Noticef(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l *logBridge) Debugf(format string, v ...any)  { l.emit(slog.LevelDebug, format, v) }
func (l *logBridge) Tracef(format string, v ...any)  { l.emit(slog.LevelDebug, format, v) }
func (l *logBridge) Warnf(format string, v ...any)   { l.emit(slog.LevelWarn, format, v) }
func (l *logBridge) Errorf(format string, v ...any)  { l.emit(slog.LevelError, format, v) }

// Fatalf logs at Error and remembers the message so Start can report it;
// the server stops what it was doing after a fatal error.
func (l *logBridge) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	if l.firstErr == "" {
		l.firstErr = msg
	}
	l.mu.Unlock()
	l.log.Error(msg)
}

func (l *logBridge) fatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.firstErr
}
