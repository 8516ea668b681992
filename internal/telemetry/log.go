package telemetry

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/syncgate/syncgate/internal/upstream"
)

// ContextLogger returns logger with its every line of a request carrying the
// request's requestId and, when the request is traced (or the caller sent a
// traceparent), its traceId and spanId: whoever logs — the api, an adapter,
// a token renewal — passes the request's context (slog's ...Context
// methods) and the handler adds them. A logger that already does this is
// returned as it is.
func ContextLogger(logger *slog.Logger) *slog.Logger {
	if logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	if _, ok := logger.Handler().(contextHandler); ok {
		return logger
	}
	return slog.New(contextHandler{logger.Handler()})
}

// contextHandler adds the context's request id and trace to each record.
type contextHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		var buf [3]slog.Attr
		if attrs := contextAttrs(ctx, buf[:0]); len(attrs) > 0 {
			r.AddAttrs(attrs...)
		}
	}
	return h.Handler.Handle(ctx, r)
}

// contextAttrs appends to attrs the request's requestId, traceId and spanId
// that ctx carries.
func contextAttrs(ctx context.Context, attrs []slog.Attr) []slog.Attr {
	if id := upstream.RequestID(ctx); id != "" {
		attrs = append(attrs, slog.String("requestId", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		attrs = append(attrs, slog.String("traceId", sc.TraceID().String()))
		if sc.HasSpanID() {
			attrs = append(attrs, slog.String("spanId", sc.SpanID().String()))
		}
	}
	return attrs
}

// maxLogAttrs is the most attributes LogAttrs gathers on the stack.
const maxLogAttrs = 8

// LogAttrs is logger.LogAttrs(ctx, level, msg, attrs...), the same line, but
// for a logger from ContextLogger the context's attributes are added with
// attrs in one step: a record holds five attributes inline, and a line with
// more then grows its record once rather than twice.
func LogAttrs(ctx context.Context, logger *slog.Logger, level slog.Level, msg string, attrs ...slog.Attr) {
	h, ok := logger.Handler().(contextHandler)
	if !ok || ctx == nil || len(attrs) > maxLogAttrs {
		logger.LogAttrs(ctx, level, msg, attrs...)
		return
	}
	if !h.Enabled(ctx, level) {
		return
	}
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:]) // skip [Callers, LogAttrs], as slog does
	r := slog.NewRecord(time.Now(), level, msg, pcs[0])
	var all [maxLogAttrs + 3]slog.Attr
	n := copy(all[:], attrs)
	r.AddAttrs(contextAttrs(ctx, all[:n])...)
	_ = h.Handler.Handle(ctx, r) // as slog.Logger ignores it
}

// WithAttrs implements slog.Handler.
func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// SecondsDurations is a slog.HandlerOptions.ReplaceAttr for JSON logs: a
// duration is written as seconds (a float, 0.0015 for 1.5 ms) rather than
// slog's nanoseconds, as the metrics count them.
func SecondsDurations(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.Float64(a.Key, a.Value.Duration().Seconds())
	}
	return a
}
