package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// DefaultRefreshBefore is how long before its expiry a token is renewed when
// Options.RefreshBefore is zero: the margin azidentity's own cache
// keeps.
const DefaultRefreshBefore = 5 * time.Minute

// DefaultCallTimeout is the deadline of one backend call, its retries
// included, when Options.Timeout is zero.
const DefaultCallTimeout = 30 * time.Second

// Options are the settings both adapters take in the same way: each
// adapter's Config embeds them and hands them to NewBackend.
type Options struct {
	// HTTPClient sends every call; nil: NewHTTPClient with system roots.
	// Build it with NewHTTPClient to get a CA bundle, a proxy and timeouts.
	HTTPClient *http.Client
	// Retry is the retry and Retry-After policy (see RetryPolicy: zero
	// fields take defaults, but a zero RetryAfterBudget never waits). Its Now
	// defaults to Options.Now.
	Retry RetryPolicy
	// RefreshBefore is how long before expiry the token is renewed; zero:
	// DefaultRefreshBefore, and never more than half the token's lifetime.
	RefreshBefore time.Duration
	// Timeout is the deadline of one call, from its first attempt to its
	// last answer, retries, the waits between them and a token renewal
	// included; never past the caller's own deadline. It also bounds one
	// token renewal, which callers share. Zero: DefaultCallTimeout.
	Timeout time.Duration
	// Breaker is the backend's circuit breaker; nil: none. Build it with
	// NewBreaker.
	Breaker *Breaker
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Observer is told of every call and token acquisition (the gateway's
	// metrics); nil observes nothing.
	Observer Observer
}

// BackendConfig is what NewBackend needs: the backend's name and address,
// and the adapter's Options.
type BackendConfig struct {
	Service string   // "veeam", "graph": names the backend in errors and logs
	BaseURL *url.URL // checked for plain http
	Options
}

// Observer is what the adapters report for metrics. The gateway passes its
// *telemetry.Metrics.
type Observer interface {
	// ObserveCall is one call of operation op that took d and ended in
	// outcome: "success" or its failure's Kind.
	ObserveCall(service, op, outcome string, d time.Duration)
	// ObserveToken is one token acquisition: "success" or "failure".
	ObserveToken(service, result string)
}

// nopObserver observes nothing.
type nopObserver struct{}

func (nopObserver) ObserveCall(string, string, string, time.Duration) {}
func (nopObserver) ObserveToken(string, string)                       {}

// Backend is how an adapter reaches its backend: the HTTP client, clock,
// retry policy and logger, with the defaults filled in.
type Backend struct {
	Service       string
	HTTP          *http.Client
	Now           func() time.Time
	Retry         RetryPolicy
	RefreshBefore time.Duration
	Timeout       time.Duration
	Breaker       *Breaker
	Logger        *slog.Logger // tagged with the service
	Observer      Observer     // never nil
}

// NewBackend fills the defaults of cfg (see BackendConfig; a nil logger
// discards). It warns, loudly, when the base URL is plain http or the client
// skips certificate verification: the gateway's credentials could then
// reach anyone on the network path.
func NewBackend(cfg BackendConfig, logger *slog.Logger) (Backend, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		var err error
		if hc, err = NewHTTPClient(HTTPConfig{}); err != nil {
			return Backend{}, fmt.Errorf("%s: %w", cfg.Service, err)
		}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	retry := cfg.Retry
	if retry.Now == nil {
		retry.Now = now
	}
	refreshBefore := cfg.RefreshBefore
	if refreshBefore <= 0 {
		refreshBefore = DefaultRefreshBefore
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	logger = logger.With("service", cfg.Service)
	if cfg.BaseURL.Scheme == "http" {
		logger.Warn(cfg.Service+": base URL is plain http: credentials and tokens cross the network unencrypted", "url", cfg.BaseURL.Redacted())
	}
	if InsecureSkipVerify(hc) {
		logger.Warn(cfg.Service+": TLS certificate verification is DISABLED: any server can pose as the backend and receive the gateway's credentials", "url", cfg.BaseURL.Redacted())
	}
	obs := cfg.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	return Backend{Service: cfg.Service, HTTP: hc, Now: now, Retry: retry, RefreshBefore: refreshBefore,
		Timeout: timeout, Breaker: cfg.Breaker, Logger: logger, Observer: obs}, nil
}

// Observe reports one call of op that began at begin and ended with err
// (nil: success; an *Error: its kind; anything else: internal).
func (b Backend) Observe(op string, begin time.Time, err error) {
	outcome := "success"
	if err != nil {
		outcome = KindInternal.String()
		var e *Error
		if errors.As(err, &e) {
			outcome = e.Kind.String()
		}
	}
	b.Observer.ObserveCall(b.Service, op, outcome, time.Since(begin))
}

// Bearer returns the sender of the adapter's authorized calls: one token,
// got by fetch and shared by every call (see Tokens), sent through the retry
// policy under the call's deadline and the backend's breaker, and renewed
// once on a 401 (see Bearer). requestIDHeader is the backend's request id
// header, "" for none.
func (b Backend) Bearer(fetch func(ctx context.Context, cur *Token, refused string) (*Token, error), requestIDHeader string) Bearer {
	tokens := &Tokens{Service: b.Service, Timeout: b.Timeout, Now: b.Now, Log: b.Logger, Fetch: fetch, Observer: b.Observer}
	return Bearer{Tokens: tokens, Retry: b.Retry, Timeout: b.Timeout, Breaker: b.Breaker, Log: b.Logger, RequestIDHeader: requestIDHeader}
}
