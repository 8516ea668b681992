package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

func TestListAndGetOrganizations(t *testing.T) {
	e := newEnv(t)

	list := decodeJSON[api.OrganizationList](t, e.get("/organizations"))
	if len(list.Items) != len(veeamsim.SeedOrganizations()) || list.Limit != 100 || list.Offset != 0 || list.Total != nil {
		t.Fatalf("list = %+v; want every seeded organization, limit 100, offset 0, total null", list)
	}
	page := decodeJSON[api.OrganizationList](t, e.get("/organizations?limit=2&offset=1"))
	if len(page.Items) != 2 || page.Items[0].ID != list.Items[1].ID || page.Limit != 2 || page.Offset != 1 {
		t.Fatalf("page = %+v; want items 2 and 3 of the list", page)
	}

	tests := []struct {
		id           string
		wantEligible bool
	}{
		{veeamsim.ContosoID, true},
		{veeamsim.NorthwindID, false},
		{veeamsim.LitwareID, false},
		{strings.ToUpper(veeamsim.FabrikamID), true}, // GUIDs are case-insensitive
	}
	for _, tt := range tests {
		r := e.get("/organizations/" + tt.id)
		wantStatus(t, r, http.StatusOK)
		org := decodeJSON[api.Organization](t, r)
		if org.ID != strings.ToLower(tt.id) || org.SyncEligible != tt.wantEligible || org.AppOnlyAuth != tt.wantEligible || org.Name == "" {
			t.Errorf("GET %s = %+v; want syncEligible %v", tt.id, org, tt.wantEligible)
		}
	}
}

func TestStartSyncRunsToSuccess(t *testing.T) {
	e := newEnv(t)
	path := "/organizations/" + veeamsim.ContosoID + "/sync"

	r := e.post(path, `{"full":true,"parts":["Users","Groups"]}`)
	wantStatus(t, r, http.StatusAccepted)
	if loc := r.header.Get("Location"); loc != path {
		t.Errorf("Location = %q; want %q", loc, path)
	}
	started := decodeJSON[api.SyncStarted](t, r)
	if started.OrganizationID != veeamsim.ContosoID || started.Type != "Full" || strings.Join(started.Parts, ",") != "Users,Groups" ||
		started.PreviousStatus != "None" || started.RequestID != r.header.Get("X-Request-ID") || started.UpstreamRequestID != "" {
		t.Fatalf("202 body = %+v", started)
	}
	if got, ok := e.veeam.LastSyncRequest(veeamsim.ContosoID); !ok || got.Type != "Full" || strings.Join(got.Parts, ",") != "Users,Groups" {
		t.Fatalf("Veeam received %+v, %v; want a Full sync of Users, Groups", got, ok)
	}

	for _, step := range []struct {
		advance    time.Duration
		wantStatus string
	}{
		{0, "Queued"},
		{3 * time.Second, "Running"},
		{time.Minute, "Success"},
	} {
		e.clock.Advance(step.advance)
		st := decodeJSON[api.SyncStatus](t, e.get(path))
		if st.Status != step.wantStatus || st.OrganizationID != veeamsim.ContosoID {
			t.Fatalf("after %v: sync status %+v; want %s", step.advance, st, step.wantStatus)
		}
		if step.wantStatus == "Success" && (st.Current != nil || st.Last == nil || st.Last.Type != "Full" || st.Last.Result != "Success") {
			t.Fatalf("finished sync = %+v; want last Full Success and nothing current", st)
		}
	}
	if n := e.veeam.SyncStarts(veeamsim.ContosoID); n != 1 {
		t.Fatalf("Veeam saw %d starts; want 1", n)
	}
}

func TestStartSyncWithoutBody(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "POST", path: "/organizations/" + veeamsim.FabrikamID + "/sync", token: e.token})
	wantStatus(t, r, http.StatusAccepted)
	started := decodeJSON[api.SyncStarted](t, r)
	if started.Type != "Incremental" || len(started.Parts) != 0 || started.PreviousStatus != "Success" {
		t.Fatalf("202 body = %+v; want an incremental sync of all parts after a Success", started)
	}
	if got, _ := e.veeam.LastSyncRequest(veeamsim.FabrikamID); got.Type != "Incremental" || len(got.Parts) != 0 {
		t.Fatalf("Veeam received %+v; want Incremental with no parts", got)
	}
}

func TestStartSyncGuard(t *testing.T) {
	t.Run("already running is 409 with the state, and Veeam is not called", func(t *testing.T) {
		e := newEnv(t)
		r := e.post("/organizations/"+veeamsim.WoodgroveID+"/sync", "")
		wantProblem(t, r, http.StatusConflict, api.TypeAlreadyRunning)
		if r.problem.CurrentStatus != "Running" {
			t.Errorf("currentStatus = %q; want Running", r.problem.CurrentStatus)
		}
		if n := e.veeam.SyncCalls(veeamsim.WoodgroveID); n != 0 {
			t.Errorf("Veeam saw %d start calls; want 0", n)
		}
	})
	t.Run("force passes the precheck; Veeam's OperationConflict is then 409", func(t *testing.T) {
		e := newEnv(t)
		r := e.post("/organizations/"+veeamsim.WoodgroveID+"/sync?force=true", "")
		wantProblem(t, r, http.StatusConflict, api.TypeConflict)
		if r.problem.Upstream == nil || r.problem.Upstream.Service != "veeam" || r.problem.Upstream.Code != "OperationConflict" {
			t.Errorf("upstream = %+v; want veeam OperationConflict", r.problem.Upstream)
		}
		if n := e.veeam.SyncCalls(veeamsim.WoodgroveID); n != 1 {
			t.Errorf("Veeam saw %d start calls; want 1", n)
		}
		// Veeam refused, so nothing was started: no cooldown is left behind.
		r = e.post("/organizations/"+veeamsim.WoodgroveID+"/sync?force=true", "")
		wantProblem(t, r, http.StatusConflict, api.TypeConflict)
	})
	t.Run("force starts over a queued sync when Veeam accepts it", func(t *testing.T) {
		e := newEnv(t, func(o *envOptions) {
			o.cooldown = 0
			o.simOptions = func(so *veeamsim.Options) { so.AcceptWhileBusy = true }
		})
		wantStatus(t, e.post("/organizations/"+veeamsim.ContosoID+"/sync", ""), http.StatusAccepted)
		wantProblem(t, e.post("/organizations/"+veeamsim.ContosoID+"/sync", ""), http.StatusConflict, api.TypeAlreadyRunning)
		r := e.post("/organizations/"+veeamsim.ContosoID+"/sync?force=true", "")
		wantStatus(t, r, http.StatusAccepted)
		if got := decodeJSON[api.SyncStarted](t, r).PreviousStatus; got != "Queued" {
			t.Errorf("previousStatus = %q; want Queued", got)
		}
	})
	t.Run("not app-only is 422", func(t *testing.T) {
		e := newEnv(t)
		for _, id := range []string{veeamsim.NorthwindID, veeamsim.LitwareID} {
			r := e.post("/organizations/"+id+"/sync?force=true", "")
			wantProblem(t, r, http.StatusUnprocessableEntity, api.TypeNotEligible)
			if !strings.Contains(r.problem.Detail, "app-only") {
				t.Errorf("detail %q does not say why", r.problem.Detail)
			}
			if n := e.veeam.SyncCalls(id); n != 0 {
				t.Errorf("Veeam saw %d start calls; want 0", n)
			}
		}
	})
	t.Run("cooldown is 429 with Retry-After, even forced, then lifts", func(t *testing.T) {
		e := newEnv(t)
		path := "/organizations/" + veeamsim.ContosoID + "/sync"
		wantStatus(t, e.post(path, ""), http.StatusAccepted)
		e.clock.Advance(time.Minute - 20*time.Second)
		r := e.post(path+"?force=true", "")
		wantProblem(t, r, http.StatusTooManyRequests, api.TypeCooldown)
		if ra := r.header.Get("Retry-After"); ra != "20" || r.problem.RetryAfter != 20 {
			t.Errorf("Retry-After = %q, retryAfter = %d; want 20", ra, r.problem.RetryAfter)
		}
		e.clock.Advance(20 * time.Second) // the sync has finished too
		wantStatus(t, e.post(path, ""), http.StatusAccepted)
		if n := e.veeam.SyncStarts(veeamsim.ContosoID); n != 2 {
			t.Errorf("Veeam saw %d starts; want 2", n)
		}
	})
}

func TestStartSyncDryRun(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		id         string
		wantStart  bool
		wantReason string
		wantPrev   string
	}{
		{veeamsim.ContosoID, true, "", "None"},
		{veeamsim.FabrikamID, true, "", "Success"},
		{veeamsim.WoodgroveID, false, api.TypeAlreadyRunning, "Running"},
		{veeamsim.NorthwindID, false, api.TypeNotEligible, "None"},
	}
	for _, tt := range tests {
		r := e.post("/organizations/"+tt.id+"/sync?dryRun=true", `{"full":true}`)
		wantStatus(t, r, http.StatusOK)
		d := decodeJSON[api.DryRun](t, r)
		reason := ""
		if d.Reason != nil {
			reason = *d.Reason
		}
		if !d.DryRun || d.WouldStart != tt.wantStart || reason != tt.wantReason || d.PreviousStatus != tt.wantPrev {
			t.Errorf("dry run %s = %+v (reason %q); want wouldStart %v reason %q previous %s", tt.id, d, reason, tt.wantStart, tt.wantReason, tt.wantPrev)
		}
		if n := e.veeam.SyncCalls(tt.id); n != 0 {
			t.Errorf("dry run reached Veeam's start %d times", n)
		}
	}
	// Nothing was claimed: a real start goes through at once.
	wantStatus(t, e.post("/organizations/"+veeamsim.ContosoID+"/sync", ""), http.StatusAccepted)
	// And within the cooldown a dry run says what a real start would meet.
	d := decodeJSON[api.DryRun](t, e.post("/organizations/"+veeamsim.ContosoID+"/sync?dryRun=true", ""))
	if d.WouldStart || d.Reason == nil || *d.Reason != api.TypeCooldown {
		t.Errorf("dry run in cooldown = %+v; want wouldStart false, reason cooldown", d)
	}
	// It reads the organization anyway: the sync just started is Queued or Running.
	if d.PreviousStatus != "Queued" && d.PreviousStatus != "Running" {
		t.Errorf("dry run in cooldown: previousStatus %q; want the sync's state, Queued or Running", d.PreviousStatus)
	}
}

func TestBulkSync(t *testing.T) {
	e := newEnv(t)
	r := e.post("/organizations/sync", `{"full":false}`)
	wantStatus(t, r, http.StatusOK)
	got := map[string]api.OrganizationResult{}
	for _, res := range decodeJSON[api.BulkSyncResult](t, r).Results {
		got[res.OrganizationID] = res
	}
	want := map[string]struct {
		status  int
		started bool
		typ     string
	}{
		veeamsim.ContosoID:   {http.StatusAccepted, true, ""},
		veeamsim.FabrikamID:  {http.StatusAccepted, true, ""},
		veeamsim.TailspinID:  {http.StatusAccepted, true, ""},
		veeamsim.WoodgroveID: {http.StatusConflict, false, api.TypeAlreadyRunning},
		veeamsim.NorthwindID: {http.StatusUnprocessableEntity, false, api.TypeNotEligible},
		veeamsim.LitwareID:   {http.StatusUnprocessableEntity, false, api.TypeNotEligible},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results; want %d: %s", len(got), len(want), r.body)
	}
	for id, w := range want {
		res := got[id]
		typ := ""
		if res.Problem != nil {
			typ = res.Problem.Type
		}
		if res.Status != w.status || res.Started != w.started || typ != w.typ {
			t.Errorf("%s: %+v (problem %q); want status %d started %v problem %q", id, res, typ, w.status, w.started, w.typ)
		}
		if w.started && e.veeam.SyncStarts(id) != 1 {
			t.Errorf("%s: Veeam saw %d starts; want 1", id, e.veeam.SyncStarts(id))
		}
	}

	// Listed ids, one unknown: the same outcomes per organization, 404 for the unknown one, 429 for the cooled-down one.
	r = e.post("/organizations/sync", `{"organizationIds":["`+veeamsim.ContosoID+`","00000000-0000-4000-8000-000000000001"]}`)
	wantStatus(t, r, http.StatusOK)
	res := decodeJSON[api.BulkSyncResult](t, r).Results
	if len(res) != 2 || res[0].Status != http.StatusTooManyRequests || res[1].Status != http.StatusNotFound || res[1].Problem.Type != api.TypeNotFound {
		t.Fatalf("results = %s; want 429 then 404", r.body)
	}
}

func TestBulkSyncFailsWhenListCannotBeRead(t *testing.T) {
	e := newEnv(t)
	e.veeam.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Status: http.StatusInternalServerError, Message: "database offline"})
	wantProblem(t, e.post("/organizations/sync", ""), http.StatusBadGateway, api.TypeUpstreamError)
}
