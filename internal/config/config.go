// Package config is syncgate's configuration: one Config built from SYNCGATE_*
// environment variables by Load, validated once, with secrets masked whenever
// it is printed, marshalled or logged.
//
// Formats: lists are comma-separated (spaces around items trimmed, empty items
// dropped); durations use Go's syntax ("60s", "1m30s", "0"); booleans are what
// strconv.ParseBool accepts; rate limits are "N/s", "N/m" or "N/h". Every
// secret X may instead be read from the file named by X_FILE. Vars lists every
// variable with its default.
package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/syncgate/syncgate/internal/redact"
)

// Config is the gateway's whole configuration.
type Config struct {
	ListenAddr string
	// TLSCertFile and TLSKeyFile are both set (serve HTTPS) or both empty.
	TLSCertFile, TLSKeyFile string
	ShutdownGrace           time.Duration

	// Inbound HTTP server timeouts, as in net/http.Server.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// MaxConnections caps concurrent inbound connections; 0 means a limit
	// derived from the open-file limit at start.
	MaxConnections int

	JWT    JWT
	Scopes Scopes
	Veeam  Veeam
	Graph  Graph

	// StartCooldown is how long a started target cannot be started again; 0
	// disables the cooldown.
	StartCooldown time.Duration
	// RetryAfterBudget is the longest backend Retry-After waited out inside a
	// caller's request; 0 never waits.
	RetryAfterBudget time.Duration
	// BreakerFailures is how many failed backend calls in a row open that
	// backend's circuit breaker; 0 disables the breakers.
	BreakerFailures int
	// BreakerOpen is how long an open breaker refuses calls before letting a
	// probe through.
	BreakerOpen time.Duration
	// RedisURL is a redis:// or rediss:// URL; empty means the in-memory store.
	RedisURL Secret
	// RateLimit is "N/s", "N/m" or "N/h" (see ParseRateLimit), or empty for no
	// limit.
	RateLimit string
	// IdempotencyTTL is how long an Idempotency-Key's answer is kept.
	IdempotencyTTL time.Duration
	// CORSOrigins are the browser origins allowed to call the gateway
	// (scheme://host[:port]), or just "*"; empty: no CORS.
	CORSOrigins []string
	LogLevel    string // debug, info, warn or error
	LogFormat   string // json or text
	// MetricsAddr is the address of /metrics' own listener; empty: the main
	// listener serves /metrics.
	MetricsAddr string
	// AuditFile is the file audit records are appended to; empty: none.
	AuditFile string
	// Tracing is OpenTelemetry's, from the standard OTEL_* variables.
	Tracing Tracing
}

// Tracing is where OpenTelemetry spans are exported.
type Tracing struct {
	// Endpoint is the OTLP endpoint URL spans are sent to (for http/protobuf
	// the full URL, path included); "" turns tracing off.
	Endpoint string
	// Protocol is "http/protobuf" or "grpc".
	Protocol string
}

// JWT is how inbound bearer tokens are verified. Exactly one key source is
// set: JWKSURL, Discovery, PublicKeyFile or HMACSecret.
type JWT struct {
	Issuers   []string
	Audiences []string
	JWKSURL   string
	// Discovery: the keys come from each issuer's OIDC discovery document.
	Discovery     bool
	PublicKeyFile string
	HMACSecret    Secret
	// Algorithms is the allow-list of signature algorithms: HS* only with an
	// HMAC secret, and only asymmetric ones with the other key sources. Nil
	// (unset, asymmetric keys): every algorithm that fits the keys.
	Algorithms []string
	Leeway     time.Duration
	// CacheSize is how many verified tokens are remembered, and CacheMaxAge
	// how long at most (never past a token's exp); either 0 turns the cache
	// off.
	CacheSize   int
	CacheMaxAge time.Duration
	// MaxLifetime is the longest exp - iat accepted; 0 means no limit.
	MaxLifetime time.Duration
}

// Scopes names the scope (or app role) each group of routes requires.
type Scopes struct {
	OrganizationsRead string
	OrganizationsSync string
	SyncJobsRead      string
	SyncJobsStart     string
	SyncJobsManage    string
}

// Veeam is the Veeam Backup for Microsoft 365 backend's configuration.
type Veeam struct {
	// URL is the REST base URL, scheme and host only: https://host[:port].
	URL                string
	APIVersion         string // v8
	Username           string
	Password           Secret
	CAFile             string
	InsecureSkipVerify bool
	// Timeout is the deadline of one backend call, its retries, waits and
	// token renewal included (it also bounds each step of an attempt).
	Timeout time.Duration
}

// Enabled reports whether the Veeam backend is offered (its URL is set).
func (v Veeam) Enabled() bool { return v.URL != "" }

// Missing names the variables the Veeam backend still needs; Load accepts a
// configuration that sets none of them or all of them.
func (v Veeam) Missing() []string {
	var missing []string
	if v.URL == "" {
		missing = append(missing, envVeeamURL)
	}
	if v.Username == "" {
		missing = append(missing, envVeeamUsername)
	}
	if v.Password == "" {
		missing = append(missing, envVeeamPassword)
	}
	return missing
}

// The Graph credential kinds.
const (
	CredentialSecret           = "secret"
	CredentialCertificate      = "certificate"
	CredentialManagedIdentity  = "managed-identity"
	CredentialWorkloadIdentity = "workload-identity"
)

// Graph is the Microsoft Graph backend's configuration.
type Graph struct {
	TenantID                  string // a GUID or a domain name
	ClientID                  string // a GUID
	ClientSecret              Secret
	ClientCertificateFile     string
	ClientCertificatePassword Secret
	// Credential is one of the Credential* constants, or empty when Graph is
	// not configured.
	Credential string
	Cloud      string // global, usgov, usgovdod or china
	// AuthorityURL and BaseURL override the cloud's login and Graph hosts:
	// scheme and host only, or empty. Use AuthorityHost and GraphHost.
	AuthorityURL string
	BaseURL      string
	APIVersion   string // beta or v1.0
	JobPath      string // applications or servicePrincipals
	// Scope overrides the token scope; use TokenScope.
	Scope  string
	CAFile string
	// Timeout is the deadline of one backend call, its retries, waits and
	// token renewal included (it also bounds each step of an attempt).
	Timeout time.Duration
}

// Enabled reports whether the Graph backend is offered: a credential is
// chosen, or a tenant or client id is set.
func (g Graph) Enabled() bool {
	return g.Credential != "" || g.TenantID != "" || g.ClientID != ""
}

// Missing names the variables the Graph backend still needs for its
// credential (the client-secret ones when no credential is chosen); Load
// accepts a configuration that sets none of them or all of them.
func (g Graph) Missing() []string {
	if g.Credential == CredentialManagedIdentity || g.Credential == CredentialWorkloadIdentity {
		return nil
	}
	var missing []string
	if g.TenantID == "" {
		missing = append(missing, envGraphTenantID)
	}
	if g.ClientID == "" {
		missing = append(missing, envGraphClientID)
	}
	if g.Credential == CredentialCertificate {
		if g.ClientCertificateFile == "" {
			missing = append(missing, envGraphClientCertificateFile)
		}
	} else if g.ClientSecret == "" {
		missing = append(missing, envGraphClientSecret)
	}
	return missing
}

// cloudHosts returns a cloud's login host and Graph host (wire/graph.md).
func cloudHosts(cloud string) (authority, graph string) {
	switch cloud {
	case "usgov":
		return "https://login.microsoftonline.us", "https://graph.microsoft.us"
	case "usgovdod":
		return "https://login.microsoftonline.us", "https://dod-graph.microsoft.us"
	case "china":
		return "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"
	}
	return "https://login.microsoftonline.com", "https://graph.microsoft.com"
}

// AuthorityHost is the login host tokens come from (scheme and host, no
// trailing slash): AuthorityURL when set, else the cloud's.
func (g Graph) AuthorityHost() string {
	if g.AuthorityURL != "" {
		return g.AuthorityURL
	}
	authority, _ := cloudHosts(g.Cloud)
	return authority
}

// GraphHost is the Graph host calls go to (scheme and host, no trailing
// slash, no version): BaseURL when set, else the cloud's.
func (g Graph) GraphHost() string {
	if g.BaseURL != "" {
		return g.BaseURL
	}
	_, graph := cloudHosts(g.Cloud)
	return graph
}

// TokenScope is the scope Graph tokens are requested for: Scope when set,
// else the cloud's .default scope, even when BaseURL points elsewhere (a
// proxy or a simulator).
func (g Graph) TokenScope() string {
	if g.Scope != "" {
		return g.Scope
	}
	_, graph := cloudHosts(g.Cloud)
	return graph + "/.default"
}

// Problem is one bad setting.
type Problem struct {
	Var    string // the environment variable
	Reason string // what is wrong with it; never the value of a secret
}

// Error is what Load returns when the configuration is bad: every problem
// found, in one message.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Var + ": " + p.Reason)
	}
	return b.String()
}

// ParseRateLimit parses a rate limit "N/s", "N/m" or "N/h" (N > 0) into the
// number of requests allowed per period.
func ParseRateLimit(s string) (n int, per time.Duration, err error) {
	count, unit, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("rate limit %q: want N/s, N/m or N/h", s)
	}
	switch unit {
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		return 0, 0, fmt.Errorf("rate limit %q: unit must be s, m or h", s)
	}
	n, err = strconv.Atoi(count)
	if err != nil || n <= 0 {
		return 0, 0, fmt.Errorf("rate limit %q: count must be a whole number above 0", s)
	}
	return n, per, nil
}

// LogValue is the effective configuration as one log group, secrets masked
// (the Redis URL keeps everything but its password).
func (c *Config) LogValue() slog.Value {
	// Durations as every log line gives them: seconds in JSON, Go's
	// syntax in text (the handler's choice; see telemetry.SecondsDurations).
	dur := slog.Duration
	return slog.GroupValue(
		slog.String("listen_addr", c.ListenAddr),
		slog.String("tls_cert_file", c.TLSCertFile),
		slog.String("tls_key_file", c.TLSKeyFile),
		dur("shutdown_grace", c.ShutdownGrace),
		slog.Group("http",
			dur("read_header_timeout", c.ReadHeaderTimeout),
			dur("read_timeout", c.ReadTimeout),
			dur("write_timeout", c.WriteTimeout),
			dur("idle_timeout", c.IdleTimeout),
			slog.Int("max_connections", c.MaxConnections),
		),
		slog.Group("jwt",
			slog.Any("issuers", c.JWT.Issuers),
			slog.Any("audiences", c.JWT.Audiences),
			slog.String("jwks_url", redact.URL(c.JWT.JWKSURL)),
			slog.Bool("discovery", c.JWT.Discovery),
			slog.String("public_key_file", c.JWT.PublicKeyFile),
			slog.String("hmac_secret", c.JWT.HMACSecret.String()),
			slog.Any("algorithms", c.JWT.Algorithms),
			dur("leeway", c.JWT.Leeway),
			slog.Int("cache_size", c.JWT.CacheSize),
			dur("cache_max_age", c.JWT.CacheMaxAge),
		),
		slog.Group("scopes",
			slog.String("organizations_read", c.Scopes.OrganizationsRead),
			slog.String("organizations_sync", c.Scopes.OrganizationsSync),
			slog.String("syncjobs_read", c.Scopes.SyncJobsRead),
			slog.String("syncjobs_start", c.Scopes.SyncJobsStart),
			slog.String("syncjobs_manage", c.Scopes.SyncJobsManage),
		),
		slog.Group("veeam",
			slog.Bool("enabled", c.Veeam.Enabled()),
			slog.String("url", redact.URL(c.Veeam.URL)),
			slog.String("api_version", c.Veeam.APIVersion),
			slog.String("username", c.Veeam.Username),
			slog.String("password", c.Veeam.Password.String()),
			slog.String("ca_file", c.Veeam.CAFile),
			slog.Bool("insecure_skip_verify", c.Veeam.InsecureSkipVerify),
			dur("timeout", c.Veeam.Timeout),
		),
		slog.Group("graph",
			slog.Bool("enabled", c.Graph.Enabled()),
			slog.String("credential", c.Graph.Credential),
			slog.String("tenant_id", c.Graph.TenantID),
			slog.String("client_id", c.Graph.ClientID),
			slog.String("client_secret", c.Graph.ClientSecret.String()),
			slog.String("client_certificate_file", c.Graph.ClientCertificateFile),
			slog.String("client_certificate_password", c.Graph.ClientCertificatePassword.String()),
			slog.String("cloud", c.Graph.Cloud),
			slog.String("authority_host", redact.URL(c.Graph.AuthorityHost())),
			slog.String("graph_host", redact.URL(c.Graph.GraphHost())),
			slog.String("token_scope", c.Graph.TokenScope()),
			slog.String("api_version", c.Graph.APIVersion),
			slog.String("job_path", c.Graph.JobPath),
			slog.String("ca_file", c.Graph.CAFile),
			dur("timeout", c.Graph.Timeout),
		),
		dur("start_cooldown", c.StartCooldown),
		dur("retry_after_budget", c.RetryAfterBudget),
		slog.Int("breaker_failures", c.BreakerFailures),
		dur("breaker_open", c.BreakerOpen),
		slog.String("redis_url", redactURL(c.RedisURL)),
		slog.String("rate_limit", c.RateLimit),
		dur("idempotency_ttl", c.IdempotencyTTL),
		slog.Any("cors_origins", c.CORSOrigins),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.String("audit_file", c.AuditFile),
		slog.Group("tracing", slog.String("endpoint", redact.URL(c.Tracing.Endpoint)), slog.String("protocol", c.Tracing.Protocol)),
	)
}
