package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// env is a getenv over the given variables.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// minimal is the smallest valid environment, with extra merged in (an empty
// value unsets).
func minimal(extra map[string]string) map[string]string {
	vars := map[string]string{
		"SYNCGATE_JWT_ISSUERS":   "https://issuer.example.com",
		"SYNCGATE_JWT_AUDIENCES": "api://syncgate",
		"SYNCGATE_JWT_JWKS_URL":  "https://issuer.example.com/keys",
	}
	maps.Copy(vars, extra)
	return vars
}

// writeFile writes content to a new file in a temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, vars map[string]string) *Config {
	t.Helper()
	cfg, err := Load(env(vars))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

// problems returns the problems of a Load that must have failed.
func problems(t *testing.T, vars map[string]string) []Problem {
	t.Helper()
	cfg, err := Load(env(vars))
	if err == nil {
		t.Fatalf("Load succeeded (%+v), want an error", cfg)
	}
	if cfg != nil {
		t.Errorf("Load returned a config with its error")
	}
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Load error %T %v, want *config.Error", err, err)
	}
	return cerr.Problems
}

func TestLoadDefaults(t *testing.T) {
	got := mustLoad(t, minimal(nil))
	want := &Config{
		ListenAddr:        ":8080",
		ShutdownGrace:     60 * time.Second, // the write timeout
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		JWT: JWT{
			Issuers:   []string{"https://issuer.example.com"},
			Audiences: []string{"api://syncgate"},
			JWKSURL:   "https://issuer.example.com/keys",
			Leeway:    60 * time.Second,
			CacheSize: 10000, CacheMaxAge: 5 * time.Minute,
		},
		Scopes: Scopes{
			OrganizationsRead: "Organizations.Read",
			OrganizationsSync: "Organizations.Sync",
			SyncJobsRead:      "SyncJobs.Read",
			SyncJobsStart:     "SyncJobs.Start",
			SyncJobsManage:    "SyncJobs.Manage",
		},
		Veeam: Veeam{APIVersion: "v8", Timeout: 30 * time.Second},
		Graph: Graph{
			Cloud: "global", APIVersion: "beta", JobPath: "applications", Timeout: 30 * time.Second,
		},
		StartCooldown:    60 * time.Second,
		RetryAfterBudget: 2 * time.Second,
		IdempotencyTTL:   24 * time.Hour,
		BreakerFailures:  5,
		BreakerOpen:      30 * time.Second,
		LogLevel:         "info",
		LogFormat:        "json",
		Tracing:          Tracing{Protocol: "http/protobuf"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if got.Veeam.Enabled() || got.Graph.Enabled() {
		t.Errorf("backends enabled with nothing configured: veeam %v, graph %v", got.Veeam.Enabled(), got.Graph.Enabled())
	}
	if m := got.Veeam.Missing(); !slices.Equal(m, []string{"SYNCGATE_VEEAM_URL", "SYNCGATE_VEEAM_USERNAME", "SYNCGATE_VEEAM_PASSWORD"}) {
		t.Errorf("Veeam.Missing() = %v", m)
	}
	if m := got.Graph.Missing(); !slices.Equal(m, []string{"SYNCGATE_GRAPH_TENANT_ID", "SYNCGATE_GRAPH_CLIENT_ID", "SYNCGATE_GRAPH_CLIENT_SECRET"}) {
		t.Errorf("Graph.Missing() = %v", m)
	}
}

func TestLoadEveryVariable(t *testing.T) {
	certFile := writeFile(t, "tls.crt", "cert")
	keyFile := writeFile(t, "tls.key", "key")
	pubKey := writeFile(t, "jwt.pem", "pub")
	veeamCA := writeFile(t, "veeam-ca.pem", "ca")
	graphCert := writeFile(t, "graph.pfx", "pfx")
	graphCA := writeFile(t, "graph-ca.pem", "ca")
	graphSecretFile := writeFile(t, "graph-secret", "graph-s3cret\n")
	redisFile := writeFile(t, "redis-url", "rediss://cache:r3dis@redis.internal:6380/1\n")
	vars := map[string]string{
		"SYNCGATE_LISTEN_ADDR":                       "127.0.0.1:9443",
		"SYNCGATE_TLS_CERT_FILE":                     certFile,
		"SYNCGATE_TLS_KEY_FILE":                      keyFile,
		"SYNCGATE_SHUTDOWN_GRACE":                    "45s",
		"SYNCGATE_HTTP_READ_HEADER_TIMEOUT":          "2s",
		"SYNCGATE_HTTP_READ_TIMEOUT":                 "0",
		"SYNCGATE_HTTP_WRITE_TIMEOUT":                "1m30s",
		"SYNCGATE_HTTP_IDLE_TIMEOUT":                 "5m",
		"SYNCGATE_JWT_ISSUERS":                       " https://a.example.com/ , ,https://b.example.com ",
		"SYNCGATE_JWT_AUDIENCES":                     "api://syncgate,00000000-0000-0000-0000-000000000001",
		"SYNCGATE_JWT_PUBLIC_KEY_FILE":               pubKey,
		"SYNCGATE_JWT_ALGORITHMS":                    "es256, rs256,EdDSA",
		"SYNCGATE_JWT_LEEWAY":                        "0",
		"SYNCGATE_JWT_CACHE_SIZE":                    "0",
		"SYNCGATE_JWT_CACHE_MAX_AGE":                 "90s",
		"SYNCGATE_SCOPE_ORGANIZATIONS_READ":          "Orgs.Read",
		"SYNCGATE_SCOPE_ORGANIZATIONS_SYNC":          "Orgs.Sync",
		"SYNCGATE_SCOPE_SYNCJOBS_READ":               "Jobs.Read",
		"SYNCGATE_SCOPE_SYNCJOBS_START":              "Jobs.Start",
		"SYNCGATE_SCOPE_SYNCJOBS_MANAGE":             "Jobs.Manage",
		"SYNCGATE_VEEAM_URL":                         "https://vb365.example.com:4443/",
		"SYNCGATE_VEEAM_API_VERSION":                 "v7",
		"SYNCGATE_VEEAM_USERNAME":                    `EXAMPLE\svc-syncgate`,
		"SYNCGATE_VEEAM_PASSWORD":                    "veeam pass ",
		"SYNCGATE_VEEAM_CA_FILE":                     veeamCA,
		"SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY":        "false",
		"SYNCGATE_VEEAM_TIMEOUT":                     "15s",
		"SYNCGATE_GRAPH_TENANT_ID":                   "contoso.onmicrosoft.com",
		"SYNCGATE_GRAPH_CLIENT_ID":                   "6731DE76-14A6-49AE-97BC-6EBA6914391E",
		"SYNCGATE_GRAPH_CLIENT_SECRET_FILE":          graphSecretFile,
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE":     graphCert,
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD": "pfx-pass",
		"SYNCGATE_GRAPH_CREDENTIAL":                  "Certificate",
		"SYNCGATE_GRAPH_CLOUD":                       "USGov",
		"SYNCGATE_GRAPH_AUTHORITY_URL":               "https://login.proxy.example.com",
		"SYNCGATE_GRAPH_BASE_URL":                    "http://127.0.0.1:8443/",
		"SYNCGATE_GRAPH_API_VERSION":                 "v1.0",
		"SYNCGATE_GRAPH_JOB_PATH":                    "serviceprincipals",
		"SYNCGATE_GRAPH_SCOPE":                       "https://graph.microsoft.com/.default",
		"SYNCGATE_GRAPH_CA_FILE":                     graphCA,
		"SYNCGATE_GRAPH_TIMEOUT":                     "10s",
		"SYNCGATE_START_COOLDOWN":                    "0",
		"SYNCGATE_RETRY_AFTER_BUDGET":                "500ms",
		"SYNCGATE_BREAKER_FAILURES":                  "3",
		"SYNCGATE_BREAKER_OPEN":                      "10s",
		"SYNCGATE_REDIS_URL_FILE":                    redisFile,
		"SYNCGATE_RATE_LIMIT":                        "100/m",
		"SYNCGATE_IDEMPOTENCY_TTL":                   "1h",
		"SYNCGATE_CORS_ORIGINS":                      "https://portal.example.com, http://localhost:3000,",
		"SYNCGATE_LOG_LEVEL":                         "DEBUG",
		"SYNCGATE_LOG_FORMAT":                        "text",
	}
	got := mustLoad(t, vars)
	want := &Config{
		ListenAddr:        "127.0.0.1:9443",
		TLSCertFile:       certFile,
		TLSKeyFile:        keyFile,
		ShutdownGrace:     45 * time.Second,
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       0,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       5 * time.Minute,
		JWT: JWT{
			Issuers:       []string{"https://a.example.com/", "https://b.example.com"},
			Audiences:     []string{"api://syncgate", "00000000-0000-0000-0000-000000000001"},
			PublicKeyFile: pubKey,
			Algorithms:    []string{"ES256", "RS256", "EdDSA"},
			Leeway:        0,
			CacheSize:     0,
			CacheMaxAge:   90 * time.Second,
		},
		Scopes: Scopes{OrganizationsRead: "Orgs.Read", OrganizationsSync: "Orgs.Sync", SyncJobsRead: "Jobs.Read", SyncJobsStart: "Jobs.Start", SyncJobsManage: "Jobs.Manage"},
		Veeam: Veeam{
			URL: "https://vb365.example.com:4443", APIVersion: "v7", Username: `EXAMPLE\svc-syncgate`,
			Password: "veeam pass ", CAFile: veeamCA, Timeout: 15 * time.Second,
		},
		Graph: Graph{
			TenantID: "contoso.onmicrosoft.com", ClientID: "6731DE76-14A6-49AE-97BC-6EBA6914391E",
			ClientSecret: "graph-s3cret", ClientCertificateFile: graphCert, ClientCertificatePassword: "pfx-pass",
			Credential: "certificate", Cloud: "usgov", AuthorityURL: "https://login.proxy.example.com",
			BaseURL: "http://127.0.0.1:8443", APIVersion: "v1.0", JobPath: "servicePrincipals",
			Scope: "https://graph.microsoft.com/.default", CAFile: graphCA, Timeout: 10 * time.Second,
		},
		StartCooldown:    0,
		RetryAfterBudget: 500 * time.Millisecond,
		BreakerFailures:  3,
		BreakerOpen:      10 * time.Second,
		RedisURL:         "rediss://cache:r3dis@redis.internal:6380/1",
		RateLimit:        "100/m",
		IdempotencyTTL:   time.Hour,
		CORSOrigins:      []string{"https://portal.example.com", "http://localhost:3000"},
		LogLevel:         "debug",
		LogFormat:        "text",
		Tracing:          Tracing{Protocol: "http/protobuf"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if !got.Veeam.Enabled() || !got.Graph.Enabled() {
		t.Errorf("backends not enabled: veeam %v, graph %v", got.Veeam.Enabled(), got.Graph.Enabled())
	}
}

// TestVarsDocumentWhatLoadReads checks that Vars lists exactly the
// variables Load reads, each documented once.
func TestVarsDocumentWhatLoadReads(t *testing.T) {
	read := map[string]bool{}
	getenv := func(name string) string {
		read[name] = true
		return minimal(nil)[name]
	}
	if _, err := Load(getenv); err != nil {
		t.Fatalf("Load: %v", err)
	}
	documented := map[string]bool{}
	for _, v := range Vars() {
		if documented[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		documented[v.Name] = true
		if !strings.HasPrefix(v.Name, "SYNCGATE_") && !strings.HasPrefix(v.Name, "OTEL_") {
			t.Errorf("%s: neither a SYNCGATE_ nor an OpenTelemetry OTEL_ variable", v.Name)
		}
		if len(v.Description) < 10 || !strings.HasSuffix(v.Description, ".") {
			t.Errorf("%s: description %q is not a sentence", v.Name, v.Description)
		}
		if v.Secret && !slices.ContainsFunc(Vars(), func(f VarDoc) bool { return f.Name == v.Name+"_FILE" }) {
			t.Errorf("%s: secret without a _FILE variant", v.Name)
		}
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(documented)), slices.Sorted(maps.Keys(read))); diff != "" {
		t.Errorf("documented (-) vs read by Load (+):\n%s", diff)
	}
	for _, name := range []string{
		"SYNCGATE_VEEAM_PASSWORD_FILE", "SYNCGATE_JWT_HMAC_SECRET_FILE", "SYNCGATE_GRAPH_CLIENT_SECRET_FILE",
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD_FILE", "SYNCGATE_REDIS_URL_FILE",
	} {
		if !documented[name] {
			t.Errorf("%s not listed", name)
		}
	}
}

// TestVarsDefaultsAreApplied checks each documented default by setting the
// variable to a different valid value and back to its default.
func TestVarsDefaultsAreApplied(t *testing.T) {
	unset := mustLoad(t, minimal(nil))
	for _, v := range Vars() {
		if v.Default == "" {
			continue
		}
		explicit := mustLoad(t, minimal(map[string]string{v.Name: v.Default}))
		if diff := cmp.Diff(unset, explicit); diff != "" {
			t.Errorf("%s=%q differs from leaving it unset (-unset +explicit):\n%s", v.Name, v.Default, diff)
		}
	}
}

func TestLoadNamesEveryBadVariable(t *testing.T) {
	vars := map[string]string{
		"SYNCGATE_JWT_AUDIENCES":     "api://syncgate",
		"SYNCGATE_JWT_JWKS_URL":      "https://issuer.example.com/keys",
		"SYNCGATE_START_COOLDOWN":    "abc",
		"SYNCGATE_SHUTDOWN_GRACE":    "-1s",
		"SYNCGATE_LISTEN_ADDR":       "8080",
		"SYNCGATE_LOG_LEVEL":         "verbose",
		"SYNCGATE_RATE_LIMIT":        "100/d",
		"SYNCGATE_IDEMPOTENCY_TTL":   "0",
		"SYNCGATE_VEEAM_URL":         "https://vb365.example.com:4443",
		"SYNCGATE_VEEAM_API_VERSION": "8",
		"SYNCGATE_GRAPH_TENANT_ID":   "not a tenant",
		"SYNCGATE_CORS_ORIGINS":      "portal.example.com",
	}
	ps := problems(t, vars)
	want := []Problem{
		{"SYNCGATE_LISTEN_ADDR", `invalid address "8080" (want host:port or :port)`},
		{"SYNCGATE_SHUTDOWN_GRACE", "must not be negative"},
		{"SYNCGATE_JWT_ISSUERS", "required"},
		{"SYNCGATE_VEEAM_API_VERSION", `invalid API version "8" (want v followed by digits, such as v8)`},
		{"SYNCGATE_VEEAM_USERNAME", "required when SYNCGATE_VEEAM_URL is set"},
		{"SYNCGATE_VEEAM_PASSWORD", "required when SYNCGATE_VEEAM_URL is set"},
		{"SYNCGATE_GRAPH_TENANT_ID", `invalid tenant "not a tenant" (want a GUID or a domain name)`},
		{"SYNCGATE_GRAPH_CLIENT_ID", "required when SYNCGATE_GRAPH_TENANT_ID is set"},
		{"SYNCGATE_GRAPH_CLIENT_SECRET", "required (or SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE, or SYNCGATE_GRAPH_CREDENTIAL managed-identity or workload-identity) when SYNCGATE_GRAPH_TENANT_ID is set"},
		{"SYNCGATE_START_COOLDOWN", `invalid duration "abc" (use Go's syntax, such as 30s or 1m30s)`},
		{"SYNCGATE_RATE_LIMIT", `invalid rate limit "100/d": want N/s, N/m or N/h with N above 0`},
		{"SYNCGATE_IDEMPOTENCY_TTL", "must be greater than 0"},
		{"SYNCGATE_CORS_ORIGINS", `invalid origin "portal.example.com" (want scheme://host[:port], such as https://portal.example.com)`},
		{"SYNCGATE_LOG_LEVEL", `invalid value "verbose" (want debug, info, warn, error)`},
	}
	if diff := cmp.Diff(want, ps); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	_, err := Load(env(vars))
	msg := err.Error()
	if !strings.HasPrefix(msg, "config: SYNCGATE_LISTEN_ADDR: invalid address") {
		t.Errorf("message %q does not start with the first problem", msg)
	}
	for _, p := range want {
		if !strings.Contains(msg, p.Var+": "+p.Reason) {
			t.Errorf("message %q lacks %q", msg, p.Var+": "+p.Reason)
		}
	}
	if n := strings.Count(msg, "; "); n != len(want)-1 {
		t.Errorf("message has %d separators, want %d: %q", n, len(want)-1, msg)
	}
}

func TestLoadRejects(t *testing.T) {
	for _, tt := range []struct {
		name    string
		vars    map[string]string // merged into minimal
		wantVar string
		reason  string // part of the problem's reason
	}{
		{"no issuers", map[string]string{"SYNCGATE_JWT_ISSUERS": " , "}, "SYNCGATE_JWT_ISSUERS", "required"},
		{"no audiences", map[string]string{"SYNCGATE_JWT_AUDIENCES": ""}, "SYNCGATE_JWT_AUDIENCES", "required"},
		{"no key source", map[string]string{"SYNCGATE_JWT_JWKS_URL": ""}, "SYNCGATE_JWT_JWKS_URL", "a signing key source is required"},
		{"two key sources", map[string]string{"SYNCGATE_JWT_HMAC_SECRET": strings.Repeat("k", 32)}, "SYNCGATE_JWT_HMAC_SECRET", "cannot be combined with SYNCGATE_JWT_JWKS_URL"},
		{"jwks over http", map[string]string{"SYNCGATE_JWT_JWKS_URL": "http://issuer.example.com/keys"}, "SYNCGATE_JWT_JWKS_URL", "http only for a loopback host"},
		{"jwks not a url", map[string]string{"SYNCGATE_JWT_JWKS_URL": "issuer.example.com/keys"}, "SYNCGATE_JWT_JWKS_URL", "not an absolute URL"},
		{"jwks ftp", map[string]string{"SYNCGATE_JWT_JWKS_URL": "ftp://issuer.example.com/keys"}, "SYNCGATE_JWT_JWKS_URL", "scheme must be https"},
		{"alg none", map[string]string{"SYNCGATE_JWT_ALGORITHMS": "RS256,none"}, "SYNCGATE_JWT_ALGORITHMS", "none is never accepted"},
		{"alg unknown", map[string]string{"SYNCGATE_JWT_ALGORITHMS": "RS257"}, "SYNCGATE_JWT_ALGORITHMS", `unknown algorithm "RS257"`},
		{"hmac alg with jwks", map[string]string{"SYNCGATE_JWT_ALGORITHMS": "RS256,HS256"}, "SYNCGATE_JWT_ALGORITHMS", "HS256 needs SYNCGATE_JWT_HMAC_SECRET"},
		{"rsa alg with hmac", map[string]string{"SYNCGATE_JWT_JWKS_URL": "", "SYNCGATE_JWT_HMAC_SECRET": strings.Repeat("k", 32), "SYNCGATE_JWT_ALGORITHMS": "HS256,RS256"}, "SYNCGATE_JWT_ALGORITHMS", "RS256 cannot be used with SYNCGATE_JWT_HMAC_SECRET"},
		{"short hmac", map[string]string{"SYNCGATE_JWT_JWKS_URL": "", "SYNCGATE_JWT_HMAC_SECRET": "short"}, "SYNCGATE_JWT_HMAC_SECRET", "too short"},
		{"negative leeway", map[string]string{"SYNCGATE_JWT_LEEWAY": "-5s"}, "SYNCGATE_JWT_LEEWAY", "must not be negative"},
		{"duration without unit", map[string]string{"SYNCGATE_JWT_LEEWAY": "60"}, "SYNCGATE_JWT_LEEWAY", `invalid duration "60"`},
		{"cache size not a number", map[string]string{"SYNCGATE_JWT_CACHE_SIZE": "10k"}, "SYNCGATE_JWT_CACHE_SIZE", `invalid number "10k"`},
		{"negative cache size", map[string]string{"SYNCGATE_JWT_CACHE_SIZE": "-1"}, "SYNCGATE_JWT_CACHE_SIZE", `invalid number "-1"`},
		{"negative cache age", map[string]string{"SYNCGATE_JWT_CACHE_MAX_AGE": "-1s"}, "SYNCGATE_JWT_CACHE_MAX_AGE", "must not be negative"},
		{"unreadable public key", map[string]string{"SYNCGATE_JWT_JWKS_URL": "", "SYNCGATE_JWT_PUBLIC_KEY_FILE": "/nonexistent/jwt.pem"}, "SYNCGATE_JWT_PUBLIC_KEY_FILE", "cannot read file"},
		{"listen port", map[string]string{"SYNCGATE_LISTEN_ADDR": ":99999"}, "SYNCGATE_LISTEN_ADDR", `invalid port "99999"`},
		{"cert without key", map[string]string{"SYNCGATE_TLS_CERT_FILE": "/dev/null"}, "SYNCGATE_TLS_KEY_FILE", "required when SYNCGATE_TLS_CERT_FILE is set"},
		{"key without cert", map[string]string{"SYNCGATE_TLS_KEY_FILE": "/dev/null"}, "SYNCGATE_TLS_CERT_FILE", "required when SYNCGATE_TLS_KEY_FILE is set"},
		{"zero shutdown grace", map[string]string{"SYNCGATE_SHUTDOWN_GRACE": "0"}, "SYNCGATE_SHUTDOWN_GRACE", "must be greater than 0"},
		{"negative http timeout", map[string]string{"SYNCGATE_HTTP_WRITE_TIMEOUT": "-1s"}, "SYNCGATE_HTTP_WRITE_TIMEOUT", "must not be negative"},
		{"negative cooldown", map[string]string{"SYNCGATE_START_COOLDOWN": "-1m"}, "SYNCGATE_START_COOLDOWN", "must not be negative"},
		{"negative retry budget", map[string]string{"SYNCGATE_RETRY_AFTER_BUDGET": "-1s"}, "SYNCGATE_RETRY_AFTER_BUDGET", "must not be negative"},
		{"negative breaker failures", map[string]string{"SYNCGATE_BREAKER_FAILURES": "-1"}, "SYNCGATE_BREAKER_FAILURES", `invalid number "-1"`},
		{"breaker failures not a number", map[string]string{"SYNCGATE_BREAKER_FAILURES": "five"}, "SYNCGATE_BREAKER_FAILURES", `invalid number "five"`},
		{"zero breaker open", map[string]string{"SYNCGATE_BREAKER_OPEN": "0"}, "SYNCGATE_BREAKER_OPEN", "must be greater than 0"},
		{"veeam http", veeamVars("http://vb365.example.com:4443"), "SYNCGATE_VEEAM_URL", "scheme must be https"},
		{"veeam loopback http", veeamVars("http://127.0.0.1:4443"), "SYNCGATE_VEEAM_URL", "scheme must be https"},
		{"veeam path", veeamVars("https://vb365.example.com:4443/v8"), "SYNCGATE_VEEAM_URL", "without a path"},
		{"veeam query", veeamVars("https://vb365.example.com?x=1"), "SYNCGATE_VEEAM_URL", "must not have a query"},
		{"veeam bad port", veeamVars("https://vb365.example.com:0"), "SYNCGATE_VEEAM_URL", "invalid port"},
		{"veeam no host", veeamVars("https:///x"), "SYNCGATE_VEEAM_URL", "not an absolute URL"},
		{"veeam api version", map[string]string{"SYNCGATE_VEEAM_API_VERSION": "v8.1"}, "SYNCGATE_VEEAM_API_VERSION", "invalid API version"},
		{"veeam insecure bool", map[string]string{"SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY": "yes"}, "SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY", `invalid boolean "yes"`},
		{"veeam insecure with ca", map[string]string{"SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY": "1", "SYNCGATE_VEEAM_CA_FILE": "/dev/null"}, "SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY", "cannot be combined with SYNCGATE_VEEAM_CA_FILE"},
		{"veeam zero timeout", map[string]string{"SYNCGATE_VEEAM_TIMEOUT": "0s"}, "SYNCGATE_VEEAM_TIMEOUT", "must be greater than 0"},
		{"veeam unreadable ca", map[string]string{"SYNCGATE_VEEAM_CA_FILE": "/nonexistent/ca.pem"}, "SYNCGATE_VEEAM_CA_FILE", "cannot read file"},
		{"graph client id", graphVars(map[string]string{"SYNCGATE_GRAPH_CLIENT_ID": "my-app"}), "SYNCGATE_GRAPH_CLIENT_ID", `invalid client id "my-app" (want a GUID)`},
		{"graph tenant", graphVars(map[string]string{"SYNCGATE_GRAPH_TENANT_ID": "contoso"}), "SYNCGATE_GRAPH_TENANT_ID", "want a GUID or a domain name"},
		{"graph credential", graphVars(map[string]string{"SYNCGATE_GRAPH_CREDENTIAL": "password"}), "SYNCGATE_GRAPH_CREDENTIAL", "want secret, certificate, managed-identity, workload-identity"},
		{"graph secret and certificate", graphVars(map[string]string{"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE": "/dev/null"}), "SYNCGATE_GRAPH_CREDENTIAL", "required when both"},
		{"graph cloud", map[string]string{"SYNCGATE_GRAPH_CLOUD": "germany"}, "SYNCGATE_GRAPH_CLOUD", "want global, usgov, usgovdod, china"},
		{"graph api version", map[string]string{"SYNCGATE_GRAPH_API_VERSION": "v2"}, "SYNCGATE_GRAPH_API_VERSION", "want beta, v1.0"},
		{"graph job path", map[string]string{"SYNCGATE_GRAPH_JOB_PATH": "apps"}, "SYNCGATE_GRAPH_JOB_PATH", "want applications, servicePrincipals"},
		{"graph base url path", map[string]string{"SYNCGATE_GRAPH_BASE_URL": "https://graph.microsoft.com/beta"}, "SYNCGATE_GRAPH_BASE_URL", "without a path"},
		{"graph base url http", map[string]string{"SYNCGATE_GRAPH_BASE_URL": "http://graph.example.com"}, "SYNCGATE_GRAPH_BASE_URL", "http only for a loopback host"},
		{"graph authority path", map[string]string{"SYNCGATE_GRAPH_AUTHORITY_URL": "https://login.microsoftonline.com/tenant"}, "SYNCGATE_GRAPH_AUTHORITY_URL", "without a path"},
		{"graph scope", map[string]string{"SYNCGATE_GRAPH_SCOPE": "https://graph.microsoft.com/User.Read"}, "SYNCGATE_GRAPH_SCOPE", "/.default scope"},
		{"graph zero timeout", map[string]string{"SYNCGATE_GRAPH_TIMEOUT": "0"}, "SYNCGATE_GRAPH_TIMEOUT", "must be greater than 0"},
		{"redis scheme", map[string]string{"SYNCGATE_REDIS_URL": "http://redis.example.com"}, "SYNCGATE_REDIS_URL", "scheme must be redis or rediss"},
		{"redis db", map[string]string{"SYNCGATE_REDIS_URL": "redis://redis.example.com/cache"}, "SYNCGATE_REDIS_URL", "database number"},
		{"redis not a url", map[string]string{"SYNCGATE_REDIS_URL": "redis.example.com:6379"}, "SYNCGATE_REDIS_URL", "not an absolute URL"},
		{"rate limit zero", map[string]string{"SYNCGATE_RATE_LIMIT": "0/s"}, "SYNCGATE_RATE_LIMIT", "invalid rate limit"},
		{"rate limit plain number", map[string]string{"SYNCGATE_RATE_LIMIT": "100"}, "SYNCGATE_RATE_LIMIT", "invalid rate limit"},
		{"cors star with others", map[string]string{"SYNCGATE_CORS_ORIGINS": "*,https://a.example.com"}, "SYNCGATE_CORS_ORIGINS", "* cannot be combined"},
		{"cors origin with path", map[string]string{"SYNCGATE_CORS_ORIGINS": "https://a.example.com/app"}, "SYNCGATE_CORS_ORIGINS", "invalid origin"},
		{"log format", map[string]string{"SYNCGATE_LOG_FORMAT": "xml"}, "SYNCGATE_LOG_FORMAT", "want json, text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ps := problems(t, minimal(tt.vars))
			if len(ps) != 1 || ps[0].Var != tt.wantVar || !strings.Contains(ps[0].Reason, tt.reason) {
				t.Errorf("problems %+v, want one for %s containing %q", ps, tt.wantVar, tt.reason)
			}
		})
	}
}

// veeamVars is a complete Veeam configuration with the given URL.
func veeamVars(url string) map[string]string {
	return map[string]string{
		"SYNCGATE_VEEAM_URL": url, "SYNCGATE_VEEAM_USERNAME": "svc", "SYNCGATE_VEEAM_PASSWORD": "pw",
	}
}

// graphVars is a complete client-secret Graph configuration with extra
// merged in.
func graphVars(extra map[string]string) map[string]string {
	vars := map[string]string{
		"SYNCGATE_GRAPH_TENANT_ID":     "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"SYNCGATE_GRAPH_CLIENT_ID":     "6731de76-14a6-49ae-97bc-6eba6914391e",
		"SYNCGATE_GRAPH_CLIENT_SECRET": "s3cret",
	}
	maps.Copy(vars, extra)
	return vars
}

func TestLoadAccepts(t *testing.T) {
	for _, tt := range []struct {
		name  string
		vars  map[string]string
		check func(t *testing.T, c *Config)
	}{
		{"jwks over http on loopback", map[string]string{"SYNCGATE_JWT_JWKS_URL": "http://127.0.0.1:9000/jwks.json"}, nil},
		{"jwks over http on localhost", map[string]string{"SYNCGATE_JWT_JWKS_URL": "http://localhost:9000/jwks.json"}, nil},
		{"jwks over http on ipv6 loopback", map[string]string{"SYNCGATE_JWT_JWKS_URL": "http://[::1]:9000/jwks.json"}, nil},
		{"hmac secret", map[string]string{"SYNCGATE_JWT_JWKS_URL": "", "SYNCGATE_JWT_HMAC_SECRET": strings.Repeat("k", 32)},
			func(t *testing.T, c *Config) {
				if !slices.Equal(c.JWT.Algorithms, []string{"HS256"}) {
					t.Errorf("algorithms %v, want [HS256]", c.JWT.Algorithms)
				}
			}},
		{"listen on any port", map[string]string{"SYNCGATE_LISTEN_ADDR": "localhost:0"}, nil},
		{"cors star", map[string]string{"SYNCGATE_CORS_ORIGINS": "*"}, nil},
		{"redis without password", map[string]string{"SYNCGATE_REDIS_URL": "redis://localhost:6379"}, nil},
		{"insecure veeam", map[string]string{"SYNCGATE_VEEAM_INSECURE_SKIP_VERIFY": "TRUE"},
			func(t *testing.T, c *Config) {
				if !c.Veeam.InsecureSkipVerify {
					t.Error("InsecureSkipVerify not set")
				}
			}},
		{"graph secret", graphVars(nil), func(t *testing.T, c *Config) {
			if c.Graph.Credential != CredentialSecret || !c.Graph.Enabled() {
				t.Errorf("credential %q, enabled %v", c.Graph.Credential, c.Graph.Enabled())
			}
		}},
		{"graph certificate", graphVars(map[string]string{"SYNCGATE_GRAPH_CLIENT_SECRET": "", "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE": "/dev/null"}),
			func(t *testing.T, c *Config) {
				if c.Graph.Credential != CredentialCertificate || !c.Graph.Enabled() {
					t.Errorf("credential %q, enabled %v", c.Graph.Credential, c.Graph.Enabled())
				}
			}},
		{"graph managed identity alone", map[string]string{"SYNCGATE_GRAPH_CREDENTIAL": "managed-identity"},
			func(t *testing.T, c *Config) {
				if !c.Graph.Enabled() || c.Graph.Missing() != nil {
					t.Errorf("enabled %v, missing %v", c.Graph.Enabled(), c.Graph.Missing())
				}
			}},
		{"graph workload identity with client id", map[string]string{"SYNCGATE_GRAPH_CREDENTIAL": "workload-identity", "SYNCGATE_GRAPH_CLIENT_ID": "6731de76-14a6-49ae-97bc-6eba6914391e"}, nil},
		{"graph explicit secret beside a certificate", graphVars(map[string]string{"SYNCGATE_GRAPH_CREDENTIAL": "secret", "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE": "/dev/null"}), nil},
		{"veeam complete", veeamVars("https://vb365.example.com"), func(t *testing.T, c *Config) {
			if !c.Veeam.Enabled() || c.Veeam.Missing() != nil {
				t.Errorf("enabled %v, missing %v", c.Veeam.Enabled(), c.Veeam.Missing())
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, minimal(tt.vars))
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestPartlyConfiguredBackends(t *testing.T) {
	for _, tt := range []struct {
		name string
		vars map[string]string
		want []Problem
	}{
		{"veeam url only", map[string]string{"SYNCGATE_VEEAM_URL": "https://vb365.example.com"}, []Problem{
			{"SYNCGATE_VEEAM_USERNAME", "required when SYNCGATE_VEEAM_URL is set"},
			{"SYNCGATE_VEEAM_PASSWORD", "required when SYNCGATE_VEEAM_URL is set"},
		}},
		{"veeam credentials without url", map[string]string{"SYNCGATE_VEEAM_USERNAME": "svc", "SYNCGATE_VEEAM_PASSWORD": "pw"}, []Problem{
			{"SYNCGATE_VEEAM_URL", "required when SYNCGATE_VEEAM_USERNAME and SYNCGATE_VEEAM_PASSWORD are set"},
		}},
		{"graph tenant and client only", map[string]string{
			"SYNCGATE_GRAPH_TENANT_ID": "contoso.onmicrosoft.com", "SYNCGATE_GRAPH_CLIENT_ID": "6731de76-14a6-49ae-97bc-6eba6914391e",
		}, []Problem{
			{"SYNCGATE_GRAPH_CLIENT_SECRET", "required (or SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE, or SYNCGATE_GRAPH_CREDENTIAL managed-identity or workload-identity) when SYNCGATE_GRAPH_TENANT_ID and SYNCGATE_GRAPH_CLIENT_ID are set"},
		}},
		{"graph secret only", map[string]string{"SYNCGATE_GRAPH_CLIENT_SECRET": "s3cret"}, []Problem{
			{"SYNCGATE_GRAPH_TENANT_ID", "required when SYNCGATE_GRAPH_CLIENT_SECRET is set"},
			{"SYNCGATE_GRAPH_CLIENT_ID", "required when SYNCGATE_GRAPH_CLIENT_SECRET is set"},
		}},
		{"graph certificate credential without file", graphVars(map[string]string{"SYNCGATE_GRAPH_CREDENTIAL": "certificate"}), []Problem{
			{"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE", "required when SYNCGATE_GRAPH_TENANT_ID, SYNCGATE_GRAPH_CLIENT_ID, SYNCGATE_GRAPH_CREDENTIAL and SYNCGATE_GRAPH_CLIENT_SECRET are set"},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, problems(t, minimal(tt.vars))); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretFiles(t *testing.T) {
	secretVars := []string{
		"SYNCGATE_VEEAM_PASSWORD", "SYNCGATE_JWT_HMAC_SECRET", "SYNCGATE_GRAPH_CLIENT_SECRET",
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD", "SYNCGATE_REDIS_URL",
	}
	// complete makes the configuration valid apart from the secret under test.
	complete := func(name string, extra map[string]string) map[string]string {
		vars := minimal(nil)
		switch name {
		case "SYNCGATE_VEEAM_PASSWORD":
			vars["SYNCGATE_VEEAM_URL"] = "https://vb365.example.com"
			vars["SYNCGATE_VEEAM_USERNAME"] = "svc"
		case "SYNCGATE_JWT_HMAC_SECRET":
			delete(vars, "SYNCGATE_JWT_JWKS_URL")
		case "SYNCGATE_GRAPH_CLIENT_SECRET", "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD":
			maps.Copy(vars, graphVars(nil))
			delete(vars, "SYNCGATE_GRAPH_CLIENT_SECRET")
			if name == "SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD" {
				vars["SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE"] = "/dev/null"
			}
		}
		maps.Copy(vars, extra)
		return vars
	}
	secretOf := func(c *Config, name string) Secret {
		return map[string]Secret{
			"SYNCGATE_VEEAM_PASSWORD":                    c.Veeam.Password,
			"SYNCGATE_JWT_HMAC_SECRET":                   c.JWT.HMACSecret,
			"SYNCGATE_GRAPH_CLIENT_SECRET":               c.Graph.ClientSecret,
			"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD": c.Graph.ClientCertificatePassword,
			"SYNCGATE_REDIS_URL":                         c.RedisURL,
		}[name]
	}
	value := "redis://:p4ss-0123456789abcdef0123456789@redis.internal:6379/0"

	for _, name := range secretVars {
		t.Run(name, func(t *testing.T) {
			for _, tt := range []struct {
				name    string
				content string
				want    string
			}{
				{"one trailing newline trimmed", value + "\n", value},
				{"crlf trimmed", value + "\r\n", value},
				{"no newline", value, value},
				{"only one newline trimmed", value + "\n\n", value + "\n"},
			} {
				if tt.want != value && name == "SYNCGATE_REDIS_URL" {
					continue // a URL with a newline is not valid
				}
				path := writeFile(t, "secret", tt.content)
				c := mustLoad(t, complete(name, map[string]string{name + "_FILE": path}))
				if got := secretOf(c, name).Reveal(); got != tt.want {
					t.Errorf("%s: secret %q, want %q", tt.name, got, tt.want)
				}
			}

			path := writeFile(t, "secret", value)
			both := problems(t, complete(name, map[string]string{name: value, name + "_FILE": path}))
			if diff := cmp.Diff([]Problem{{name, "set together with " + name + "_FILE: set only one"}}, both); diff != "" {
				t.Errorf("both set (-want +got):\n%s", diff)
			}

			missing := filepath.Join(t.TempDir(), "missing")
			unreadable := problems(t, complete(name, map[string]string{name + "_FILE": missing}))
			if len(unreadable) != 1 || unreadable[0].Var != name+"_FILE" ||
				!strings.Contains(unreadable[0].Reason, "cannot read file") || !strings.Contains(unreadable[0].Reason, missing) {
				t.Errorf("unreadable file: problems %+v, want one for %s_FILE naming the path", unreadable, name)
			}

			empty := problems(t, complete(name, map[string]string{name + "_FILE": writeFile(t, "empty", "\n")}))
			if len(empty) != 1 || empty[0].Var != name+"_FILE" || !strings.Contains(empty[0].Reason, "is empty") {
				t.Errorf("empty file: problems %+v, want one for %s_FILE", empty, name)
			}
		})
	}
}

func TestWithReadFile(t *testing.T) {
	files := map[string]string{"/secrets/veeam": "from-fake-fs\n", "/certs/ca.pem": "ca"}
	readFile := func(name string) ([]byte, error) {
		s, ok := files[name]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return []byte(s), nil
	}
	vars := minimal(map[string]string{
		"SYNCGATE_VEEAM_URL": "https://vb365.example.com", "SYNCGATE_VEEAM_USERNAME": "svc",
		"SYNCGATE_VEEAM_PASSWORD_FILE": "/secrets/veeam", "SYNCGATE_VEEAM_CA_FILE": "/certs/ca.pem",
	})
	c, err := Load(env(vars), WithReadFile(readFile))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Veeam.Password.Reveal() != "from-fake-fs" {
		t.Errorf("password %q, want from-fake-fs", c.Veeam.Password.Reveal())
	}
	vars["SYNCGATE_GRAPH_CA_FILE"] = "/certs/missing.pem"
	_, err = Load(env(vars), WithReadFile(readFile))
	if err == nil || !strings.Contains(err.Error(), "SYNCGATE_GRAPH_CA_FILE: cannot read file: open /certs/missing.pem") {
		t.Errorf("Load error %v, want the unreadable CA file named", err)
	}
}

// secretValues are the secrets in secretConfig; no printed form of the
// configuration may contain any of them.
func secretValues() []string {
	return []string{"veeam-pw-7f3a", "graph-secret-91c2", "pfx-pw-55d0", "r3dis-pw-0b1e", "hmac-secret-4d2f-0123456789abcdef012345"}
}

func secretConfig(t *testing.T) *Config {
	t.Helper()
	secretValues := secretValues()
	vars := map[string]string{
		"SYNCGATE_JWT_ISSUERS":                       "https://issuer.example.com",
		"SYNCGATE_JWT_AUDIENCES":                     "api://syncgate",
		"SYNCGATE_JWT_HMAC_SECRET":                   secretValues[4],
		"SYNCGATE_VEEAM_URL":                         "https://vb365.example.com:4443",
		"SYNCGATE_VEEAM_USERNAME":                    "svc-syncgate",
		"SYNCGATE_VEEAM_PASSWORD":                    secretValues[0],
		"SYNCGATE_GRAPH_TENANT_ID":                   "contoso.onmicrosoft.com",
		"SYNCGATE_GRAPH_CLIENT_ID":                   "6731de76-14a6-49ae-97bc-6eba6914391e",
		"SYNCGATE_GRAPH_CLIENT_SECRET":               secretValues[1],
		"SYNCGATE_GRAPH_CLIENT_CERTIFICATE_PASSWORD": secretValues[2],
		"SYNCGATE_REDIS_URL":                         "rediss://cache-user:" + secretValues[3] + "@redis.internal:6380/2",
	}
	return mustLoad(t, vars)
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	c := secretConfig(t)
	secretValues := secretValues()
	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("starting", "config", c)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("starting", "config", c)
	byPointer, _ := json.Marshal(c)
	byValue, _ := json.Marshal(*c)
	outputs := map[string]string{
		"%v":          fmt.Sprintf("%v", c),
		"%+v":         fmt.Sprintf("%+v", c),
		"%#v":         fmt.Sprintf("%#v", c),
		"%v value":    fmt.Sprintf("%v", *c),
		"%+v value":   fmt.Sprintf("%+v", *c),
		"%#v value":   fmt.Sprintf("%#v", *c),
		"json":        string(byPointer),
		"json value":  string(byValue),
		"slog json":   jsonLog.String(),
		"slog text":   textLog.String(),
		"LogValue":    c.LogValue().String(),
		"Veeam %+v":   fmt.Sprintf("%+v", c.Veeam),
		"Graph %#v":   fmt.Sprintf("%#v", c.Graph),
		"JWT json":    func() string { b, _ := json.Marshal(c.JWT); return string(b) }(),
		"Problems %v": fmt.Sprint(problems(t, map[string]string{"SYNCGATE_REDIS_URL": "http://u:" + secretValues[3] + "@x", "SYNCGATE_JWT_HMAC_SECRET": "short-" + secretValues[1]})),
	}
	for how, out := range outputs {
		for _, s := range secretValues {
			if strings.Contains(out, s) {
				t.Errorf("%s shows secret %q:\n%s", how, s, out)
			}
		}
		if how != "Problems %v" && !strings.Contains(out, "******") {
			t.Errorf("%s shows no masked secret:\n%s", how, out)
		}
	}
}

func TestLogValue(t *testing.T) {
	c := secretConfig(t)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	var line struct {
		Config struct {
			ListenAddr string `json:"listen_addr"`
			RedisURL   string `json:"redis_url"`
			JWT        struct {
				HMACSecret string        `json:"hmac_secret"`
				Algorithms []string      `json:"algorithms"`
				Leeway     time.Duration `json:"leeway"`
			} `json:"jwt"`
			Veeam struct {
				Enabled  bool   `json:"enabled"`
				URL      string `json:"url"`
				Password string `json:"password"`
			} `json:"veeam"`
			Graph struct {
				Credential   string `json:"credential"`
				ClientSecret string `json:"client_secret"`
				CertPassword string `json:"client_certificate_password"`
				GraphHost    string `json:"graph_host"`
				TokenScope   string `json:"token_scope"`
			} `json:"graph"`
			StartCooldown time.Duration `json:"start_cooldown"`
		} `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %s: %v", buf.String(), err)
	}
	got := line.Config
	for _, tt := range []struct{ field, got, want string }{
		{"listen_addr", got.ListenAddr, ":8080"},
		{"redis_url", got.RedisURL, "rediss://cache-user:******@redis.internal:6380/2"},
		{"jwt.hmac_secret", got.JWT.HMACSecret, "******"},
		{"jwt.algorithms", strings.Join(got.JWT.Algorithms, ","), "HS256"},
		{"veeam.url", got.Veeam.URL, "https://vb365.example.com:4443"},
		{"veeam.password", got.Veeam.Password, "******"},
		{"graph.credential", got.Graph.Credential, "secret"},
		{"graph.client_secret", got.Graph.ClientSecret, "******"},
		{"graph.client_certificate_password", got.Graph.CertPassword, "******"},
		{"graph.graph_host", got.Graph.GraphHost, "https://graph.microsoft.com"},
		{"graph.token_scope", got.Graph.TokenScope, "https://graph.microsoft.com/.default"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.field, tt.got, tt.want)
		}
	}
	// Durations are slog durations, which serve's JSON log writes in
	// seconds like every other line's (cmd/syncgate's TestServeMetricsAddr).
	if got.JWT.Leeway != time.Minute || got.StartCooldown != time.Minute {
		t.Errorf("jwt.leeway %v, start_cooldown %v; want 1m as slog durations", got.JWT.Leeway, got.StartCooldown)
	}
	if !got.Veeam.Enabled {
		t.Error("veeam.enabled = false")
	}
}

func TestGraphCloudHosts(t *testing.T) {
	for _, tt := range []struct {
		name          string
		vars          map[string]string
		authority     string
		graph         string
		scope         string
		authorityOver bool
	}{
		{"global by default", nil, "https://login.microsoftonline.com", "https://graph.microsoft.com", "https://graph.microsoft.com/.default", false},
		{"usgov", map[string]string{"SYNCGATE_GRAPH_CLOUD": "usgov"}, "https://login.microsoftonline.us", "https://graph.microsoft.us", "https://graph.microsoft.us/.default", false},
		{"usgovdod", map[string]string{"SYNCGATE_GRAPH_CLOUD": "usgovdod"}, "https://login.microsoftonline.us", "https://dod-graph.microsoft.us", "https://dod-graph.microsoft.us/.default", false},
		{"china", map[string]string{"SYNCGATE_GRAPH_CLOUD": "china"}, "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/.default", false},
		{"base url keeps the cloud's scope", map[string]string{"SYNCGATE_GRAPH_BASE_URL": "https://127.0.0.1:8443/"},
			"https://login.microsoftonline.com", "https://127.0.0.1:8443", "https://graph.microsoft.com/.default", false},
		{"china with a proxy", map[string]string{"SYNCGATE_GRAPH_CLOUD": "china", "SYNCGATE_GRAPH_BASE_URL": "https://graph-proxy.example.com"},
			"https://login.chinacloudapi.cn", "https://graph-proxy.example.com", "https://microsoftgraph.chinacloudapi.cn/.default", false},
		{"authority override", map[string]string{"SYNCGATE_GRAPH_AUTHORITY_URL": "http://localhost:9444"},
			"http://localhost:9444", "https://graph.microsoft.com", "https://graph.microsoft.com/.default", true},
		{"scope override", map[string]string{"SYNCGATE_GRAPH_CLOUD": "usgov", "SYNCGATE_GRAPH_SCOPE": "api://graph-proxy/.default"},
			"https://login.microsoftonline.us", "https://graph.microsoft.us", "api://graph-proxy/.default", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := mustLoad(t, minimal(graphVars(tt.vars))).Graph
			if got := g.AuthorityHost(); got != tt.authority {
				t.Errorf("AuthorityHost() = %q, want %q", got, tt.authority)
			}
			if got := g.GraphHost(); got != tt.graph {
				t.Errorf("GraphHost() = %q, want %q", got, tt.graph)
			}
			if got := g.TokenScope(); got != tt.scope {
				t.Errorf("TokenScope() = %q, want %q", got, tt.scope)
			}
			if got := g.AuthorityURL != ""; got != tt.authorityOver {
				t.Errorf("authority overridden = %v, want %v", got, tt.authorityOver)
			}
		})
	}
}

func TestParseRateLimit(t *testing.T) {
	for _, tt := range []struct {
		in      string
		n       int
		per     time.Duration
		wantErr bool
	}{
		{in: "5/s", n: 5, per: time.Second},
		{in: "100/m", n: 100, per: time.Minute},
		{in: "3600/h", n: 3600, per: time.Hour},
		{in: "100", wantErr: true},
		{in: "0/m", wantErr: true},
		{in: "-1/m", wantErr: true},
		{in: "x/m", wantErr: true},
		{in: "10/d", wantErr: true},
		{in: "10/min", wantErr: true},
	} {
		n, per, err := ParseRateLimit(tt.in)
		if (err != nil) != tt.wantErr || n != tt.n || per != tt.per {
			t.Errorf("ParseRateLimit(%q) = %d, %v, %v; want %d, %v, error %v", tt.in, n, per, err, tt.n, tt.per, tt.wantErr)
		}
	}
}
