package veeam

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/syncgate/syncgate/internal/upstream"
)

const orgID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"

// auths lists the Authorization header of every API call the fake received.
func auths(f *fakeVeeam) []string {
	var as []string
	for _, c := range f.apiCalls() {
		as = append(as, c.Auth)
	}
	return as
}

func TestTokenIsCachedAcrossCalls(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil)
	for range 5 {
		if _, err := h.c.Organization(context.Background(), orgID); err != nil {
			t.Fatalf("Organization: %v", err)
		}
		h.clock.Advance(time.Minute)
	}
	if diff := cmp.Diff([]string{"password"}, fake.grantTypes()); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
	want := strings.Split(strings.Repeat("Bearer access-1,", 5), ",")[:5]
	if diff := cmp.Diff(want, auths(fake)); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
	golden(t, "token_password.form", fake.rawForm(0))
}

func TestTokenIsRefreshedBeforeExpiry(t *testing.T) {
	tests := []struct {
		name          string
		expiresIn     int
		refreshBefore time.Duration
		advance       time.Duration
		wantGrants    []string
	}{
		{"an hour's token is kept for 54 minutes", 3600, 0, 54 * time.Minute, []string{"password"}},
		{"an hour's token is refreshed 5 minutes before expiry", 3600, 0, 55 * time.Minute, []string{"password", "refresh_token"}},
		{"a configured margin is used", 3600, 10 * time.Minute, 50 * time.Minute, []string{"password", "refresh_token"}},
		{"the margin is capped to half a short lifetime: kept", 300, 0, 149 * time.Second, []string{"password"}},
		{"the margin is capped to half a short lifetime: refreshed", 300, 0, 150 * time.Second, []string{"password", "refresh_token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, serveFile(t, "organization.json"))
			fake.expiresIn = tt.expiresIn
			h := newHarness(t, fake, func(c *Config) { c.RefreshBefore = tt.refreshBefore })
			for _, step := range []time.Duration{0, tt.advance} {
				h.clock.Advance(step)
				if _, err := h.c.Organization(context.Background(), orgID); err != nil {
					t.Fatalf("Organization: %v", err)
				}
			}
			if diff := cmp.Diff(tt.wantGrants, fake.grantTypes()); diff != "" {
				t.Fatalf("token requests (-want +got):\n%s", diff)
			}
			wantAuth := "Bearer access-" + map[bool]string{true: "2", false: "1"}[len(tt.wantGrants) == 2]
			if got := auths(fake)[1]; got != wantAuth {
				t.Errorf("second call sent %q, want %q", got, wantAuth)
			}
			if len(tt.wantGrants) == 2 {
				golden(t, "token_refresh.form", fake.rawForm(1))
			}
		})
	}
}

func TestFailedRefreshFallsBackToPasswordLogin(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil)
	ctx := context.Background()
	if _, err := h.c.Organization(ctx, orgID); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	clear(fake.refresh) // the server forgot the refresh token
	fake.mu.Unlock()
	h.clock.Advance(56 * time.Minute)
	if _, err := h.c.Organization(ctx, orgID); err != nil {
		t.Fatalf("Organization after a failed refresh: %v", err)
	}
	if diff := cmp.Diff([]string{"password", "refresh_token", "password"}, fake.grantTypes()); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Bearer access-1", "Bearer access-2"}, auths(fake)); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
}

func TestFailedRenewalKeepsTheTokenUntilItExpires(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil)
	ctx := context.Background()
	if _, err := h.c.Organization(ctx, orgID); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	fake.token = func(w http.ResponseWriter, r *http.Request) {
		writeException(w, http.StatusInternalServerError, "", "database is locked")
	}
	fake.mu.Unlock()

	h.clock.Advance(56 * time.Minute)
	if _, err := h.c.Organization(ctx, orgID); err != nil {
		t.Fatalf("Organization while the token is still valid: %v", err)
	}
	h.clock.Advance(5 * time.Minute)
	_, err := h.c.Organization(ctx, orgID)
	wantKind(t, err, upstream.KindInternal)
	if diff := cmp.Diff([]string{"Bearer access-1", "Bearer access-1"}, auths(fake)); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
}

func TestConcurrentCallersShareOneTokenRequest(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil)
	run := func(t *testing.T) {
		t.Helper()
		gate := make(chan struct{})
		fake.mu.Lock()
		fake.tokenGate = gate
		fake.mu.Unlock()
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for range 200 {
			wg.Go(func() {
				if _, err := h.c.Organization(context.Background(), orgID); err != nil {
					errs <- err
				}
			})
		}
		close(gate) // the token answer comes only once every caller started
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("Organization: %v", err)
		}
	}
	run(t)
	if diff := cmp.Diff([]string{"password"}, fake.grantTypes()); diff != "" {
		t.Errorf("token requests for 200 first callers (-want +got):\n%s", diff)
	}
	h.clock.Advance(56 * time.Minute)
	run(t)
	if diff := cmp.Diff([]string{"password", "refresh_token"}, fake.grantTypes()); diff != "" {
		t.Errorf("token requests after 200 callers found it due (-want +got):\n%s", diff)
	}
}

func TestUnauthorizedLogsInAgainAndRetriesOnce(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil)
	ctx := context.Background()
	if _, err := h.c.Organization(ctx, orgID); err != nil {
		t.Fatal(err)
	}
	fake.revokeAll() // the server restarted
	if err := h.c.StartSync(ctx, orgID, SyncRequest{}); err != nil {
		t.Fatalf("StartSync after the token was revoked: %v", err)
	}
	if diff := cmp.Diff([]string{"password", "password"}, fake.grantTypes()); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Bearer access-1", "Bearer access-1", "Bearer access-2"}, auths(fake)); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}
}

func TestConcurrentUnauthorizedCallersLogInOnce(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil)
	ctx := context.Background()
	if _, err := h.c.Organization(ctx, orgID); err != nil {
		t.Fatal(err)
	}
	fake.revokeAll()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := h.c.Organization(ctx, orgID); err != nil {
				t.Errorf("Organization: %v", err)
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff([]string{"password", "password"}, fake.grantTypes()); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
}

func TestSecondUnauthorizedIsAuthError(t *testing.T) {
	fake := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		writeException(w, http.StatusUnauthorized, "", "Authorization has been denied for this request.")
	})
	h := newHarness(t, fake, nil)
	_, err := h.c.SyncState(context.Background(), orgID)
	ue := wantKind(t, err, upstream.KindAuth)
	if ue.Status != http.StatusUnauthorized {
		t.Errorf("Status = %d, want 401", ue.Status)
	}
	if diff := cmp.Diff([]string{"password", "password"}, fake.grantTypes()); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
	if got := len(fake.apiCalls()); got != 2 {
		t.Errorf("API calls = %d, want 2 (the call and one retry)", got)
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		retryAfter     string
		contentType    string
		body           string
		wantKind       upstream.Kind
		wantCode       string
		wantMessage    string
		wantRetryAfter time.Duration
		wantRequests   int
	}{
		{"OAuth invalid_grant", 400, "", "application/json", `{"error":"invalid_grant","error_description":"The user name or password is incorrect."}`,
			upstream.KindAuth, "invalid_grant", "The user name or password is incorrect.", 0, 1},
		{"RESTExceptionInfo 401", 401, "", "application/json", `{"message":"Access denied.","errorCode":null,"stackTrace":"at SECRET_STACK_FRAME"}`,
			upstream.KindAuth, "", "Access denied.", 0, 1},
		{"403 access denied", 403, "", "application/json", `{"message":"The user is not a REST operator.","errorCode":"ResourceAccessDenied"}`,
			upstream.KindAuth, "ResourceAccessDenied", "The user is not a REST operator.", 0, 1},
		{"400 that is not JSON", 400, "", "text/html", `<html>Bad Request</html>`,
			upstream.KindAuth, "", "", 0, 1},
		{"500", 500, "", "application/json", `{"message":"Unexpected error.","errorCode":null}`,
			upstream.KindInternal, "", "Unexpected error.", 0, 1},
		{"503 without Retry-After is retried, then unavailable", 503, "", "text/plain", `Service Unavailable`,
			upstream.KindUnavailable, "", "", 0, 3},
		{"429 beyond the budget", 429, "60", "application/json", `{"message":"Too many requests."}`,
			upstream.KindThrottled, "", "Too many requests.", time.Minute, 1},
		{"504", 504, "", "", ``, upstream.KindTimeout, "", "", 0, 3},
		{"200 that does not parse", 200, "", "application/json", `{"access_token":`, upstream.KindBadResponse, "", "", 0, 1},
		{"200 without a token", 200, "", "application/json", `{"token_type":"bearer"}`, upstream.KindBadResponse, "", "", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, serveFile(t, "organization.json"))
			fake.token = func(w http.ResponseWriter, r *http.Request) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}
			h := newHarness(t, fake, nil)
			_, err := h.c.Organization(context.Background(), orgID)
			ue := wantKind(t, err, tt.wantKind)
			if ue.Status != tt.status || ue.Code != tt.wantCode || ue.RetryAfter != tt.wantRetryAfter {
				t.Errorf("Status, Code, RetryAfter = %d, %q, %v; want %d, %q, %v", ue.Status, ue.Code, ue.RetryAfter, tt.status, tt.wantCode, tt.wantRetryAfter)
			}
			if tt.wantMessage != "" && ue.Message != tt.wantMessage {
				t.Errorf("Message = %q, want %q", ue.Message, tt.wantMessage)
			}
			if strings.Contains(err.Error(), "SECRET_STACK_FRAME") {
				t.Errorf("error carries the stack trace: %v", err)
			}
			if got := len(fake.grantTypes()); got != tt.wantRequests {
				t.Errorf("token requests = %d, want %d", got, tt.wantRequests)
			}
			if got := len(fake.apiCalls()); got != 0 {
				t.Errorf("API calls = %d, want none without a token", got)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil)
	ctx := context.Background()
	if err := h.c.Logout(ctx); err != nil {
		t.Fatalf("Logout before any login: %v", err)
	}
	if got := len(fake.logoutAuths()) + len(fake.grantTypes()); got != 0 {
		t.Fatalf("Logout before any login made %d requests, want none", got)
	}
	if _, err := h.c.Organization(ctx, orgID); err != nil {
		t.Fatal(err)
	}
	if err := h.c.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if diff := cmp.Diff([]string{"Bearer access-1"}, fake.logoutAuths()); diff != "" {
		t.Errorf("logouts (-want +got):\n%s", diff)
	}
	if _, err := h.c.Organization(ctx, orgID); err != nil {
		t.Fatalf("Organization after Logout: %v", err)
	}
	if diff := cmp.Diff([]string{"password", "password"}, fake.grantTypes()); diff != "" {
		t.Errorf("token requests (-want +got):\n%s", diff)
	}
}
