package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
)

// The whole integration suite's output, searched for every secret and token
// it used once every test has run (see checkSuiteSecrets, called by
// TestMain): each env's log lines, audit file and a last scrape of its
// /metrics; and every credential: minted bearer tokens, the Veeam password,
// the Graph client secret, and what the simulators saw or issued (backend
// access and refresh tokens, client assertions).
var (
	suiteSecrets = &secretSet{set: map[string]bool{}}
	suiteOutputs struct {
		sync.Mutex
		chunks []outputChunk
	}
)

// outputChunk is one thing the gateway wrote during a test.
type outputChunk struct {
	test, what, text string
}

// secretSet is the secrets the suite used.
type secretSet struct {
	mu  sync.Mutex
	set map[string]bool
}

// add remembers s as a secret when it is long enough to be one (short
// values such as a wrong password "x" would match anywhere).
func (s *secretSet) add(v string) {
	v = strings.TrimSpace(v)
	if len(v) < 12 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set[v] = true
}

func (s *secretSet) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.set))
	for v := range s.set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// collectSuiteOutput keeps e's log lines, audit file and metrics for the
// secret scan.
func collectSuiteOutput(e *env) {
	rec := httptest.NewRecorder()
	e.gateway.MetricsHandler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	audit, _ := os.ReadFile(e.auditFile)
	suiteOutputs.Lock()
	defer suiteOutputs.Unlock()
	suiteOutputs.chunks = append(suiteOutputs.chunks,
		outputChunk{e.t.Name(), "log", e.logs.String()},
		outputChunk{e.t.Name(), "audit file", string(audit)},
		outputChunk{e.t.Name(), "metrics", rec.Body.String()})
}

// checkSuiteSecrets fails the run (returns 1) when any secret or token the
// suite used appears in any log line, audit record or metric; code is the
// tests' own result. When the whole suite ran, it also fails unless the
// scan had something to search: tokens of both backends, minted tokens,
// audit records, metrics.
func checkSuiteSecrets(code int) int {
	secrets := append(suiteSecrets.list(), testVeeamPassword, testGraphSecret)
	suiteOutputs.Lock()
	chunks := suiteOutputs.chunks
	suiteOutputs.Unlock()
	var leaks []string
	lines, auditRecords := 0, 0
	for _, c := range chunks {
		lines += strings.Count(c.text, "\n")
		if c.what == "audit file" {
			auditRecords += strings.Count(c.text, "\n")
		}
		for _, s := range secrets {
			if strings.Contains(c.text, s) {
				leaks = append(leaks, fmt.Sprintf("%s: its %s holds the secret %.6s…", c.test, c.what, s))
			}
		}
	}
	fmt.Printf("secret scan: %d secrets and tokens searched for in %d lines (logs, %d audit records, metrics) of %d gateways\n",
		len(secrets), lines, auditRecords, len(chunks)/3)
	if len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: secrets reached the gateway's output:\n  %s\n", strings.Join(leaks, "\n  "))
		return 1
	}
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" {
		kinds := map[string]bool{}
		for _, s := range secrets {
			kinds[secretKind(s)] = true
		}
		if !kinds["veeam token"] || !kinds["graph token"] || !kinds["minted"] || auditRecords == 0 || len(chunks) == 0 {
			fmt.Fprintf(os.Stderr, "FAIL: the secret scan had too little to search (kinds %v, %d audit records)\n", kinds, auditRecords)
			return 1
		}
	}
	return code
}

// backendTokens remembers which secrets are backend tokens, for the scan's
// own check that it searched for some.
var backendTokens sync.Map // token → "veeam token" | "graph token"

// secretKind says what a secret is, for that check.
func secretKind(s string) string {
	if k, ok := backendTokens.Load(s); ok {
		return k.(string)
	}
	if strings.Count(s, ".") == 2 && strings.HasPrefix(s, "ey") {
		return "minted"
	}
	return "other"
}

// seenRequests is what a simulator received: the traceparent of each
// request, and every credential it saw or issued goes to suiteSecrets.
type seenRequests struct {
	mu           sync.Mutex
	traceparents []string
}

// record wraps a simulator's handler.
func (s *seenRequests) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if tp := r.Header.Get("traceparent"); tp != "" {
			s.traceparents = append(s.traceparents, tp)
		}
		s.mu.Unlock()
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			suiteSecrets.add(tok)
		}
		if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if form, err := url.ParseQuery(string(body)); err == nil {
				for _, k := range []string{"password", "refresh_token", "client_secret", "client_assertion"} {
					suiteSecrets.add(form.Get(k))
				}
			}
			// A token endpoint: keep the tokens it issues.
			cw := &capture{ResponseWriter: w}
			h.ServeHTTP(cw, r)
			var issued struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
			}
			if json.Unmarshal(cw.body.Bytes(), &issued) == nil && issued.AccessToken != "" {
				kind := "veeam token"
				if strings.Contains(r.URL.Path, "oauth2") {
					kind = "graph token"
				}
				for _, t := range []string{issued.AccessToken, issued.RefreshToken} {
					if t != "" {
						suiteSecrets.add(t)
						backendTokens.Store(t, kind)
					}
				}
			}
			return
		}
		h.ServeHTTP(w, r)
	})
}

// traces is every traceparent received so far.
func (s *seenRequests) traces() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.traceparents)
}

// capture keeps a copy of what a handler writes.
type capture struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (c *capture) Write(p []byte) (int, error) {
	c.body.Write(p)
	return c.ResponseWriter.Write(p)
}

// auditFileRecords reads the env's SYNCGATE_AUDIT_FILE.
func (e *env) auditFileRecords() []map[string]any {
	e.t.Helper()
	data, err := os.ReadFile(e.auditFile)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			e.t.Fatalf("audit file line does not parse: %v: %s", err, sc.Bytes())
		}
		out = append(out, rec)
	}
	return out
}

// linesOf is the log lines that carry requestId id.
func (e *env) linesOf(id string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["requestId"] == id {
			out = append(out, rec)
		}
	}
	return out
}
