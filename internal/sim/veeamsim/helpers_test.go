package veeamsim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// t0 is when every test's fake clock starts.
func t0() time.Time { return time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC) }

type env struct {
	t      *testing.T
	srv    *veeamsim.Server
	clock  *sim.FakeClock
	url    string
	client *http.Client
}

// start serves a simulator with opts over TLS, on a fake clock at t0.
func start(t *testing.T, opts veeamsim.Options) *env {
	t.Helper()
	clock := sim.NewFakeClock(t0())
	opts.Clock = clock
	srv := veeamsim.New(opts)
	ca, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	ts, err := ca.StartTLS(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:     ts.Client().Transport.(*http.Transport).TLSClientConfig,
		MaxIdleConnsPerHost: 64,
	}}
	t.Cleanup(client.CloseIdleConnections)
	return &env{t: t, srv: srv, clock: clock, url: ts.URL, client: client}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; token "" sends no Authorization header.
func (e *env) do(method, path, contentType, body, token string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

type tokenBody struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	UserName     string `json:"userName"`
	Issued       string `json:".issued"`
	Expires      string `json:".expires"`
}

const form = "application/x-www-form-urlencoded"

// login gets a token pair with the password grant.
func (e *env) login() tokenBody {
	e.t.Helper()
	r := e.do("POST", "/v8/token", form, "grant_type=password&username=admin&password=veeam&disable_antiforgery_token=true", "")
	if r.status != http.StatusOK {
		e.t.Fatalf("login: status %d, body %s", r.status, r.body)
	}
	var tb tokenBody
	decode(e.t, r.body, &tb)
	return tb
}

// refresh asks for a refresh_token grant.
func (e *env) refresh(refreshToken string) response {
	e.t.Helper()
	v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}, "disable_antiforgery_token": {"true"}}
	return e.do("POST", "/v8/token", form, v.Encode(), "")
}

// get sends an authorized GET with a fresh login.
func (e *env) get(path string) response {
	e.t.Helper()
	return e.do("GET", path, "", "", e.login().AccessToken)
}

// startSync sends an authorized POST Sync with a JSON body.
func (e *env) startSync(orgID, body string) response {
	e.t.Helper()
	return e.do("POST", "/v8/Organizations/"+orgID+"/Sync", "application/json", body, e.login().AccessToken)
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// keys returns the sorted field names of a JSON object.
func keys(t *testing.T, b []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	decode(t, b, &m)
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// restError is RESTExceptionInfo as a client reads it.
type restError struct {
	Message    string  `json:"message"`
	ErrorCode  *string `json:"errorCode"`
	StackTrace *string `json:"stackTrace"`
}

// wantError checks r is status with a RESTExceptionInfo body whose errorCode
// is code ("" = null) and returns it.
func wantError(t *testing.T, r response, status int, code string) restError {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if got := keys(t, r.body); !slices.Equal(got, []string{"errorCode", "message", "stackTrace"}) {
		t.Fatalf("error body fields = %v; body %s", got, r.body)
	}
	var e restError
	decode(t, r.body, &e)
	gotCode := ""
	if e.ErrorCode != nil {
		gotCode = *e.ErrorCode
		if gotCode == "" {
			t.Errorf("errorCode is an empty string, want null")
		}
	}
	if gotCode != code {
		t.Errorf("errorCode = %q, want %q", gotCode, code)
	}
	if e.Message == "" {
		t.Errorf("empty message")
	}
	if status < 500 && e.StackTrace != nil {
		t.Errorf("stackTrace = %q on a %d", *e.StackTrace, status)
	}
	return e
}

// syncState is a SyncState body as a client reads it.
type syncState struct {
	OrganizationID string `json:"organizationId"`
	LastSyncState  *struct {
		Type      string  `json:"type"`
		Result    string  `json:"result"`
		StartTime string  `json:"startTime"`
		EndTime   string  `json:"endTime"`
		Error     *string `json:"error"`
	} `json:"lastSyncState"`
	CurrentSyncState *current `json:"currentSyncState"`
	Parts            map[string]*struct {
		LastSuccessfulSyncTime *string         `json:"lastSuccessfulSyncTime"`
		LastSyncState          json.RawMessage `json:"lastSyncState"`
		CurrentSyncState       *current        `json:"currentSyncState"`
	} `json:"parts"`
	Links map[string]struct {
		Href string `json:"href"`
	} `json:"_links"`
}

type current struct {
	Type          string  `json:"type"`
	Status        string  `json:"status"`
	ScheduledTime *string `json:"scheduledTime"`
	StartTime     *string `json:"startTime"`
}

// state reads an organization's SyncState.
func (e *env) state(orgID string) syncState {
	e.t.Helper()
	r := e.get("/v8/Organizations/" + orgID + "/SyncState")
	if r.status != http.StatusOK {
		e.t.Fatalf("SyncState %s: status %d, body %s", orgID, r.status, r.body)
	}
	var st syncState
	decode(e.t, r.body, &st)
	return st
}

// parseTime parses a date-time the server wrote.
func parseTime(t *testing.T, s *string) time.Time {
	t.Helper()
	if s == nil {
		t.Fatal("date-time is null")
	}
	tm, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
