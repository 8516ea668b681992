package auth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// recordingFail is a FailFunc that answers 401 or 403 as the api package
// does and keeps the error it was given.
type recordingFail struct{ err error }

func (f *recordingFail) fail(w http.ResponseWriter, _ *http.Request, err error) {
	f.err = err
	var se *ScopeError
	if errors.As(err, &se) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	w.WriteHeader(http.StatusUnauthorized)
}

// whoami answers 200 with the subject of the context's principal.
func whoami() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		if !ok {
			http.Error(w, "no principal", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte(p.Subject))
	})
}

func TestAuthenticate(t *testing.T) {
	m := testMinter(t)
	v := newTestVerifier(t, Config{JWKSURL: newJWKSServer(t, m).URL}, nil)
	good := mint(t, m, claimsNow(jwt.MapClaims{"sub": "alice"}))
	expired := mint(t, m, claimsNow(jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()}))
	const noToken = `Bearer realm="syncgate"`

	cases := []struct {
		name          string
		authorization []string
		wantStatus    int
		wantChallenge string
		wantErr       error // ErrNoToken, or nil for a TokenError / success
		wantBody      string
	}{
		{name: "valid", authorization: []string{"Bearer " + good}, wantStatus: http.StatusOK, wantBody: "alice"},
		{name: "scheme lower case", authorization: []string{"bearer " + good}, wantStatus: http.StatusOK, wantBody: "alice"},
		{name: "scheme upper case, extra spaces", authorization: []string{"BEARER   " + good + " "}, wantStatus: http.StatusOK, wantBody: "alice"},
		{name: "no header", wantStatus: http.StatusUnauthorized, wantChallenge: noToken, wantErr: ErrNoToken},
		{name: "empty header", authorization: []string{""}, wantStatus: http.StatusUnauthorized, wantChallenge: noToken, wantErr: ErrNoToken},
		{name: "Basic scheme", authorization: []string{"Basic dXNlcjpwYXNz"}, wantStatus: http.StatusUnauthorized, wantChallenge: noToken, wantErr: ErrNoToken},
		{name: "token without scheme", authorization: []string{good}, wantStatus: http.StatusUnauthorized, wantChallenge: noToken, wantErr: ErrNoToken},
		{
			name: "empty bearer", authorization: []string{"Bearer"}, wantStatus: http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="token malformed"`,
		},
		{
			name: "bearer and blanks", authorization: []string{"Bearer    "}, wantStatus: http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="token malformed"`,
		},
		{
			name: "two tokens", authorization: []string{"Bearer " + good + " " + good}, wantStatus: http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="token malformed"`,
		},
		{
			name: "several Authorization headers", authorization: []string{"Bearer " + good, "Bearer " + good}, wantStatus: http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="several Authorization headers"`,
		},
		{
			name: "a character outside b64token", authorization: []string{"Bearer " + good[:20] + "%" + good[21:]}, wantStatus: http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="token malformed"`,
		},
		{
			name: "padding only", authorization: []string{"Bearer =="}, wantStatus: http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="token malformed"`,
		},
		{
			name: "not three parts", authorization: []string{"Bearer abc.def"}, wantStatus: http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="token malformed"`,
		},
		{
			name: "expired", authorization: []string{"Bearer " + expired}, wantStatus: http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="token expired"`,
		},
		{
			name: "wrong issuer", authorization: []string{"Bearer " + mint(t, m, claimsNow(jwt.MapClaims{"iss": "https://evil.test"}))},
			wantStatus:    http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="token issuer not accepted"`,
		},
		{
			name: "alg none", authorization: []string{"Bearer " + sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, m.KeyID(), claimsNow(nil))},
			wantStatus:    http.StatusUnauthorized,
			wantChallenge: `Bearer realm="syncgate", error="invalid_token", error_description="algorithm not allowed"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &recordingFail{}
			h := v.Authenticate(f.fail)(whoami())
			req := httptest.NewRequest(http.MethodGet, "/organizations", nil)
			for _, a := range tc.authorization {
				req.Header.Add("Authorization", a)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", rec.Code, tc.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.wantChallenge)
			}
			if tc.wantBody != "" && rec.Body.String() != tc.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tc.wantBody)
			}
			switch {
			case tc.wantStatus == http.StatusOK:
				if f.err != nil {
					t.Errorf("fail called with %v", f.err)
				}
			case tc.wantErr != nil:
				if !errors.Is(f.err, tc.wantErr) {
					t.Errorf("fail err = %v, want %v", f.err, tc.wantErr)
				}
			default:
				var te *TokenError
				if !errors.As(f.err, &te) {
					t.Errorf("fail err = %v (%T), want *TokenError", f.err, f.err)
				}
			}
		})
	}
}

func TestRequireScope(t *testing.T) {
	m := testMinter(t)
	v := newTestVerifier(t, Config{JWKSURL: newJWKSServer(t, m).URL}, nil)
	const scope = "Organizations.Sync"

	cases := []struct {
		name          string
		token         string
		authenticate  bool
		wantStatus    int
		wantChallenge string
		wantScopeErr  bool
	}{
		{name: "scope in scp", token: mint(t, m, claimsNow(jwt.MapClaims{"scp": "Organizations.Read Organizations.Sync"})), authenticate: true, wantStatus: http.StatusOK},
		{name: "scope in roles", token: mint(t, m, claimsNow(jwt.MapClaims{"roles": []string{scope}})), authenticate: true, wantStatus: http.StatusOK},
		{
			name: "other scope only", token: mint(t, m, claimsNow(jwt.MapClaims{"scp": "Organizations.Read"})), authenticate: true,
			wantStatus:    http.StatusForbidden,
			wantChallenge: `Bearer realm="syncgate", error="insufficient_scope", scope="Organizations.Sync"`, wantScopeErr: true,
		},
		{
			name: "scope names are case-sensitive", token: mint(t, m, claimsNow(jwt.MapClaims{"scp": "organizations.sync"})), authenticate: true,
			wantStatus:    http.StatusForbidden,
			wantChallenge: `Bearer realm="syncgate", error="insufficient_scope", scope="Organizations.Sync"`, wantScopeErr: true,
		},
		{
			name: "no principal in the context", authenticate: false,
			wantStatus: http.StatusUnauthorized, wantChallenge: `Bearer realm="syncgate"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &recordingFail{}
			h := RequireScope(scope, f.fail)(whoami())
			if tc.authenticate {
				h = v.Authenticate(f.fail)(h)
			}
			req := httptest.NewRequest(http.MethodPost, "/organizations/sync", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tc.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tc.wantChallenge)
			}
			var se *ScopeError
			if got := errors.As(f.err, &se); got != tc.wantScopeErr {
				t.Errorf("fail err = %v, want ScopeError: %v", f.err, tc.wantScopeErr)
			} else if got && se.Scope != scope {
				t.Errorf("ScopeError.Scope = %q, want %q", se.Scope, scope)
			}
		})
	}
}

func TestChallengeQuotesValues(t *testing.T) {
	got := challenge("error", "insufficient_scope", "scope", `a"b\c`)
	want := `Bearer realm="syncgate", error="insufficient_scope", scope="a\"b\\c"`
	if got != want {
		t.Errorf("challenge = %q, want %q", got, want)
	}
}
