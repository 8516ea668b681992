package graphsim_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
)

const testSecret = "s3cr3t~value.for-tests"

// recorder records the method and path of every request a handler gets.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, r.Method+" "+r.URL.Path)
	rec.mu.Unlock()
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.reqs...)
}

// env is a login host and Graph sharing tokens, both served over TLS.
type env struct {
	clock    *sim.FakeClock
	ca       *sim.CA
	login    *graphsim.Login
	loginRec *recorder
	loginSrv *httptest.Server
	graph    *graphsim.Graph
	graphSrv *httptest.Server
	client   *http.Client
	*certs
}

// certs are a client certificate registered for SeedClientID and one
// registered for no one (RSA keys take a moment to make: share them).
type certs struct {
	cert      *x509.Certificate
	key       *rsa.PrivateKey
	certPEM   []byte // certificate and private key
	otherCert *x509.Certificate
	otherKey  *rsa.PrivateKey
	otherPEM  []byte
}

func newCerts(t *testing.T) *certs {
	t.Helper()
	var c certs
	c.cert, c.key, c.certPEM = makeCert(t)
	c.otherCert, c.otherKey, c.otherPEM = makeCert(t)
	return &c
}

// newEnv starts the simulators, with c registered when not nil.
func newEnv(t *testing.T, c *certs) *env {
	t.Helper()
	ca, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	if c == nil {
		c = &certs{}
	}
	e := &env{clock: sim.NewFakeClock(time.Now()), ca: ca, certs: c}
	e.login = graphsim.NewLogin(graphsim.LoginOptions{
		Clock:  e.clock,
		Tenant: graphsim.SeedTenantID,
		Clients: []graphsim.Client{
			{ID: graphsim.SeedClientID, Secret: testSecret, Certificate: e.cert},
			{ID: readerClientID, Secret: testSecret, Roles: []string{graphsim.RoleSyncRead}},
			{ID: noRolesClientID, Secret: testSecret, Roles: []string{}},
		},
		AllowedScopes: []string{graphsim.DefaultGraphScope, "https://graph.microsoft.us/.default"},
	})
	e.loginRec = &recorder{next: e.login}
	if e.loginSrv, err = ca.StartTLS(e.loginRec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.loginSrv.Close)
	e.graph = graphsim.New(graphsim.GraphOptions{Clock: e.clock, Tokens: e.login.Tokens()})
	if e.graphSrv, err = ca.StartTLS(e.graph); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.graphSrv.Close)
	e.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 64,
	}}
	t.Cleanup(e.client.CloseIdleConnections)
	return e
}

const (
	readerClientID  = "2b0c3c7e-51a8-4a51-9c0e-3f1d7b0e6a11"
	noRolesClientID = "c9a1e2f3-0b4d-4e8f-9a7b-6c5d4e3f2a10"
)

// makeCert makes a self-signed RSA certificate as one registers for an
// Entra application, and its PEM (certificate then PKCS#8 key).
func makeCert(t *testing.T) (*x509.Certificate, *rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "syncgate test client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})...)
	return cert, key, out
}

// tokenURL is the login host's token endpoint for the seed tenant.
func (e *env) tokenURL() string {
	return e.loginSrv.URL + "/" + graphsim.SeedTenantID + "/oauth2/v2.0/token"
}

// postForm posts a form to the token endpoint and decodes the JSON answer.
func (e *env) postForm(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := e.client.PostForm(e.tokenURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

// secretToken gets a token for clientID with the test secret.
func (e *env) secretToken(t *testing.T, clientID string) string {
	t.Helper()
	status, body := e.postForm(t, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {testSecret},
		"scope": {graphsim.DefaultGraphScope},
	})
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

// do sends a request to Graph with a bearer token (none if token is "").
func (e *env) do(t *testing.T, method, path, token string, body io.Reader, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.graphSrv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// decode reads a JSON body (an empty one decodes to nil).
func decode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return resp.StatusCode, nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return resp.StatusCode, m
}

// graphErr returns error.code of a Graph error body.
func graphErr(t *testing.T, body map[string]any) (code string, inner map[string]any) {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	if !ok {
		t.Fatalf("not a Graph error body: %v", body)
	}
	inner, _ = e["innerError"].(map[string]any)
	code, _ = e["code"].(string)
	return code, inner
}
