package telemetry

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/syncgate/syncgate/internal/config"
)

// instrumentation names syncgate's own spans' tracer.
const instrumentation = "github.com/syncgate/syncgate"

// Tracing is the gateway's OpenTelemetry tracing. On (an OTLP endpoint is
// configured), it traces every inbound request, every backend call (token
// requests included) and the start path's guard and store steps, and
// exports the spans over OTLP. Off, it records nothing and costs next to
// nothing, but a caller's W3C traceparent is still passed on to the backends
// (and its trace id logged), so a trace the caller started reaches them.
// Nothing is set globally: the provider and propagator are the gateway's.
type Tracing struct {
	provider trace.TracerProvider
	sdk      *sdktrace.TracerProvider // nil when off
	prop     propagation.TextMapPropagator
	tracer   trace.Tracer
}

// NewTracing sets up tracing as cfg says: off when cfg.Endpoint is empty.
// version is the service.version of the spans' resource, whose other
// attributes come from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
func NewTracing(ctx context.Context, cfg config.Tracing, version string) (*Tracing, error) {
	t := &Tracing{provider: tracenoop.NewTracerProvider(), prop: propagation.TraceContext{}}
	if cfg.Endpoint != "" {
		var exp sdktrace.SpanExporter
		var err error
		switch cfg.Protocol {
		case "grpc":
			exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(cfg.Endpoint))
		default:
			exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(cfg.Endpoint))
		}
		if err != nil {
			return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
		}
		res, err := resource.New(ctx,
			resource.WithAttributes(attribute.String("service.name", "syncgate"), attribute.String("service.version", version)),
			resource.WithFromEnv(), resource.WithTelemetrySDK())
		if err != nil {
			return nil, fmt.Errorf("tracing: resource: %w", err)
		}
		t.sdk = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		t.provider = t.sdk
	}
	t.tracer = t.provider.Tracer(instrumentation)
	return t, nil
}

// On reports whether spans are recorded and exported.
func (t *Tracing) On() bool { return t.sdk != nil }

// Tracer makes syncgate's own spans (the guard, the store).
func (t *Tracing) Tracer() trace.Tracer { return t.tracer }

// Shutdown exports the spans not yet sent, within ctx.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	return t.sdk.Shutdown(ctx)
}

// Middleware traces inbound requests: on, a server span per request (the
// caller's traceparent its parent), named by method until the route is known
// (see NameSpan); off, only the caller's traceparent is read into the context.
// The probes and /metrics are not traced.
func (t *Tracing) Middleware(next http.Handler) http.Handler {
	if t.sdk == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("traceparent") != "" {
				r = r.WithContext(t.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header)))
			}
			next.ServeHTTP(w, r)
		})
	}
	return otelhttp.NewHandler(next, "syncgate",
		otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.prop),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		// By method until routed; otelhttp names the span again once the
		// router has set the request's Pattern, as NameSpan does.
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			if r.Pattern != "" {
				return r.Method + " " + r.Pattern
			}
			return r.Method
		}),
		otelhttp.WithFilter(func(r *http.Request) bool {
			switch r.URL.Path {
			case "/healthz", "/readyz", "/metrics":
				return false
			}
			return true
		}))
}

// NameSpan names the request's server span by its route pattern ("POST
// /organizations/{organizationId}/sync"), once routing has found it.
func NameSpan(ctx context.Context, method, route string) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() || route == "" {
		return
	}
	span.SetName(method + " " + route)
	span.SetAttributes(attribute.String("http.route", route))
}

// Transport traces the backend calls sent through base: on, a client span
// per call with the traceparent sent; off, the traceparent of a caller's
// trace is still sent. The result unwraps to base (see Unwrap).
func (t *Tracing) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if t.sdk == nil {
		return &transport{base: base, rt: propagating{base: base, prop: t.prop}}
	}
	return &transport{base: base, rt: otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(t.provider), otelhttp.WithPropagators(t.prop),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()))}
}

// transport is a traced transport that unwraps to the one it wraps, so a
// check of the client's TLS settings sees through it.
type transport struct {
	base http.RoundTripper
	rt   http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) { return t.rt.RoundTrip(r) }

// Unwrap is the transport it wraps.
func (t *transport) Unwrap() http.RoundTripper { return t.base }

// propagating sends the context's trace, if any, in traceparent.
type propagating struct {
	base http.RoundTripper
	prop propagation.TextMapPropagator
}

// RoundTrip implements http.RoundTripper.
func (p propagating) RoundTrip(r *http.Request) (*http.Response, error) {
	if trace.SpanContextFromContext(r.Context()).IsValid() {
		r = r.Clone(r.Context()) // a RoundTripper must not change the request it is given
		p.prop.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
	}
	return p.base.RoundTrip(r)
}
