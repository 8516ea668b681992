package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"maps"
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
	"github.com/syncgate/syncgate/internal/config"
	"github.com/syncgate/syncgate/internal/gateway"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
	"github.com/syncgate/syncgate/internal/telemetry"
)

const (
	testIssuer   = "https://issuer.test/"
	testAudience = "api://syncgate-test"
	// The caller the env's tokens name, as the audit records show it.
	testClientID = "4f1c2b7e-8d3a-4e6b-9c5f-2a1d0e9b8c7a"
	testObjectID = "9b2e4d6f-1a3c-4e5b-8d7f-0c2a4e6b8d1f"
)

// testVeeamPassword is the Veeam service account's password, distinctive
// enough for the secret scan (see TestMain) to find it anywhere.
const testVeeamPassword = "veeam-pa55-Q7x!"

// testGraphSecret is the Graph app registration's client secret.
const testGraphSecret = "graph-client-secret-value"

var allScopes = []string{"Organizations.Read", "Organizations.Sync", "SyncJobs.Read", "SyncJobs.Start", "SyncJobs.Manage"}

// env is the real gateway over HTTP, built by gateway.New from SYNCGATE_*
// variables as `syncgate serve` builds it, in front of the Veeam, Graph and
// login simulators over TLS, with a JWKS-served signing key.
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
	// stop ends the context gateway.New was given, as serve's does when
	// the gateway begins to shut down.
	stop context.CancelFunc
	// gateway is the wired gateway (Close flushes its spans).
	gateway *gateway.Gateway
	// auditFile is SYNCGATE_AUDIT_FILE, set for every env.
	auditFile string
	// veeamSeen, graphSeen and loginSeen are the requests the Veeam, Graph
	// and login simulators received.
	veeamSeen, graphSeen, loginSeen *seenRequests
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

	vars map[string]string // more SYNCGATE_* settings
}

func newEnv(t *testing.T, opts ...func(*envOptions)) *env {
	t.Helper()
	o := envOptions{cooldown: time.Minute, veeamTimeout: 5 * time.Second, veeamPassword: testVeeamPassword}
	for _, f := range opts {
		f(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{t: t, clock: sim.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), logs: &logBuffer{},
		auditFile: filepath.Join(t.TempDir(), "audit.jsonl"), veeamSeen: &seenRequests{}, graphSeen: &seenRequests{}, loginSeen: &seenRequests{}}
	// As serve logs JSON: durations in seconds.
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: telemetry.SecondsDurations}))

	ca, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	e.minter, err = auth.NewMinter(testIssuer, testAudience)
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(e.minter.JWKS())
	t.Cleanup(jwks.Close)
	vars := map[string]string{
		"SYNCGATE_JWT_JWKS_URL":   jwks.URL,
		"SYNCGATE_JWT_ISSUERS":    testIssuer,
		"SYNCGATE_JWT_AUDIENCES":  testAudience,
		"SYNCGATE_START_COOLDOWN": o.cooldown.String(),
		"SYNCGATE_AUDIT_FILE":     e.auditFile,
	}
	if !o.noVeeam {
		e.startVeeam(ca, o, vars, caFile)
	}
	if !o.noGraph {
		e.startGraph(ca, o, vars, caFile)
	}
	maps.Copy(vars, o.vars)
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	gw, err := gateway.New(ctx, cfg, logger, gateway.Hooks{
		Now:   e.clock.Now,
		Sleep: func(context.Context, time.Duration) error { return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	e.gateway = gw
	e.gw = httptest.NewServer(gw.Handler)
	t.Cleanup(func() {
		e.gw.Close()
		collectSuiteOutput(e)
	})
	// Every answer of the suite is checked against openapi.yaml.
	e.gw.Client().Transport = contractChecker.Transport(e.gw.Client().Transport)
	e.token = e.mint(allScopes...)
	e.stop = cancel
	return e
}

// startVeeam serves the Veeam simulator over TLS and sets the variables that
// point the gateway at it.
func (e *env) startVeeam(ca *sim.CA, o envOptions, vars map[string]string, caFile string) {
	t := e.t
	t.Helper()
	simOpts := veeamsim.Options{Clock: e.clock, Username: "syncgate", Password: testVeeamPassword}
	if o.simOptions != nil {
		o.simOptions(&simOpts)
	}
	e.veeam = veeamsim.New(simOpts)
	veeamSrv, err := ca.StartTLS(e.veeamSeen.record(e.veeam))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(veeamSrv.Close)
	vars["SYNCGATE_VEEAM_URL"] = veeamSrv.URL
	vars["SYNCGATE_VEEAM_API_VERSION"] = "v8"
	vars["SYNCGATE_VEEAM_USERNAME"] = "syncgate"
	vars["SYNCGATE_VEEAM_PASSWORD"] = o.veeamPassword
	vars["SYNCGATE_VEEAM_CA_FILE"] = caFile
	vars["SYNCGATE_VEEAM_TIMEOUT"] = o.veeamTimeout.String()
}

// startGraph serves the Graph and login simulators over TLS and sets the
// variables that point the gateway's Graph adapter, and its azidentity
// credential, at them.
func (e *env) startGraph(ca *sim.CA, o envOptions, vars map[string]string, caFile string) {
	t := e.t
	t.Helper()
	const secret = testGraphSecret
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
	loginSrv, err := ca.StartTLS(e.loginSeen.record(e.login))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(loginSrv.Close)
	e.graph = graphsim.New(graphsim.GraphOptions{Tokens: e.login.Tokens()})
	graphSrv, err := ca.StartTLS(e.graphSeen.record(e.graph))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(graphSrv.Close)

	vars["SYNCGATE_GRAPH_TENANT_ID"] = graphsim.SeedTenantID
	vars["SYNCGATE_GRAPH_CLIENT_ID"] = graphsim.SeedClientID
	vars["SYNCGATE_GRAPH_AUTHORITY_URL"] = loginSrv.URL
	vars["SYNCGATE_GRAPH_BASE_URL"] = graphSrv.URL
	vars["SYNCGATE_GRAPH_SCOPE"] = "https://graph.microsoft.com/.default"
	vars["SYNCGATE_GRAPH_CA_FILE"] = caFile
	if o.graphVersion != "" {
		vars["SYNCGATE_GRAPH_API_VERSION"] = o.graphVersion
	}
	if o.graphJobPath != "" {
		vars["SYNCGATE_GRAPH_JOB_PATH"] = o.graphJobPath
	}
	if o.graphCredential == "certificate" {
		certFile := filepath.Join(t.TempDir(), "client.pem")
		if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		vars["SYNCGATE_GRAPH_CREDENTIAL"] = "certificate"
		vars["SYNCGATE_GRAPH_CLIENT_CERTIFICATE_FILE"] = certFile
	} else {
		vars["SYNCGATE_GRAPH_CLIENT_SECRET"] = secret
	}
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
	tok, err := e.minter.Mint(auth.MintClaims{Subject: "tester", Scopes: scopes, TTL: time.Hour,
		ClientID: testClientID, ObjectID: testObjectID})
	if err != nil {
		e.t.Fatal(err)
	}
	suiteSecrets.add(tok)
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
