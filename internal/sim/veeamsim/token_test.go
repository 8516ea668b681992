package veeamsim_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

func TestTokenGrant(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string // {refresh} is replaced by a live refresh token
		wantStatus  int
		wantMsg     string // substring of the error message
	}{
		{"form password", form, "grant_type=password&username=admin&password=veeam", http.StatusOK, ""},
		{"form with charset", form + "; charset=utf-8", "grant_type=password&username=admin&password=veeam&disable_antiforgery_token=true", http.StatusOK, ""},
		{"json password", "application/json", `{"grant_type":"password","username":"admin","password":"veeam","disable_antiforgery_token":true}`, http.StatusOK, ""},
		{"form refresh", form, "grant_type=refresh_token&refresh_token={refresh}&disable_antiforgery_token=true", http.StatusOK, ""},
		{"json refresh, string flag", "application/json", `{"grant_type":"refresh_token","refresh_token":"{refresh}","disable_antiforgery_token":"true"}`, http.StatusOK, ""},
		{"wrong password", form, "grant_type=password&username=admin&password=nope", http.StatusBadRequest, "Invalid username or password"},
		{"wrong username", form, "grant_type=password&username=root&password=veeam", http.StatusBadRequest, "Invalid username or password"},
		{"no password", form, "grant_type=password&username=admin", http.StatusBadRequest, "Invalid username or password"},
		{"refresh without antiforgery flag", form, "grant_type=refresh_token&refresh_token={refresh}", http.StatusBadRequest, "antiforgery token"},
		{"refresh with antiforgery false", form, "grant_type=refresh_token&refresh_token={refresh}&disable_antiforgery_token=false", http.StatusBadRequest, "antiforgery token"},
		{"unknown refresh token", form, "grant_type=refresh_token&refresh_token=bogus&disable_antiforgery_token=true", http.StatusBadRequest, "refresh token"},
		{"unknown grant", form, "grant_type=client_credentials&client_id=x", http.StatusBadRequest, "Unsupported grant type"},
		{"no grant", form, "username=admin&password=veeam", http.StatusBadRequest, "grant_type"},
		{"no content type", "", "grant_type=password&username=admin&password=veeam", http.StatusUnsupportedMediaType, "application/x-www-form-urlencoded"},
		{"text/plain", "text/plain", "grant_type=password&username=admin&password=veeam", http.StatusUnsupportedMediaType, "application/x-www-form-urlencoded"},
		{"malformed json", "application/json", `{"grant_type":`, http.StatusBadRequest, "JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := start(t, veeamsim.Options{})
			body := strings.ReplaceAll(tt.body, "{refresh}", e.login().RefreshToken)
			r := e.do("POST", "/v8/token", tt.contentType, body, "")
			if tt.wantStatus != http.StatusOK {
				got := wantError(t, r, tt.wantStatus, "")
				if !strings.Contains(got.Message, tt.wantMsg) {
					t.Errorf("message = %q, want it to contain %q", got.Message, tt.wantMsg)
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, body %s", r.status, r.body)
			}
			want := []string{".expires", ".issued", "access_token", "expires_in", "refresh_token", "token_type", "userName"}
			if got := keys(t, r.body); !slices.Equal(got, want) {
				t.Errorf("fields = %v, want %v", got, want)
			}
			var tb tokenBody
			decode(t, r.body, &tb)
			if tb.AccessToken == "" || tb.RefreshToken == "" || tb.AccessToken == tb.RefreshToken {
				t.Errorf("tokens: access %q, refresh %q", tb.AccessToken, tb.RefreshToken)
			}
			if tb.TokenType != "bearer" || tb.ExpiresIn != 3600 || tb.UserName != "admin" {
				t.Errorf("token_type %q, expires_in %d, userName %q", tb.TokenType, tb.ExpiresIn, tb.UserName)
			}
			issued, err := http.ParseTime(tb.Issued)
			if err != nil || !issued.Equal(t0()) {
				t.Errorf(".issued = %q (%v), want %v", tb.Issued, err, t0())
			}
			expires, err := http.ParseTime(tb.Expires)
			if err != nil || !expires.Equal(t0().Add(time.Hour)) {
				t.Errorf(".expires = %q (%v)", tb.Expires, err)
			}
			if got := e.do("GET", "/v8/Organizations", "", "", tb.AccessToken); got.status != http.StatusOK {
				t.Errorf("new access token refused: %d %s", got.status, got.body)
			}
		})
	}
}

func TestTokenExpiry(t *testing.T) {
	e := start(t, veeamsim.Options{TokenLifetime: 5 * time.Minute})
	tb := e.login()
	if tb.ExpiresIn != 300 {
		t.Fatalf("expires_in = %d, want 300", tb.ExpiresIn)
	}
	steps := []struct {
		advance time.Duration
		want    int
	}{
		{0, http.StatusOK},
		{5*time.Minute - time.Second, http.StatusOK},
		{time.Second, http.StatusUnauthorized}, // at expiry
	}
	for _, s := range steps {
		e.clock.Advance(s.advance)
		r := e.do("GET", "/v8/Organizations", "", "", tb.AccessToken)
		if r.status != s.want {
			t.Fatalf("after %v more: status %d, want %d", s.advance, r.status, s.want)
		}
	}
	// The refresh token outlives the access token, for 14 days.
	r := e.refresh(tb.RefreshToken)
	if r.status != http.StatusOK {
		t.Fatalf("refresh after access expiry: %d %s", r.status, r.body)
	}
	var fresh tokenBody
	decode(t, r.body, &fresh)
	if got := e.do("GET", "/v8/Organizations", "", "", fresh.AccessToken); got.status != http.StatusOK {
		t.Fatalf("refreshed access token: %d", got.status)
	}
	e.clock.Advance(veeamsim.RefreshTokenLifetime)
	wantError(t, e.refresh(fresh.RefreshToken), http.StatusBadRequest, "")
}

func TestRefreshRotation(t *testing.T) {
	e := start(t, veeamsim.Options{})
	first := e.login()
	r := e.refresh(first.RefreshToken)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	var second tokenBody
	decode(t, r.body, &second)
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh did not issue new tokens")
	}
	wantError(t, e.refresh(first.RefreshToken), http.StatusBadRequest, "") // spent
	if r := e.refresh(second.RefreshToken); r.status != http.StatusOK {
		t.Fatalf("rotated refresh token refused: %d %s", r.status, r.body)
	}
	if got := e.srv.TokenGrants("password"); got != 1 {
		t.Errorf("password grants = %d, want 1", got)
	}
	if got := e.srv.TokenGrants("refresh_token"); got != 2 {
		t.Errorf("refresh_token grants = %d, want 2", got)
	}
}

func TestExpireAccessTokens(t *testing.T) {
	e := start(t, veeamsim.Options{})
	tb := e.login()
	e.srv.ExpireAccessTokens()
	got := wantError(t, e.do("GET", "/v8/Organizations", "", "", tb.AccessToken), http.StatusUnauthorized, "")
	if got.Message != veeamsim.MsgUnauthorized {
		t.Errorf("message = %q", got.Message)
	}
	r := e.refresh(tb.RefreshToken)
	if r.status != http.StatusOK {
		t.Fatalf("refresh after ExpireAccessTokens: %d %s", r.status, r.body)
	}
	var fresh tokenBody
	decode(t, r.body, &fresh)
	if got := e.do("GET", "/v8/Organizations", "", "", fresh.AccessToken); got.status != http.StatusOK {
		t.Fatalf("new access token: %d", got.status)
	}
}

func TestLogout(t *testing.T) {
	e := start(t, veeamsim.Options{})
	tb := e.login()
	other := e.login()
	r := e.do("POST", "/v8/token/logout", "", "", tb.AccessToken)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("logout: %d %q", r.status, r.body)
	}
	wantError(t, e.do("GET", "/v8/Organizations", "", "", tb.AccessToken), http.StatusUnauthorized, "")
	wantError(t, e.refresh(tb.RefreshToken), http.StatusBadRequest, "")
	if got := e.do("GET", "/v8/Organizations", "", "", other.AccessToken); got.status != http.StatusOK {
		t.Errorf("another session's token: %d", got.status)
	}
	wantError(t, e.do("POST", "/v8/token/logout", "", "", ""), http.StatusUnauthorized, "")
}

func TestAuthRequired(t *testing.T) {
	routes := []struct{ method, path, contentType, body string }{
		{"GET", "/v8/Organizations", "", ""},
		{"GET", "/v8/Organizations/" + veeamsim.ContosoID, "", ""},
		{"GET", "/v8/Organizations/" + veeamsim.ContosoID + "/SyncState", "", ""},
		{"GET", "/v8/Organizations/SyncState", "", ""},
		{"POST", "/v8/Organizations/" + veeamsim.ContosoID + "/Sync", "application/json", "{}"},
		{"POST", "/v8/token/logout", "", ""},
	}
	e := start(t, veeamsim.Options{})
	tb := e.login()
	auths := []struct{ name, header string }{
		{"none", ""},
		{"unknown token", "Bearer not-a-token"},
		{"basic scheme", "Basic YWRtaW46dmVlYW0="},
		{"refresh token as access token", "Bearer " + tb.RefreshToken},
		{"bare token", tb.AccessToken},
	}
	for _, rt := range routes {
		for _, a := range auths {
			t.Run(rt.method+" "+rt.path+"/"+a.name, func(t *testing.T) {
				req, err := http.NewRequest(rt.method, e.url+rt.path, strings.NewReader(rt.body))
				if err != nil {
					t.Fatal(err)
				}
				if rt.contentType != "" {
					req.Header.Set("Content-Type", rt.contentType)
				}
				if a.header != "" {
					req.Header.Set("Authorization", a.header)
				}
				resp, err := e.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				body, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				got := wantError(t, response{status: resp.StatusCode, header: resp.Header, body: body}, http.StatusUnauthorized, "")
				if got.Message != veeamsim.MsgUnauthorized {
					t.Errorf("message = %q", got.Message)
				}
				if h := resp.Header.Get("WWW-Authenticate"); h != "Bearer" {
					t.Errorf("WWW-Authenticate = %q", h)
				}
			})
		}
	}
	if got := e.srv.SyncStarts(veeamsim.ContosoID); got != 0 {
		t.Errorf("SyncStarts = %d after unauthorized calls", got)
	}
	if got := e.srv.SyncCalls(veeamsim.ContosoID); got != len(auths) {
		t.Errorf("SyncCalls = %d, want %d", got, len(auths))
	}
}
