//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
	"github.com/syncgate/syncgate/internal/store/redistest"
)

// replica is one `syncgate serve` process.
type replica struct {
	url string
	out *syncBuffer
}

// startReplica runs `syncgate serve` in a process of its own with vars (on
// a free loopback port) and waits until it listens; it is stopped with
// SIGTERM when the test ends.
func startReplica(t *testing.T, name string, vars map[string]string) *replica {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = []string{runMainEnv + "=1", "SYNCGATE_LISTEN_ADDR=127.0.0.1:0", "SYNCGATE_LOG_FORMAT=json"}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{out: &syncBuffer{}}
	cmd.Stderr = r.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(r.out, line)
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				select {
				case listening <- rec.Addr:
				default:
				}
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { <-copied; exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("replica %s: %v\n%s", name, err, r.out)
			}
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("replica %s did not stop within 15 s of SIGTERM", name)
		}
	})
	select {
	case addr := <-listening:
		r.url = "http://" + addr
	case err := <-exited:
		exited <- err
		t.Fatalf("replica %s exited: %v\n%s", name, err, r.out)
	case <-time.After(60 * time.Second):
		t.Fatalf("replica %s did not listen within 60 s:\n%s", name, r.out)
	}
	return r
}

// reply is what a replica answered.
type reply struct {
	status int
	header http.Header
	body   string
	typ    string // the problem type, if any
}

// TestReplicas runs two `syncgate serve` processes sharing one real Redis,
// in front of the simulators, and checks they behave as one gateway: one
// upstream start for 200 concurrent identical starts, one cooldown, one
// Idempotency-Key record, one rate-limit count; with Redis stopped, starts
// fail closed while reads work, and both recover when it is back.
func TestReplicas(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t, goleak.IgnoreCurrent()) }) // runs last
	// Redis with a password, given in the URL as operators do: no replica
	// may write it anywhere; the startup line shows the URL masked.
	const redisPassword = "replica-redis-pa55word"
	redis := redistest.StartWithPassword(t, redisPassword)
	var replicas []*replica
	t.Cleanup(func() { // runs once the replicas stopped: their whole output
		for _, r := range replicas {
			out := r.out.String()
			if strings.Contains(out, redisPassword) {
				t.Errorf("replica %s wrote the Redis password:\n%s", r.url, out)
			}
			if !strings.Contains(out, `"redis_url":"redis://:******@127.0.0.1:`) {
				t.Errorf("replica %s's startup line does not show the Redis URL with its password masked:\n%s", r.url, out)
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	sims, err := startSimulators(ctx, t.TempDir(), time.Hour, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	minter, err := auth.NewMinter("https://issuer.test/", "api://syncgate")
	if err != nil {
		t.Fatal(err)
	}
	jwksURL, err := servePlain(ctx, minter.JWKS())
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"SYNCGATE_JWT_ISSUERS":    "https://issuer.test/",
		"SYNCGATE_JWT_AUDIENCES":  "api://syncgate",
		"SYNCGATE_JWT_JWKS_URL":   jwksURL + "/",
		"SYNCGATE_REDIS_URL":      redis.URL(),
		"SYNCGATE_START_COOLDOWN": "60s",
	}
	maps.Copy(base, sims.backendEnv())
	pair := func(extra map[string]string) (a, b *replica) {
		t.Helper()
		vars := map[string]string{}
		for k, v := range base {
			vars[k] = v
		}
		for k, v := range extra {
			vars[k] = v
		}
		var wg sync.WaitGroup
		wg.Go(func() { a = startReplica(t, "a", vars) })
		wg.Go(func() { b = startReplica(t, "b", vars) })
		wg.Wait()
		if a == nil || b == nil {
			t.FailNow()
		}
		replicas = append(replicas, a, b)
		return a, b
	}
	mint := func(sub, client string) string {
		tok, err := minter.Mint(auth.MintClaims{Subject: sub, ClientID: client, TTL: time.Hour,
			Scopes: []string{"Organizations.Read", "Organizations.Sync", "SyncJobs.Read", "SyncJobs.Start"}})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	token := mint("portal-user", "portal")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	t.Cleanup(client.CloseIdleConnections)
	call := func(r *replica, method, path, tok string, header ...string) reply {
		req, err := http.NewRequest(method, r.url+path, nil)
		if err != nil {
			t.Error(err)
			return reply{}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s %s%s: %v", method, r.url, path, err)
			return reply{}
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var p struct{ Type string }
		_ = json.Unmarshal(body, &p)
		return reply{resp.StatusCode, resp.Header, string(body), strings.TrimPrefix(p.Type, "urn:syncgate:problem:")}
	}
	orgSync := func(id string) string { return "/organizations/" + id + "/sync" }
	jobStart := func(app, job string) string { return "/applications/" + app + "/jobs/" + job + "/start" }

	t.Run("starts", func(t *testing.T) {
		a, b := pair(nil)
		replicas := []*replica{a, b}
		// 200 concurrent identical starts of an organization and 200 of a
		// job, split across both replicas.
		targets := []string{orgSync(veeamsim.ContosoID), jobStart(graphsim.AWSObjectID, graphsim.AWSJobID)}
		var mu sync.Mutex
		statuses := map[string]map[int]int{}
		var wg sync.WaitGroup
		for _, path := range targets {
			statuses[path] = map[int]int{}
			for i := range 200 {
				wg.Go(func() {
					got := call(replicas[i%2], "POST", path, token)
					mu.Lock()
					statuses[path][got.status]++
					mu.Unlock()
				})
			}
		}
		wg.Wait()
		for _, path := range targets {
			t.Logf("%s: answers by status %v", path, statuses[path])
			if s := statuses[path]; s[http.StatusAccepted] != 1 || s[http.StatusAccepted]+s[http.StatusTooManyRequests]+s[http.StatusConflict] != 200 {
				t.Errorf("%s: answers %v; want one 202 and the rest refused (429 cooldown or 409 already running)", path, s)
			}
		}
		if n := sims.veeam.SyncCalls(veeamsim.ContosoID); n != 1 {
			t.Errorf("the Veeam simulator received %d sync starts; want exactly 1", n)
		}
		if n := sims.graph.StartCalls(graphsim.AWSJobID); n != 1 {
			t.Errorf("the Graph simulator received %d job starts; want exactly 1", n)
		}

		// A start on one replica puts the other in its cooldown.
		fabrikam := orgSync(veeamsim.FabrikamID)
		if got := call(a, "POST", fabrikam, token); got.status != http.StatusAccepted {
			t.Fatalf("start on replica a: %d %s", got.status, got.body)
		}
		got := call(b, "POST", fabrikam+"?force=true", token)
		if got.status != http.StatusTooManyRequests || got.typ != "cooldown" || got.header.Get("Retry-After") == "" {
			t.Fatalf("start on replica b right after: %d %s (Retry-After %q); want 429 cooldown with Retry-After", got.status, got.body, got.header.Get("Retry-After"))
		}
		if n := sims.veeam.SyncCalls(veeamsim.FabrikamID); n != 1 {
			t.Errorf("Fabrikam sync starts = %d; want 1", n)
		}

		// Redis stopped: starts answer 503 on both and reach no backend;
		// reads answer 200.
		redis.Stop()
		serviceNow := jobStart(graphsim.ServiceNowObjectID, graphsim.ServiceNowJobID)
		salesforce := jobStart(graphsim.SalesforceObjectID, graphsim.SalesforceJobID)
		for _, r := range replicas {
			for _, path := range []string{serviceNow, salesforce, orgSync(veeamsim.TailspinID)} {
				got := call(r, "POST", path, token)
				if got.status != http.StatusServiceUnavailable || got.typ != "store-unavailable" || got.header.Get("Retry-After") == "" {
					t.Errorf("%s with Redis down: %d %s; want 503 store-unavailable with Retry-After", path, got.status, got.body)
				}
			}
			for _, path := range []string{"/organizations/" + veeamsim.ContosoID, orgSync(veeamsim.ContosoID), "/applications/" + graphsim.AWSObjectID + "/jobs"} {
				if got := call(r, "GET", path, token); got.status != http.StatusOK {
					t.Errorf("GET %s with Redis down: %d %s; want 200", path, got.status, got.body)
				}
			}
		}
		if n, m, o := sims.graph.StartCalls(graphsim.ServiceNowJobID), sims.graph.StartCalls(graphsim.SalesforceJobID), sims.veeam.SyncCalls(veeamsim.TailspinID); n+m+o != 0 {
			t.Fatalf("with Redis down, starts reached the simulators (%d, %d, %d)", n, m, o)
		}

		// Redis back: starts work again within seconds, on both replicas.
		redis.Start()
		back := time.Now()
		for i, path := range []string{serviceNow, salesforce} {
			r := replicas[i]
			for {
				got := call(r, "POST", path, token)
				if got.status == http.StatusAccepted {
					t.Logf("replica %c started %s %v after Redis came back", 'a'+i, path, time.Since(back).Round(10*time.Millisecond))
					break
				}
				if time.Since(back) > 10*time.Second {
					t.Fatalf("Redis back 10 s ago, replica %c still answers %d %s", 'a'+i, got.status, got.body)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	})

	t.Run("idempotency", func(t *testing.T) {
		// Cooldown off: only the Idempotency-Key stops a second start.
		a, b := pair(map[string]string{"SYNCGATE_START_COOLDOWN": "0"})
		path := orgSync(veeamsim.TailspinID) + "?force=true"
		key := []string{"Idempotency-Key", "retry-of-order-1234"}
		first := call(a, "POST", path, token, key...)
		if first.status != http.StatusAccepted {
			t.Fatalf("first: %d %s", first.status, first.body)
		}
		again := call(b, "POST", path, token, key...)
		if again.status != http.StatusAccepted || again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" ||
			again.header.Get("Location") != first.header.Get("Location") {
			t.Fatalf("the same request on replica b: %d %v %s; want replica a's answer %s replayed", again.status, again.header, again.body, first.body)
		}
		if n := sims.veeam.SyncCalls(veeamsim.TailspinID); n != 1 {
			t.Fatalf("Tailspin sync starts = %d after a replay; want 1", n)
		}
		if got := call(b, "POST", orgSync(veeamsim.TailspinID), token, key...); got.status != http.StatusUnprocessableEntity || got.typ != "idempotency-key-reused" {
			t.Fatalf("another request with the key: %d %s; want 422 idempotency-key-reused", got.status, got.body)
		}
		if n := sims.veeam.SyncCalls(veeamsim.TailspinID); n != 1 {
			t.Fatalf("Tailspin sync starts = %d; want 1", n)
		}
	})

	t.Run("rate limit", func(t *testing.T) {
		a, b := pair(map[string]string{"SYNCGATE_RATE_LIMIT": "5/m"})
		limited, other := mint("robot", "automation"), mint("someone", "another-portal")
		read := "/organizations/" + veeamsim.ContosoID
		for i := range 5 {
			r := []*replica{a, b}[i%2]
			if got := call(r, "GET", read, limited); got.status != http.StatusOK {
				t.Fatalf("request %d: %d %s", i+1, got.status, got.body)
			}
		}
		before := sims.veeam.SyncCalls(veeamsim.FabrikamID)
		for _, r := range []*replica{a, b} {
			for _, method := range []string{"GET", "POST"} {
				path := read
				if method == "POST" {
					path = orgSync(veeamsim.FabrikamID)
				}
				got := call(r, method, path, limited)
				if got.status != http.StatusTooManyRequests || got.typ != "rate-limited" || got.header.Get("Retry-After") == "" ||
					!strings.HasPrefix(got.header.Get("RateLimit"), `"caller";r=0;t=`) || got.header.Get("RateLimit-Policy") != `"caller";q=5;w=60` {
					t.Errorf("%s after 5 requests across both replicas: %d %v %s; want 429 rate-limited with Retry-After and RateLimit headers", method, got.status, got.header, got.body)
				}
			}
		}
		if n := sims.veeam.SyncCalls(veeamsim.FabrikamID); n != before {
			t.Errorf("refused starts reached Veeam (%d calls)", n-before)
		}
		for _, r := range []*replica{a, b} {
			if got := call(r, "GET", read, other); got.status != http.StatusOK || !strings.HasPrefix(got.header.Get("RateLimit"), `"caller";r=`) {
				t.Errorf("another caller: %d %v; want 200 with its own quota", got.status, got.header)
			}
		}
	})
}
