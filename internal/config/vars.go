package config

// The environment variables Load reads. A secret's "_FILE" variant is the
// name with "_FILE" appended.
const (
	envListenAddr        = "SYNCGATE_LISTEN_ADDR"
	envTLSCertFile       = "SYNCGATE_TLS_CERT_FILE"
	envTLSKeyFile        = "SYNCGATE_TLS_KEY_FILE"
	envShutdownGrace     = "SYNCGATE_SHUTDOWN_GRACE"
	envReadHeaderTimeout = "SYNCGATE_HTTP_READ_HEADER_TIMEOUT"
	envReadTimeout       = "SYNCGATE_HTTP_READ_TIMEOUT"
	envWriteTimeout      = "SYNCGATE_HTTP_WRITE_TIMEOUT"
	envIdleTimeout       = "SYNCGATE_HTTP_IDLE_TIMEOUT"
	envMaxConnections    = "SYNCGATE_MAX_CONNECTIONS"

	envJWTIssuers       = "SYNCGATE_JWT_ISSUERS"
	envJWTAudiences     = "SYNCGATE_JWT_AUDIENCES"
	envJWTJWKSURL       = "SYNCGATE_JWT_JWKS_URL"
	envJWTPublicKeyFile = "SYNCGATE_JWT_PUBLIC_KEY_FILE"
	envJWTHMACSecret    = "SYNCGATE_JWT_HMAC_SECRET"
	envJWTAlgorithms    = "SYNCGATE_JWT_ALGORITHMS"
	envJWTLeeway        = "SYNCGATE_JWT_LEEWAY"
	envJWTCacheSize     = "SYNCGATE_JWT_CACHE_SIZE"
	envJWTCacheMaxAge   = "SYNCGATE_JWT_CACHE_MAX_AGE"
	envJWTMaxLifetime   = "SYNCGATE_JWT_MAX_LIFETIME"
	envJWTDiscovery     = "SYNCGATE_JWT_DISCOVERY"

	envScopeOrganizationsRead = "SYNCGATE_SCOPE_ORGANIZATIONS_READ"
	envScopeOrganizationsSync = "SYNCGATE_SCOPE_ORGANIZATIONS_SYNC"
	envScopeSyncJobsRead      = "SYNCGATE_SCOPE_SYNCJOBS_READ"
	envScopeSyncJobsStart     = "SYNCGATE_SCOPE_SYNCJOBS_START"
	envScopeSyncJobsManage    = "SYNCGATE_SCOPE_SYNCJOBS_MANAGE"

	envVeeamURL                = "SYNCGATE_VEEAM_URL"
	envVeeamAPIVersion         = "SYNCGATE_VEEAM_API_VERSION"
	envVeeamUsername           = "SYNCGATE_VEEAM_USERNAME"
	envVeeamPassword           = "SYNCGATE_VEEAM_PASSWORD"
	envVeeamCAFile             = "SYNCGATE_VEEAM_CA_FILE"
	envVeeamInsecureSkipVerify = "SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY"
	envVeeamTimeout            = "SYNCGATE_VEEAM_TIMEOUT"

	envGraphTenantID                  = "SYNCGATE_GRAPH_TENANT_ID"
	envGraphClientID                  = "SYNCGATE_GRAPH_CLIENT_ID"
	envGraphClientSecret              = "SYNCGATE_GRAPH_CLIENT_SECRET"
	envGraphClientCertificateFile     = "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE"
	envGraphClientCertificatePassword = "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD"
	envGraphCredential                = "SYNCGATE_GRAPH_CREDENTIAL"
	envGraphCloud                     = "SYNCGATE_GRAPH_CLOUD"
	envGraphAuthorityURL              = "SYNCGATE_GRAPH_AUTHORITY_URL"
	envGraphBaseURL                   = "SYNCGATE_GRAPH_BASE_URL"
	envGraphAPIVersion                = "SYNCGATE_GRAPH_API_VERSION"
	envGraphJobPath                   = "SYNCGATE_GRAPH_JOB_PATH"
	envGraphScope                     = "SYNCGATE_GRAPH_SCOPE"
	envGraphCAFile                    = "SYNCGATE_GRAPH_CA_FILE"
	envGraphTimeout                   = "SYNCGATE_GRAPH_TIMEOUT"

	envStartCooldown    = "SYNCGATE_START_COOLDOWN"
	envRetryAfterBudget = "SYNCGATE_RETRY_AFTER_BUDGET"
	envBreakerFailures  = "SYNCGATE_BREAKER_FAILURES"
	envBreakerOpen      = "SYNCGATE_BREAKER_OPEN"
	envRedisURL         = "SYNCGATE_REDIS_URL"
	envRateLimit        = "SYNCGATE_RATE_LIMIT"
	envIdempotencyTTL   = "SYNCGATE_IDEMPOTENCY_TTL"
	envCORSOrigins      = "SYNCGATE_CORS_ORIGINS"
	envLogLevel         = "SYNCGATE_LOG_LEVEL"
	envLogFormat        = "SYNCGATE_LOG_FORMAT"
	envMetricsAddr      = "SYNCGATE_METRICS_ADDR"
	envAuditFile        = "SYNCGATE_AUDIT_FILE"

	// OpenTelemetry's own variables (the exporter reads the other
	// OTEL_EXPORTER_OTLP_* ones itself: headers, timeout, certificates).
	envOTLPEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envOTLPTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envOTLPProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envOTLPTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envOTelTracesExporter = "OTEL_TRACES_EXPORTER"
	envOTelSDKDisabled    = "OTEL_SDK_DISABLED"
)

// fileSuffix turns a secret's variable name into its file variant's name.
const fileSuffix = "_FILE"

// VarDoc documents one environment variable.
type VarDoc struct {
	Name string
	// Default is the value used when the variable is unset or empty; "" when
	// there is none (the description then says what unset means).
	Default     string
	Description string
	// Secret is true for a value that is masked when printed and may instead
	// be read from the file named by Name+"_FILE" (listed as its own entry
	// right after it).
	Secret bool
}

// Vars lists every environment variable Load reads, in a stable order, with
// its default and description: the source of the README's configuration table
// and of "syncgate serve --help". The defaults listed here are the ones Load
// applies.
func Vars() []VarDoc {
	vars := []VarDoc{
		{Name: envListenAddr, Default: ":8080", Description: "Address (host:port) the gateway listens on."},
		{Name: envTLSCertFile, Description: "PEM certificate (chain) file to serve HTTPS; set together with SYNCGATE_TLS_KEY_FILE. Unset: plain HTTP (terminate TLS in front)."},
		{Name: envTLSKeyFile, Description: "PEM private key file for SYNCGATE_TLS_CERT_FILE."},
		{Name: envShutdownGrace, Description: "How long in-flight requests may finish after SIGTERM/SIGINT before the gateway stops; greater than 0. A request still running 1s before the grace ends has its backend call cut short and is answered (503). Unset: the write timeout (the longest a request can last), or 20s when the write timeout is disabled."},
		{Name: envReadHeaderTimeout, Default: "5s", Description: "Time allowed to read an inbound request's headers (0: the read timeout)."},
		{Name: envReadTimeout, Default: "30s", Description: "Time allowed to read an inbound request, body included (0 disables)."},
		{Name: envWriteTimeout, Default: "60s", Description: "Time allowed to handle a request and write its response (0 disables). A request's backend calls are cut short 1s before it, so the caller gets an answer (504) rather than a closed connection; it must exceed each configured backend timeout by more than 1s. A Prefer: wait on GET /organizations/{id}/sync is cut to end 2s before it (Preference-Applied says so): keep it above 62s to honour the longest wait (60s)."},
		{Name: envMaxConnections, Description: "Most inbound connections open at once; more wait in the listen queue. Idle keep-alive connections are closed once three quarters are in use. Unset: the open-file limit minus 256 (kept for backend, JWKS and log files), at most 10000; a value that leaves fewer than 256 open files is refused at start."},
		{Name: envIdleTimeout, Default: "120s", Description: "How long an idle keep-alive connection stays open (0: the read timeout)."},

		{Name: envJWTIssuers, Description: "Required. Accepted token issuers (iss), comma-separated."},
		{Name: envJWTAudiences, Description: "Required. Accepted token audiences (aud), comma-separated."},
		{Name: envJWTJWKSURL, Description: "JWKS URL of the token issuer's signing keys (https; http only for a loopback host). Exactly one of SYNCGATE_JWT_JWKS_URL, SYNCGATE_JWT_DISCOVERY=true, SYNCGATE_JWT_PUBLIC_KEY_FILE, SYNCGATE_JWT_HMAC_SECRET is required."},
		{Name: envJWTPublicKeyFile, Description: "PEM public key file that verifies token signatures (instead of a JWKS URL)."},
		{Name: envJWTHMACSecret, Secret: true, Description: "HMAC key that verifies HS256/384/512 token signatures, at least 32 bytes. Development only; never combined with asymmetric keys."},
		{Name: envJWTAlgorithms, Description: "Accepted signature algorithms, comma-separated (HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA; never none). Unset: every asymmetric algorithm that fits the configured key(s) (with a JWKS: RS*, PS*, ES*, EdDSA, each only with a key of its family; with a public key file: those of its key), or HS256 with an HMAC secret. HS* only with an HMAC secret, and only HS* with one."},
		{Name: envJWTLeeway, Default: "60s", Description: "Clock skew allowed when checking exp and nbf (0: none)."},
		{Name: envJWTCacheSize, Default: "10000", Description: "Verified tokens remembered (by the SHA-256 of the token), so a caller's next requests skip the signature check; at most this many (0 disables the cache)."},
		{Name: envJWTCacheMaxAge, Default: "5m", Description: "Longest a verified token is remembered; never past its exp. A signing key removed from the JWKS stops being honoured within this time (0 disables the cache)."},
		{Name: envJWTDiscovery, Default: "false", Description: "true: OIDC discovery is the signing key source: each issuer's /.well-known/openid-configuration, read at start, must name that same issuer and gives the JWKS (downloaded at start, refreshed hourly and on an unknown key id); an Entra ID issuer is https://login.microsoftonline.com/{tenant}/v2.0. Not combined with another key source; unset algorithms are those that fit the keys found."},
		{Name: envJWTMaxLifetime, Description: "Longest token lifetime accepted: exp at most this long after iat (or, without iat, after now plus the leeway). Unset or 0: no limit."},

		{Name: envScopeOrganizationsRead, Default: "Organizations.Read", Description: "Scope (or app role) that GET /organizations... requires."},
		{Name: envScopeOrganizationsSync, Default: "Organizations.Sync", Description: "Scope (or app role) that POST /organizations/.../sync requires."},
		{Name: envScopeSyncJobsRead, Default: "SyncJobs.Read", Description: "Scope (or app role) that GET /applications/.../jobs... requires."},
		{Name: envScopeSyncJobsStart, Default: "SyncJobs.Start", Description: "Scope (or app role) that POST /applications/.../jobs/.../start requires."},
		{Name: envScopeSyncJobsManage, Default: "SyncJobs.Manage", Description: "Scope (or app role) that POST /applications/.../jobs/.../pause and .../restart require."},

		{Name: envVeeamURL, Description: "Veeam Backup for Microsoft 365 REST base URL: https, host and optional port, no path (https://vb365.example.com:4443). Unset: the Veeam routes are not offered (they answer 503); set, SYNCGATE_VEEAM_USERNAME and SYNCGATE_VEEAM_PASSWORD are required."},
		{Name: envVeeamAPIVersion, Default: "v8", Description: "Veeam REST API version path segment (v<number>)."},
		{Name: envVeeamUsername, Description: "Veeam account the gateway signs in with."},
		{Name: envVeeamPassword, Secret: true, Description: "Password of SYNCGATE_VEEAM_USERNAME."},
		{Name: envVeeamCAFile, Description: "PEM CA bundle that verifies the Veeam server's certificate (in addition to the system roots)."},
		{Name: envVeeamInsecureSkipVerify, Default: "false", Description: "true turns off verification of the Veeam server's TLS certificate (logged loudly at start; not with SYNCGATE_VEEAM_CA_FILE). Never in production."},
		{Name: envVeeamTimeout, Default: "30s", Description: "Deadline of one call to Veeam, from its first attempt to its answer: retries, the waits between them, a login and reading the answer included; never past the caller's own deadline. Past it the caller gets 504 upstream-timeout. Greater than 0."},

		{Name: envGraphTenantID, Description: "Entra tenant of the gateway's app registration: a GUID or a domain name (contoso.onmicrosoft.com). Setting any Graph credential setting offers the Graph routes; unset, they answer 503."},
		{Name: envGraphClientID, Description: "Application (client) id (GUID) of the gateway's app registration, or of a user-assigned managed identity."},
		{Name: envGraphClientSecret, Secret: true, Description: "Client secret of the app registration (credential secret)."},
		{Name: envGraphClientCertificateFile, Description: "PEM or PKCS#12 file with the app registration's certificate and its private key (credential certificate)."},
		{Name: envGraphClientCertificatePassword, Secret: true, Description: "Password of SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE, when it is encrypted."},
		{Name: envGraphCredential, Description: "How the gateway gets Graph tokens: secret, certificate, managed-identity or workload-identity. Unset: secret when a client secret is set, certificate when a certificate file is set. workload-identity falls back to AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE."},
		{Name: envGraphCloud, Default: "global", Description: "Microsoft cloud: global, usgov (GCC High), usgovdod (DoD) or china; chooses the login host, the Graph host and the token scope."},
		{Name: envGraphAuthorityURL, Description: "Overrides the cloud's login host: scheme and host only (https; http only for a loopback host). Instance discovery is then turned off."},
		{Name: envGraphBaseURL, Description: "Overrides the cloud's Graph host: scheme and host only, such as https://graph.microsoft.com (https; http only for a loopback host); the API version is added. The token scope stays the cloud's."},
		{Name: envGraphAPIVersion, Default: "beta", Description: "Graph API version: beta (what the PowerShell cmdlet calls) or v1.0."},
		{Name: envGraphJobPath, Default: "applications", Description: "Job path: applications (/applications/{id}/synchronization, the cmdlet's) or servicePrincipals (the documented path; the application's service principal is resolved once)."},
		{Name: envGraphScope, Description: "Overrides the token scope (a resource's /.default scope). Unset: the cloud's, such as https://graph.microsoft.com/.default."},
		{Name: envGraphCAFile, Description: "PEM CA bundle that verifies the Graph and login hosts' certificates (in addition to the system roots)."},
		{Name: envGraphTimeout, Default: "30s", Description: "Deadline of one call to Graph, from its first attempt to its answer: retries, the waits between them, getting a token and reading the answer included; never past the caller's own deadline. Past it the caller gets 504 upstream-timeout. Greater than 0."},

		{Name: envStartCooldown, Default: "60s", Description: "After a start, further starts of the same organization or job are refused (429) for this long (0 disables)."},
		{Name: envRetryAfterBudget, Default: "2s", Description: "Longest backend Retry-After waited out inside a caller's request; longer ones answer 503 with Retry-After (0: never wait)."},
		{Name: envRedisURL, Secret: true, Description: "redis:// or rediss:// (TLS) URL of a Redis shared by all replicas (keys under syncgate:); cooldown claims, idempotency records and rate-limit counters live there, so the replicas behave as one. go-redis query options (dial_timeout, read_timeout, pool_size...) override the defaults. Unset: they live in this process's memory (one replica). Redis unreachable: starts answer 503 store-unavailable, reads keep working."},
		{Name: envRateLimit, Description: "Requests each caller may make, N/s, N/m or N/h (such as 100/m), counted in the store over a fixed window, so replicas sharing Redis share the count. The caller is the token's client id (azp, appid or client_id), else its sub. Over the limit: 429 rate-limited with Retry-After; RateLimit and RateLimit-Policy headers on every answer. Unset: no limit."},
		{Name: envIdempotencyTTL, Default: "24h", Description: "How long an Idempotency-Key's answer is kept and replayed to the same caller (greater than 0)."},
		{Name: envBreakerFailures, Default: "5", Description: "Backend calls in a row that must fail (a 5xx answer, a timeout, a refused or dropped connection, a failed login or token request; never a 4xx) for that backend's circuit breaker to open: callers then get 503 circuit-open with Retry-After at once, and nothing is sent to the backend (0 disables the breaker)."},
		{Name: envBreakerOpen, Default: "30s", Description: "How long an open circuit breaker refuses calls before it lets one probe call through (half-open): the probe's success closes it, its failure opens it again for as long; greater than 0."},
		{Name: envCORSOrigins, Description: "Browser origins (scheme://host[:port]) allowed to call the gateway, comma-separated, or * for any: their preflights are answered and their answers carry the CORS headers (Authorization, Content-Type, Idempotency-Key, X-Request-ID, Prefer, If-None-Match, and the W3C traceparent and tracestate may be sent; X-Request-ID, Location, Retry-After, Idempotent-Replayed, RateLimit, RateLimit-Policy, ETag and Preference-Applied may be read). Unset: no CORS headers, so browsers on other origins cannot call it."},
		{Name: envLogLevel, Default: "info", Description: "Log level: debug, info, warn or error."},
		{Name: envLogFormat, Default: "json", Description: "Log format: json or text."},
		{Name: envMetricsAddr, Description: "Address (host:port) of a listener of its own for GET /metrics, which the main listener then answers 404. Unset: /metrics is served on the main listener."},
		{Name: envOTLPEndpoint, Description: "OpenTelemetry: the OTLP collector traces are sent to (http://collector:4318 for http/protobuf, whose spans go to /v1/traces; http://collector:4317 for grpc). Unset (and no OTEL_EXPORTER_OTLP_TRACES_ENDPOINT): tracing is off; a caller's traceparent is still passed to the backends and its trace id logged. The exporter reads the other OTEL_EXPORTER_OTLP_* variables (headers, timeout, certificate, compression) itself, and the SDK OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and OTEL_TRACES_SAMPLER."},
		{Name: envOTLPTracesEndpoint, Description: "OpenTelemetry: the OTLP endpoint for traces, used as is (http://collector:4318/v1/traces); wins over OTEL_EXPORTER_OTLP_ENDPOINT."},
		{Name: envOTLPProtocol, Default: "http/protobuf", Description: "OpenTelemetry: OTLP protocol, http/protobuf or grpc (http/json is not supported)."},
		{Name: envOTLPTracesProtocol, Description: "OpenTelemetry: OTLP protocol for traces; wins over OTEL_EXPORTER_OTLP_PROTOCOL."},
		{Name: envOTelTracesExporter, Default: "otlp", Description: "OpenTelemetry: otlp, or none to turn tracing off."},
		{Name: envOTelSDKDisabled, Default: "false", Description: "OpenTelemetry: true turns tracing off."},
		{Name: envAuditFile, Description: "File the audit records are appended to as JSON lines, each synced to disk before the answer is sent (created 0600 when missing). Unset: the audit records go to the log only."},
	}
	out := make([]VarDoc, 0, len(vars)+5)
	for _, v := range vars {
		out = append(out, v)
		if v.Secret {
			out = append(out, VarDoc{
				Name:        v.Name + fileSuffix,
				Description: "File holding " + v.Name + " (one trailing newline is trimmed); not together with " + v.Name + ".",
			})
		}
	}
	return out
}
