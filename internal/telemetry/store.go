package telemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/syncgate/syncgate/internal/store"
)

// Store observes st: a span per operation (a child of the request's), and
// syncgate_store_errors_total for each that fails.
func Store(st store.Store, tracer trace.Tracer, metrics *Metrics) store.Store {
	return observedStore{st: st, tracer: tracer, metrics: metrics}
}

type observedStore struct {
	st      store.Store
	tracer  trace.Tracer
	metrics *Metrics
}

var _ store.Store = observedStore{}

// start begins the span of operation op on key.
func (o observedStore) start(ctx context.Context, op, key string) (context.Context, trace.Span) {
	return o.tracer.Start(ctx, "store "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("syncgate.store.key", key)))
}

// end ends the span of op, counting and recording err.
func (o observedStore) end(span trace.Span, op string, err error) {
	if err != nil {
		o.metrics.StoreError(op)
		span.RecordError(err)
		span.SetStatus(codes.Error, "store "+op+" failed")
	}
	span.End()
}

// Claim implements store.Store.
func (o observedStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, time.Duration, error) {
	ctx, span := o.start(ctx, "claim", key)
	claimed, remaining, err := o.st.Claim(ctx, key, ttl)
	span.SetAttributes(attribute.Bool("syncgate.store.claimed", claimed))
	o.end(span, "claim", err)
	return claimed, remaining, err
}

// TTL implements store.Store.
func (o observedStore) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	ctx, span := o.start(ctx, "ttl", key)
	remaining, found, err := o.st.TTL(ctx, key)
	o.end(span, "ttl", err)
	return remaining, found, err
}

// Delete implements store.Store.
func (o observedStore) Delete(ctx context.Context, key string) error {
	ctx, span := o.start(ctx, "delete", key)
	err := o.st.Delete(ctx, key)
	o.end(span, "delete", err)
	return err
}
