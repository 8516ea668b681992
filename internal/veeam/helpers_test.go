package veeam

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/syncgate/syncgate/internal/upstream"
)

var update = flag.Bool("update", false, "rewrite the golden files of request bodies under testdata")

const (
	testUser     = "svc-syncgate@contoso.onmicrosoft.com"
	testPassword = "p@ss w0rd&=+é"
)

// apiCall is one API request the fake received (token requests are kept
// apart, in forms).
type apiCall struct {
	Method      string
	URI         string // as sent: escaped path and query
	Auth        string
	ContentType string
	RequestID   string
	Body        string
}

// fakeVeeam is a hand-written stand-in for the Veeam REST API: a token
// endpoint issuing numbered tokens, a logout endpoint, and API routes (api)
// behind a bearer check that answers 401 RESTExceptionInfo for a token it
// did not issue or has revoked.
type fakeVeeam struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	expiresIn int
	forms     []url.Values // token requests, in order
	rawForms  []string     // their bodies, as sent
	issued    int
	valid     map[string]bool // access tokens accepted
	refresh   map[string]bool // refresh tokens accepted
	calls     []apiCall
	logouts   []string // Authorization headers of logouts
	tokenGate chan struct{}
	// token, when set, answers token requests instead of the fake.
	token http.HandlerFunc
	// api answers authorized API requests.
	api http.HandlerFunc
}

func newFake(t *testing.T, api http.HandlerFunc) *fakeVeeam {
	t.Helper()
	f := &fakeVeeam{t: t, expiresIn: 3600, valid: map[string]bool{}, refresh: map[string]bool{}, api: api}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeVeeam) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v8/token":
		f.serveToken(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/v8/token/logout":
		f.mu.Lock()
		f.logouts = append(f.logouts, r.Header.Get("Authorization"))
		delete(f.valid, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		f.mu.Lock()
		f.calls = append(f.calls, apiCall{Method: r.Method, URI: r.RequestURI, Auth: auth,
			ContentType: r.Header.Get("Content-Type"), RequestID: r.Header.Get("X-Request-ID"), Body: string(body)})
		ok := strings.HasPrefix(auth, "Bearer ") && f.valid[strings.TrimPrefix(auth, "Bearer ")]
		f.mu.Unlock()
		if !ok {
			writeException(w, http.StatusUnauthorized, "", "Authorization has been denied for this request.")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.api(w, r)
	}
}

func (f *fakeVeeam) serveToken(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("token request Content-Type = %q", ct)
	}
	raw, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("token request form: %v", err)
	}
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	f.rawForms = append(f.rawForms, string(raw))
	gate := f.tokenGate
	override := f.token
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if override != nil {
		override(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "password":
		if r.PostForm.Get("username") != testUser || r.PostForm.Get("password") != testPassword {
			writeException(w, http.StatusBadRequest, "", "Invalid username or password.")
			return
		}
	case "refresh_token":
		if !f.refresh[r.PostForm.Get("refresh_token")] {
			writeException(w, http.StatusBadRequest, "", "Refresh token is invalid or expired.")
			return
		}
		delete(f.refresh, r.PostForm.Get("refresh_token"))
	default:
		writeException(w, http.StatusBadRequest, "", "unsupported grant_type")
		return
	}
	f.issued++
	access, refresh := fmt.Sprintf("access-%d", f.issued), fmt.Sprintf("refresh-%d", f.issued)
	f.valid[access], f.refresh[refresh] = true, true
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "refresh_token": refresh, "token_type": "bearer",
		"expires_in": f.expiresIn, "userName": testUser,
		".issued": "Mon, 03 Mar 2025 09:00:00 GMT", ".expires": "Mon, 03 Mar 2025 10:00:00 GMT",
	})
}

// grantTypes lists the grant_type of every token request so far.
func (f *fakeVeeam) grantTypes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var gs []string
	for _, form := range f.forms {
		gs = append(gs, form.Get("grant_type"))
	}
	return gs
}

// rawForm is the body of token request i, as sent.
func (f *fakeVeeam) rawForm(i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.rawForms) {
		f.t.Fatalf("token request %d was not made; %d were", i, len(f.rawForms))
	}
	return f.rawForms[i]
}

func (f *fakeVeeam) apiCalls() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiCall(nil), f.calls...)
}

func (f *fakeVeeam) logoutAuths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.logouts...)
}

// revokeAll forgets every token, as a restarted server would.
func (f *fakeVeeam) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.valid, f.refresh = map[string]bool{}, map[string]bool{}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeException answers Veeam's RESTExceptionInfo, stack trace included, as
// the server does.
func writeException(w http.ResponseWriter, status int, code, message string) {
	var c any
	if code != "" {
		c = code
	}
	writeJSON(w, status, map[string]any{"message": message, "errorCode": c,
		"stackTrace": "   at Veeam.Archiver.REST.SECRET_STACK_FRAME()"})
}

// serveFile answers a testdata file as JSON.
func serveFile(t *testing.T, name string) http.HandlerFunc {
	t.Helper()
	data := fixture(t, name)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(data)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// clock is a test clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
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

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a client wired to a fake, with its clock, waits and logs.
type harness struct {
	c      *Client
	fake   *fakeVeeam
	clock  *clock
	sleeps *sleeps
	logs   *logBuffer
}

// newHarness builds a client for fake; mutate, when not nil, adjusts the
// config first.
func newHarness(t *testing.T, fake *fakeVeeam, mutate func(*Config)) *harness {
	t.Helper()
	h := &harness{fake: fake, clock: newClock(), sleeps: &sleeps{}, logs: &logBuffer{}}
	cfg := Config{
		BaseURL:  fake.srv.URL,
		Username: testUser,
		Password: testPassword,
		Options: upstream.Options{
			HTTPClient: fake.srv.Client(),
			Retry:      upstream.RetryPolicy{RetryAfterBudget: upstream.DefaultRetryAfterBudget, Sleep: h.sleeps.sleep},
			Now:        h.clock.Now,
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(cfg, logger)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.c = c
	t.Cleanup(func() { assertNoSecrets(t, h.logs.String()) })
	return h
}

// assertNoSecrets fails when a log holds the password, a token or a stack
// trace.
func assertNoSecrets(t *testing.T, logs string) {
	t.Helper()
	for _, secret := range []string{testPassword, url.QueryEscape(testPassword), "access-", "refresh-", "SECRET_STACK_FRAME"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

// wantKind fails unless err is an *upstream.Error of service veeam and kind k.
func wantKind(t *testing.T, err error, k upstream.Kind) *upstream.Error {
	t.Helper()
	ue, ok := upstream.As(err)
	if !ok {
		t.Fatalf("error = %v (%T), want *upstream.Error", err, err)
	}
	if ue.Kind != k || ue.Service != "veeam" || ue.Op == "" {
		t.Fatalf("error = %v: kind %v service %q op %q, want kind %v, service veeam and an op", err, ue.Kind, ue.Service, ue.Op, k)
	}
	return ue
}
