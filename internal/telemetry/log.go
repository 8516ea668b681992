package telemetry

import (
	"context"
	"log/slog"

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
		if id := upstream.RequestID(ctx); id != "" {
			r.AddAttrs(slog.String("requestId", id))
		}
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
			r.AddAttrs(slog.String("traceId", sc.TraceID().String()))
			if sc.HasSpanID() {
				r.AddAttrs(slog.String("spanId", sc.SpanID().String()))
			}
		}
	}
	return h.Handler.Handle(ctx, r)
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
