package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
	"github.com/syncgate/syncgate/internal/store/redistest"
)

var jobStartPath = "/applications/" + graphsim.AWSObjectID + "/jobs/" + graphsim.AWSJobID + "/start"

func withKey(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

// TestIdempotencyKeyReplays: the same key and request replays the first
// answer with no second upstream start; another request with the key is
// 422; another caller's same key is its own.
func TestIdempotencyKeyReplays(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.cooldown = 0 })
	first := e.do(req{method: "POST", path: jobStartPath, token: e.token, header: withKey("k-1")})
	wantStatus(t, first, http.StatusAccepted)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("a first answer says it is replayed")
	}
	again := e.do(req{method: "POST", path: jobStartPath, token: e.token, header: withKey("k-1")})
	wantStatus(t, again, http.StatusAccepted)
	if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) ||
		again.header.Get("Location") != first.header.Get("Location") || again.header.Get("Content-Type") != "application/json" {
		t.Fatalf("replay: headers %v body %s; want the first answer (%s) with Idempotent-Replayed: true", again.header, again.body, first.body)
	}
	if n := e.graph.StartCalls(graphsim.AWSJobID); n != 1 {
		t.Fatalf("upstream starts = %d after a replay; want 1", n)
	}
	// Another request with the key: another query, another body, another path.
	for _, r := range []req{
		{method: "POST", path: jobStartPath + "?force=true"},
		{method: "POST", path: jobStartPath, body: `{}`},
		{method: "POST", path: "/organizations/" + veeamsim.ContosoID + "/sync"},
	} {
		r.token, r.header = e.token, withKey("k-1")
		wantProblem(t, e.do(r), http.StatusUnprocessableEntity, api.TypeIdempotencyKeyReuse)
	}
	// Another caller's k-1 is not this caller's.
	other, err := e.minter.Mint(auth.MintClaims{Subject: "someone-else", Scopes: allScopes, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// (force: the job is Active now; with this caller's k-1 that would be 422.)
	theirs := e.do(req{method: "POST", path: jobStartPath + "?force=true", token: other, header: withKey("k-1")})
	wantStatus(t, theirs, http.StatusAccepted)
	if theirs.header.Get("Idempotent-Replayed") != "" || e.graph.StartCalls(graphsim.AWSJobID) != 2 {
		t.Fatalf("another caller's key replayed this caller's answer (starts %d)", e.graph.StartCalls(graphsim.AWSJobID))
	}
	// Keys that are not 1 to 255 printable characters.
	for _, bad := range []string{strings.Repeat("k", 256), "tab\there", "é"} {
		r := e.do(req{method: "POST", path: jobStartPath, token: e.token, header: withKey(bad)})
		wantProblem(t, r, http.StatusBadRequest, api.TypeValidation)
		if len(r.problem.Errors) != 1 || r.problem.Errors[0].Field != "Idempotency-Key" {
			t.Errorf("key %q: errors %+v; want one naming Idempotency-Key", bad, r.problem.Errors)
		}
	}
	// GET ignores the header.
	wantStatus(t, e.do(req{method: "GET", path: strings.TrimSuffix(jobStartPath, "/start"), token: e.token, header: withKey("k-1")}), http.StatusOK)
}

// TestIdempotencyKeyRetryableAnswersAreNotKept: a 429 (the cooldown) says
// nothing happened; retried with the same key once the cooldown is over,
// the start runs.
func TestIdempotencyKeyRetryableAnswersAreNotKept(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.do(req{method: "POST", path: jobStartPath, token: e.token}), http.StatusAccepted)
	e.graph.PutJob(graphsim.AWSObjectID, pausedJob(t, e))
	wantProblem(t, e.do(req{method: "POST", path: jobStartPath, token: e.token, header: withKey("retry")}), http.StatusTooManyRequests, api.TypeCooldown)
	e.clock.Advance(2 * time.Minute)
	r := e.do(req{method: "POST", path: jobStartPath, token: e.token, header: withKey("retry")})
	wantStatus(t, r, http.StatusAccepted)
	if r.header.Get("Idempotent-Replayed") != "" || e.graph.StartCalls(graphsim.AWSJobID) != 2 {
		t.Fatalf("the retry after a 429 was %v, starts %d; want a real second start", r.header, e.graph.StartCalls(graphsim.AWSJobID))
	}
	// A 409 (already running) is an answer: it is kept and replayed.
	e.clock.Advance(2 * time.Minute)
	busy := e.do(req{method: "POST", path: jobStartPath, token: e.token, header: withKey("busy")})
	wantProblem(t, busy, http.StatusConflict, api.TypeAlreadyRunning)
	replayed := e.do(req{method: "POST", path: jobStartPath, token: e.token, header: withKey("busy")})
	wantProblem(t, replayed, http.StatusConflict, api.TypeAlreadyRunning)
	if replayed.header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("a kept 409 was not replayed")
	}
}

// pausedJob is the AWS job set back to Paused, so it can start again.
func pausedJob(t *testing.T, e *env) graphsim.Job {
	t.Helper()
	j, ok := e.graph.Job(graphsim.AWSObjectID, graphsim.AWSJobID)
	if !ok {
		t.Fatal("no AWS job")
	}
	j.Status.Code = "Paused"
	return j
}

// TestRateLimitPerCaller: a caller over SYNCGATE_RATE_LIMIT gets 429
// rate-limited with Retry-After and the RateLimit headers, and reaches no
// backend; another caller is not affected.
func TestRateLimitPerCaller(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.vars = map[string]string{"SYNCGATE_RATE_LIMIT": "3/m"} })
	mint := func(client string) string {
		tok, err := e.minter.Mint(auth.MintClaims{Subject: "user", ClientID: client, Scopes: allScopes, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	portal, other := mint("portal"), mint("automation")
	read := "/organizations/" + veeamsim.ContosoID
	for i := range 3 {
		r := e.do(req{method: "GET", path: read, token: portal})
		wantStatus(t, r, http.StatusOK)
		if got, want := r.header.Get("RateLimit"), `"caller";r=`+string(rune('2'-i))+";t=60"; got != want {
			t.Errorf("request %d: RateLimit %q; want %q", i+1, got, want)
		}
		if got := r.header.Get("RateLimit-Policy"); got != `"caller";q=3;w=60` {
			t.Errorf("RateLimit-Policy %q", got)
		}
	}
	start := "/organizations/" + veeamsim.ContosoID + "/sync"
	r := e.do(req{method: "POST", path: start, token: portal})
	wantProblem(t, r, http.StatusTooManyRequests, api.TypeRateLimited)
	if r.header.Get("Retry-After") != "60" || r.problem.RetryAfter != 60 || r.header.Get("RateLimit") != `"caller";r=0;t=60` {
		t.Fatalf("429 headers %v, retryAfter %d; want Retry-After 60 and r=0", r.header, r.problem.RetryAfter)
	}
	if n := e.veeam.SyncCalls(veeamsim.ContosoID); n != 0 {
		t.Fatalf("a refused start reached Veeam %d times", n)
	}
	if m := string(e.get("/metrics").body); !strings.Contains(m, `syncgate_rate_limit_refusals_total{route="/organizations/{organizationId}/sync"} 1`) {
		t.Errorf("/metrics does not count the refusal:\n%s", grepLines(m, "rate_limit"))
	}
	wantStatus(t, e.do(req{method: "POST", path: start, token: other}), http.StatusAccepted)
	e.clock.Advance(time.Minute)
	wantStatus(t, e.do(req{method: "GET", path: read, token: portal}), http.StatusOK)
}

// TestRedisDownStartsFailClosed: with the gateway's Redis stopped, a start
// answers 503 store-unavailable with Retry-After and reaches no backend,
// reads answer 200 and /readyz says the store is unavailable; with Redis
// back, starts work again without a restart.
func TestRedisDownStartsFailClosed(t *testing.T) {
	// A password in the URL, as in production: the suite's secret scan
	// searches every log line, audit record and metric for it.
	const redisPassword = "redis-pa55word-never-logged"
	suiteSecrets.add(redisPassword)
	redis := redistest.StartWithPassword(t, redisPassword)
	e := newEnv(t, func(o *envOptions) {
		o.vars = map[string]string{"SYNCGATE_REDIS_URL": redis.URL(), "SYNCGATE_RATE_LIMIT": "100/m"}
	})
	ready := decodeJSON[api.Health](t, e.do(req{method: "GET", path: "/readyz"}))
	if ready.Store == nil || *ready.Store != (api.StoreHealth{Kind: "redis", Status: "up"}) {
		t.Fatalf("/readyz store %+v; want redis up", ready.Store)
	}
	redis.Stop()
	for _, r := range []req{
		{method: "POST", path: "/organizations/" + veeamsim.ContosoID + "/sync"},
		{method: "POST", path: jobStartPath},
		{method: "POST", path: jobStartPath + "?dryRun=true"},
		{method: "POST", path: "/organizations/" + veeamsim.ContosoID + "/sync", header: withKey("k")},
	} {
		r.token = e.token
		got := e.do(r)
		wantProblem(t, got, http.StatusServiceUnavailable, api.TypeStoreUnavailable)
		if got.header.Get("Retry-After") != "5" {
			t.Errorf("%s: Retry-After %q; want 5", r.path, got.header.Get("Retry-After"))
		}
	}
	if v, g := e.veeam.SyncCalls(veeamsim.ContosoID), e.graph.StartCalls(graphsim.AWSJobID); v != 0 || g != 0 {
		t.Fatalf("with Redis down, starts reached the backends (Veeam %d, Graph %d)", v, g)
	}
	wantStatus(t, e.get("/organizations/"+veeamsim.ContosoID+"/sync"), http.StatusOK)
	wantStatus(t, e.get(strings.TrimSuffix(jobStartPath, "/start")), http.StatusOK)
	ready = decodeJSON[api.Health](t, e.do(req{method: "GET", path: "/readyz"}))
	if ready.Store == nil || ready.Store.Status != "unavailable" {
		t.Fatalf("/readyz store %+v with Redis down; want unavailable", ready.Store)
	}
	if m := string(e.get("/metrics").body); !strings.Contains(m, `syncgate_store_errors_total{operation="cooldown"} 3`) ||
		!strings.Contains(m, `syncgate_store_errors_total{operation="idempotency"} 1`) {
		t.Errorf("/metrics does not count the store errors:\n%s", grepLines(m, "store_errors"))
	}
	// Each refusal is audited and counted, the one refused at its
	// Idempotency-Key too: nothing was started.
	recs := e.auditFileRecords()
	if len(recs) != 4 {
		t.Fatalf("%d audit records for 4 refused starts", len(recs))
	}
	for _, rec := range recs {
		if rec["decision"] != "store-unavailable" || rec["started"] != false {
			t.Errorf("audit record %v; want decision store-unavailable, nothing started", rec)
		}
	}
	m := e.metrics()
	wantMetric(t, m, "syncgate_start_decisions_total", map[string]string{"kind": "organization", "decision": "store_unavailable"}, 2)
	wantMetric(t, m, "syncgate_start_decisions_total", map[string]string{"kind": "job", "decision": "store_unavailable"}, 2)
	// The rate limit could not count the 4 starts and 2 reads (they went
	// through unlimited), and /readyz could not reach the store once.
	wantMetric(t, m, "syncgate_store_errors_total", map[string]string{"operation": "ratelimit"}, 6)
	wantMetric(t, m, "syncgate_store_errors_total", map[string]string{"operation": "readyz"}, 1)
	// The request id once per line (the context logger adds it; a line
	// adding it too wrote the key twice).
	for line := range strings.Lines(e.logs.String()) {
		if n := strings.Count(line, `"requestId":`); n > 1 {
			t.Errorf("requestId %d times in one line: %s", n, line)
		}
	}
	if !strings.Contains(e.logs.String(), "rate limit not applied") {
		t.Error("the rate limit's store failure is not logged")
	}
	if logs := e.logs.String(); !strings.Contains(logs, "store-unavailable") || strings.Contains(logs, redis.URL()) {
		t.Errorf("the 503 is not logged, or the log quotes the Redis URL")
	}

	redis.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.post(jobStartPath, "")
		if r.status == http.StatusAccepted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis back 10 s ago, a start still answers %d %s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if g := e.graph.StartCalls(graphsim.AWSJobID); g != 1 {
		t.Fatalf("Graph starts = %d; want 1", g)
	}
}

// grepLines returns the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestIdempotencyKeyTTL: an answer is replayed for SYNCGATE_IDEMPOTENCY_TTL
// and no longer: past it, the same key and request run again.
func TestIdempotencyKeyTTL(t *testing.T) {
	e := newEnv(t, func(o *envOptions) {
		o.cooldown = 0
		o.vars = map[string]string{"SYNCGATE_IDEMPOTENCY_TTL": "1h"}
	})
	start := func() response {
		return e.do(req{method: "POST", path: jobStartPath + "?force=true", token: e.token, header: withKey("ttl")})
	}
	wantStatus(t, start(), http.StatusAccepted)
	e.clock.Advance(59 * time.Minute)
	if r := start(); r.status != http.StatusAccepted || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("within the TTL: %d, Idempotent-Replayed %q; want the replay", r.status, r.header.Get("Idempotent-Replayed"))
	}
	e.clock.Advance(2 * time.Minute)
	if r := start(); r.status != http.StatusAccepted || r.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("past the TTL: %d, Idempotent-Replayed %q; want a new start", r.status, r.header.Get("Idempotent-Replayed"))
	}
	if n := e.graph.StartCalls(graphsim.AWSJobID); n != 2 {
		t.Fatalf("Graph starts = %d; want 2 (the first, and the one past the TTL)", n)
	}
}
