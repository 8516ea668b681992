package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/syncgate/syncgate/internal/store"
)

// Store traces st: a span per operation, a child of the request's, named
// "store <operation>" with the key (never the value: claims' values are
// their owners' tokens). Failures are counted by the callers, which know
// what the operation was for (syncgate_store_errors_total's operation:
// cooldown, idempotency, ratelimit, readyz).
func Store(st store.Store, tracer trace.Tracer) store.Store {
	return tracedStore{st: st, tracer: tracer}
}

type tracedStore struct {
	st     store.Store
	tracer trace.Tracer
}

var _ store.Store = tracedStore{}

// start begins the span of operation op on key.
func (o tracedStore) start(ctx context.Context, op, key string) (context.Context, trace.Span) {
	return o.tracer.Start(ctx, "store "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("syncgate.store.key", key)))
}

// end ends the span of op, recording err.
func end(span trace.Span, op string, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "store "+op+" failed")
	}
	span.End()
}

// Claim implements store.Store.
func (o tracedStore) Claim(ctx context.Context, key, value string, ttl time.Duration) (bool, time.Duration, error) {
	ctx, span := o.start(ctx, "claim", key)
	claimed, remaining, err := o.st.Claim(ctx, key, value, ttl)
	span.SetAttributes(attribute.Bool("syncgate.store.claimed", claimed))
	end(span, "claim", err)
	return claimed, remaining, err
}

// Get implements store.Store.
func (o tracedStore) Get(ctx context.Context, key string) (string, time.Duration, bool, error) {
	ctx, span := o.start(ctx, "get", key)
	value, remaining, found, err := o.st.Get(ctx, key)
	span.SetAttributes(attribute.Bool("syncgate.store.found", found))
	end(span, "get", err)
	return value, remaining, found, err
}

// Replace implements store.Store.
func (o tracedStore) Replace(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	ctx, span := o.start(ctx, "replace", key)
	replaced, err := o.st.Replace(ctx, key, old, value, ttl)
	end(span, "replace", err)
	return replaced, err
}

// Release implements store.Store.
func (o tracedStore) Release(ctx context.Context, key, value string) (bool, error) {
	ctx, span := o.start(ctx, "release", key)
	released, err := o.st.Release(ctx, key, value)
	end(span, "release", err)
	return released, err
}

// Count implements store.Store.
func (o tracedStore) Count(ctx context.Context, key string, window time.Duration) (int, time.Duration, error) {
	ctx, span := o.start(ctx, "count", key)
	n, reset, err := o.st.Count(ctx, key, window)
	end(span, "count", err)
	return n, reset, err
}

// Ping implements store.Store.
func (o tracedStore) Ping(ctx context.Context) error {
	ctx, span := o.start(ctx, "ping", "")
	err := o.st.Ping(ctx)
	end(span, "ping", err)
	return err
}
