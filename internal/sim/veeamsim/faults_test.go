package veeamsim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

func TestFaultAnswers(t *testing.T) {
	tests := []struct {
		name           string
		route          string
		fault          sim.Fault
		method, path   string
		contentType    string
		body           string
		wantStatus     int
		wantCode       string
		wantMsg        string
		wantRetryAfter string
	}{
		{"sync unavailable with Retry-After", veeamsim.RouteSync, sim.Fault{Status: 503, RetryAfter: 3 * time.Second},
			"POST", "/v8/Organizations/" + veeamsim.ContosoID + "/Sync", "application/json", `{}`, 503, "", "Service Unavailable", "3"},
		{"sync server error with code", veeamsim.RouteSync, sim.Fault{Status: 500, Code: "HttpError", Message: "boom"},
			"POST", "/v8/Organizations/" + veeamsim.ContosoID + "/Sync", "application/json", `{}`, 500, "HttpError", "boom", ""},
		{"token throttled, Retry-After rounded up", veeamsim.RouteToken, sim.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond},
			"POST", "/v8/token", form, "grant_type=password&username=admin&password=veeam", 429, "", "Too Many Requests", "2"},
		{"organization access denied", veeamsim.RouteOrganization, sim.Fault{Status: 403, Code: "ResourceAccessDenied", Message: "Access denied."},
			"GET", "/v8/Organizations/" + veeamsim.ContosoID, "", "", 403, "ResourceAccessDenied", "Access denied.", ""},
		{"states timeout", veeamsim.RouteSyncStates, sim.Fault{Status: 504, Code: "Timeout"},
			"GET", "/v8/Organizations/SyncState", "", "", 504, "Timeout", "Gateway Timeout", ""},
		{"state proxy offline", veeamsim.RouteSyncState, sim.Fault{Status: 502, Code: "ProxyOffline"},
			"GET", "/v8/Organizations/" + veeamsim.ContosoID + "/SyncState", "", "", 502, "ProxyOffline", "Bad Gateway", ""},
		{"list conflict", veeamsim.RouteOrganizations, sim.Fault{Status: 409, Code: "OrganizationTransfer"},
			"GET", "/v8/Organizations", "", "", 409, "OrganizationTransfer", "Conflict", ""},
		{"logout error", veeamsim.RouteLogout, sim.Fault{Status: 500},
			"POST", "/v8/token/logout", "", "", 500, "", "Internal Server Error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, veeamsim.Options{})
			tok := e.login().AccessToken
			e.srv.Faults.Set(tt.route, tt.fault)
			r := e.do(tt.method, tt.path, tt.contentType, tt.body, tok)
			got := wantError(t, r, tt.wantStatus, tt.wantCode)
			if got.Message != tt.wantMsg {
				t.Errorf("message = %q, want %q", got.Message, tt.wantMsg)
			}
			if tt.wantStatus >= 500 && (got.StackTrace == nil || *got.StackTrace == "") {
				t.Errorf("5xx without a stackTrace")
			}
			if ra := r.header.Get("Retry-After"); ra != tt.wantRetryAfter {
				t.Errorf("Retry-After = %q, want %q", ra, tt.wantRetryAfter)
			}
			if got := e.srv.SyncCalls(veeamsim.ContosoID); got != 0 {
				t.Errorf("SyncCalls = %d: a faulted call reached the handler", got)
			}
			e.srv.Faults.Clear(tt.route)
			if r := e.do(tt.method, tt.path, tt.contentType, tt.body, tok); r.status >= 400 {
				t.Errorf("after Clear: status %d, body %s", r.status, r.body)
			}
		})
	}
}

func TestFaultTimes(t *testing.T) {
	e := start(t, veeamsim.Options{})
	e.srv.Faults.Set(veeamsim.RouteSync, sim.Fault{Status: 503, Times: 2})
	want := []int{503, 503, 204}
	for i, w := range want {
		if r := e.startSync(veeamsim.ContosoID, `{}`); r.status != w {
			t.Errorf("call %d: status %d, want %d", i, r.status, w)
		}
	}
	if s, c := e.srv.SyncStarts(veeamsim.ContosoID), e.srv.SyncCalls(veeamsim.ContosoID); s != 1 || c != 1 {
		t.Errorf("SyncStarts %d SyncCalls %d, want 1 and 1", s, c)
	}
}

func TestFaultDrop(t *testing.T) {
	e := start(t, veeamsim.Options{})
	tok := e.login().AccessToken
	e.srv.Faults.Set(veeamsim.RouteSync, sim.Fault{Drop: true, Times: 1})
	req, err := http.NewRequest("POST", e.url+"/v8/Organizations/"+veeamsim.ContosoID+"/Sync", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := e.client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %d", resp.StatusCode)
	}
	if got := e.srv.SyncCalls(veeamsim.ContosoID); got != 0 {
		t.Errorf("SyncCalls = %d after a drop", got)
	}
	if cur := e.state(veeamsim.ContosoID).CurrentSyncState; cur != nil {
		t.Errorf("a dropped start started a sync: %+v", cur)
	}
	if r := e.startSync(veeamsim.ContosoID, `{}`); r.status != http.StatusNoContent {
		t.Errorf("after the drop: %d", r.status)
	}
}

func TestFaultLatency(t *testing.T) {
	e := start(t, veeamsim.Options{})
	tok := e.login().AccessToken

	// A latency longer than the caller waits: the caller times out.
	e.srv.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", e.url+"/v8/Organizations", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := e.client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d despite a minute of latency", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want a deadline", err)
	}

	// A latency alone delays a normal answer.
	e.srv.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Latency: time.Millisecond})
	if r := e.do("GET", "/v8/Organizations", "", "", tok); r.status != http.StatusOK {
		t.Errorf("latency only: status %d", r.status)
	}

	e.srv.Faults.Set(veeamsim.RouteToken, sim.Fault{Status: 503})
	e.srv.Faults.Reset()
	e.login()
}
