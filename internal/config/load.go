package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/syncgate/syncgate/internal/ids"
)

// Option changes how Load reads its input.
type Option func(*loader)

// WithReadFile makes Load read files (secrets' _FILE variants, and the
// configured certificate, key and CA files it checks are readable) with
// readFile instead of os.ReadFile.
func WithReadFile(readFile func(name string) ([]byte, error)) Option {
	return func(l *loader) { l.readFile = readFile }
}

// Load builds the configuration from the SYNCGATE_* variables that getenv
// returns, and OpenTelemetry's OTEL_* trace export variables (it reads
// nothing else from the environment), applies the defaults
// Vars lists and validates everything. On any bad setting it returns a
// *Error naming every bad variable with the reason.
func Load(getenv func(string) string, opts ...Option) (*Config, error) {
	l := &loader{getenv: getenv, readFile: os.ReadFile, defaults: map[string]string{}}
	for _, opt := range opts {
		opt(l)
	}
	for _, v := range Vars() {
		l.defaults[v.Name] = v.Default
	}
	c := &Config{
		ListenAddr:        l.listenAddr(envListenAddr),
		TLSCertFile:       l.file(envTLSCertFile),
		TLSKeyFile:        l.file(envTLSKeyFile),
		ShutdownGrace:     l.duration(envShutdownGrace, false),
		ReadHeaderTimeout: l.duration(envReadHeaderTimeout, true),
		ReadTimeout:       l.duration(envReadTimeout, true),
		WriteTimeout:      l.duration(envWriteTimeout, true),
		IdleTimeout:       l.duration(envIdleTimeout, true),
	}
	l.together(envTLSCertFile, envTLSKeyFile)
	l.together(envTLSKeyFile, envTLSCertFile)
	c.JWT = l.jwt()
	c.Scopes = Scopes{
		OrganizationsRead: l.str(envScopeOrganizationsRead),
		OrganizationsSync: l.str(envScopeOrganizationsSync),
		SyncJobsRead:      l.str(envScopeSyncJobsRead),
		SyncJobsStart:     l.str(envScopeSyncJobsStart),
		SyncJobsManage:    l.str(envScopeSyncJobsManage),
	}
	c.Veeam = l.veeam()
	c.Graph = l.graph()
	c.StartCooldown = l.duration(envStartCooldown, true)
	c.RetryAfterBudget = l.duration(envRetryAfterBudget, true)
	c.BreakerFailures = l.integer(envBreakerFailures, 0, 1000)
	c.BreakerOpen = l.duration(envBreakerOpen, false)
	c.RedisURL, _ = l.secret(envRedisURL)
	l.redisURL(c.RedisURL)
	c.RateLimit = l.str(envRateLimit)
	if c.RateLimit != "" {
		if _, _, err := ParseRateLimit(c.RateLimit); err != nil {
			l.problem(envRateLimit, "invalid rate limit %q: want N/s, N/m or N/h with N above 0", c.RateLimit)
		}
	}
	c.IdempotencyTTL = l.duration(envIdempotencyTTL, false)
	c.CORSOrigins = l.corsOrigins(envCORSOrigins)
	c.LogLevel = l.oneOf(envLogLevel, "debug", "info", "warn", "error")
	c.LogFormat = l.oneOf(envLogFormat, "json", "text")
	l.serverLimits(c)
	if l.isSet(envMetricsAddr) {
		c.MetricsAddr = l.listenAddr(envMetricsAddr)
		if c.MetricsAddr == c.ListenAddr {
			l.problem(envMetricsAddr, "must differ from %s (%s)", envListenAddr, c.ListenAddr)
		}
	}
	c.AuditFile = l.str(envAuditFile)
	c.Tracing = l.tracing()
	if len(l.problems) > 0 {
		return nil, &Error{Problems: l.problems}
	}
	return c, nil
}

// loader reads variables and collects every problem it meets.
type loader struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	defaults map[string]string
	problems []Problem
}

func (l *loader) problem(name, format string, args ...any) {
	l.problems = append(l.problems, Problem{Var: name, Reason: fmt.Sprintf(format, args...)})
}

// isSet reports whether the variable has a non-blank value.
func (l *loader) isSet(name string) bool { return strings.TrimSpace(l.getenv(name)) != "" }

// str returns the variable's value with surrounding spaces trimmed, or its
// default when it is blank.
func (l *loader) str(name string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	return l.defaults[name]
}

// list returns the variable's comma-separated items, trimmed, empties
// dropped.
func (l *loader) list(name string) []string {
	var items []string
	for item := range strings.SplitSeq(l.str(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// duration parses a Go duration; negative is always an error, and zero is
// one unless zeroOK.
func (l *loader) duration(name string, zeroOK bool) time.Duration {
	s := l.str(name)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		l.problem(name, "invalid duration %q (use Go's syntax, such as 30s or 1m30s)", s)
	case d < 0:
		l.problem(name, "must not be negative")
	case d == 0 && !zeroOK:
		l.problem(name, "must be greater than 0")
	}
	return d
}

// integer parses a whole number between lo and hi.
func (l *loader) integer(name string, lo, hi int) int {
	s := l.str(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		l.problem(name, "invalid number %q (want a whole number from %d to %d)", s, lo, hi)
		return 0
	}
	return n
}

func (l *loader) boolean(name string) bool {
	s := l.str(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		l.problem(name, "invalid boolean %q (use true or false)", s)
	}
	return b
}

// oneOf returns the choice the variable names, matched case-insensitively,
// spelled as the choice is; "" when unset and without default.
func (l *loader) oneOf(name string, choices ...string) string {
	s := l.str(name)
	if s == "" {
		return ""
	}
	for _, c := range choices {
		if strings.EqualFold(s, c) {
			return c
		}
	}
	l.problem(name, "invalid value %q (want %s)", s, strings.Join(choices, ", "))
	return s
}

// file returns the path the variable names and checks it can be read.
func (l *loader) file(name string) string {
	path := l.str(name)
	if path == "" {
		return ""
	}
	if _, err := l.readFile(path); err != nil {
		l.problem(name, "cannot read file: %v", err)
	}
	return path
}

// together requires other to be set when name is.
func (l *loader) together(name, other string) {
	if l.isSet(name) && !l.isSet(other) {
		l.problem(other, "required when %s is set", name)
	}
}

// secret returns the secret from the variable or from the file its _FILE
// variant names (one trailing newline trimmed), and whether either is set.
// Problems never quote the secret.
func (l *loader) secret(name string) (Secret, bool) {
	fileVar := name + fileSuffix
	value := l.getenv(name)
	path := strings.TrimSpace(l.getenv(fileVar))
	if path == "" {
		return Secret(value), value != ""
	}
	if value != "" {
		l.problem(name, "set together with %s: set only one", fileVar)
		return "", true
	}
	b, err := l.readFile(path)
	if err != nil {
		l.problem(fileVar, "cannot read file: %v", err)
		return "", true
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\r\n"); ok {
		s = t
	} else {
		s = strings.TrimSuffix(s, "\n")
	}
	if s == "" {
		l.problem(fileVar, "file %s is empty", path)
	}
	return Secret(s), true
}

func (l *loader) listenAddr(name string) string {
	addr := l.str(name)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		l.problem(name, "invalid address %q (want host:port or :port)", addr)
		return addr
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		l.problem(name, "invalid port %q (want 0 to 65535)", port)
	}
	return addr
}

// parseURL parses an absolute http(s) URL, allowing http only for loopback
// hosts unless httpsOnly. The reason it returns never quotes the URL.
func parseURL(s string, httpsOnly bool) (*url.URL, string) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, "not an absolute URL"
	}
	switch u.Scheme {
	case "https":
	case "http":
		if httpsOnly {
			return nil, "scheme must be https"
		}
		if !isLoopback(u.Hostname()) {
			return nil, "scheme must be https (http only for a loopback host)"
		}
	default:
		return nil, "scheme must be https"
	}
	if port := u.Port(); port != "" {
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return nil, "invalid port"
		}
	}
	if u.User != nil {
		return nil, "must not carry user information"
	}
	if u.Fragment != "" {
		return nil, "must not have a fragment"
	}
	return u, ""
}

// hostURL validates a URL that is scheme and host (and port) only, and
// returns it without a trailing slash.
func (l *loader) hostURL(name, s string, httpsOnly bool) string {
	u, reason := parseURL(s, httpsOnly)
	switch {
	case reason != "":
	case u.Path != "" && u.Path != "/":
		reason = "must be scheme and host only, without a path"
	case u.RawQuery != "" || u.ForceQuery:
		reason = "must not have a query"
	}
	if reason != "" {
		l.problem(name, "invalid URL %q: %s", displayURL(s), reason)
		return s
	}
	return u.Scheme + "://" + u.Host
}

// displayURL is a URL as a problem may quote it: a password in it is masked.
func displayURL(s string) string {
	if strings.Contains(s, "@") {
		return redactURL(Secret(s))
	}
	return s
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isHMACAlgorithm reports whether a (canonical) algorithm is an HMAC one.
func isHMACAlgorithm(a string) bool { return strings.HasPrefix(a, "HS") }

// canonicalAlgorithm matches a, case-insensitively, against the JWT
// signature algorithms syncgate can verify, and returns its standard
// spelling.
func canonicalAlgorithm(a string) (string, bool) {
	for _, known := range []string{
		"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512", "EdDSA",
	} {
		if strings.EqualFold(a, known) {
			return known, true
		}
	}
	return "", false
}

// minHMACSecret is the shortest HMAC key accepted: 256 bits (RFC 7518 §3.2).
const minHMACSecret = 32

func (l *loader) jwt() JWT {
	j := JWT{
		Issuers:       l.list(envJWTIssuers),
		Audiences:     l.list(envJWTAudiences),
		JWKSURL:       l.str(envJWTJWKSURL),
		Discovery:     l.boolean(envJWTDiscovery),
		PublicKeyFile: l.file(envJWTPublicKeyFile),
		Leeway:        l.duration(envJWTLeeway, true),
		MaxLifetime:   l.duration(envJWTMaxLifetime, true),
	}
	hmacSet := false
	j.HMACSecret, hmacSet = l.secret(envJWTHMACSecret)
	if len(j.Issuers) == 0 {
		l.problem(envJWTIssuers, "required")
	}
	if len(j.Audiences) == 0 {
		l.problem(envJWTAudiences, "required")
	}

	var sources []string
	if j.JWKSURL != "" {
		sources = append(sources, envJWTJWKSURL)
		if _, reason := parseURL(j.JWKSURL, false); reason != "" {
			l.problem(envJWTJWKSURL, "invalid URL %q: %s", displayURL(j.JWKSURL), reason)
		}
	}
	if j.Discovery {
		sources = append(sources, envJWTDiscovery)
		for _, iss := range j.Issuers {
			if _, reason := parseURL(iss, false); reason != "" {
				l.problem(envJWTIssuers, "issuer %q cannot be discovered: %s", iss, reason)
			}
		}
	}
	if j.PublicKeyFile != "" {
		sources = append(sources, envJWTPublicKeyFile)
	}
	if hmacSet {
		sources = append(sources, envJWTHMACSecret)
		if j.HMACSecret != "" && len(j.HMACSecret) < minHMACSecret {
			l.problem(envJWTHMACSecret, "too short: at least %d bytes", minHMACSecret)
		}
	}
	switch len(sources) {
	case 0:
		l.problem(envJWTJWKSURL, "a signing key source is required: set %s, %s=true, %s or %s",
			envJWTJWKSURL, envJWTDiscovery, envJWTPublicKeyFile, envJWTHMACSecret)
	case 1:
	default:
		for _, s := range sources[1:] {
			l.problem(s, "cannot be combined with %s: set exactly one signing key source", sources[0])
		}
	}

	j.Algorithms = l.algorithms(hmacSet, len(sources) == 1)
	j.CacheSize = l.integer(envJWTCacheSize, 0, 10_000_000)
	j.CacheMaxAge = l.duration(envJWTCacheMaxAge, true)
	return j
}

// algorithms returns the allowed signature algorithms, checked against the
// kind of key: HMAC algorithms only with an HMAC secret, and only those with
// it (algorithm confusion is then impossible).
func (l *loader) algorithms(hmac, oneSource bool) []string {
	names := l.list(envJWTAlgorithms)
	if len(names) == 0 {
		if hmac {
			return []string{"HS256"}
		}
		// Unset: every asymmetric algorithm that fits the keys, which only
		// the verifier knows (a PEM file's RSA key takes RS* and PS*, a JWKS
		// any family); nil says so.
		return nil
	}
	algs := make([]string, 0, len(names))
	for _, n := range names {
		a, ok := canonicalAlgorithm(n)
		switch {
		case strings.EqualFold(n, "none"):
			l.problem(envJWTAlgorithms, "algorithm none is never accepted")
			continue
		case !ok:
			l.problem(envJWTAlgorithms, "unknown algorithm %q", n)
			continue
		case oneSource && hmac && !isHMACAlgorithm(a):
			l.problem(envJWTAlgorithms, "%s cannot be used with %s (HMAC keys take HS256, HS384 or HS512)", a, envJWTHMACSecret)
		case oneSource && !hmac && isHMACAlgorithm(a):
			l.problem(envJWTAlgorithms, "%s needs %s, which is never combined with asymmetric keys", a, envJWTHMACSecret)
		}
		algs = append(algs, a)
	}
	return algs
}

// isAPIVersion reports whether s matches ^v[0-9]+$.
func isAPIVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (l *loader) veeam() Veeam {
	v := Veeam{
		URL:                l.str(envVeeamURL),
		APIVersion:         l.str(envVeeamAPIVersion),
		Username:           l.str(envVeeamUsername),
		CAFile:             l.file(envVeeamCAFile),
		InsecureSkipVerify: l.boolean(envVeeamInsecureSkipVerify),
		Timeout:            l.duration(envVeeamTimeout, false),
	}
	passwordSet := false
	v.Password, passwordSet = l.secret(envVeeamPassword)
	if v.URL != "" {
		v.URL = l.hostURL(envVeeamURL, v.URL, true)
	}
	if !isAPIVersion(v.APIVersion) {
		l.problem(envVeeamAPIVersion, "invalid API version %q (want v followed by digits, such as v8)", v.APIVersion)
	}
	if v.InsecureSkipVerify && v.CAFile != "" {
		l.problem(envVeeamInsecureSkipVerify, "cannot be combined with %s", envVeeamCAFile)
	}

	var set []string
	for _, name := range []string{envVeeamURL, envVeeamUsername} {
		if l.isSet(name) {
			set = append(set, name)
		}
	}
	if passwordSet {
		set = append(set, envVeeamPassword)
	}
	if len(set) > 0 {
		for _, m := range v.Missing() {
			if m == envVeeamPassword && passwordSet {
				continue // already reported: unreadable or empty file
			}
			l.problem(m, "required when %s", areSet(set))
		}
	}
	return v
}

// areSet says that the named variables are set: "A is set", "A and B are
// set", "A, B and C are set".
func areSet(names []string) string {
	if len(names) == 1 {
		return names[0] + " is set"
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] + " are set"
}

// isDomainName reports whether s is a DNS name with at least two labels.
func isDomainName(s string) bool {
	labels := strings.Split(s, ".")
	if len(s) > 253 || len(labels) < 2 {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func (l *loader) graph() Graph {
	g := Graph{
		TenantID:              l.str(envGraphTenantID),
		ClientID:              l.str(envGraphClientID),
		ClientCertificateFile: l.file(envGraphClientCertificateFile),
		Credential: l.oneOf(envGraphCredential,
			CredentialSecret, CredentialCertificate, CredentialManagedIdentity, CredentialWorkloadIdentity),
		Cloud:      l.oneOf(envGraphCloud, "global", "usgov", "usgovdod", "china"),
		APIVersion: l.oneOf(envGraphAPIVersion, "beta", "v1.0"),
		JobPath:    l.oneOf(envGraphJobPath, "applications", "servicePrincipals"),
		Scope:      l.str(envGraphScope),
		CAFile:     l.file(envGraphCAFile),
		Timeout:    l.duration(envGraphTimeout, false),
	}
	secretSet, certPasswordSet := false, false
	g.ClientSecret, secretSet = l.secret(envGraphClientSecret)
	g.ClientCertificatePassword, certPasswordSet = l.secret(envGraphClientCertificatePassword)
	if g.AuthorityURL = l.str(envGraphAuthorityURL); g.AuthorityURL != "" {
		g.AuthorityURL = l.hostURL(envGraphAuthorityURL, g.AuthorityURL, false)
	}
	if g.BaseURL = l.str(envGraphBaseURL); g.BaseURL != "" {
		g.BaseURL = l.hostURL(envGraphBaseURL, g.BaseURL, false)
	}
	if g.TenantID != "" && !ids.IsGUID(g.TenantID) && !isDomainName(g.TenantID) {
		l.problem(envGraphTenantID, "invalid tenant %q (want a GUID or a domain name)", g.TenantID)
	}
	if g.ClientID != "" && !ids.IsGUID(g.ClientID) {
		l.problem(envGraphClientID, "invalid client id %q (want a GUID)", g.ClientID)
	}
	if g.Scope != "" && !strings.HasSuffix(g.Scope, "/.default") {
		l.problem(envGraphScope, "invalid scope %q (want a resource's /.default scope, such as https://graph.microsoft.com/.default)", g.Scope)
	}

	if g.Credential == "" {
		switch {
		case secretSet && g.ClientCertificateFile != "":
			l.problem(envGraphCredential, "required when both %s and %s are set (secret or certificate)",
				envGraphClientSecret, envGraphClientCertificateFile)
		case secretSet:
			g.Credential = CredentialSecret
		case g.ClientCertificateFile != "":
			g.Credential = CredentialCertificate
		}
	}

	var set []string
	for _, name := range []string{envGraphTenantID, envGraphClientID, envGraphClientCertificateFile, envGraphCredential} {
		if l.isSet(name) {
			set = append(set, name)
		}
	}
	if secretSet {
		set = append(set, envGraphClientSecret)
	}
	if certPasswordSet {
		set = append(set, envGraphClientCertificatePassword)
	}
	if len(set) > 0 {
		for _, m := range g.Missing() {
			switch {
			case m == envGraphClientSecret && secretSet:
				continue // already reported: unreadable or empty file
			case m == envGraphClientSecret && g.Credential == "":
				l.problem(m, "required (or %s, or %s managed-identity or workload-identity) when %s",
					envGraphClientCertificateFile, envGraphCredential, areSet(set))
			default:
				l.problem(m, "required when %s", areSet(set))
			}
		}
	}
	return g
}

// redisURL checks a redis:// or rediss:// URL; reasons never quote it (it may
// carry a password).
func (l *loader) redisURL(s Secret) {
	if s == "" {
		return
	}
	u, err := url.Parse(s.Reveal())
	var reason string
	switch {
	case err != nil || u.Host == "":
		reason = "not an absolute URL"
	case u.Scheme != "redis" && u.Scheme != "rediss":
		reason = "scheme must be redis or rediss"
	case u.Hostname() == "":
		reason = "host is missing"
	case u.Path != "" && u.Path != "/" && !isDigits(strings.TrimPrefix(u.Path, "/")):
		reason = "path must be a database number, such as /0"
	}
	if reason != "" {
		l.problem(envRedisURL, "invalid URL: %s", reason)
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// corsOrigins returns the allowed origins: "*" alone, or scheme://host[:port]
// origins.
func (l *loader) corsOrigins(name string) []string {
	origins := l.list(name)
	for _, o := range origins {
		if o == "*" {
			if len(origins) > 1 {
				l.problem(name, "* cannot be combined with other origins")
			}
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			l.problem(name, "invalid origin %q (want scheme://host[:port], such as https://portal.example.com)", o)
		}
	}
	return origins
}

// tracing reads OpenTelemetry's OTLP trace export variables: off unless an
// endpoint is set, and off with OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none.
func (l *loader) tracing() Tracing {
	t := Tracing{Protocol: l.oneOf(envOTLPProtocol, "http/protobuf", "grpc")}
	if l.isSet(envOTLPTracesProtocol) {
		t.Protocol = l.oneOf(envOTLPTracesProtocol, "http/protobuf", "grpc")
	}
	exporter := l.oneOf(envOTelTracesExporter, "otlp", "none")
	if l.boolean(envOTelSDKDisabled) || exporter == "none" {
		return t
	}
	name, endpoint := envOTLPTracesEndpoint, l.str(envOTLPTracesEndpoint)
	if endpoint == "" {
		name, endpoint = envOTLPEndpoint, l.str(envOTLPEndpoint)
		if endpoint != "" && t.Protocol == "http/protobuf" {
			endpoint = strings.TrimSuffix(endpoint, "/") + "/v1/traces"
		}
	}
	if endpoint == "" {
		return t
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.problem(name, "not an http or https URL")
		return t
	}
	t.Endpoint = endpoint
	return t
}
