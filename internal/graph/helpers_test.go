package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/google/go-cmp/cmp"

	"github.com/syncgate/syncgate/internal/upstream"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// Ids used across the tests, in the shapes Graph uses.
const (
	appObjectID = "0c5b9dbd-6d6c-4a7b-9a9e-3a5b4c8d2e1f"
	appID       = "6b2a7c1e-3d4f-4a5b-8c6d-7e8f9a0b1c2d"
	spObjectID  = "1d3f5a7c-9e0b-4c2d-8f4a-6b8d0f2a4c6e"
	jobID       = "aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6"
	graphReqID  = "3a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeCred is an azcore.TokenCredential that counts GetToken calls and hands
// out "tok-1", "tok-2", ... valid for lifetime (default one hour) on its
// clock. err, when set, is returned instead; gate, when set, holds every call
// until it is closed; entered gets a value each time a call begins.
type fakeCred struct {
	clock    *clock
	lifetime time.Duration
	gate     chan struct{}
	entered  chan struct{}

	mu     sync.Mutex
	err    error
	scopes [][]string
	n      atomic.Int32
}

func (f *fakeCred) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	n := f.n.Add(1)
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, opts.Scopes)
	if f.err != nil {
		return azcore.AccessToken{}, f.err
	}
	lifetime := f.lifetime
	if lifetime == 0 {
		lifetime = time.Hour
	}
	return azcore.AccessToken{Token: fmt.Sprintf("tok-%d", n), ExpiresOn: f.clock.Now().Add(lifetime)}, nil
}

func (f *fakeCred) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeCred) calls() int { return int(f.n.Load()) }

// seen is one request the fake Graph received.
type seen struct {
	Method, URI, Auth, ClientRequestID, ReturnClientRequestID, ContentLength string
}

// fakeGraph is a hand-written Graph: handle answers each request, and every
// request is recorded.
type fakeGraph struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []seen
	handle func(w http.ResponseWriter, r *http.Request, n int) // n counts requests to the same URI, from 1
	perURI map[string]int
}

func newGraph(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *fakeGraph {
	t.Helper()
	g := &fakeGraph{handle: handle, perURI: map[string]int{}}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.reqs = append(g.reqs, seen{
			Method: r.Method, URI: r.RequestURI, Auth: r.Header.Get("Authorization"),
			ClientRequestID: r.Header.Get("client-request-id"), ReturnClientRequestID: r.Header.Get("return-client-request-id"),
			ContentLength: r.Header.Get("Content-Length"),
		})
		g.perURI[r.Method+" "+r.RequestURI]++
		n := g.perURI[r.Method+" "+r.RequestURI]
		g.mu.Unlock()
		w.Header().Set("request-id", graphReqID)
		w.Header().Set("client-request-id", r.Header.Get("client-request-id"))
		g.handle(w, r, n)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGraph) requests() []seen {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]seen(nil), g.reqs...)
}

// uris is "METHOD request-uri" of every request, in order.
func (g *fakeGraph) uris() []string {
	var out []string
	for _, r := range g.requests() {
		out = append(out, r.Method+" "+r.URI)
	}
	return out
}

// happy answers every operation the adapter makes with a success, so a test
// can look at the requests alone.
func happy(t *testing.T) func(w http.ResponseWriter, r *http.Request, n int) {
	t.Helper()
	return func(w http.ResponseWriter, r *http.Request, n int) {
		path := r.URL.Path
		switch {
		case r.Method == http.MethodPost && hasSuffix(path, "/start"):
			w.WriteHeader(http.StatusNoContent)
		case r.URL.RawQuery == "$select=appId":
			writeJSON(w, http.StatusOK, `{"appId":"`+appID+`"}`)
		case hasPrefixAfterVersion(path, "/servicePrincipals("):
			writeJSON(w, http.StatusOK, `{"id":"`+spObjectID+`","appId":"`+appID+`"}`)
		case hasSuffix(path, "/jobs"):
			writeFile(t, w, http.StatusOK, "jobs.json")
		default:
			writeFile(t, w, http.StatusOK, "job_quarantine.json")
		}
	}
}

func hasSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix
}

func hasPrefixAfterVersion(path, prefix string) bool {
	for _, v := range []string{"/beta", "/v1.0"} {
		p := v + prefix
		if len(path) >= len(p) && path[:len(p)] == p {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// writeFile answers with a golden body from testdata.
func writeFile(t *testing.T, w http.ResponseWriter, status int, name string) {
	t.Helper()
	writeJSON(w, status, string(golden(t, name)))
}

func golden(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

// sleeps records the waits the retry policy asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ds = append(s.ds, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// setup is a client wired to a fake Graph and a fake credential.
type setup struct {
	client *Client
	graph  *fakeGraph
	cred   *fakeCred
	clock  *clock
	sleeps *sleeps
	logs   *bytes.Buffer
}

// newSetup starts a fake Graph answering with handle and a client for it;
// tweak, when not nil, adjusts the config first.
func newSetup(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int), tweak func(*Config)) *setup {
	t.Helper()
	s := &setup{graph: newGraph(t, handle), clock: newClock(), sleeps: &sleeps{}, logs: &bytes.Buffer{}}
	s.cred = &fakeCred{clock: s.clock}
	cfg := Config{
		Credential: s.cred,
		BaseURL:    s.graph.srv.URL,
		Scope:      "https://graph.microsoft.com/.default",
		Options: upstream.Options{
			HTTPClient: s.graph.srv.Client(),
			Retry:      upstream.RetryPolicy{RetryAfterBudget: upstream.DefaultRetryAfterBudget, Sleep: s.sleeps.sleep},
			Now:        s.clock.Now,
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: s.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	s.client = c
	return s
}

// lockedWriter lets concurrent log lines share one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// wantKind fails unless err is an *upstream.Error of kind k.
func wantKind(t *testing.T, err error, k upstream.Kind) *upstream.Error {
	t.Helper()
	ue, ok := upstream.As(err)
	if !ok {
		t.Fatalf("err = %v, want an *upstream.Error of kind %s", err, k)
	}
	if ue.Kind != k {
		t.Fatalf("kind = %s, want %s (err: %v)", ue.Kind, k, err)
	}
	if ue.Service != "graph" {
		t.Errorf("service = %q, want graph", ue.Service)
	}
	return ue
}

var errTest = errors.New("test")

// jsonString is s as a JSON string literal.
func jsonString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}
