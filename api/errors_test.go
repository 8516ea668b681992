package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

func TestUnauthenticated(t *testing.T) {
	e := newEnv(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": testIssuer, "aud": testAudience, "sub": "x", "exp": now.Add(time.Hour).Unix(),
			"iat": now.Unix(), "scp": strings.Join(allScopes, " ")}
		if mod != nil {
			mod(c)
		}
		return c
	}
	signES := func(c jwt.MapClaims, key *ecdsa.PrivateKey) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
		tok.Header["kid"] = e.minterKID(t)
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// alg "none": header and claims, no signature.
	b64 := base64.RawURLEncoding.EncodeToString
	none := b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64([]byte(`{"iss":"`+testIssuer+`","aud":"`+testAudience+`","sub":"x","exp":9999999999,"scp":"Organizations.Read"}`)) + "."
	// HS256 keyed with the public key's bytes: the classic algorithm-confusion attack.
	pubPEM := e.minterPublicPEM(t)
	confused := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(nil))
	confused.Header["kid"] = e.minterKID(t)
	confusedTok, err := confused.SignedString(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	good := e.token

	tests := []struct {
		name      string
		header    string
		wantType  string
		wantChall string
	}{
		{"no token", "", api.TypeUnauthorized, `Bearer realm="syncgate"`},
		{"not a bearer scheme", "Basic dXNlcjpwYXNz", api.TypeUnauthorized, `realm="syncgate"`},
		{"empty bearer", "Bearer ", api.TypeInvalidToken, `error="invalid_token"`},
		{"malformed", "Bearer not.a.jwt", api.TypeInvalidToken, `error="invalid_token"`},
		{"garbage", "Bearer " + strings.Repeat("A", 300), api.TypeInvalidToken, `error="invalid_token"`},
		{"badly signed", "Bearer " + signES(claims(nil), other), api.TypeInvalidToken, `error="invalid_token"`},
		{"tampered", "Bearer " + good[:len(good)-4] + "AAAA", api.TypeInvalidToken, `error="invalid_token"`},
		{"expired", "Bearer " + e.mintClaims(t, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() })), api.TypeInvalidToken, `error="invalid_token"`},
		{"no exp", "Bearer " + e.mintClaims(t, claims(func(c jwt.MapClaims) { delete(c, "exp") })), api.TypeInvalidToken, `error="invalid_token"`},
		{"wrong issuer", "Bearer " + e.mintClaims(t, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" })), api.TypeInvalidToken, `error="invalid_token"`},
		{"wrong audience", "Bearer " + e.mintClaims(t, claims(func(c jwt.MapClaims) { c["aud"] = "api://other" })), api.TypeInvalidToken, `error="invalid_token"`},
		{"alg none", "Bearer " + none, api.TypeInvalidToken, `error="invalid_token"`},
		{"HS256 signed with the public key", "Bearer " + confusedTok, api.TypeInvalidToken, `error="invalid_token"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/organizations/" + veeamsim.ContosoID + "/sync", header: map[string]string{"Authorization": tt.header}})
			if tt.header == "" {
				r = e.do(req{method: "POST", path: "/organizations/" + veeamsim.ContosoID + "/sync"})
			}
			wantProblem(t, r, http.StatusUnauthorized, tt.wantType)
			chall := r.header.Get("WWW-Authenticate")
			if !strings.HasPrefix(chall, "Bearer ") || !strings.Contains(chall, tt.wantChall) {
				t.Errorf("WWW-Authenticate = %q; want it to contain %q", chall, tt.wantChall)
			}
			if tt.wantType == api.TypeUnauthorized && strings.Contains(chall, "error=") {
				t.Errorf("WWW-Authenticate = %q; a missing token carries no error code (RFC 6750 §3.1)", chall)
			}
		})
	}
	if n := e.veeam.SyncCalls(veeamsim.ContosoID); n != 0 {
		t.Fatalf("unauthenticated requests reached Veeam %d times", n)
	}
}

func TestInsufficientScope(t *testing.T) {
	e := newEnv(t)
	readOnly := e.mint("Organizations.Read", "SyncJobs.Read")
	r := e.do(req{method: "POST", path: "/organizations/" + veeamsim.ContosoID + "/sync", token: readOnly})
	wantProblem(t, r, http.StatusForbidden, api.TypeInsufficientScope)
	if chall := r.header.Get("WWW-Authenticate"); !strings.Contains(chall, `error="insufficient_scope"`) || !strings.Contains(chall, `scope="Organizations.Sync"`) {
		t.Errorf("WWW-Authenticate = %q", chall)
	}
	wantStatus(t, e.do(req{method: "GET", path: "/organizations/" + veeamsim.ContosoID + "/sync", token: readOnly}), http.StatusOK)
	wantProblem(t, e.do(req{method: "GET", path: "/organizations", token: e.mint("SyncJobs.Read")}), http.StatusForbidden, api.TypeInsufficientScope)
	// App-only tokens carry their permissions in "roles".
	roles, err := e.minterMintRoles("Organizations.Sync", "Organizations.Read")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do(req{method: "POST", path: "/organizations/" + veeamsim.ContosoID + "/sync?dryRun=true", token: roles}), http.StatusOK)
}

func TestValidationListsEveryFieldError(t *testing.T) {
	e := newEnv(t)
	// Path, query and body errors come back together.
	r := e.post("/organizations/not-a-guid/sync?force=perhaps", `{"parts":["Users","Printers"]}`)
	wantProblem(t, r, http.StatusBadRequest, api.TypeValidation)
	fields := map[string]string{}
	for _, fe := range r.problem.Errors {
		fields[fe.Field] = fe.Rule
	}
	if len(fields) != 3 || fields["organizationId"] != "guid" || fields["force"] != "type" || fields["parts[1]"] != "oneof" {
		t.Fatalf("errors = %+v; want organizationId guid, force type and parts[1] oneof", r.problem.Errors)
	}
	r = e.post("/organizations/"+veeamsim.ContosoID+"/sync", `{"parts":["Users","Users"]}`)
	wantProblem(t, r, http.StatusBadRequest, api.TypeValidation)
	if len(r.problem.Errors) != 1 || r.problem.Errors[0].Field != "parts" || r.problem.Errors[0].Rule != "unique" {
		t.Fatalf("errors = %+v; want parts unique", r.problem.Errors)
	}

	// Every field error of a body at once: a wrong type does not hide the
	// list's errors, and a repeated item does not hide an unknown one.
	for _, tt := range []struct{ path, body, want string }{
		{"/organizations/" + veeamsim.ContosoID + "/sync", `{"full":"yes","parts":["Userz","Groups","Groups"]}`, "full:type,parts:unique,parts[0]:oneof"},
		{"/organizations/" + veeamsim.ContosoID + "/sync", `{"parts":["users","Groups","Groups"]}`, "parts:unique,parts[0]:oneof"},
		{"/organizations/" + veeamsim.ContosoID + "/sync", `{"full":"yes","parts":"Users"}`, "full:type,parts:type"},
		{"/organizations/sync", `{"full":1,"parts":["Users","Users"],"organizationIds":["nope"]}`, "full:type,parts:unique,organizationIds[0]:guid"},
		// The pre-scan's refusals (unknown, duplicate members) come with the other members' errors.
		{"/organizations/" + veeamsim.ContosoID + "/sync", `{"full":"yes","mode":"x"}`, "mode:unknown,full:type"},
		{"/organizations/" + veeamsim.ContosoID + "/sync", `{"mode":"x","speed":1,"parts":["Userz"]}`, "mode:unknown,speed:unknown,parts[0]:oneof"},
		{"/organizations/" + veeamsim.ContosoID + "/sync", `{"full":true,"full":false,"parts":["Userz"]}`, "full:duplicate,parts[0]:oneof"},
	} {
		r := e.post(tt.path, tt.body)
		wantProblem(t, r, http.StatusBadRequest, api.TypeValidation)
		var got []string
		for _, fe := range r.problem.Errors {
			got = append(got, fe.Field+":"+fe.Rule)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%s: errors = %v; want %s", tt.body, got, tt.want)
		}
	}

	r = e.get("/organizations?limit=5000&offset=-1&color=blue")
	wantProblem(t, r, http.StatusBadRequest, api.TypeValidation)
	got := []string{}
	for _, fe := range r.problem.Errors {
		got = append(got, fe.Field+":"+fe.Rule)
	}
	if strings.Join(got, ",") != "color:unknown,limit:max,offset:min" {
		t.Fatalf("errors = %v; want color unknown, limit max, offset min", got)
	}

	r = e.post("/organizations/not-a-guid/sync", "")
	wantProblem(t, r, http.StatusBadRequest, api.TypeValidation)
	if len(r.problem.Errors) != 1 || r.problem.Errors[0].Field != "organizationId" || r.problem.Errors[0].Rule != "guid" {
		t.Fatalf("errors = %+v; want organizationId guid", r.problem.Errors)
	}
	r = e.post("/organizations/"+veeamsim.ContosoID+"/sync", `{"full":true,"mode":"fast"}`)
	wantProblem(t, r, http.StatusBadRequest, api.TypeValidation)
	if r.problem.Errors[0].Field != "mode" || r.problem.Errors[0].Rule != "unknown" {
		t.Fatalf("errors = %+v; want the unknown field named", r.problem.Errors)
	}
	// A mistyped flag must not start anything.
	r = e.post("/organizations/"+veeamsim.ContosoID+"/sync?dryrun=true", "")
	wantProblem(t, r, http.StatusBadRequest, api.TypeValidation)
	if n := e.veeam.SyncCalls(veeamsim.ContosoID); n != 0 {
		t.Fatalf("invalid requests reached Veeam %d times", n)
	}
}

func TestNotFound(t *testing.T) {
	e := newEnv(t)
	unknown := "00000000-0000-4000-8000-000000000001"
	for _, r := range []response{e.get("/organizations/" + unknown), e.get("/organizations/" + unknown + "/sync"), e.post("/organizations/"+unknown+"/sync", "")} {
		wantProblem(t, r, http.StatusNotFound, api.TypeNotFound)
		if r.problem.Upstream == nil || r.problem.Upstream.Code != "ResourceNotFound" {
			t.Errorf("upstream = %+v; want ResourceNotFound", r.problem.Upstream)
		}
	}
	wantProblem(t, e.get("/nothing-here"), http.StatusNotFound, api.TypeRouteNotFound)
	// 405 names the allowed methods, in the Allow header (RFC 9110) and the detail.
	for _, tt := range []struct{ method, path, allow string }{
		{"DELETE", "/organizations", "GET"},
		{"PUT", "/organizations/sync", "GET, POST"},
		{"GET", "/applications/" + graphsim.AWSObjectID + "/jobs/" + graphsim.AWSJobID + "/start", "POST"},
	} {
		r := e.do(req{method: tt.method, path: tt.path, token: e.token})
		wantProblem(t, r, http.StatusMethodNotAllowed, api.TypeMethodNotAllowed)
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q; want %q", tt.method, tt.path, got, tt.allow)
		}
		if !strings.HasSuffix(r.problem.Detail, "allowed: "+tt.allow) {
			t.Errorf("%s %s: detail %q does not name the allowed methods %s", tt.method, tt.path, r.problem.Detail, tt.allow)
		}
	}
}

func TestBodyLimits(t *testing.T) {
	e := newEnv(t)
	path := "/organizations/" + veeamsim.ContosoID + "/sync"
	big := `{"parts":["Users"],"x":"` + strings.Repeat("a", 70<<10) + `"}`
	wantProblem(t, e.post(path, big), http.StatusRequestEntityTooLarge, api.TypeBodyTooLarge)
	// Without a declared length too (chunked upload).
	hr, _ := http.NewRequest("POST", e.gw.URL+path, io.MultiReader(strings.NewReader(big)))
	hr.ContentLength = -1
	hr.Header.Set("Authorization", "Bearer "+e.token)
	hr.Header.Set("Content-Type", "application/json")
	resp, err := e.gw.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked oversized body: %d; want 413", resp.StatusCode)
	}
	wantProblem(t, e.do(req{method: "POST", path: path, token: e.token, body: "full=true", contentType: "application/x-www-form-urlencoded"}),
		http.StatusUnsupportedMediaType, api.TypeUnsupportedMedia)
	wantProblem(t, e.do(req{method: "POST", path: path, token: e.token, body: `{"full":true}`, contentType: "text/plain"}),
		http.StatusUnsupportedMediaType, api.TypeUnsupportedMedia)
}

func TestUpstreamFailures(t *testing.T) {
	path := "/organizations/" + veeamsim.ContosoID + "/sync"
	tests := []struct {
		name       string
		opts       func(*envOptions)
		route      string
		fault      sim.Fault
		wantStatus int
		wantType   string
		wantRetry  string
	}{
		{name: "backend 500 with a stack trace is 502 without it", route: veeamsim.RouteSync,
			fault:      sim.Fault{Status: 500, Message: "Object reference not set to an instance of an object."},
			wantStatus: http.StatusBadGateway, wantType: api.TypeUpstreamError},
		{name: "backend throttling passes Retry-After on as 503", route: veeamsim.RouteSyncState,
			fault:      sim.Fault{Status: 429, Message: "Too many requests", RetryAfter: 30 * time.Second},
			wantStatus: http.StatusServiceUnavailable, wantType: api.TypeUpstreamThrottled, wantRetry: "30"},
		{name: "backend 503 with Retry-After is 503", route: veeamsim.RouteOrganization,
			fault:      sim.Fault{Status: 503, Message: "Service unavailable", RetryAfter: 120 * time.Second},
			wantStatus: http.StatusServiceUnavailable, wantType: api.TypeUpstreamThrottled, wantRetry: "120"},
		{name: "backend 503 with Retry-After and a timeout errorCode stays 503 with Retry-After", route: veeamsim.RouteSync,
			fault:      sim.Fault{Status: 503, Code: "Timeout", Message: "The operation has timed out", RetryAfter: 30 * time.Second},
			wantStatus: http.StatusServiceUnavailable, wantType: api.TypeUpstreamThrottled, wantRetry: "30"},
		{name: "dropped connection on every read is 503", route: veeamsim.RouteOrganization,
			fault:      sim.Fault{Drop: true},
			wantStatus: http.StatusServiceUnavailable, wantType: api.TypeUpstreamUnavailable},
		{name: "dropped connection on the start is 503, not retried", route: veeamsim.RouteSync,
			fault:      sim.Fault{Drop: true},
			wantStatus: http.StatusServiceUnavailable, wantType: api.TypeUpstreamUnavailable},
		{name: "slow backend is 504", opts: func(o *envOptions) { o.veeamTimeout = 200 * time.Millisecond }, route: veeamsim.RouteSync,
			fault:      sim.Fault{Latency: 3 * time.Second},
			wantStatus: http.StatusGatewayTimeout, wantType: api.TypeUpstreamTimeout},
		{name: "gateway credentials refused is 502 saying so", opts: func(o *envOptions) { o.veeamPassword = "wrong" },
			wantStatus: http.StatusBadGateway, wantType: api.TypeUpstreamCredentials},
		{name: "access denied is 502 credentials", route: veeamsim.RouteSync,
			fault:      sim.Fault{Status: 403, Code: "ResourceAccessDenied", Message: "Access denied"},
			wantStatus: http.StatusBadGateway, wantType: api.TypeUpstreamCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []func(*envOptions){}
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			e := newEnv(t, opts...)
			if tt.route != "" {
				e.veeam.Faults.Set(tt.route, tt.fault)
			}
			r := e.post(path, "")
			wantProblem(t, r, tt.wantStatus, tt.wantType)
			if got := r.header.Get("Retry-After"); got != tt.wantRetry {
				t.Errorf("Retry-After = %q; want %q", got, tt.wantRetry)
			}
			body := string(r.body)
			for _, leak := range []string{"   at ", "Veeam.Archiver", "Object reference", "secret", "wrong"} {
				if strings.Contains(body, leak) {
					t.Errorf("answer leaks %q: %s", leak, body)
				}
			}
			if tt.route == veeamsim.RouteSync && tt.fault.Drop {
				if n := e.veeam.SyncCalls(veeamsim.ContosoID); n > 1 {
					t.Errorf("a start whose connection dropped was sent %d times; want at most once", n)
				}
			}
		})
	}
}

func TestVeeamTokenLifecycle(t *testing.T) {
	e := newEnv(t)
	path := "/organizations/" + veeamsim.ContosoID
	wantStatus(t, e.get(path), http.StatusOK)
	wantStatus(t, e.get(path+"/sync"), http.StatusOK)
	if n := e.veeam.TokenGrants("password"); n != 1 {
		t.Fatalf("%d password grants for two calls; want 1 (the token is cached)", n)
	}
	// Close to expiry the adapter refreshes instead of logging in again.
	e.clock.Advance(58 * time.Minute)
	wantStatus(t, e.get(path), http.StatusOK)
	if p, r := e.veeam.TokenGrants("password"), e.veeam.TokenGrants("refresh_token"); p != 1 || r != 1 {
		t.Fatalf("grants: password %d, refresh %d; want 1 and 1", p, r)
	}
	// A token the server no longer accepts: one re-login and the call succeeds.
	e.veeam.ExpireAccessTokens()
	wantStatus(t, e.get(path), http.StatusOK)
	if total := e.veeam.TokenGrants("password") + e.veeam.TokenGrants("refresh_token"); total != 3 {
		t.Fatalf("%d grants in all; want 3 after the 401", total)
	}
}

func TestVeeamNotConfigured(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.noVeeam = true })
	r := e.get("/organizations")
	wantProblem(t, r, http.StatusServiceUnavailable, api.TypeNotConfigured)
	if !strings.Contains(r.problem.Detail, "SYNCGATE_VEEAM_URL") {
		t.Errorf("detail %q does not name the missing settings", r.problem.Detail)
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/organizations", token: e.token, header: map[string]string{"X-Request-ID": "portal-42"}})
	if got := r.header.Get("X-Request-ID"); got != "portal-42" {
		t.Fatalf("X-Request-ID = %q; want the caller's", got)
	}
	r = e.do(req{method: "GET", path: "/nope", header: map[string]string{"X-Request-ID": strings.Repeat("x", 129)}})
	if got := r.header.Get("X-Request-ID"); got == "" || len(got) > 128 || got != r.problem.RequestID {
		t.Fatalf("X-Request-ID = %q, problem requestId %q; want a fresh id in both", got, r.problem.RequestID)
	}
	if !strings.Contains(e.logs.String(), `"requestId":"portal-42"`) {
		t.Fatal("the caller's request id is not in the log")
	}
	// Made ids are random UUIDs (Graph's client-request-id must be a GUID),
	// a new one each time.
	seen := map[string]bool{}
	for range 3 {
		id := e.do(req{method: "GET", path: "/healthz"}).header.Get("X-Request-ID")
		u, err := uuid.Parse(id)
		if err != nil || id != u.String() || u.Version() != 4 || u.Variant() != uuid.RFC4122 || seen[id] {
			t.Fatalf("made request id %q: %v, version %d, variant %s, seen before %v", id, err, u.Version(), u.Variant(), seen[id])
		}
		seen[id] = true
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.do(req{method: "GET", path: "/healthz"}), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: "/readyz"}), http.StatusOK)
}

// minterKID, minterPublicPEM, mintClaims and minterMintRoles reach the test
// signing key through the minter's public surface.
func (e *env) minterKID(t *testing.T) string {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(e.token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}

// signingKey reads the test minter's private key back from the file it writes.
func (e *env) signingKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := e.minter.WriteKey(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key.(*ecdsa.PrivateKey)
}

func (e *env) minterPublicPEM(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&e.signingKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// mintClaims signs arbitrary claims with the gateway's trusted key.
func (e *env) mintClaims(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	tok.Header["kid"] = e.minterKID(t)
	s, err := tok.SignedString(e.signingKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) minterMintRoles(scopes ...string) (string, error) {
	return e.minter.Mint(auth.MintClaims{Subject: "automation", Scopes: scopes, TTL: time.Hour, Roles: true})
}

// TestRetryAfterBudgetSetting: SYNCGATE_RETRY_AFTER_BUDGET, through the
// wiring serve uses, decides whether a start that Veeam throttles with
// Retry-After: 1 is sent again: by default (2s) it is, and succeeds; at 0 it
// never waits, and the caller gets 503 with Veeam's Retry-After.
func TestRetryAfterBudgetSetting(t *testing.T) {
	path := "/organizations/" + veeamsim.ContosoID + "/sync"
	throttleOnce := sim.Fault{Status: 429, Message: "Too many requests", RetryAfter: time.Second, Times: 1}
	for _, tt := range []struct {
		name       string
		vars       map[string]string
		wantStatus int
		wantStarts int // syncs Veeam started
	}{
		{"default budget waits the second out", nil, http.StatusAccepted, 1},
		{"zero budget never waits", map[string]string{"SYNCGATE_RETRY_AFTER_BUDGET": "0"}, http.StatusServiceUnavailable, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *envOptions) { o.vars = tt.vars })
			e.veeam.Faults.Set(veeamsim.RouteSync, throttleOnce)
			r := e.post(path, "")
			wantStatus(t, r, tt.wantStatus)
			if tt.wantStatus == http.StatusServiceUnavailable {
				wantProblem(t, r, http.StatusServiceUnavailable, api.TypeUpstreamThrottled)
				if got := r.header.Get("Retry-After"); got != "1" {
					t.Errorf("Retry-After = %q, want 1", got)
				}
			}
			if n := e.veeam.SyncStarts(veeamsim.ContosoID); n != tt.wantStarts {
				t.Errorf("Veeam started %d syncs, want %d", n, tt.wantStarts)
			}
		})
	}
}
