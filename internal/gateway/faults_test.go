package gateway_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// Paths of the gateway and of the Veeam simulator the tests use.
const (
	orgs         = "/organizations"
	contosoStart = "/organizations/" + veeamsim.ContosoID + "/sync"
	jobs         = "/applications/" + graphsim.AWSObjectID + "/jobs"

	veeamOrgs  = "GET /v8/Organizations" // the list, and (as a prefix) every organization read
	veeamSync  = "/Sync"                 // suffix of a start
	veeamToken = "POST /v8/token"
)

// retryAfter reads a whole number of seconds, 0 when absent or malformed.
func retryAfter(a answer) int {
	n, _ := strconv.Atoi(a.retryAfter)
	return n
}

// TestFaultBackendDown: Veeam stops (its connections are refused). Reads
// answer 503 upstream-unavailable until SYNCGATE_BREAKER_FAILURES of them
// open the breaker; then 503 circuit-open with Retry-After, at once, and a
// start too. Graph is not affected. Once Veeam is back and the open period
// is over, the probe read succeeds and closes the breaker; a start works
// (no cooldown claim was left behind) and reaches Veeam once.
func TestFaultBackendDown(t *testing.T) {
	r := newRig(t, map[string]string{"SYNCGATE_BREAKER_FAILURES": "3", "SYNCGATE_BREAKER_OPEN": "2s"})
	r.want("before the outage", r.get(orgs), http.StatusOK, "")

	r.veeamS.stop()
	for i := range 3 {
		r.want("read "+strconv.Itoa(i+1)+" while Veeam is down", r.get(orgs), http.StatusServiceUnavailable, "upstream-unavailable")
	}
	a := r.get(orgs)
	r.want("read once the breaker opened", a, http.StatusServiceUnavailable, "circuit-open")
	if s := retryAfter(a); s < 1 {
		t.Errorf("circuit-open Retry-After %q, want at least 1 s", a.retryAfter)
	}
	r.want("start while the breaker is open", r.post(contosoStart), http.StatusServiceUnavailable, "circuit-open")
	r.want("Graph while Veeam is down", r.get(jobs), http.StatusOK, "")
	if n := r.calls.n("veeam", "", ""); n != 2 { // the token and the first read
		t.Fatalf("%d requests reached Veeam, want 2", n)
	}

	r.veeamS.start()
	r.waitBreaker("veeam", "half-open")
	r.want("probe once Veeam is back", r.get(orgs), http.StatusOK, "")
	if s := r.breakerState("veeam"); s != "closed" {
		t.Fatalf("breaker %s after a good probe, want closed", s)
	}
	r.want("start after recovery", r.post(contosoStart), http.StatusAccepted, "")
	if n := r.calls.n("veeam", "POST", veeamSync); n != 1 {
		t.Errorf("%d starts reached Veeam, want 1", n)
	}
	if n := r.calls.n("veeam", veeamOrgs, ""); n != 1+1+2 { // before, probe, the start's two prechecks
		t.Errorf("%d organization reads reached Veeam, want 4", n)
	}
}

// TestFaultBackendSlowerThanDeadline: with SYNCGATE_VEEAM_TIMEOUT=500ms,
// Veeam taking a minute answers the caller 504 upstream-timeout at the
// deadline; the read is not sent again after it, and a start is sent once
// and keeps its cooldown claim (Veeam may have acted). Once Veeam is quick
// again, reads answer 200.
func TestFaultBackendSlowerThanDeadline(t *testing.T) {
	r := newRig(t, map[string]string{"SYNCGATE_VEEAM_TIMEOUT": "500ms"})
	r.want("login and a first read", r.get(orgs), http.StatusOK, "")

	r.veeam.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Latency: time.Minute})
	r.want("slow read", r.get(orgs), http.StatusGatewayTimeout, "upstream-timeout")
	if n := r.calls.n("veeam", veeamOrgs, "Organizations"); n != 2 {
		t.Errorf("%d list reads reached Veeam, want 2: the slow one is not sent again past the deadline", n)
	}

	r.veeam.Faults.Set(veeamsim.RouteSync, sim.Fault{Latency: time.Minute})
	r.want("slow start", r.post(contosoStart), http.StatusGatewayTimeout, "upstream-timeout")
	if n := r.calls.n("veeam", "POST", veeamSync); n != 1 {
		t.Errorf("%d starts reached Veeam, want 1", n)
	}
	r.want("second start", r.post(contosoStart), http.StatusTooManyRequests, "cooldown")

	r.veeam.Faults.Reset()
	r.want("read once Veeam is quick", r.get(orgs), http.StatusOK, "")
	if n := r.calls.n("veeam", veeamOrgs, "Organizations"); n != 3 {
		t.Errorf("%d list reads reached Veeam, want 3", n)
	}
	if s := r.breakerState("veeam"); s != "closed" {
		t.Errorf("breaker %s after two timeouts of five, want closed", s)
	}
}

// TestFault429Storm: Veeam throttles every call with Retry-After: 30 (over
// the 2 s budget). Each caller gets 503 upstream-throttled with that
// Retry-After, from one call each (nothing waited out or resent), and a
// throttled start keeps no cooldown claim. A 429 is a backend that works:
// the breaker (3 failures) stays closed through ten of them. A short
// Retry-After within the budget is waited out and the read succeeds; once
// the storm ends every call succeeds.
func TestFault429Storm(t *testing.T) {
	r := newRig(t, map[string]string{"SYNCGATE_BREAKER_FAILURES": "3"})
	r.want("login and a first read", r.get(orgs), http.StatusOK, "")

	r.veeam.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second})
	r.veeam.Faults.Set(veeamsim.RouteSync, sim.Fault{Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second})
	for i := range 10 {
		a := r.get(orgs)
		r.want("throttled read "+strconv.Itoa(i+1), a, http.StatusServiceUnavailable, "upstream-throttled")
		if a.retryAfter != "30" {
			t.Fatalf("throttled read: Retry-After %q, want Veeam's 30", a.retryAfter)
		}
	}
	if n := r.calls.n("veeam", veeamOrgs, "Organizations"); n != 1+10 {
		t.Errorf("%d list reads reached Veeam, want 11: one per caller", n)
	}
	r.want("throttled start", r.post(contosoStart), http.StatusServiceUnavailable, "upstream-throttled")
	if n := r.calls.n("veeam", "POST", veeamSync); n != 1 {
		t.Errorf("%d starts reached Veeam, want 1", n)
	}
	if s := r.breakerState("veeam"); s != "closed" {
		t.Fatalf("breaker %s after a 429 storm, want closed: a throttling backend works", s)
	}

	r.veeam.Faults.Reset()
	r.veeam.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 2})
	r.want("read throttled twice for 1 s", r.get(orgs), http.StatusOK, "")
	if n := r.calls.n("veeam", veeamOrgs, "Organizations"); n != 11+3 {
		t.Errorf("%d list reads reached Veeam, want 14: two waited out, then the answer", n)
	}
	r.want("start after the storm", r.post(contosoStart), http.StatusAccepted, "")
	if n := r.calls.n("veeam", "POST", veeamSync); n != 2 {
		t.Errorf("%d starts reached Veeam, want 2", n)
	}
}

// TestFaultBreakerOpensHalfOpensCloses: three 500s in a row open Veeam's
// breaker (SYNCGATE_BREAKER_FAILURES=3): every Veeam route then answers 503
// circuit-open without a call, while Graph keeps working. After
// SYNCGATE_BREAKER_OPEN one probe goes through: still failing, it opens the
// breaker again; once Veeam is mended, the probe (while it is in flight,
// other callers still get circuit-open with Retry-After: 1) closes it and
// calls flow again. Each change of state reaches Hooks.OnBreakerChange.
func TestFaultBreakerOpensHalfOpensCloses(t *testing.T) {
	r := newRig(t, map[string]string{"SYNCGATE_BREAKER_FAILURES": "3", "SYNCGATE_BREAKER_OPEN": "2s"})
	r.want("login and a first read", r.get(orgs), http.StatusOK, "")
	r.veeam.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Status: http.StatusInternalServerError})
	for i := range 3 {
		r.want("failing read "+strconv.Itoa(i+1), r.get(orgs), http.StatusBadGateway, "upstream-error")
	}
	before := r.calls.n("veeam", "", "")
	r.want("list, open", r.get(orgs), http.StatusServiceUnavailable, "circuit-open")
	r.want("one organization, open", r.get(orgs+"/"+veeamsim.FabrikamID), http.StatusServiceUnavailable, "circuit-open")
	r.want("start, open", r.post(contosoStart), http.StatusServiceUnavailable, "circuit-open")
	if n := r.calls.n("veeam", "", ""); n != before {
		t.Fatalf("%d requests reached Veeam through an open breaker", n-before)
	}
	r.want("Graph, Veeam's breaker open", r.get(jobs), http.StatusOK, "")
	r.wantMetric(`syncgate_circuit_breaker_state{backend="veeam",state="open"} 1`)
	r.wantMetric(`syncgate_circuit_breaker_state{backend="graph",state="closed"} 1`)

	r.waitBreaker("veeam", "half-open")
	r.want("failing probe", r.get(orgs), http.StatusBadGateway, "upstream-error")
	if s := r.breakerState("veeam"); s != "open" {
		t.Fatalf("breaker %s after a failing probe, want open", s)
	}
	r.want("right after the failing probe", r.get(orgs), http.StatusServiceUnavailable, "circuit-open")

	r.veeam.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Latency: time.Second, Times: 1})
	r.waitBreaker("veeam", "half-open")
	probe := make(chan answer, 1)
	lists := r.calls.n("veeam", veeamOrgs, "Organizations")
	tok := r.token()
	go func() { probe <- r.do(http.MethodGet, orgs, tok) }()
	for r.calls.n("veeam", veeamOrgs, "Organizations") == lists {
		time.Sleep(5 * time.Millisecond)
	}
	a := r.get(orgs)
	r.want("while the probe is in flight", a, http.StatusServiceUnavailable, "circuit-open")
	if a.retryAfter != "1" {
		t.Errorf("half-open Retry-After %q, want 1", a.retryAfter)
	}
	r.want("good probe", <-probe, http.StatusOK, "")
	if s := r.breakerState("veeam"); s != "closed" {
		t.Fatalf("breaker %s after a good probe, want closed", s)
	}
	r.wantMetric(`syncgate_circuit_breaker_state{backend="veeam",state="open"} 0`)
	r.wantMetric(`syncgate_circuit_breaker_state{backend="veeam",state="closed"} 1`)
	r.want("after recovery", r.get(orgs), http.StatusOK, "")
	r.want("start after recovery", r.post(contosoStart), http.StatusAccepted, "")
	if n := r.calls.n("veeam", "", "") - before; n != 1+1+1+3 { // failing probe, good probe, read, the start's two prechecks and start
		t.Errorf("%d requests reached Veeam since the breaker opened, want 6", n)
	}
	want := []string{"veeam closed>open", "veeam open>half-open", "veeam half-open>open", "veeam open>half-open", "veeam half-open>closed"}
	if got := r.breakerChanges(); !slices.Equal(got, want) {
		t.Errorf("breaker changes %v, want %v", got, want)
	}
}

// TestFaultTokenEndpoint: Veeam's token endpoint fails (503, no
// Retry-After) before the gateway ever logged in. Each read answers 503
// upstream-unavailable after the login's three attempts, and reaches no
// organization route; three such failures open the breaker, which then
// spares the token endpoint too. Once it works again the probe logs in
// once and reads; the next read reuses the token. The token endpoint
// refusing the gateway's credentials (401) is the operator's problem, 502
// upstream-credentials, and never opens the breaker.
func TestFaultTokenEndpoint(t *testing.T) {
	t.Run("failing", func(t *testing.T) {
		r := newRig(t, map[string]string{"SYNCGATE_BREAKER_FAILURES": "3", "SYNCGATE_BREAKER_OPEN": "2s"})
		r.veeam.Faults.Set(veeamsim.RouteToken, sim.Fault{Status: http.StatusServiceUnavailable})
		for i := range 3 {
			r.want("read "+strconv.Itoa(i+1), r.get(orgs), http.StatusServiceUnavailable, "upstream-unavailable")
		}
		if n := r.calls.n("veeam", veeamToken, ""); n != 3*3 {
			t.Errorf("%d token requests, want 9: three attempts per read", n)
		}
		r.want("read, breaker open", r.get(orgs), http.StatusServiceUnavailable, "circuit-open")
		if n := r.calls.n("veeam", veeamToken, ""); n != 9 {
			t.Errorf("%d token requests, want still 9 with the breaker open", n)
		}
		if n := r.calls.n("veeam", veeamOrgs, ""); n != 0 {
			t.Errorf("%d organization reads without a token", n)
		}

		r.veeam.Faults.Reset()
		r.waitBreaker("veeam", "half-open")
		r.want("probe", r.get(orgs), http.StatusOK, "")
		r.want("next read", r.get(orgs), http.StatusOK, "")
		if n := r.calls.n("veeam", veeamToken, ""); n != 10 {
			t.Errorf("%d token requests, want 10: one login after recovery, shared", n)
		}
		if n := r.calls.n("veeam", veeamOrgs, ""); n != 2 {
			t.Errorf("%d organization reads, want 2", n)
		}
	})
	t.Run("refusing the credentials", func(t *testing.T) {
		r := newRig(t, map[string]string{"SYNCGATE_BREAKER_FAILURES": "3"})
		r.veeam.Faults.Set(veeamsim.RouteToken, sim.Fault{Status: http.StatusUnauthorized, Code: "Unauthorized", Message: "invalid credentials"})
		for i := range 5 {
			r.want("read "+strconv.Itoa(i+1), r.get(orgs), http.StatusBadGateway, "upstream-credentials")
		}
		if n := r.calls.n("veeam", veeamToken, ""); n != 5 {
			t.Errorf("%d token requests, want 5: one per read", n)
		}
		if s := r.breakerState("veeam"); s != "closed" {
			t.Errorf("breaker %s after refused credentials, want closed", s)
		}
		r.veeam.Faults.Reset()
		r.want("credentials accepted again", r.get(orgs), http.StatusOK, "")
	})
}

// TestFaultJWKSDown: the identity provider's JWKS goes down after the
// gateway loaded its keys. Tokens signed by a loaded key keep working, with
// every signature checked (SYNCGATE_JWT_CACHE_SIZE=0) and no JWKS request,
// and /readyz stays ready. A token signed by a key the gateway does not
// have is 401 invalid-token after one JWKS request, and a second such token
// adds none (unknown key ids refresh at most once a minute). Once the JWKS
// is back, a key added meanwhile is fetched and its tokens accepted.
func TestFaultJWKSDown(t *testing.T) {
	t.Run("cached keys keep working", func(t *testing.T) {
		r := newRig(t, map[string]string{"SYNCGATE_JWT_CACHE_SIZE": "0"})
		r.want("keys loaded", r.get(jobs), http.StatusOK, "")
		loaded := r.calls.n("jwks", "", "")
		r.jwks.down.Store(true)
		for i := range 5 {
			r.want("known key "+strconv.Itoa(i+1), r.get(jobs), http.StatusOK, "")
		}
		r.want("/readyz", r.do(http.MethodGet, "/readyz", ""), http.StatusOK, "")
		if n := r.calls.n("jwks", "", ""); n != loaded {
			t.Errorf("%d JWKS requests while it was down, for known keys; want 0", n-loaded)
		}
		other, err := auth.NewMinter(issuer, audience)
		if err != nil {
			t.Fatal(err)
		}
		r.want("unknown key", r.do(http.MethodGet, jobs, r.tokenFrom(other)), http.StatusUnauthorized, "invalid-token")
		r.want("unknown key again", r.do(http.MethodGet, jobs, r.tokenFrom(other)), http.StatusUnauthorized, "invalid-token")
		if n := r.calls.n("jwks", "", ""); n != loaded+1 {
			t.Errorf("%d JWKS requests for two unknown keys while it was down, want 1", n-loaded)
		}
		r.want("known key after", r.get(jobs), http.StatusOK, "")
	})
	t.Run("recovery", func(t *testing.T) {
		r := newRig(t, map[string]string{"SYNCGATE_JWT_CACHE_SIZE": "0"})
		r.want("keys loaded", r.get(jobs), http.StatusOK, "")
		loaded := r.calls.n("jwks", "", "")
		r.jwks.down.Store(true)
		r.want("known key while down", r.get(jobs), http.StatusOK, "")
		rotated, err := auth.NewMinter(issuer, audience)
		if err != nil {
			t.Fatal(err)
		}
		r.jwks.set(r.minter, rotated)
		r.jwks.down.Store(false)
		r.want("new key once the JWKS is back", r.do(http.MethodGet, jobs, r.tokenFrom(rotated)), http.StatusOK, "")
		r.want("old key still", r.get(jobs), http.StatusOK, "")
		if n := r.calls.n("jwks", "", ""); n != loaded+1 {
			t.Errorf("%d JWKS requests, want 1: the refresh for the new key", n-loaded)
		}
	})
}
