package gateway_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/config"
	"github.com/syncgate/syncgate/internal/gateway"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// No goroutine outlives the tests: neither the gateway's (backend
// connections, token renewals, the JWKS refresh) nor the simulators'.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	issuer   = "https://issuer.test/"
	audience = "api://syncgate-faults"
)

// rig is the production wiring (gateway.New from SYNCGATE_* variables, as
// `syncgate serve` builds it) over HTTP, in front of the Veeam, Graph and
// login simulators over TLS and a JWKS, each of which a test can break and
// mend, and which count every request that reaches them.
type rig struct {
	t      *testing.T
	gw     *gateway.Gateway
	url    string
	client *http.Client
	veeam  *veeamsim.Server
	veeamS *restartable
	graph  *graphsim.Graph
	login  *graphsim.Login
	calls  *calls
	jwks   *jwks
	minter *auth.Minter

	mu     sync.Mutex
	states []string // breaker changes, "veeam closed>open"
}

// newRig wires the gateway with vars over the defaults (a 60 s cooldown, the
// backends' 30 s deadlines). Retry waits are skipped (Hooks.Sleep), so a
// retried call costs no time; everything else runs on real time, the
// breakers' open period included.
func newRig(t *testing.T, vars map[string]string) *rig {
	t.Helper()
	// Registered first, so it runs last: after every server and the
	// gateway have been closed.
	t.Cleanup(func() { goleak.VerifyNone(t) })
	r := &rig{t: t, calls: &calls{}}
	ca, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	serverTLS, err := ca.ServerTLS()
	if err != nil {
		t.Fatal(err)
	}

	r.minter, err = auth.NewMinter(issuer, audience)
	if err != nil {
		t.Fatal(err)
	}
	r.jwks = &jwks{minters: []*auth.Minter{r.minter}}
	jwksSrv := httptest.NewServer(r.calls.count("jwks", r.jwks))
	t.Cleanup(jwksSrv.Close)

	r.veeam = veeamsim.New(veeamsim.Options{Username: "syncgate", Password: "secret"})
	r.veeamS = &restartable{t: t, handler: r.calls.count("veeam", r.veeam), tls: serverTLS}
	r.veeamS.start()
	t.Cleanup(r.veeamS.stop)

	const secret = "graph-client-secret-value"
	r.login = graphsim.NewLogin(graphsim.LoginOptions{Clients: []graphsim.Client{{ID: graphsim.SeedClientID, Secret: secret}}})
	loginSrv := startTLS(t, serverTLS, r.calls.count("login", r.login))
	r.graph = graphsim.New(graphsim.GraphOptions{Tokens: r.login.Tokens()})
	graphSrv := startTLS(t, serverTLS, r.calls.count("graph", r.graph))

	env := map[string]string{
		"SYNCGATE_JWT_JWKS_URL":        jwksSrv.URL,
		"SYNCGATE_JWT_ISSUERS":         issuer,
		"SYNCGATE_JWT_AUDIENCES":       audience,
		"SYNCGATE_VEEAM_URL":           "https://" + r.veeamS.addr,
		"SYNCGATE_VEEAM_USERNAME":      "syncgate",
		"SYNCGATE_VEEAM_PASSWORD":      "secret",
		"SYNCGATE_VEEAM_CA_FILE":       caFile,
		"SYNCGATE_GRAPH_TENANT_ID":     graphsim.SeedTenantID,
		"SYNCGATE_GRAPH_CLIENT_ID":     graphsim.SeedClientID,
		"SYNCGATE_GRAPH_CLIENT_SECRET": secret,
		"SYNCGATE_GRAPH_AUTHORITY_URL": loginSrv.URL,
		"SYNCGATE_GRAPH_BASE_URL":      graphSrv.URL,
		"SYNCGATE_GRAPH_CA_FILE":       caFile,
	}
	maps.Copy(env, vars)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	r.gw, err = gateway.New(ctx, cfg, logger, gateway.Hooks{
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		OnBreakerChange: func(service, from, to string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.states = append(r.states, service+" "+from+">"+to)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.gw.Handler)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		r.gw.Close(ctx)
	})
	r.url = srv.URL
	r.client = &http.Client{Transport: &http.Transport{}}
	t.Cleanup(r.client.CloseIdleConnections)
	return r
}

func startTLS(t *testing.T, cfg *tls.Config, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// token mints a token with every scope from the rig's signing key.
func (r *rig) token() string { return r.tokenFrom(r.minter) }

func (r *rig) tokenFrom(m *auth.Minter) string {
	r.t.Helper()
	tok, err := m.Mint(auth.MintClaims{Subject: "faults", TTL: time.Hour,
		Scopes: []string{"Organizations.Read", "Organizations.Sync", "SyncJobs.Read", "SyncJobs.Start"}})
	if err != nil {
		r.t.Fatal(err)
	}
	return tok
}

// answer is what the gateway answered a caller.
type answer struct {
	status     int
	typ        string // the problem type's slug, "" for a success
	retryAfter string
}

func (r *rig) do(method, path, token string) answer {
	r.t.Helper()
	req, err := http.NewRequest(method, r.url+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	a := answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		var p struct{ Type string }
		if err := json.Unmarshal(body, &p); err != nil {
			r.t.Fatalf("%s %s: problem does not parse: %s", method, path, body)
		}
		a.typ = strings.TrimPrefix(p.Type, "urn:syncgate:problem:")
	}
	return a
}

func (r *rig) get(path string) answer  { r.t.Helper(); return r.do(http.MethodGet, path, r.token()) }
func (r *rig) post(path string) answer { r.t.Helper(); return r.do(http.MethodPost, path, r.token()) }

// want fails the test unless a has the status and problem type (typ "" for
// a success).
func (r *rig) want(what string, a answer, status int, typ string) {
	r.t.Helper()
	if a.status != status || a.typ != typ {
		r.t.Fatalf("%s: %d %q; want %d %q", what, a.status, a.typ, status, typ)
	}
}

// wantMetric fails the test unless GET /metrics shows the line.
func (r *rig) wantMetric(line string) {
	r.t.Helper()
	resp, err := r.client.Get(r.url + "/metrics")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(body), "\n"), line) {
		r.t.Errorf("GET /metrics (%d) has no line %s", resp.StatusCode, line)
	}
}

// breakerState is a backend's breaker state.
func (r *rig) breakerState(service string) string {
	b := r.gw.Breakers[service]
	if b == nil {
		r.t.Fatalf("no %s breaker", service)
	}
	return b.State()
}

// waitBreaker polls until a backend's breaker is in state: its open period
// runs on real time.
func (r *rig) waitBreaker(service, state string) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.breakerState(service) != state {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s breaker still %s, want %s", service, r.breakerState(service), state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// breakerChanges are the breaker state changes Hooks.OnBreakerChange was
// told of, in order.
func (r *rig) breakerChanges() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.states...)
}

// calls counts the requests that reached each simulated server, by
// "METHOD path".
type calls struct {
	mu   sync.Mutex
	seen map[string][]string // server → "METHOD path" of each request
}

func (c *calls) count(server string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		if c.seen == nil {
			c.seen = map[string][]string{}
		}
		c.seen[server] = append(c.seen[server], r.Method+" "+r.URL.Path)
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// n is how many requests reached server whose "METHOD path" has the prefix
// and the suffix given.
func (c *calls) n(server, prefix, suffix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.seen[server] {
		if strings.HasPrefix(s, prefix) && strings.HasSuffix(s, suffix) {
			n++
		}
	}
	return n
}

// restartable serves a handler over TLS on a loopback address that stays
// the same when the server is stopped and started again: a backend that
// goes down (connections refused) and comes back.
type restartable struct {
	t       *testing.T
	handler http.Handler
	tls     *tls.Config
	addr    string
	srv     *httptest.Server
}

func (s *restartable) start() {
	s.t.Helper()
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("listen again on %s: %v", addr, err)
	}
	s.addr = ln.Addr().String()
	s.srv = httptest.NewUnstartedServer(s.handler)
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.TLS = s.tls
	s.srv.StartTLS()
}

func (s *restartable) stop() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// jwks serves the public keys of its minters as a JWK Set, or fails with 503
// while down.
type jwks struct {
	mu      sync.Mutex
	minters []*auth.Minter
	down    atomic.Bool
}

func (j *jwks) set(minters ...*auth.Minter) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.minters = minters
}

func (j *jwks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if j.down.Load() {
		http.Error(w, "identity provider unavailable", http.StatusServiceUnavailable)
		return
	}
	j.mu.Lock()
	minters := j.minters
	j.mu.Unlock()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	for _, m := range minters {
		rec := httptest.NewRecorder()
		m.JWKS().ServeHTTP(rec, r)
		var one struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		set.Keys = append(set.Keys, one.Keys...)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}
