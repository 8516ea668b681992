package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

func syncURL(id string) string { return "/organizations/" + id + "/sync" }

// TestSyncStateParts: newer Veeam servers' per-part state reaches the
// answer; an answer without parts (older servers) still works.
func TestSyncStateParts(t *testing.T) {
	e := newEnv(t)
	fab := decodeJSON[api.SyncStatus](t, e.get(syncURL(veeamsim.FabrikamID)))
	if fab.Parts == nil || fab.Parts.Users == nil || fab.Parts.Sites == nil {
		t.Fatalf("Fabrikam's parts: %+v; want each part", fab.Parts)
	}
	if u := fab.Parts.Users; u.Status != "Success" || u.LastSuccessfulSyncTime == nil || u.Last == nil || u.Current != nil {
		t.Fatalf("Fabrikam's users part: %+v", u)
	}
	wantStatus(t, e.post(syncURL(veeamsim.ContosoID), `{"parts":["Users"]}`), http.StatusAccepted)
	con := decodeJSON[api.SyncStatus](t, e.get(syncURL(veeamsim.ContosoID)))
	if con.Parts == nil || con.Parts.Users == nil || con.Parts.Users.Status != "Queued" || con.Parts.Users.Current == nil || con.Parts.Groups != nil {
		t.Fatalf("Contoso syncing its users only: parts %+v", con.Parts)
	}

	old := newEnv(t, func(o *envOptions) { o.simOptions = func(so *veeamsim.Options) { so.NoParts = true } })
	r := old.get(syncURL(veeamsim.FabrikamID))
	wantStatus(t, r, http.StatusOK)
	if st := decodeJSON[api.SyncStatus](t, r); st.Parts != nil || st.Status != "Success" || st.Last == nil {
		t.Fatalf("an answer without parts: %+v", st)
	}
	if !strings.Contains(string(r.body), `"parts":null`) {
		t.Errorf("parts is not null: %s", r.body)
	}
}

// TestSyncStatesOfAll: GET /organizations/sync is every organization's
// state from Veeam's one call, paged.
func TestSyncStatesOfAll(t *testing.T) {
	e := newEnv(t)
	all := decodeJSON[api.SyncStatusList](t, e.get("/organizations/sync"))
	seeded := veeamsim.SeedOrganizations()
	if all.Total == nil || *all.Total != len(seeded) || len(all.Items) != len(seeded) {
		t.Fatalf("all states: total %v, %d items; want %d", all.Total, len(all.Items), len(seeded))
	}
	byID := map[string]api.SyncStatus{}
	for _, st := range all.Items {
		byID[st.OrganizationID] = st
	}
	if byID[veeamsim.WoodgroveID].Status != "Running" || byID[veeamsim.FabrikamID].Status != "Success" || byID[veeamsim.ContosoID].Status != "None" {
		t.Fatalf("states: %+v", byID)
	}
	page := decodeJSON[api.SyncStatusList](t, e.get("/organizations/sync?limit=2&offset=2"))
	if len(page.Items) != 2 || page.Items[0].OrganizationID != all.Items[2].OrganizationID || page.Offset != 2 || page.Limit != 2 {
		t.Fatalf("page 2: %+v", page)
	}
	wantProblem(t, e.get("/organizations/sync?limit=0"), http.StatusBadRequest, api.TypeValidation)
	if n := e.veeam.SyncStateReads(veeamsim.WoodgroveID); n != 0 {
		t.Fatalf("the list read organizations one by one (%d reads)", n)
	}
}

// TestSyncStateETag: every state answer has an ETag; If-None-Match with it
// is 304, with another 200; a bad Prefer wait is 400; a wait above 60 s
// is applied as 60.
func TestSyncStateETag(t *testing.T) {
	e := newEnv(t)
	r := e.get(syncURL(veeamsim.FabrikamID))
	etag := r.header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("ETag %q", etag)
	}
	get := func(h map[string]string) response {
		return e.do(req{method: "GET", path: syncURL(veeamsim.FabrikamID), token: e.token, header: h})
	}
	r = get(map[string]string{"If-None-Match": `"other", W/` + etag})
	if r.status != http.StatusNotModified || r.header.Get("ETag") != etag || len(r.body) != 0 {
		t.Fatalf("If-None-Match with the current ETag: %d %q %s", r.status, r.header.Get("ETag"), r.body)
	}
	r = get(map[string]string{"If-None-Match": `"stale"`})
	wantStatus(t, r, http.StatusOK)
	if r.header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied without Prefer: %q", r.header.Get("Preference-Applied"))
	}
	// The state differs from the tag: the answer comes at once, saying the
	// wait the gateway would have applied: 60 s at most, and less when the
	// write timeout (default 60 s) is nearer (the wait ends 2 s before it).
	for _, tt := range []struct{ writeTimeout, prefer, want string }{
		{"0", "respond-async, wait=120", "wait=60"},
		{"0", "wait=7", "wait=7"},
		{"", "wait=120", "wait=58"},
		{"90s", "wait=60", "wait=60"},
	} {
		e := e
		if tt.writeTimeout != "" {
			e = newEnv(t, func(o *envOptions) { o.vars = map[string]string{"SYNCGATE_HTTP_WRITE_TIMEOUT": tt.writeTimeout} })
		}
		r := e.do(req{method: "GET", path: syncURL(veeamsim.FabrikamID), token: e.token,
			header: map[string]string{"If-None-Match": `"stale"`, "Prefer": tt.prefer}})
		wantStatus(t, r, http.StatusOK)
		if got := r.header.Get("Preference-Applied"); got != tt.want {
			t.Errorf("write timeout %q, Prefer %q: Preference-Applied %q; want %s", tt.writeTimeout, tt.prefer, got, tt.want)
		}
	}
	for _, bad := range []string{"wait=soon", "wait=-1", "wait", "wait=1.5"} {
		r := get(map[string]string{"If-None-Match": etag, "Prefer": bad})
		wantProblem(t, r, http.StatusBadRequest, api.TypeValidation)
		if len(r.problem.Errors) != 1 || r.problem.Errors[0].Field != "Prefer" {
			t.Errorf("Prefer %q: errors %+v", bad, r.problem.Errors)
		}
	}
	// Another state, another tag.
	wantStatus(t, e.post(syncURL(veeamsim.FabrikamID), ""), http.StatusAccepted)
	if r := get(map[string]string{"If-None-Match": etag}); r.status != http.StatusOK || r.header.Get("ETag") == etag {
		t.Fatalf("after a start: %d, ETag %q unchanged", r.status, r.header.Get("ETag"))
	}
}

// TestSyncWaitAnswersOnChange: a waiting request answers soon after the
// simulated sync moves from Running to Success.
func TestSyncWaitAnswersOnChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	wantStatus(t, e.post(syncURL(veeamsim.ContosoID), ""), http.StatusAccepted)
	e.clock.Advance(veeamsim.DefaultQueueDelay + time.Second)
	r := e.get(syncURL(veeamsim.ContosoID))
	if st := decodeJSON[api.SyncStatus](t, r); st.Status != "Running" {
		t.Fatalf("state %s; want Running", st.Status)
	}
	running := r.header.Get("ETag")

	var changed time.Time
	go func() {
		time.Sleep(2 * time.Second)
		changed = time.Now()
		e.clock.Advance(veeamsim.DefaultRunDuration)
	}()
	begin := time.Now()
	r = e.do(req{method: "GET", path: syncURL(veeamsim.ContosoID), token: e.token,
		header: map[string]string{"If-None-Match": running, "Prefer": "wait=10"}})
	end := time.Now()
	wantStatus(t, r, http.StatusOK)
	if st := decodeJSON[api.SyncStatus](t, r); st.Status != "Success" || r.header.Get("ETag") == running {
		t.Fatalf("after the wait: %s, ETag %q; want Success with a new ETag", st.Status, r.header.Get("ETag"))
	}
	if got := r.header.Get("Preference-Applied"); got != "wait=10" {
		t.Errorf("Preference-Applied %q; want wait=10", got)
	}
	if changed.IsZero() || end.Before(changed) {
		t.Fatal("answered before the state changed")
	}
	lag := end.Sub(changed)
	t.Logf("answered %s after the change (waited %s)", lag.Round(time.Millisecond), end.Sub(begin).Round(time.Millisecond))
	if lag > 5*time.Second {
		t.Fatalf("answered %s after the change; want about one poll interval (%s)", lag, api.DefaultWaitPoll)
	}
}

// TestSyncWaitSharedAndTimesOut: 100 callers waiting on an organization whose
// state does not change all get the same state after their 10 s, and the
// gateway read Veeam at most once per poll interval for all of them.
func TestSyncWaitSharedAndTimesOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.get(syncURL(veeamsim.WoodgroveID))
	etag := r.header.Get("ETag")
	before := e.veeam.SyncStateReads(veeamsim.WoodgroveID)

	const waiters = 100
	var wg sync.WaitGroup
	answers := make([]response, waiters)
	begin := time.Now()
	for i := range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = e.do(req{method: "GET", path: syncURL(veeamsim.WoodgroveID), token: e.token,
				header: map[string]string{"If-None-Match": etag, "Prefer": "wait=10"}})
		}()
	}
	wg.Wait()
	took := time.Since(begin)
	reads := e.veeam.SyncStateReads(veeamsim.WoodgroveID) - before
	for i, a := range answers {
		if a.status != http.StatusOK || a.header.Get("ETag") != etag || a.header.Get("Preference-Applied") != "wait=10" {
			t.Fatalf("waiter %d: %d ETag %q Preference-Applied %q", i, a.status, a.header.Get("ETag"), a.header.Get("Preference-Applied"))
		}
		if st := decodeJSON[api.SyncStatus](t, a); st.Status != "Running" {
			t.Fatalf("waiter %d: state %s", i, st.Status)
		}
	}
	if took < 10*time.Second-time.Second/2 {
		t.Fatalf("the waits ended after %s; want 10 s", took)
	}
	maxReads := int(took/api.DefaultWaitPoll) + 1
	t.Logf("%d waiters, %s, %d Veeam reads (at most %d allowed)", waiters, took.Round(time.Millisecond), reads, maxReads)
	if reads > maxReads {
		t.Fatalf("%d Veeam reads in %s for %d waiters; want at most one per %s (%d)", reads, took, waiters, api.DefaultWaitPoll, maxReads)
	}
}

// TestSyncWaitEndsOnShutdown: a wait ends, with the last state read, as soon
// as the gateway begins to shut down.
func TestSyncWaitEndsOnShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	etag := e.get(syncURL(veeamsim.WoodgroveID)).header.Get("ETag")
	time.AfterFunc(time.Second, e.stop)
	begin := time.Now()
	r := e.do(req{method: "GET", path: syncURL(veeamsim.WoodgroveID), token: e.token,
		header: map[string]string{"If-None-Match": etag, "Prefer": "wait=30"}})
	took := time.Since(begin)
	wantStatus(t, r, http.StatusOK)
	if r.header.Get("ETag") != etag {
		t.Fatal("the answer at shutdown is not the last state read")
	}
	if took > 10*time.Second {
		t.Fatalf("the wait lasted %s after shutdown began at 1 s", took)
	}
}
