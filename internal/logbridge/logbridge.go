// Package logbridge routes gotd's zap logs into log/slog, one level lower:
// gotd's Info is our Debug, its Warn our Info, its Error our Warn, so that a
// connector at the default level shows only what an operator needs.
package logbridge

import (
	"context"
	"log/slog"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Zap returns a zap logger that writes to l.
func Zap(l *slog.Logger) *zap.Logger {
	if l == nil {
		return zap.NewNop()
	}
	return zap.New(&core{l: l})
}

type core struct {
	l *slog.Logger
}

func level(z zapcore.Level) slog.Level {
	switch {
	case z <= zapcore.DebugLevel:
		return slog.LevelDebug - 4
	case z == zapcore.InfoLevel:
		return slog.LevelDebug
	case z == zapcore.WarnLevel:
		return slog.LevelInfo
	default:
		return slog.LevelWarn
	}
}

func (c *core) Enabled(z zapcore.Level) bool {
	return c.l.Enabled(context.Background(), level(z))
}

func (c *core) With(fields []zapcore.Field) zapcore.Core {
	return &core{l: c.l.With(attrs(fields)...)}
}

func (c *core) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *core) Write(e zapcore.Entry, fields []zapcore.Field) error {
	args := attrs(fields)
	if e.LoggerName != "" {
		args = append(args, slog.String("gotd", e.LoggerName))
	}
	c.l.Log(context.Background(), level(e.Level), e.Message, args...)
	return nil
}

func (c *core) Sync() error { return nil }

func attrs(fields []zapcore.Field) []any {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range fields {
		f.AddTo(enc)
	}
	out := make([]any, 0, len(enc.Fields))
	for k, v := range enc.Fields {
		out = append(out, slog.Any(k, v))
	}
	return out
}
