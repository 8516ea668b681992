package veeamsim_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// seedOrder is the listing order of the seed.
func seedOrder() []string {
	return []string{
		veeamsim.ContosoID, veeamsim.FabrikamID, veeamsim.NorthwindID,
		veeamsim.WoodgroveID, veeamsim.TailspinID, veeamsim.LitwareID,
	}
}

func TestOrganizationsPaging(t *testing.T) {
	all := seedOrder()
	tests := []struct {
		query      string
		wantOffset int
		wantLimit  int
		wantIDs    []string
		wantNext   string // "" = no next link
	}{
		{"", 0, 30, all, ""},
		{"?limit=2", 0, 2, all[:2], "/v8/Organizations?offset=2&limit=2"},
		{"?limit=2&offset=2", 2, 2, all[2:4], "/v8/Organizations?offset=4&limit=2"},
		{"?limit=2&offset=4", 4, 2, all[4:], ""},
		{"?offset=10", 10, 30, []string{}, ""},
		{"?limit=10000&extendedView=true", 0, 10000, all, ""},
		{"?extendedView=False", 0, 30, all, ""},
	}
	e := start(t, veeamsim.Options{})
	tok := e.login().AccessToken
	var setIDs []string
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.do("GET", "/v8/Organizations"+tt.query, "", "", tok)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			if got, want := keys(t, r.body), []string{"_links", "limit", "offset", "results", "setId"}; !slices.Equal(got, want) {
				t.Fatalf("page fields = %v, want %v", got, want)
			}
			var page struct {
				Offset  int    `json:"offset"`
				Limit   int    `json:"limit"`
				SetID   string `json:"setId"`
				Results []struct {
					ID string `json:"id"`
				} `json:"results"`
				Links map[string]struct {
					Href string `json:"href"`
				} `json:"_links"`
			}
			decode(t, r.body, &page)
			if page.Offset != tt.wantOffset || page.Limit != tt.wantLimit {
				t.Errorf("offset %d limit %d, want %d %d", page.Offset, page.Limit, tt.wantOffset, tt.wantLimit)
			}
			if page.Results == nil {
				t.Errorf("results is null, want an array")
			}
			ids := []string{}
			for _, o := range page.Results {
				ids = append(ids, o.ID)
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			next, ok := page.Links["next"]
			switch {
			case tt.wantNext == "" && ok:
				t.Errorf("unexpected next link %q", next.Href)
			case tt.wantNext != "" && next.Href != e.url+tt.wantNext:
				t.Errorf("next = %q, want %q", next.Href, e.url+tt.wantNext)
			}
			setIDs = append(setIDs, page.SetID)
		})
	}
	if len(slices.Compact(setIDs)) != 1 || len(setIDs[0]) != 36 {
		t.Errorf("setIds = %v, want one GUID", setIDs)
	}
}

func TestOrganizationsBadQuery(t *testing.T) {
	e := start(t, veeamsim.Options{})
	tok := e.login().AccessToken
	for _, q := range []string{
		"limit=10001", "limit=-1", "limit=0", "limit=abc", "limit=1.5",
		"offset=-1", "offset=x", "extendedView=yes",
	} {
		t.Run(q, func(t *testing.T) {
			got := wantError(t, e.do("GET", "/v8/Organizations?"+q, "", "", tok), http.StatusBadRequest, veeamsim.CodeParameterValidationFailure)
			name, _, _ := strings.Cut(q, "=")
			if !strings.Contains(got.Message, name) {
				t.Errorf("message %q does not name %s", got.Message, name)
			}
		})
	}
}

func TestOrganization(t *testing.T) {
	e := start(t, veeamsim.Options{})
	tests := []struct {
		name string
		id   string
		want string // {base} is the server URL
	}{
		{"app-only", veeamsim.ContosoID, `{
			"id": "62c4ab35-68fb-4a48-ae4d-8103635b9526",
			"name": "contoso.onmicrosoft.com",
			"officeName": "contoso.onmicrosoft.com",
			"description": "Contoso Ltd. (modern app-only authentication, never synchronized)",
			"type": "Office365",
			"region": "Worldwide",
			"isBackedup": true,
			"exchangeOnlineSettings": {"useApplicationOnlyAuth": true, "account": null,
				"applicationId": "db534d82-857f-4996-b57b-1ec66d3e7d3f", "officeOrganizationName": "contoso.onmicrosoft.com"},
			"sharePointOnlineSettings": {"useApplicationOnlyAuth": true, "account": null,
				"applicationId": "db534d82-857f-4996-b57b-1ec66d3e7d3f", "officeOrganizationName": "contoso.onmicrosoft.com"},
			"_links": {"self": {"href": "{base}/v8/Organizations/62c4ab35-68fb-4a48-ae4d-8103635b9526"},
				"syncState": {"href": "{base}/v8/Organizations/62c4ab35-68fb-4a48-ae4d-8103635b9526/SyncState"}}
		}`},
		{"basic auth, upper-case id", strings.ToUpper(veeamsim.NorthwindID), `{
			"id": "cc3e9934-ca5b-499e-8d97-25b64c2daf57",
			"name": "northwindtraders.onmicrosoft.com",
			"officeName": "northwindtraders.onmicrosoft.com",
			"description": "Northwind Traders (basic authentication: cache sync not available)",
			"type": "Office365",
			"region": "Worldwide",
			"isBackedup": false,
			"exchangeOnlineSettings": {"useApplicationOnlyAuth": false, "account": "veeam.backup@northwindtraders.onmicrosoft.com",
				"applicationId": null, "officeOrganizationName": "northwindtraders.onmicrosoft.com"},
			"sharePointOnlineSettings": {"useApplicationOnlyAuth": false, "account": "veeam.backup@northwindtraders.onmicrosoft.com",
				"applicationId": null, "officeOrganizationName": "northwindtraders.onmicrosoft.com"},
			"_links": {"self": {"href": "{base}/v8/Organizations/cc3e9934-ca5b-499e-8d97-25b64c2daf57"},
				"syncState": {"href": "{base}/v8/Organizations/cc3e9934-ca5b-499e-8d97-25b64c2daf57/SyncState"}}
		}`},
		{"on-premises", veeamsim.LitwareID, `{
			"id": "55fa08ac-702f-4be8-9472-f6c612d2e8b9",
			"name": "Litware",
			"officeName": "litware.local",
			"description": "Litware, Inc. (on-premises Exchange and SharePoint)",
			"type": "OnPremises",
			"region": "Worldwide",
			"isBackedup": true,
			"exchangeOnlineSettings": null,
			"sharePointOnlineSettings": null,
			"_links": {"self": {"href": "{base}/v8/Organizations/55fa08ac-702f-4be8-9472-f6c612d2e8b9"},
				"syncState": {"href": "{base}/v8/Organizations/55fa08ac-702f-4be8-9472-f6c612d2e8b9/SyncState"}}
		}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.get("/v8/Organizations/" + tt.id)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			var got, want any
			decode(t, r.body, &got)
			decode(t, []byte(strings.ReplaceAll(tt.want, "{base}", e.url)), &want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("organization (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotFoundAndBadID(t *testing.T) {
	e := start(t, veeamsim.Options{})
	const unknown = "00000000-0000-4000-8000-000000000001"
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantCode           string
	}{
		{"org not a GUID", "GET", "/v8/Organizations/contoso", http.StatusBadRequest, veeamsim.CodeParameterValidationFailure},
		{"org GUID in braces", "GET", "/v8/Organizations/%7B" + veeamsim.ContosoID + "%7D", http.StatusBadRequest, veeamsim.CodeParameterValidationFailure},
		{"org unknown", "GET", "/v8/Organizations/" + unknown, http.StatusNotFound, veeamsim.CodeResourceNotFound},
		{"state not a GUID", "GET", "/v8/Organizations/12345/SyncState", http.StatusBadRequest, veeamsim.CodeParameterValidationFailure},
		{"state unknown", "GET", "/v8/Organizations/" + unknown + "/SyncState", http.StatusNotFound, veeamsim.CodeResourceNotFound},
		{"unknown path", "GET", "/v8/Jobs", http.StatusNotFound, ""},
		{"lower-case path", "GET", "/v8/organizations", http.StatusNotFound, ""},
		{"other version", "GET", "/v7/Organizations", http.StatusNotFound, ""},
		{"wrong method", "DELETE", "/v8/Organizations/" + veeamsim.ContosoID, http.StatusMethodNotAllowed, ""},
	}
	tok := e.login().AccessToken
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, "", "", tok)
			got := wantError(t, r, tt.wantStatus, tt.wantCode)
			if tt.wantStatus == http.StatusNotFound && tt.wantCode != "" && !strings.Contains(got.Message, unknown) {
				t.Errorf("message %q does not name the id", got.Message)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed && r.header.Get("Allow") == "" {
				t.Errorf("no Allow header on 405")
			}
		})
	}
}

func TestSyncStates(t *testing.T) {
	e := start(t, veeamsim.Options{})
	r := e.get("/v8/Organizations/SyncState")
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	var raw []json.RawMessage
	decode(t, r.body, &raw) // a bare array, not one organization's state
	var states []syncState
	decode(t, r.body, &states)
	ids := []string{}
	for i, st := range states {
		ids = append(ids, st.OrganizationID)
		if got, want := keys(t, raw[i]), []string{"_links", "currentSyncState", "lastSyncState", "organizationId", "parts"}; !slices.Equal(got, want) {
			t.Errorf("%s: fields %v, want %v", st.OrganizationID, got, want)
		}
	}
	if diff := cmp.Diff(seedOrder(), ids); diff != "" {
		t.Fatalf("organizations (-want +got):\n%s", diff)
	}
	byID := map[string]syncState{}
	for _, st := range states {
		byID[st.OrganizationID] = st
	}

	contoso := byID[veeamsim.ContosoID]
	if contoso.LastSyncState != nil || contoso.CurrentSyncState != nil {
		t.Errorf("Contoso: want never synced, got %s", raw[0])
	}
	for _, part := range []string{"users", "groups", "groupMembers", "sites"} {
		p, ok := contoso.Parts[part]
		if !ok || p != nil {
			t.Errorf("Contoso part %s: present %v, want null", part, ok)
		}
	}
	if self := contoso.Links["self"].Href; self != e.url+"/v8/Organizations/"+veeamsim.ContosoID+"/SyncState" {
		t.Errorf("Contoso self link %q", self)
	}

	fab := byID[veeamsim.FabrikamID]
	if fab.LastSyncState == nil || fab.LastSyncState.Result != "Success" || fab.LastSyncState.Type != "Full" ||
		fab.LastSyncState.Error != nil || fab.CurrentSyncState != nil {
		t.Errorf("Fabrikam: want last Full Success, got %+v", fab)
	}
	if p := fab.Parts["users"]; p == nil || p.LastSuccessfulSyncTime == nil || p.CurrentSyncState != nil {
		t.Errorf("Fabrikam users part: %+v", p)
	} else if end := parseTime(t, &fab.LastSyncState.EndTime); !parseTime(t, p.LastSuccessfulSyncTime).Equal(end) || !end.Before(t0()) {
		t.Errorf("Fabrikam users lastSuccessfulSyncTime %s, last end %s", *p.LastSuccessfulSyncTime, fab.LastSyncState.EndTime)
	}

	wood := byID[veeamsim.WoodgroveID]
	if wood.CurrentSyncState == nil || wood.CurrentSyncState.Status != "Running" || wood.CurrentSyncState.StartTime == nil {
		t.Errorf("Woodgrove: want Running, got %+v", wood.CurrentSyncState)
	}

	tail := byID[veeamsim.TailspinID]
	if tail.LastSyncState == nil || tail.LastSyncState.Result != "Error" || tail.LastSyncState.Error == nil ||
		*tail.LastSyncState.Error != veeamsim.TailspinSyncError {
		t.Errorf("Tailspin: want last Error, got %+v", tail.LastSyncState)
	}
	if p := tail.Parts["sites"]; p == nil || p.LastSuccessfulSyncTime != nil {
		t.Errorf("Tailspin sites part: want present with no successful time, got %+v", p)
	}

	// The single-organization route answers the same object.
	one := e.get("/v8/Organizations/" + veeamsim.TailspinID + "/SyncState")
	var oneRaw any
	var listed any
	decode(t, one.body, &oneRaw)
	decode(t, raw[4], &listed)
	if diff := cmp.Diff(listed, oneRaw); diff != "" {
		t.Errorf("Tailspin SyncState differs from its entry in the list (-list +one):\n%s", diff)
	}
}

func TestCustomOrganizations(t *testing.T) {
	const id = "13F890E5-058B-4F7D-B8DF-D140D283C7E9"
	e := start(t, veeamsim.Options{Organizations: []veeamsim.Organization{{
		ID: id, Name: "adatum", Type: veeamsim.TypeOffice365, Region: "China",
		Exchange:    &veeamsim.OnlineSettings{UseApplicationOnlyAuth: new(true)},
		InitialSync: veeamsim.StatusQueued, InitialSyncType: veeamsim.Full,
	}}})
	var page struct {
		Results []struct {
			ID                       string          `json:"id"`
			SharePointOnlineSettings json.RawMessage `json:"sharePointOnlineSettings"`
		} `json:"results"`
	}
	decode(t, e.get("/v8/Organizations").body, &page)
	if len(page.Results) != 1 || page.Results[0].ID != strings.ToLower(id) || string(page.Results[0].SharePointOnlineSettings) != "null" {
		t.Fatalf("organizations: %+v", page.Results)
	}
	if cur := e.state(id).CurrentSyncState; cur == nil || cur.Status != "Queued" || cur.Type != "Full" {
		t.Errorf("initial sync: %+v", cur)
	}
	wantError(t, e.startSync(id, `{}`), http.StatusConflict, veeamsim.CodeOperationConflict)

	for _, bad := range [][]veeamsim.Organization{
		{{ID: "adatum"}},
		{{ID: id}, {ID: strings.ToLower(id)}},
		{{ID: id, InitialSync: "Paused"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", bad)
				}
			}()
			veeamsim.New(veeamsim.Options{Organizations: bad})
		}()
	}
}
