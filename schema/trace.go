package schema

import "context"

type traceParentKey struct{}

// WithTraceParent returns ctx carrying a W3C traceparent, so that events
// derived from work done under ctx (the updates a command's Telegram call
// returns) propagate it. An invalid traceparent is not attached.
func WithTraceParent(ctx context.Context, tp string) context.Context {
	if !ValidTraceParent(tp) {
		return ctx
	}
	return context.WithValue(ctx, traceParentKey{}, tp)
}

// TraceParentFrom returns the traceparent WithTraceParent attached, or "".
func TraceParentFrom(ctx context.Context) string {
	tp, _ := ctx.Value(traceParentKey{}).(string)
	return tp
}
