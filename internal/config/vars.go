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
	envRedisURL         = "SYNCGATE_REDIS_URL"
	envRateLimit        = "SYNCGATE_RATE_LIMIT"
	envCORSOrigins      = "SYNCGATE_CORS_ORIGINS"
	envLogLevel         = "SYNCGATE_LOG_LEVEL"
	envLogFormat        = "SYNCGATE_LOG_FORMAT"
	envMetricsAddr      = "SYNCGATE_METRICS_ADDR"
	envAuditFile        = "SYNCGATE_AUDIT_FILE"
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
		{Name: envVeeamTimeout, Default: "30s", Description: "Bound of each step of one attempt to reach Veeam (connecting, the TLS handshake, waiting for the response headers); not of a whole call with its retries; greater than 0."},

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
		{Name: envGraphTimeout, Default: "30s", Description: "Bound of each step of one attempt to reach Graph (connecting, the TLS handshake, waiting for the response headers); not of a whole call with its retries; greater than 0."},

		{Name: envStartCooldown, Default: "60s", Description: "After a start, further starts of the same organization or job are refused (429) for this long (0 disables)."},
		{Name: envRetryAfterBudget, Default: "2s", Description: "Longest backend Retry-After waited out inside a caller's request; longer ones answer 503 with Retry-After (0: never wait)."},
		{Name: envRedisURL, Secret: true, Description: "Not supported yet: set, the gateway refuses to start (cooldown claims live in each process's memory, so run one replica). Will be the redis:// or rediss:// URL of a Redis shared by all replicas."},
		{Name: envRateLimit, Description: "Not supported yet: set, the gateway refuses to start; no caller rate limit is applied."},
		{Name: envCORSOrigins, Description: "Not supported yet: set, the gateway refuses to start; no CORS headers are sent."},
		{Name: envLogLevel, Default: "info", Description: "Log level: debug, info, warn or error."},
		{Name: envLogFormat, Default: "json", Description: "Log format: json or text."},
		{Name: envMetricsAddr, Description: "Address (host:port) of a listener of its own for GET /metrics, which the main listener then answers 404. Unset: /metrics is served on the main listener."},
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
