package graphsim_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
)

// clientOptions points azidentity at the simulated login host, trusting
// the simulator CA, with instance discovery off (a non-default authority).
func (e *env) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: e.loginSrv.URL + "/"},
		Transport: e.client,
	}
}

func TestAzidentityGetsTokens(t *testing.T) {
	tests := []struct {
		name    string
		cred    func(t *testing.T, e *env) azcore.TokenCredential
		wantErr string // substring of the error; "" for success
	}{
		{
			name: "client secret",
			cred: func(t *testing.T, e *env) azcore.TokenCredential {
				c, err := azidentity.NewClientSecretCredential(graphsim.SeedTenantID, graphsim.SeedClientID, testSecret,
					&azidentity.ClientSecretCredentialOptions{ClientOptions: e.clientOptions(), DisableInstanceDiscovery: true})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
		},
		{
			name: "client certificate",
			cred: func(t *testing.T, e *env) azcore.TokenCredential {
				certs, key, err := azidentity.ParseCertificates(e.certPEM, nil)
				if err != nil {
					t.Fatal(err)
				}
				c, err := azidentity.NewClientCertificateCredential(graphsim.SeedTenantID, graphsim.SeedClientID, certs, key,
					&azidentity.ClientCertificateCredentialOptions{ClientOptions: e.clientOptions(), DisableInstanceDiscovery: true})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
		},
		{
			name: "client certificate with the chain sent (x5c)",
			cred: func(t *testing.T, e *env) azcore.TokenCredential {
				certs, key, err := azidentity.ParseCertificates(e.certPEM, nil)
				if err != nil {
					t.Fatal(err)
				}
				c, err := azidentity.NewClientCertificateCredential(graphsim.SeedTenantID, graphsim.SeedClientID, certs, key,
					&azidentity.ClientCertificateCredentialOptions{ClientOptions: e.clientOptions(), DisableInstanceDiscovery: true,
						SendCertificateChain: true})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
		},
		{
			name: "wrong secret",
			cred: func(t *testing.T, e *env) azcore.TokenCredential {
				c, err := azidentity.NewClientSecretCredential(graphsim.SeedTenantID, graphsim.SeedClientID, "not-the-secret",
					&azidentity.ClientSecretCredentialOptions{ClientOptions: e.clientOptions(), DisableInstanceDiscovery: true})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			wantErr: "AADSTS7000215",
		},
		{
			name: "unregistered certificate",
			cred: func(t *testing.T, e *env) azcore.TokenCredential {
				certs, key, err := azidentity.ParseCertificates(e.otherPEM, nil)
				if err != nil {
					t.Fatal(err)
				}
				c, err := azidentity.NewClientCertificateCredential(graphsim.SeedTenantID, graphsim.SeedClientID, certs, key,
					&azidentity.ClientCertificateCredentialOptions{ClientOptions: e.clientOptions(), DisableInstanceDiscovery: true})
				if err != nil {
					t.Fatal(err)
				}
				return c
			},
			wantErr: "AADSTS700027",
		},
	}
	c := newCerts(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, c)
			cred := tt.cred(t, e)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			opts := policy.TokenRequestOptions{Scopes: []string{graphsim.DefaultGraphScope}}
			tok, err := cred.GetToken(ctx, opts)
			wantReqs := []string{
				"GET /" + graphsim.SeedTenantID + "/v2.0/.well-known/openid-configuration",
				"POST /" + graphsim.SeedTenantID + "/oauth2/v2.0/token",
			}
			if tt.wantErr != "" {
				var authErr *azidentity.AuthenticationFailedError
				if !errors.As(err, &authErr) || authErr.RawResponse.StatusCode != http.StatusUnauthorized ||
					!strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("GetToken error = %v, want a 401 AuthenticationFailedError with %s", err, tt.wantErr)
				}
				if got := e.login.TokenGrants(); got != 0 {
					t.Errorf("TokenGrants = %d, want 0", got)
				}
				if diff := cmp.Diff(wantReqs, e.loginRec.requests()); diff != "" {
					t.Errorf("requests to the login host (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			if d := time.Until(tok.ExpiresOn); d < 3500*time.Second || d > 3600*time.Second {
				t.Errorf("token expires in %v, want about 3599s", d)
			}
			// A second call is served from azidentity's cache.
			again, err := cred.GetToken(ctx, opts)
			if err != nil || again.Token != tok.Token {
				t.Errorf("second GetToken = %v, %v; want the cached token", again.Token == tok.Token, err)
			}
			if got := e.login.TokenGrants(); got != 1 {
				t.Errorf("TokenGrants = %d, want 1", got)
			}
			if diff := cmp.Diff(wantReqs, e.loginRec.requests()); diff != "" {
				t.Errorf("requests to the login host (-want +got):\n%s", diff)
			}
			// The token opens the simulated Graph.
			status, _ := decode(t, e.do(t, http.MethodGet, "/beta/applications/"+graphsim.AWSObjectID+"/synchronization/jobs", tok.Token, nil))
			if status != http.StatusOK {
				t.Errorf("Graph with the token: %d, want 200", status)
			}
		})
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := e.client.Get(e.loginSrv.URL + "/" + graphsim.SeedTenantID + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	status, doc := decode(t, resp)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	tenantURL := e.loginSrv.URL + "/" + graphsim.SeedTenantID
	want := map[string]string{
		"token_endpoint":         tenantURL + "/oauth2/v2.0/token",
		"authorization_endpoint": tenantURL + "/oauth2/v2.0/authorize",
		"issuer":                 tenantURL + "/v2.0",
		"jwks_uri":               tenantURL + "/discovery/v2.0/keys",
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("%s = %v, want %s", k, doc[k], v)
		}
	}
	resp, err = e.client.Get(want["jwks_uri"])
	if err != nil {
		t.Fatal(err)
	}
	if status, keys := decode(t, resp); status != http.StatusOK || keys["keys"] == nil {
		t.Errorf("jwks_uri: %d %v, want 200 with keys", status, keys)
	}

	t.Run("unknown tenant", func(t *testing.T) {
		resp, err := e.client.Get(e.loginSrv.URL + "/" + uuid.NewString() + "/v2.0/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		status, body := decode(t, resp)
		if status != http.StatusBadRequest || body["error"] != "invalid_tenant" || !hasCode(body, 90002) {
			t.Errorf("got %d %v, want 400 invalid_tenant AADSTS90002", status, body)
		}
	})

	t.Run("base URL option", func(t *testing.T) {
		l := graphsim.NewLogin(graphsim.LoginOptions{BaseURL: "https://login.example.test/"})
		srv, err := e.ca.StartTLS(l)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		resp, err := e.client.Get(srv.URL + "/" + graphsim.SeedTenantID + "/v2.0/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		_, doc := decode(t, resp)
		if got, want := doc["token_endpoint"], "https://login.example.test/"+graphsim.SeedTenantID+"/oauth2/v2.0/token"; got != want {
			t.Errorf("token_endpoint = %v, want %s", got, want)
		}
	})
}

// hasCode reports whether an Entra error body is well formed and carries
// AADSTS code.
func hasCode(body map[string]any, code int) bool {
	codes, _ := body["error_codes"].([]any)
	desc, _ := body["error_description"].(string)
	trace, _ := body["trace_id"].(string)
	corr, _ := body["correlation_id"].(string)
	ts, _ := body["timestamp"].(string)
	_, tsErr := time.Parse("2006-01-02 15:04:05Z", ts)
	return len(codes) == 1 && codes[0] == float64(code) &&
		strings.HasPrefix(desc, "AADSTS"+strconv.Itoa(code)+": ") && strings.Contains(desc, "Trace ID: "+trace) &&
		uuid.Validate(trace) == nil && uuid.Validate(corr) == nil && tsErr == nil
}

// assertion builds a client assertion as MSAL does (PS256, x5t#S256 in
// standard base64), after letting edit change its header and claims.
func (e *env) assertion(t *testing.T, key *rsa.PrivateKey, cert *x509.Certificate, edit func(h map[string]any, c jwt.MapClaims)) string {
	t.Helper()
	now := e.clock.Now()
	sum := sha256.Sum256(cert.Raw)
	claims := jwt.MapClaims{
		"aud": e.tokenURL(), "iss": graphsim.SeedClientID, "sub": graphsim.SeedClientID,
		"jti": uuid.NewString(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodPS256, claims)
	tok.Header["x5t#S256"] = base64.StdEncoding.EncodeToString(sum[:])
	if edit != nil {
		edit(tok.Header, claims)
	}
	method := jwt.GetSigningMethod(tok.Header["alg"].(string))
	tok.Method = method
	var signKey any = key
	if method == jwt.SigningMethodHS256 {
		signKey = []byte("shared")
	}
	s, err := tok.SignedString(signKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenEndpointErrors(t *testing.T) {
	e := newEnv(t, newCerts(t))
	base := func(extra ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {graphsim.SeedClientID},
			"scope": {graphsim.DefaultGraphScope + " openid profile offline_access"}}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "" {
				v.Del(extra[i])
			} else {
				v.Set(extra[i], extra[i+1])
			}
		}
		return v
	}
	withAssertion := func(a string) url.Values {
		return base("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", a)
	}
	sha1Thumb := func(c *x509.Certificate) string {
		s := sha1.Sum(c.Raw) //nolint:gosec // x5t
		return base64.RawURLEncoding.EncodeToString(s[:])
	}
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantError  string
		wantCode   int
	}{
		{"secret", base("client_secret", testSecret), 200, "", 0},
		{"assertion as MSAL makes it", withAssertion(e.assertion(t, e.key, e.cert, nil)), 200, "", 0},
		{"assertion RS256 with x5t", withAssertion(e.assertion(t, e.key, e.cert, func(h map[string]any, _ jwt.MapClaims) {
			h["alg"] = "RS256"
			delete(h, "x5t#S256")
			h["x5t"] = sha1Thumb(e.cert)
		})), 200, "", 0},
		{"bad secret", base("client_secret", "wrong"), 401, "invalid_client", 7000215},
		{"no credential", base(), 401, "invalid_client", 7000216},
		{"unknown client", base("client_id", uuid.NewString(), "client_secret", testSecret), 400, "unauthorized_client", 700016},
		{"missing client_id", base("client_id", "", "client_secret", testSecret), 400, "invalid_request", 900144},
		{"missing grant_type", base("grant_type", "", "client_secret", testSecret), 400, "invalid_request", 900144},
		{"password grant", base("grant_type", "password", "client_secret", testSecret), 400, "unsupported_grant_type", 70003},
		{"missing scope", base("scope", "", "client_secret", testSecret), 400, "invalid_request", 900144},
		{"unknown resource", base("scope", "https://vault.azure.net/.default", "client_secret", testSecret), 400, "invalid_resource", 500011},
		{"delegated scope", base("scope", "https://graph.microsoft.com/Synchronization.ReadWrite.All", "client_secret", testSecret), 400, "invalid_scope", 1002012},
		{"two resources", base("scope", graphsim.DefaultGraphScope+" https://graph.microsoft.us/.default", "client_secret", testSecret), 400, "invalid_scope", 28000},
		{"only openid", base("scope", "openid profile", "client_secret", testSecret), 400, "invalid_scope", 70011},
		{"secret and assertion", base("client_secret", testSecret, "client_assertion", "x",
			"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), 401, "invalid_client", 50012},
		{"assertion type missing", base("client_assertion", e.assertion(t, e.key, e.cert, nil)), 400, "invalid_request", 90014},
		{"assertion malformed", withAssertion("not.a.jwt"), 401, "invalid_client", 50027},
		{"assertion by an unregistered certificate", withAssertion(e.assertion(t, e.otherKey, e.otherCert, nil)), 401, "invalid_client", 700027},
		{"assertion naming the registered certificate, signed by another key", withAssertion(e.assertion(t, e.otherKey, e.cert, nil)), 401, "invalid_client", 700027},
		{"assertion without thumbprint", withAssertion(e.assertion(t, e.key, e.cert, func(h map[string]any, _ jwt.MapClaims) {
			delete(h, "x5t#S256")
		})), 401, "invalid_client", 700027},
		{"assertion with a wrong x5t beside a right x5t#S256", withAssertion(e.assertion(t, e.key, e.cert, func(h map[string]any, _ jwt.MapClaims) {
			h["x5t"] = sha1Thumb(e.otherCert)
		})), 401, "invalid_client", 700027},
		{"assertion HS256", withAssertion(e.assertion(t, e.key, e.cert, func(h map[string]any, _ jwt.MapClaims) {
			h["alg"] = "HS256"
		})), 401, "invalid_client", 700027},
		{"assertion expired", withAssertion(e.assertion(t, e.key, e.cert, func(_ map[string]any, c jwt.MapClaims) {
			c["exp"] = e.clock.Now().Add(-time.Hour).Unix()
		})), 401, "invalid_client", 700024},
		{"assertion without exp", withAssertion(e.assertion(t, e.key, e.cert, func(_ map[string]any, c jwt.MapClaims) {
			delete(c, "exp")
		})), 401, "invalid_client", 700024},
		{"assertion not yet valid", withAssertion(e.assertion(t, e.key, e.cert, func(_ map[string]any, c jwt.MapClaims) {
			c["nbf"] = e.clock.Now().Add(time.Hour).Unix()
		})), 401, "invalid_client", 700024},
		{"assertion for another audience", withAssertion(e.assertion(t, e.key, e.cert, func(_ map[string]any, c jwt.MapClaims) {
			c["aud"] = "https://login.microsoftonline.com/" + graphsim.SeedTenantID + "/oauth2/v2.0/token"
		})), 401, "invalid_client", 700023},
		{"assertion issued by another client", withAssertion(e.assertion(t, e.key, e.cert, func(_ map[string]any, c jwt.MapClaims) {
			c["iss"] = readerClientID
		})), 401, "invalid_client", 700021},
		{"assertion about another subject", withAssertion(e.assertion(t, e.key, e.cert, func(_ map[string]any, c jwt.MapClaims) {
			c["sub"] = readerClientID
		})), 401, "invalid_client", 700021},
		{"assertion for a client without certificate", func() url.Values {
			v := withAssertion(e.assertion(t, e.key, e.cert, func(_ map[string]any, c jwt.MapClaims) {
				c["iss"], c["sub"] = readerClientID, readerClientID
			}))
			v.Set("client_id", readerClientID)
			return v
		}(), 401, "invalid_client", 700027},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.login.TokenGrants()
			status, body := e.postForm(t, tt.form)
			if status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %v", status, tt.wantStatus, body)
			}
			if tt.wantStatus == http.StatusOK {
				want := []string{"access_token", "expires_in", "ext_expires_in", "token_type"}
				got := make([]string, 0, len(body))
				for k := range body {
					got = append(got, k)
				}
				slices.Sort(got)
				if diff := cmp.Diff(want, got); diff != "" || body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) {
					t.Errorf("token body %v, keys (-want +got):\n%s", body, diff)
				}
				if !e.login.Tokens().Valid(body["access_token"].(string)) || e.login.TokenGrants() != before+1 {
					t.Errorf("token not registered or not counted")
				}
				return
			}
			if body["error"] != tt.wantError || !hasCode(body, tt.wantCode) {
				t.Errorf("body %v, want error %s with AADSTS%d", body, tt.wantError, tt.wantCode)
			}
			if e.login.TokenGrants() != before {
				t.Errorf("a failed request was counted as a grant")
			}
		})
	}
}

func TestTokenEndpointRequestShape(t *testing.T) {
	e := newEnv(t, nil)
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {graphsim.SeedClientID},
		"client_secret": {testSecret}, "scope": {graphsim.DefaultGraphScope}}
	tests := []struct {
		name       string
		method     string
		url        string
		body       string
		ctype      string
		wantStatus int
		wantError  string
		wantCode   int
	}{
		{"GET", http.MethodGet, e.tokenURL(), "", "", 400, "invalid_request", 900561},
		{"unknown tenant", http.MethodPost, e.loginSrv.URL + "/contoso.onmicrosoft.com/oauth2/v2.0/token", form.Encode(),
			"application/x-www-form-urlencoded", 400, "invalid_request", 90002},
		{"JSON body", http.MethodPost, e.tokenURL(), `{"grant_type":"client_credentials"}`, "application/json", 400, "invalid_request", 900144},
		{"parameters in the query string only", http.MethodPost, e.tokenURL() + "?" + form.Encode(), "",
			"application/x-www-form-urlencoded", 400, "invalid_request", 900144},
		{"repeated parameter", http.MethodPost, e.tokenURL(), form.Encode() + "&client_id=" + readerClientID,
			"application/x-www-form-urlencoded", 400, "invalid_request", 90015},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			corr := uuid.NewString()
			req.Header.Set("client-request-id", corr)
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			status, body := decode(t, resp)
			if status != tt.wantStatus || body["error"] != tt.wantError || !hasCode(body, tt.wantCode) {
				t.Errorf("got %d %v, want %d %s AADSTS%d", status, body, tt.wantStatus, tt.wantError, tt.wantCode)
			}
			if body["correlation_id"] != corr {
				t.Errorf("correlation_id = %v, want the client-request-id %s", body["correlation_id"], corr)
			}
		})
	}
}

func TestTokenExpiry(t *testing.T) {
	tests := []struct {
		name    string
		expire  func(e *env)
		wantOK  bool
		wantMsg string
	}{
		{"fresh", func(*env) {}, true, ""},
		{"one second before expiry", func(e *env) { e.clock.Advance(3598 * time.Second) }, true, ""},
		{"at expiry", func(e *env) { e.clock.Advance(3599 * time.Second) }, false, "Access token has expired or is not yet valid."},
		{"ExpireTokens", func(e *env) { e.login.ExpireTokens() }, false, "Access token has expired or is not yet valid."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tok := e.secretToken(t, graphsim.SeedClientID)
			tt.expire(e)
			resp := e.do(t, http.MethodGet, "/v1.0/applications/"+graphsim.AWSObjectID+"/synchronization/jobs", tok, nil)
			status, body := decode(t, resp)
			if tt.wantOK {
				if status != http.StatusOK {
					t.Fatalf("status %d: %v", status, body)
				}
				return
			}
			code, _ := graphErr(t, body)
			if status != http.StatusUnauthorized || code != "InvalidAuthenticationToken" ||
				body["error"].(map[string]any)["message"] != tt.wantMsg {
				t.Errorf("got %d %v, want 401 InvalidAuthenticationToken %q", status, body, tt.wantMsg)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			// A new token works again.
			status, _ = decode(t, e.do(t, http.MethodGet, "/v1.0/applications/"+graphsim.AWSObjectID+"/synchronization/jobs",
				e.secretToken(t, graphsim.SeedClientID), nil))
			if status != http.StatusOK {
				t.Errorf("new token: %d", status)
			}
		})
	}
}

func TestLoginFaults(t *testing.T) {
	e := newEnv(t, nil)
	e.login.Faults.Set(graphsim.LoginRouteToken, sim.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 3 * time.Second, Times: 1})
	resp, err := e.client.PostForm(e.tokenURL(), url.Values{"grant_type": {"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After = %q, want 3", got)
	}
	status, body := decode(t, resp)
	if status != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" || !hasCode(body, 90033) {
		t.Errorf("got %d %v, want 503 temporarily_unavailable AADSTS90033", status, body)
	}
	// The fault was for one request only.
	if tok := e.secretToken(t, graphsim.SeedClientID); tok == "" {
		t.Error("no token after the fault cleared")
	}
}
