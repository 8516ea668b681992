package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/graph"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/upstream"
	"github.com/syncgate/syncgate/internal/veeam"
)

const (
	testIssuer   = "https://issuer.test/"
	testAudience = "api://syncgate-test"
)

var allScopes = []string{"Organizations.Read", "Organizations.Sync", "SyncJobs.Read", "SyncJobs.Start"}

// env is the real gateway over HTTP, wired as `syncgate serve` wires it, in
// front of the Veeam simulator over TLS, with a JWKS-served signing key.
type env struct {
	t      *testing.T
	gw     *httptest.Server
	veeam  *veeamsim.Server
	graph  *graphsim.Graph
	login  *graphsim.Login
	clock  *sim.FakeClock
	minter *auth.Minter
	token  string // every scope
	logs   *logBuffer
}

type envOptions struct {
	cooldown      time.Duration
	veeamTimeout  time.Duration
	veeamPassword string // the gateway's password; the simulator's is "secret"
	noVeeam       bool
	simOptions    func(*veeamsim.Options)

	graphVersion    string // "beta" (default) or "v1.0"
	graphJobPath    string // "applications" (default) or "servicePrincipals"
	graphCredential string // "secret" (default) or "certificate"
	noGraph         bool
}

func newEnv(t *testing.T, opts ...func(*envOptions)) *env {
	t.Helper()
	o := envOptions{cooldown: time.Minute, veeamTimeout: 5 * time.Second, veeamPassword: "secret"}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{t: t, clock: sim.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), logs: &logBuffer{}}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	ca, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	simOpts := veeamsim.Options{Clock: e.clock, Username: "syncgate", Password: "secret"}
	if o.simOptions != nil {
		o.simOptions(&simOpts)
	}
	e.veeam = veeamsim.New(simOpts)
	veeamSrv, err := ca.StartTLS(e.veeam)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(veeamSrv.Close)

	e.minter, err = auth.NewMinter(testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(e.minter.JWKS())
	t.Cleanup(jwks.Close)
	verifier, err := auth.NewVerifier(ctx, auth.Config{JWKSURL: jwks.URL, Issuers: []string{testIssuer}, Audiences: []string{testAudience}}, logger)
	if err != nil {
		t.Fatal(err)
	}

	cfg := api.Config{
		Logger: logger,
		Auth:   verifier,
		Scopes: api.Scopes{OrganizationsRead: "Organizations.Read", OrganizationsSync: "Organizations.Sync", SyncJobsRead: "SyncJobs.Read", SyncJobsStart: "SyncJobs.Start"},
		Guard:  guard.New(store.NewMemory(e.clock.Now), o.cooldown),
		Ready:  verifier.Ready,
	}
	if o.noVeeam {
		cfg.OrganizationsMissing = []string{"SYNCGATE_VEEAM_URL", "SYNCGATE_VEEAM_USERNAME", "SYNCGATE_VEEAM_PASSWORD"}
	} else {
		caFile := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
			t.Fatal(err)
		}
		hc, err := upstream.NewHTTPClient(upstream.HTTPConfig{CAFile: caFile, Timeout: o.veeamTimeout})
		if err != nil {
			t.Fatal(err)
		}
		vc, err := veeam.New(veeam.Config{
			BaseURL: veeamSrv.URL, APIVersion: "v8", Username: "syncgate", Password: o.veeamPassword,
			HTTPClient: hc, Now: e.clock.Now,
			Retry: upstream.RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }},
		}, logger)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Organizations = vc
	}
	if o.noGraph {
		cfg.JobsMissing = []string{"SYNCGATE_GRAPH_TENANT_ID", "SYNCGATE_GRAPH_CLIENT_ID", "SYNCGATE_GRAPH_CLIENT_SECRET"}
	} else {
		cfg.Jobs = e.startGraph(ca, o, logger)
	}
	e.gw = httptest.NewServer(api.NewServer(cfg))
	t.Cleanup(e.gw.Close)
	// Every answer of the suite is checked against openapi.yaml.
	e.gw.Client().Transport = contractChecker.Transport(e.gw.Client().Transport)
	e.token = e.mint(allScopes...)
	return e
}

// startGraph serves the Graph and login simulators over TLS and returns the
// real Graph adapter, its credential acquired through azidentity.
func (e *env) startGraph(ca *sim.CA, o envOptions, logger *slog.Logger) *graph.Client {
	t := e.t
	t.Helper()
	const secret = "graph-client-secret-value"
	var certPEM []byte
	var cert *x509.Certificate
	if o.graphCredential == "certificate" {
		certPEM, cert = selfSignedCert(t)
	}
	// The login host checks client assertions against real time (azidentity
	// signs them with it), so the Graph side runs on the system clock.
	e.login = graphsim.NewLogin(graphsim.LoginOptions{Clients: []graphsim.Client{
		{ID: graphsim.SeedClientID, Secret: secret, Certificate: cert},
	}})
	loginSrv, err := ca.StartTLS(e.login)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(loginSrv.Close)
	e.graph = graphsim.New(graphsim.GraphOptions{Tokens: e.login.Tokens()})
	graphSrv, err := ca.StartTLS(e.graph)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(graphSrv.Close)

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	cc := graph.CredentialConfig{
		Kind: "secret", TenantID: graphsim.SeedTenantID, ClientID: graphsim.SeedClientID, ClientSecret: secret,
		AuthorityHost: loginSrv.URL + "/", DisableInstanceDiscovery: true, HTTPClient: hc,
	}
	if o.graphCredential == "certificate" {
		certFile := filepath.Join(t.TempDir(), "client.pem")
		if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		cc.Kind, cc.ClientSecret, cc.CertificateFile = "certificate", "", certFile
	}
	cred, err := graph.NewCredential(cc)
	if err != nil {
		t.Fatal(err)
	}
	gc, err := graph.New(graph.Config{
		TenantID: graphsim.SeedTenantID, ClientID: graphsim.SeedClientID, Credential: cred,
		BaseURL: graphSrv.URL, APIVersion: o.graphVersion, JobPath: o.graphJobPath,
		Scope: "https://graph.microsoft.com/.default", HTTPClient: hc,
		Retry: upstream.RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }},
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	return gc
}

// selfSignedCert makes a client certificate and returns it with its key as
// PEM, the form azidentity reads.
func selfSignedCert(t *testing.T) ([]byte, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "syncgate"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	pemBytes = append(pemBytes, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	return pemBytes, cert
}

// mint returns a valid token with the given scopes.
func (e *env) mint(scopes ...string) string {
	e.t.Helper()
	tok, err := e.minter.Mint(auth.MintClaims{Subject: "tester", Scopes: scopes, TTL: time.Hour})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// response is what the gateway answered.
type response struct {
	status  int
	header  http.Header
	body    []byte
	problem api.Problem
}

// req is one request to the gateway.
type req struct {
	method, path string
	token        string // "" sends no Authorization header
	body         string
	contentType  string // defaults to application/json when body is set
	header       map[string]string
}

func (e *env) do(r req) response {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, e.gw.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.body != "" {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := e.gw.Client().Do(hr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, body: data}
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		if err := json.Unmarshal(data, &out.problem); err != nil {
			e.t.Fatalf("problem body does not parse: %v: %s", err, data)
		}
	}
	return out
}

// get, post are shorthands with the all-scopes token.
func (e *env) get(path string) response {
	e.t.Helper()
	return e.do(req{method: "GET", path: path, token: e.token})
}
func (e *env) post(path, body string) response {
	e.t.Helper()
	return e.do(req{method: "POST", path: path, token: e.token, body: body})
}

// decodeJSON decodes a response body into v.
func decodeJSON[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body does not parse as %T: %v: %s", v, err, r.body)
	}
	return v
}

// wantStatus fails the test when the response has another status.
func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
}

// wantProblem checks a problem+json answer's status and type.
func wantProblem(t *testing.T, r response, status int, typ string) {
	t.Helper()
	wantStatus(t, r, status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body: %s", ct, r.body)
	}
	if r.problem.Type != typ || r.problem.Status != status || r.problem.Title == "" || r.problem.RequestID == "" {
		t.Fatalf("problem %+v, want type %s status %d with title and requestId", r.problem, typ, status)
	}
}

// logBuffer collects the gateway's log lines; safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
