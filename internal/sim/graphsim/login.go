package graphsim

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // x5t is a SHA-1 thumbprint by definition (RFC 7515 §4.1.7)
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/syncgate/syncgate/internal/sim"
)

// Route patterns of the login host, the keys of Login.Faults.
const (
	LoginRouteOpenIDConfiguration = "GET /{tenant}/v2.0/.well-known/openid-configuration"
	LoginRouteKeys                = "GET /{tenant}/discovery/v2.0/keys"
	// LoginRouteToken has no method so that a GET is answered the way Entra
	// does (AADSTS900561) rather than by the mux.
	LoginRouteToken = "/{tenant}/oauth2/v2.0/token"
)

// Grant types and assertion types of the token endpoint.
const (
	grantClientCredentials = "client_credentials"
	assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// Defaults of LoginOptions.
const (
	DefaultTokenLifetime = 3599 * time.Second
	DefaultGraphScope    = "https://graph.microsoft.com/.default"
)

// assertionLeeway is the clock skew Entra tolerates on a client assertion.
const assertionLeeway = 5 * time.Minute

// LoginOptions configures the simulated login host.
type LoginOptions struct {
	Clock         sim.Clock     // nil: the system clock
	Tenant        string        // the one tenant served (a GUID); "" is SeedTenantID
	Clients       []Client      // the registered applications that may get tokens
	AllowedScopes []string      // resource ".default" scopes granted; nil is DefaultGraphScope
	TokenLifetime time.Duration // 0 is DefaultTokenLifetime
	// BaseURL is the login host's own scheme and host, as written in the
	// OpenID configuration and expected as a client assertion's audience;
	// "" learns it from each request (TLS and Host).
	BaseURL string
	Tokens  *Tokens      // registry to issue into; nil makes one with Clock
	Logger  *slog.Logger // nil discards
}

// Client is an application registered in the tenant with a client secret,
// a certificate, or both.
type Client struct {
	ID          string
	Secret      string
	Certificate *x509.Certificate
	// Roles are the application permissions consented for the client; nil
	// is Application.Read.All and Synchronization.ReadWrite.All, an empty
	// non-nil slice is none.
	Roles []string
}

// Login is the simulated Entra ID login host: OpenID configuration and the
// client-credentials token endpoint. It is an http.Handler.
type Login struct {
	// Faults injects faults per route (LoginRoute* patterns). Set faults
	// through it; do not replace it.
	Faults *sim.Faults

	clock     sim.Clock
	tenant    string
	clients   map[string]Client
	scopes    []string
	lifetime  time.Duration
	baseURL   string
	tokens    *Tokens
	log       *slog.Logger
	mux       *sim.Mux
	tokenHits atomic.Int64
}

// NewLogin returns a login host for opts.
func NewLogin(opts LoginOptions) *Login {
	l := &Login{
		Faults:   &sim.Faults{},
		clock:    opts.Clock,
		tenant:   opts.Tenant,
		clients:  map[string]Client{},
		scopes:   append([]string(nil), opts.AllowedScopes...),
		lifetime: opts.TokenLifetime,
		baseURL:  strings.TrimSuffix(opts.BaseURL, "/"),
		tokens:   opts.Tokens,
		log:      opts.Logger,
	}
	if l.clock == nil {
		l.clock = sim.SystemClock{}
	}
	if l.tenant == "" {
		l.tenant = SeedTenantID
	}
	if len(l.scopes) == 0 {
		l.scopes = []string{DefaultGraphScope}
	}
	if l.lifetime <= 0 {
		l.lifetime = DefaultTokenLifetime
	}
	if l.tokens == nil {
		l.tokens = NewTokens(l.clock)
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range opts.Clients {
		if c.Roles == nil {
			c.Roles = defaultRoles()
		}
		l.clients[strings.ToLower(c.ID)] = c
	}
	l.mux = sim.NewMux(l.Faults, l.writeFault)
	l.mux.Handle(LoginRouteOpenIDConfiguration, l.openIDConfiguration)
	l.mux.Handle(LoginRouteKeys, l.keys)
	l.mux.Handle(LoginRouteToken, l.token)
	return l
}

// Tokens returns the registry the login host issues into, for Graph.
func (l *Login) Tokens() *Tokens { return l.tokens }

// TokenGrants returns how many tokens the token endpoint has issued.
func (l *Login) TokenGrants() int { return int(l.tokenHits.Load()) }

// ExpireTokens makes every token issued so far expired.
func (l *Login) ExpireTokens() { l.tokens.ExpireAll() }

// ServeHTTP serves the login host.
func (l *Login) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-ms-request-id", uuid.NewString())
	l.log.Debug("graphsim: login request", "method", r.Method, "path", r.URL.Path)
	l.mux.ServeHTTP(w, r)
}

// base is the login host's scheme and host.
func (l *Login) base(r *http.Request) string {
	if l.baseURL != "" {
		return l.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// tokenEndpoint is the token endpoint URL as published in the OpenID
// configuration: what a client assertion's aud must be.
func (l *Login) tokenEndpoint(r *http.Request) string {
	return l.base(r) + "/" + l.tenant + "/oauth2/v2.0/token"
}

// openIDConfiguration serves GET /{tenant}/v2.0/.well-known/openid-configuration.
func (l *Login) openIDConfiguration(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.PathValue("tenant"), l.tenant) {
		l.fail(w, r, unknownTenant("invalid_tenant", r.PathValue("tenant")))
		return
	}
	t := l.base(r) + "/" + l.tenant
	doc := openIDConfiguration{
		TokenEndpoint:                     t + "/oauth2/v2.0/token",
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		JWKSURI:                           t + "/discovery/v2.0/keys",
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
		ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
		Issuer:                            t + "/v2.0",
		RequestURIParameterSupported:      false,
		UserinfoEndpoint:                  "https://graph.microsoft.com/oidc/userinfo",
		AuthorizationEndpoint:             t + "/oauth2/v2.0/authorize",
		DeviceAuthorizationEndpoint:       t + "/oauth2/v2.0/devicecode",
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		EndSessionEndpoint:                t + "/oauth2/v2.0/logout",
		ClaimsSupported: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver",
			"at_hash", "c_hash", "email"},
		KerberosEndpoint:   t + "/kerberos",
		TenantRegionScope:  "EU",
		CloudInstanceName:  "microsoftonline.com",
		CloudGraphHostName: "graph.windows.net",
		MSGraphHost:        "graph.microsoft.com",
		RBACURL:            "https://pas.windows.net",
	}
	l.writeJSON(w, http.StatusOK, doc)
}

// openIDConfiguration is Entra's v2.0 OpenID configuration document.
type openIDConfiguration struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	DeviceAuthorizationEndpoint       string   `json:"device_authorization_endpoint"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	KerberosEndpoint                  string   `json:"kerberos_endpoint"`
	TenantRegionScope                 string   `json:"tenant_region_scope"`
	CloudInstanceName                 string   `json:"cloud_instance_name"`
	CloudGraphHostName                string   `json:"cloud_graph_host_name"`
	MSGraphHost                       string   `json:"msgraph_host"`
	RBACURL                           string   `json:"rbac_url"`
}

// keys serves GET /{tenant}/discovery/v2.0/keys. The simulator's access
// tokens are opaque, so there is no key to publish.
func (l *Login) keys(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.PathValue("tenant"), l.tenant) {
		l.fail(w, r, unknownTenant("invalid_tenant", r.PathValue("tenant")))
		return
	}
	l.writeJSON(w, http.StatusOK, map[string][]any{"keys": {}})
}

// tokenResponse is a successful token answer.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	ExtExpiresIn int64  `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
}

// token serves POST /{tenant}/oauth2/v2.0/token (client credentials only).
func (l *Login) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		l.fail(w, r, entraErr(http.StatusBadRequest, "invalid_request", 900561,
			"The endpoint only accepts POST, OPTIONS requests. Received a %s request.", r.Method))
		return
	}
	if !strings.EqualFold(r.PathValue("tenant"), l.tenant) {
		l.fail(w, r, unknownTenant("invalid_request", r.PathValue("tenant")))
		return
	}
	form, eerr := readForm(w, r)
	if eerr != nil {
		l.fail(w, r, eerr)
		return
	}
	grant, eerr := l.grant(r, form)
	if eerr != nil {
		l.fail(w, r, eerr)
		return
	}
	tok, err := l.tokens.Issue(grant)
	if err != nil {
		l.log.Error("graphsim: issue token", "err", err)
		l.fail(w, r, entraErr(http.StatusInternalServerError, "temporarily_unavailable", 90033,
			"A transient error has occurred. Please try again."))
		return
	}
	l.tokenHits.Add(1)
	l.log.Info("graphsim: token granted", "client_id", grant.ClientID, "audience", grant.Audience)
	secs := int64(l.lifetime / time.Second)
	l.writeJSON(w, http.StatusOK, tokenResponse{TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: tok})
}

// readForm reads the form-encoded body; a body of another type counts as
// empty, as it does for Entra.
func readForm(w http.ResponseWriter, r *http.Request) (map[string]string, *entraError) {
	form := map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return form, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return nil, entraErr(http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'grant_type'.")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return nil, entraErr(http.StatusBadRequest, "invalid_request", 90015,
				"Requested query string is invalid: parameter '%s' appears more than once.", k)
		}
		form[k] = v[0]
	}
	return form, nil
}

// grant checks a client-credentials request and returns what to issue.
func (l *Login) grant(r *http.Request, form map[string]string) (Grant, *entraError) {
	missing := func(p string) *entraError {
		return entraErr(http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: '%s'.", p)
	}
	gt := form["grant_type"]
	switch {
	case gt == "":
		return Grant{}, missing("grant_type")
	case gt != grantClientCredentials:
		return Grant{}, entraErr(http.StatusBadRequest, "unsupported_grant_type", 70003,
			"The app requested an unsupported grant type '%s'.", gt)
	}
	id := form["client_id"]
	if id == "" {
		return Grant{}, missing("client_id")
	}
	c, ok := l.clients[strings.ToLower(id)]
	if !ok {
		return Grant{}, entraErr(http.StatusBadRequest, "unauthorized_client", 700016,
			"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application "+
				"has not been installed by the administrator of the tenant or consented to by any user in the tenant. "+
				"You may have sent your authentication request to the wrong tenant.", id, l.tenant)
	}
	if form["scope"] == "" {
		return Grant{}, missing("scope")
	}
	if eerr := l.authenticate(r, c, form); eerr != nil {
		return Grant{}, eerr
	}
	resource, eerr := l.resource(form["scope"])
	if eerr != nil {
		return Grant{}, eerr
	}
	return Grant{
		ClientID:  c.ID,
		Tenant:    l.tenant,
		Audience:  resource,
		Roles:     c.Roles,
		ExpiresAt: l.clock.Now().Add(l.lifetime),
	}, nil
}

// authenticate checks the client's secret or signed assertion.
func (l *Login) authenticate(r *http.Request, c Client, form map[string]string) *entraError {
	secret, hasSecret := form["client_secret"]
	assertion, hasAssertion := form["client_assertion"]
	switch {
	case hasSecret && hasAssertion:
		return entraErr(http.StatusUnauthorized, "invalid_client", 50012,
			"Only one client credential may be presented: send either 'client_secret' or 'client_assertion'.")
	case hasSecret:
		if c.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
			return entraErr(http.StatusUnauthorized, "invalid_client", 7000215,
				"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "+
					"not the client secret ID, for a secret added to app '%s'.", c.ID)
		}
		return nil
	case hasAssertion:
		if at := form["client_assertion_type"]; at != assertionTypeJWTBearer {
			return entraErr(http.StatusBadRequest, "invalid_request", 90014,
				"The required field 'client_assertion_type' is missing from the credential or is not '%s'.", assertionTypeJWTBearer)
		}
		return l.verifyAssertion(c, assertion, l.tokenEndpoint(r))
	default:
		return entraErr(http.StatusUnauthorized, "invalid_client", 7000216,
			"'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.")
	}
}

// errKeyNotFound means the assertion's thumbprint names no registered certificate.
var errKeyNotFound = errors.New("key not found")

// verifyAssertion checks a client assertion: signed (PS256 or RS256) by the
// client's registered certificate named by its x5t#S256 or x5t header,
// aud the token endpoint, iss and sub the client id, within exp (and nbf).
func (l *Login) verifyAssertion(c Client, assertion, endpoint string) *entraError {
	now := l.clock.Now()
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodPS256.Alg(), jwt.SigningMethodRS256.Alg()}),
		jwt.WithoutClaimsValidation(), // checked below, each with Entra's own error
	)
	var thumb string
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
		var ok bool
		thumb, ok = thumbprintMatches(t.Header, c.Certificate)
		if !ok {
			return nil, errKeyNotFound
		}
		return c.Certificate.PublicKey, nil
	})
	invalidSig := func(reason string) *entraError {
		return entraErr(http.StatusUnauthorized, "invalid_client", 700027,
			"Client assertion contains an invalid signature. [Reason - %s, Thumbprint of key used by client: '%s']", reason, thumb)
	}
	switch {
	case err == nil:
	case errors.Is(err, errKeyNotFound):
		return invalidSig("The key was not found.")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return invalidSig("The provided signature value did not match the expected signature value.")
	default:
		return entraErr(http.StatusUnauthorized, "invalid_client", 50027, "JWT token is invalid or malformed.")
	}
	if now.After(c.Certificate.NotAfter) || now.Before(c.Certificate.NotBefore) {
		return invalidSig("The key used is expired.")
	}
	exp, errExp := claims.GetExpirationTime()
	nbf, errNbf := claims.GetNotBefore()
	if errExp != nil || errNbf != nil || exp == nil || !now.Before(exp.Add(assertionLeeway)) ||
		(nbf != nil && now.Add(assertionLeeway).Before(nbf.Time)) {
		return entraErr(http.StatusUnauthorized, "invalid_client", 700024,
			"Client assertion is not within its valid time range. Current time: %s.", now.UTC().Format(time.RFC3339))
	}
	aud, err := claims.GetAudience()
	if err != nil || !slices.Contains(aud, endpoint) {
		return entraErr(http.StatusUnauthorized, "invalid_client", 700023,
			"Client assertion audience claim does not match Realm issuer. Expected audience: '%s'.", endpoint)
	}
	iss, errIss := claims.GetIssuer()
	sub, errSub := claims.GetSubject()
	if errIss != nil || errSub != nil || !strings.EqualFold(iss, c.ID) || !strings.EqualFold(sub, c.ID) {
		return entraErr(http.StatusUnauthorized, "invalid_client", 700021,
			"Client assertion application identifier doesn't match 'client_id' parameter.")
	}
	return nil
}

// thumbprintMatches reports whether the JWT header names cert by its
// x5t#S256 or x5t thumbprint (every one present must match), and returns
// the thumbprint presented, in hex as Entra reports it.
func thumbprintMatches(header map[string]any, cert *x509.Certificate) (string, bool) {
	s256, hasS256 := header["x5t#S256"].(string)
	s1, hasS1 := header["x5t"].(string)
	presented := s256
	if !hasS256 {
		presented = s1
	}
	raw, _ := decodeB64(presented)
	hexThumb := strings.ToUpper(fmt.Sprintf("%x", raw))
	if cert == nil || (!hasS256 && !hasS1) {
		return hexThumb, false
	}
	if hasS256 {
		sum := sha256.Sum256(cert.Raw)
		if b, err := decodeB64(s256); err != nil || !bytes.Equal(b, sum[:]) {
			return hexThumb, false
		}
	}
	if hasS1 {
		sum := sha1.Sum(cert.Raw) //nolint:gosec // see import
		if b, err := decodeB64(s1); err != nil || !bytes.Equal(b, sum[:]) {
			return hexThumb, false
		}
	}
	return hexThumb, true
}

// decodeB64 decodes base64url (as RFC 7515 says) or standard base64 (as
// MSAL writes thumbprints), padded or not.
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return base64.RawURLEncoding.DecodeString(s)
}

// oidcScope reports whether s is one of the scopes MSAL always adds; Entra
// ignores them in the client-credentials grant.
func oidcScope(s string) bool {
	switch s {
	case "openid", "offline_access", "profile", "email":
		return true
	}
	return false
}

// resource checks the scope parameter and returns the resource it names.
func (l *Login) resource(scope string) (string, *entraError) {
	var rs []string
	for _, s := range strings.Fields(scope) {
		if !oidcScope(s) {
			rs = append(rs, s)
		}
	}
	switch {
	case len(rs) == 0:
		return "", entraErr(http.StatusBadRequest, "invalid_scope", 70011,
			"The provided value for the input parameter 'scope' is not valid. The scope '%s' is not valid.", scope)
	case len(rs) > 1:
		return "", entraErr(http.StatusBadRequest, "invalid_scope", 28000,
			"Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", scope)
	}
	s := rs[0]
	res, ok := strings.CutSuffix(s, "/.default")
	if !ok {
		return "", entraErr(http.StatusBadRequest, "invalid_scope", 1002012,
			"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default "+
				"suffixed to the resource identifier (application ID URI).", s)
	}
	for _, allowed := range l.scopes {
		if strings.EqualFold(allowed, s) {
			return res, nil
		}
	}
	return "", entraErr(http.StatusBadRequest, "invalid_resource", 500011,
		"The resource principal named %s was not found in the tenant named %s. This can happen if the application has not "+
			"been installed by the administrator of the tenant or consented to by any user in the tenant. You might have "+
			"sent your authentication request to the wrong tenant.", res, l.tenant)
}

// entraError is an Entra token-endpoint error before it is written.
type entraError struct {
	status int
	code   string // the OAuth error
	aadsts int
	desc   string
}

func entraErr(status int, code string, aadsts int, format string, args ...any) *entraError {
	return &entraError{status: status, code: code, aadsts: aadsts, desc: fmt.Sprintf(format, args...)}
}

// unknownTenant is Entra's answer for a tenant it does not know: code is
// invalid_tenant on the discovery documents, invalid_request on the token
// endpoint.
func unknownTenant(code, tenant string) *entraError {
	return entraErr(http.StatusBadRequest, code, 90002,
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. "+
			"Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)
}

// entraBody is Entra's error body.
type entraBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri,omitempty"`
}

// fail writes e in Entra's shape: the description carries the AADSTS code,
// trace and correlation ids, and timestamp, as Entra's does.
func (l *Login) fail(w http.ResponseWriter, r *http.Request, e *entraError) {
	l.log.Debug("graphsim: login error", "status", e.status, "error", e.code, "aadsts", e.aadsts)
	trace := w.Header().Get("x-ms-request-id")
	corr := r.Header.Get("client-request-id")
	if uuid.Validate(corr) != nil {
		corr = uuid.NewString()
	}
	ts := l.clock.Now().UTC().Format("2006-01-02 15:04:05Z")
	body := entraBody{
		Error:            e.code,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", e.aadsts, e.desc, trace, corr, ts),
		ErrorCodes:       []int{e.aadsts},
		Timestamp:        ts,
		TraceID:          trace,
		CorrelationID:    corr,
		ErrorURI:         l.base(r) + "/error?code=" + strconv.Itoa(e.aadsts),
	}
	if strings.EqualFold(r.Header.Get("return-client-request-id"), "true") {
		w.Header().Set("client-request-id", corr)
	}
	l.writeJSON(w, e.status, body)
}

// splitAADSTS splits "AADSTS<n>: text" into n and text.
func splitAADSTS(msg string) (int, string, bool) {
	rest, ok := strings.CutPrefix(msg, "AADSTS")
	if !ok {
		return 0, "", false
	}
	num, text, ok := strings.Cut(rest, ": ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, "", false
	}
	return n, text, true
}

// writeFault is the sim.ErrorWriter of the login host: injected faults and
// unmatched routes answer in Entra's error shape.
func (l *Login) writeFault(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	e := &entraError{status: status, code: code, aadsts: 90033, desc: "A transient error has occurred. Please try again."}
	if status < 500 && status != http.StatusTooManyRequests {
		e.aadsts, e.desc = 900561, fmt.Sprintf("The endpoint %s %s is not served.", r.Method, r.URL.Path)
	}
	if message != "" && message != http.StatusText(status) {
		e.desc = message
		if n, text, ok := splitAADSTS(message); ok {
			e.aadsts, e.desc = n, text
		}
	}
	if e.code == "" {
		switch {
		case status == http.StatusTooManyRequests || status >= 500:
			e.code = "temporarily_unavailable"
		case status == http.StatusUnauthorized:
			e.code = "invalid_client"
		default:
			e.code = "invalid_request"
		}
	}
	l.fail(w, r, e)
}

// writeJSON writes v with Entra's headers.
func (l *Login) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		l.log.Error("graphsim: encode login response", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":"server_error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Pragma", "no-cache")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
