package veeamsim

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds every request body the simulator reads.
const maxBody = 1 << 20

type accessToken struct {
	user    string
	refresh string // the refresh token issued with it, revoked on logout
	expires time.Time
}

type refreshToken struct {
	user    string
	expires time.Time
}

// tokenResponse is the 200 body of POST /v8/token, fields in the server's order.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	UserName     string `json:"userName"`
	Issued       string `json:".issued"`
	Expires      string `json:".expires"`
}

// handleToken serves POST /v8/token: the password and refresh_token grants.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	form, status, msg := readTokenForm(w, r)
	if status != 0 {
		writeError(w, status, "", msg)
		return
	}
	grant := form.Get("grant_type")
	switch grant {
	case "password":
		if form.Get("username") != s.opts.Username || form.Get("password") != s.opts.Password {
			s.log.Info("veeamsim: login refused", "grant_type", grant)
			writeError(w, http.StatusBadRequest, "", MsgInvalidLogin)
			return
		}
		s.grant(w, grant, s.opts.Username, "")
	case "refresh_token":
		if !strings.EqualFold(form.Get("disable_antiforgery_token"), "true") {
			writeError(w, http.StatusBadRequest, "", MsgAntiforgery)
			return
		}
		old := form.Get("refresh_token")
		s.mu.Lock()
		rt, ok := s.refresh[old]
		s.mu.Unlock()
		if old == "" || !ok || !s.clock.Now().Before(rt.expires) {
			writeError(w, http.StatusBadRequest, "", "The refresh token is invalid or expired.")
			return
		}
		s.grant(w, grant, rt.user, old)
	case "":
		writeError(w, http.StatusBadRequest, "", "The grant_type parameter is required.")
	default:
		writeError(w, http.StatusBadRequest, "", "Unsupported grant type: "+grant+".")
	}
}

// grant issues a new token pair for user, revoking the refresh token old
// (rotation); it fails when old was spent by a concurrent refresh.
func (s *Server) grant(w http.ResponseWriter, grantType, user, old string) {
	now := s.clock.Now()
	resp := tokenResponse{
		AccessToken:  newToken(),
		TokenType:    "bearer",
		ExpiresIn:    int64(s.opts.TokenLifetime / time.Second),
		RefreshToken: newToken(),
		UserName:     user,
		Issued:       now.UTC().Format(http.TimeFormat),
		Expires:      now.Add(s.opts.TokenLifetime).UTC().Format(http.TimeFormat),
	}
	s.mu.Lock()
	if old != "" {
		if _, ok := s.refresh[old]; !ok {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "", "The refresh token is invalid or expired.")
			return
		}
		delete(s.refresh, old)
	}
	s.access[resp.AccessToken] = accessToken{user: user, refresh: resp.RefreshToken, expires: now.Add(s.opts.TokenLifetime)}
	s.refresh[resp.RefreshToken] = refreshToken{user: user, expires: now.Add(RefreshTokenLifetime)}
	s.grants[grantType]++
	s.mu.Unlock()
	s.log.Info("veeamsim: token granted", "grant_type", grantType, "user", user)
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// readTokenForm reads the token request's fields from a form or JSON body.
// A non-zero status is the error to answer.
func readTokenForm(w http.ResponseWriter, r *http.Request) (url.Values, int, string) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, http.StatusUnsupportedMediaType, "The request body must be application/x-www-form-urlencoded or application/json."
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return nil, http.StatusBadRequest, "The request body could not be read."
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, http.StatusBadRequest, "The request body is not a valid form."
		}
		return form, 0, ""
	case "application/json":
		var fields map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&fields); err != nil || fields == nil {
			return nil, http.StatusBadRequest, "The request body is not a valid JSON object."
		}
		form := url.Values{}
		for k, raw := range fields {
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, http.StatusBadRequest, "The request body is not a valid JSON object."
			}
			switch v := v.(type) {
			case string:
				form.Set(k, v)
			case bool:
				form.Set(k, strconv.FormatBool(v))
			case float64:
				form.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
			case nil:
			default:
				return nil, http.StatusBadRequest, "The field " + k + " must be a string."
			}
		}
		return form, 0, ""
	default:
		return nil, http.StatusUnsupportedMediaType, "The request body must be application/x-www-form-urlencoded or application/json."
	}
}

// authorized requires a valid, unexpired access token before h.
func (s *Server) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.bearer(r); !ok {
			writeError(w, http.StatusUnauthorized, "", MsgUnauthorized)
			return
		}
		h(w, r)
	}
}

// bearer returns the request's access token when it is valid now.
func (s *Server) bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[tok]
	if !ok || !now.Before(at.expires) {
		return "", false
	}
	return tok, true
}

// handleLogout serves POST /v8/token/logout: it revokes the access token and
// the refresh token issued with it.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.bearer(r)
	if ok {
		s.mu.Lock()
		delete(s.refresh, s.access[tok].refresh)
		delete(s.access, tok)
		s.mu.Unlock()
	}
	w.WriteHeader(http.StatusNoContent)
}

// ExpireAccessTokens makes every access token issued so far invalid, as if
// they had all expired; refresh tokens stay valid.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
}
