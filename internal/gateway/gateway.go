// Package gateway is syncgate's production wiring: from a validated
// config.Config it builds the inbound token verifier, the start guard and its
// store, the Veeam and Graph adapters, and the api handler over them.
// `syncgate serve` (and so `syncgate demo`) and the integration tests call the
// one New, so the tests exercise the wiring that runs.
package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/audit"
	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/config"
	"github.com/syncgate/syncgate/internal/graph"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/telemetry"
	"github.com/syncgate/syncgate/internal/upstream"
	"github.com/syncgate/syncgate/internal/veeam"
)

// Hooks are what the caller supplies besides the configuration: the build's
// version, and what a test cannot wait for (`syncgate serve` passes only
// the version).
type Hooks struct {
	// Version is the build's version, shown by syncgate_build_info.
	Version string
	// Now is the clock of the cooldown store and of the Veeam adapter; nil
	// is time.Now. The Graph adapter keeps the system clock: its tokens come
	// from azidentity, which dates them by the system clock.
	Now func() time.Time
	// Sleep is the retry policy's wait (see upstream.RetryPolicy.Sleep); nil
	// waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnBreakerChange is told each change of a backend's circuit breaker
	// state ("closed", "open", "half-open"), after the gateway's metrics
	// (syncgate_circuit_breaker_state) are.
	OnBreakerChange func(service, from, to string)
}

// Gateway is the wired gateway.
type Gateway struct {
	// Handler serves every route.
	Handler http.Handler
	// Metrics is the gateway's registry of metrics.
	Metrics *telemetry.Metrics
	// MetricsHandler serves the metrics: on the main listener through
	// Handler, or, with SYNCGATE_METRICS_ADDR, on a listener of its own.
	MetricsHandler http.Handler
	// Breakers are the backends' circuit breakers, by service ("veeam",
	// "graph"), for a configured backend when the breakers are on.
	Breakers   map[string]*upstream.Breaker
	veeam      *veeam.Client
	audit      *audit.Log
	tracing    *telemetry.Tracing
	closeStore func()
}

// New wires the gateway for cfg. ctx bounds the verifier's background key
// refresh; when it ends, requests waiting for a state to change (Prefer:
// wait) answer at once. A backend that is not configured is logged, and its routes answer
// 503 naming the settings it needs.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger, hooks Hooks) (*Gateway, error) {
	logger = telemetry.ContextLogger(logger)
	verifier, err := auth.NewVerifier(ctx, authConfig(cfg), logger)
	if err != nil {
		return nil, fmt.Errorf("inbound authentication: %w", err)
	}
	metrics := telemetry.NewMetrics(hooks.Version)
	tracing, err := telemetry.NewTracing(ctx, cfg.Tracing, hooks.Version)
	if err != nil {
		return nil, err
	}
	auditLog, err := audit.Open(cfg.AuditFile, logger, metrics.AuditWriteError)
	if err != nil {
		return nil, err
	}
	st, kind, err := newStore(cfg, hooks.Now)
	if err != nil {
		return nil, err
	}
	rate, err := rateLimit(cfg)
	if err != nil {
		return nil, err
	}
	traced := st // spans of store operations only when tracing is on
	if tracing.On() {
		traced = telemetry.Store(st, tracing.Tracer())
	}
	apiCfg := api.Config{
		Logger:  logger,
		Metrics: metrics,
		Audit:   auditLog,
		Trace:   tracing.Middleware,
		Tracer:  tracing.Tracer(),
		Auth:    verifier,
		Scopes: api.Scopes{
			OrganizationsRead: cfg.Scopes.OrganizationsRead, OrganizationsSync: cfg.Scopes.OrganizationsSync,
			SyncJobsRead: cfg.Scopes.SyncJobsRead, SyncJobsStart: cfg.Scopes.SyncJobsStart,
			SyncJobsManage: cfg.Scopes.SyncJobsManage,
		},
		Guard:          guard.New(traced, cfg.StartCooldown),
		Store:          traced,
		StoreKind:      kind,
		IdempotencyTTL: cfg.IdempotencyTTL,
		RateLimit:      rate,
		Ready:          verifier.Ready,
		Stopping:       ctx.Done(),
		CORSOrigins:    cfg.CORSOrigins,
	}
	retry := upstream.RetryPolicy{RetryAfterBudget: cfg.RetryAfterBudget, Sleep: hooks.Sleep}
	gw := &Gateway{Metrics: metrics, MetricsHandler: metrics.Handler(), audit: auditLog, tracing: tracing, closeStore: func() {}, Breakers: map[string]*upstream.Breaker{}}
	if r, ok := st.(*store.Redis); ok {
		gw.closeStore = func() { _ = r.Close() }
		logger.Info("store: Redis shared by the replicas", "addr", r.Addr())
	}
	if cfg.MetricsAddr == "" {
		apiCfg.MetricsHandler = gw.MetricsHandler
	}
	if cfg.Veeam.Enabled() {
		if gw.veeam, err = newVeeamClient(cfg, retry, gw.breaker("veeam", cfg, hooks, logger), hooks.Now, metrics, tracing, logger); err != nil {
			return nil, fmt.Errorf("veeam: %w", err)
		}
		apiCfg.Organizations = gw.veeam
	} else {
		apiCfg.OrganizationsMissing = cfg.Veeam.Missing()
		logger.Warn("Veeam Backup for Microsoft 365 is not configured: its routes answer 503", "missing", apiCfg.OrganizationsMissing)
	}
	if cfg.Graph.Enabled() {
		gc, err := newGraphClient(cfg, retry, gw.breaker("graph", cfg, hooks, logger), metrics, tracing, logger)
		if err != nil {
			return nil, fmt.Errorf("graph: %w", err)
		}
		apiCfg.Jobs = gc
	} else {
		apiCfg.JobsMissing = cfg.Graph.Missing()
		logger.Warn("Microsoft Graph is not configured: its routes answer 503", "missing", apiCfg.JobsMissing)
	}
	gw.Handler = answerBefore(api.NewServer(apiCfg), cfg.WriteTimeout)
	return gw, nil
}

// breaker builds the circuit breaker of a backend as configured (none when
// SYNCGATE_BREAKER_FAILURES is 0), its state shown by the metrics from the
// start.
func (g *Gateway) breaker(service string, cfg *config.Config, hooks Hooks, logger *slog.Logger) *upstream.Breaker {
	if cfg.BreakerFailures == 0 {
		return nil
	}
	b := upstream.NewBreaker(service, upstream.BreakerConfig{
		Failures: cfg.BreakerFailures, Open: cfg.BreakerOpen,
		OnStateChange: func(service, from, to string) {
			g.Metrics.SetBreakerState(service, to)
			if hooks.OnBreakerChange != nil {
				hooks.OnBreakerChange(service, from, to)
			}
		},
	}, logger)
	g.Metrics.SetBreakerState(service, b.State())
	g.Breakers[service] = b
	return b
}

// Close ends the gateway's backend sessions (the Veeam login), best effort,
// within ctx, closes the audit file and the store's connections, and
// exports the spans not yet sent.
func (g *Gateway) Close(ctx context.Context) {
	if g.veeam != nil {
		_ = g.veeam.Logout(ctx)
	}
	_ = g.audit.Close()
	g.closeStore()
	_ = g.tracing.Shutdown(ctx)
}

// newStore is the store of cooldown claims, idempotency records and
// rate-limit counters: Redis when SYNCGATE_REDIS_URL is set, shared by the
// replicas; else this process's memory. It does not wait for Redis: a
// gateway started while Redis is down serves reads, and starts once Redis
// answers.
func newStore(cfg *config.Config, now func() time.Time) (store.Store, string, error) {
	if cfg.RedisURL.Reveal() == "" {
		return store.NewMemory(now), "memory", nil
	}
	r, err := store.NewRedis(cfg.RedisURL.Reveal())
	if err != nil {
		return nil, "", err
	}
	return r, "redis", nil
}

// rateLimit is the configured per-caller rate limit (none when unset).
func rateLimit(cfg *config.Config) (api.RateLimit, error) {
	if cfg.RateLimit == "" {
		return api.RateLimit{}, nil
	}
	n, per, err := config.ParseRateLimit(cfg.RateLimit)
	if err != nil {
		return api.RateLimit{}, err
	}
	return api.RateLimit{Requests: n, Per: per}, nil
}

// newVeeamClient builds the Veeam adapter.
func newVeeamClient(cfg *config.Config, retry upstream.RetryPolicy, breaker *upstream.Breaker, now func() time.Time, metrics *telemetry.Metrics, tracing *telemetry.Tracing, logger *slog.Logger) (*veeam.Client, error) {
	v := cfg.Veeam
	hc, err := upstream.NewHTTPClient(upstream.HTTPConfig{CAFile: v.CAFile, InsecureSkipVerify: v.InsecureSkipVerify, Timeout: v.Timeout})
	if err != nil {
		return nil, err
	}
	hc.Transport = tracing.Transport(hc.Transport)
	if v.InsecureSkipVerify {
		logger.Warn("TLS certificate verification of the Veeam server is OFF (SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY): anyone on the network path can read the gateway's Veeam credentials")
	}
	return veeam.New(veeam.Config{
		BaseURL: v.URL, APIVersion: v.APIVersion, Username: v.Username, Password: v.Password.Reveal(),
		Options: upstream.Options{HTTPClient: hc, Retry: retry, Now: now, Observer: metrics, Timeout: v.Timeout, Breaker: breaker},
	}, logger)
}

// newGraphClient builds the Graph adapter and its azidentity credential.
func newGraphClient(cfg *config.Config, retry upstream.RetryPolicy, breaker *upstream.Breaker, metrics *telemetry.Metrics, tracing *telemetry.Tracing, logger *slog.Logger) (*graph.Client, error) {
	g := cfg.Graph
	hc, err := upstream.NewHTTPClient(upstream.HTTPConfig{CAFile: g.CAFile, Timeout: g.Timeout})
	if err != nil {
		return nil, err
	}
	// One traced transport for Graph's calls and azidentity's token requests.
	hc.Transport = tracing.Transport(hc.Transport)
	cred, err := graph.NewCredential(graph.CredentialConfig{
		Kind: g.Credential, TenantID: g.TenantID, ClientID: g.ClientID, ClientSecret: g.ClientSecret.Reveal(),
		CertificateFile: g.ClientCertificateFile, CertificatePassword: g.ClientCertificatePassword.Reveal(),
		AuthorityHost: strings.TrimSuffix(g.AuthorityHost(), "/") + "/",
		// A non-default authority (a proxy, a simulator, a sovereign
		// endpoint) is not in Microsoft's instance discovery list.
		DisableInstanceDiscovery: g.AuthorityURL != "",
		HTTPClient:               hc,
	})
	if err != nil {
		return nil, err
	}
	return graph.New(graph.Config{
		TenantID: g.TenantID, ClientID: g.ClientID, Credential: cred, BaseURL: g.GraphHost(),
		APIVersion: g.APIVersion, JobPath: g.JobPath, Scope: g.TokenScope(),
		Options: upstream.Options{HTTPClient: hc, Retry: retry, Observer: metrics, Timeout: g.Timeout, Breaker: breaker},
	}, logger)
}

// authConfig is the verifier's configuration.
func authConfig(cfg *config.Config) auth.Config {
	return auth.Config{
		JWKSURL: cfg.JWT.JWKSURL, Discovery: cfg.JWT.Discovery, PublicKeyFile: cfg.JWT.PublicKeyFile, HMACSecret: []byte(cfg.JWT.HMACSecret.Reveal()),
		Algorithms: cfg.JWT.Algorithms, Issuers: cfg.JWT.Issuers, Audiences: cfg.JWT.Audiences, Leeway: cfg.JWT.Leeway,
		CacheSize: cfg.JWT.CacheSize, CacheMaxAge: cfg.JWT.CacheMaxAge,
		MaxLifetime: cfg.JWT.MaxLifetime,
	}
}
