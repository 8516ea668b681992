package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/api"
	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/veeam"
)

// fakeAuth lets every request in with every scope.
type fakeAuth struct{}

func (fakeAuth) Authenticate(auth.FailFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := &auth.Principal{Subject: "tester", Scopes: allScopes}
			next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
		})
	}
}

// fakeOrgs is an OrganizationSyncer of func fields; nil ones panic.
type fakeOrgs struct {
	organization func(ctx context.Context, id string) (veeam.Organization, error)
}

func (f fakeOrgs) Organizations(context.Context, int, int) (veeam.OrganizationPage, error) {
	panic("not used")
}
func (f fakeOrgs) Organization(ctx context.Context, id string) (veeam.Organization, error) {
	return f.organization(ctx, id)
}
func (f fakeOrgs) StartSync(context.Context, string, veeam.SyncRequest) error { panic("not used") }
func (f fakeOrgs) SyncState(context.Context, string) (veeam.SyncState, error) {
	panic("not used")
}
func (f fakeOrgs) SyncStates(context.Context) ([]veeam.SyncState, error) { panic("not used") }

// TestPanicBecomesProblem: a handler that panics answers a 500 problem with
// the request id, and the panic is logged; the server keeps serving.
func TestPanicBecomesProblem(t *testing.T) {
	var logs bytes.Buffer
	orgs := fakeOrgs{organization: func(context.Context, string) (veeam.Organization, error) {
		panic("nil map in the adapter")
	}}
	srv := httptest.NewServer(api.NewServer(api.Config{
		Logger:        slog.New(slog.NewJSONHandler(&logs, nil)),
		Auth:          fakeAuth{},
		Scopes:        api.Scopes{OrganizationsRead: "Organizations.Read", OrganizationsSync: "Organizations.Sync", SyncJobsRead: "SyncJobs.Read", SyncJobsStart: "SyncJobs.Start"},
		Guard:         guard.New(store.NewMemory(nil), time.Minute),
		Organizations: orgs,
	}))
	defer srv.Close()
	client := &http.Client{Transport: contractChecker.Transport(srv.Client().Transport)}
	for range 2 {
		resp, err := client.Get(srv.URL + "/organizations/62c4ab35-68fb-4a48-ae4d-8103635b9526")
		if err != nil {
			t.Fatal(err)
		}
		var p api.Problem
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusInternalServerError || p.Type != api.TypeInternal ||
			p.RequestID == "" || p.RequestID != resp.Header.Get("X-Request-ID") {
			t.Fatalf("status %d, problem %+v (%v); want a 500 internal problem with the request id", resp.StatusCode, p, err)
		}
		if strings.Contains(p.Detail, "nil map") {
			t.Fatalf("the panic value reached the caller: %q", p.Detail)
		}
	}
	if !strings.Contains(logs.String(), "nil map in the adapter") || !strings.Contains(logs.String(), `"stack"`) {
		t.Fatalf("panic not logged with its stack:\n%s", logs.String())
	}
}
