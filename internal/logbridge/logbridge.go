// Package logbridge routes gotd's zap logs into log/slog, one level lower:
// gotd's Info is our Debug, its Warn our Info, its Error our Warn, so that a
// connector at the default level shows only what an operator needs.
package logbridge

import (
	"context"
	"log/slog"
	"slices"

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

// core keeps the fields of With as they are and converts them only when
// an entry is written: gotd derives a logger for every MTProto message,
// nearly all of them below the level that is logged.
type core struct {
	l      *slog.Logger
	fields []zapcore.Field
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
	if len(fields) == 0 {
		return c
	}
	return &core{l: c.l, fields: append(slices.Clip(c.fields), fields...)}
}

func (c *core) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *core) Write(e zapcore.Entry, fields []zapcore.Field) error {
	args := attrs(append(slices.Clip(c.fields), fields...))
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
