package auth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/syncgate/syncgate/internal/reqstate"
)

// realm is the protection space named in every challenge.
const realm = "syncgate"

// FailFunc writes the response for a request that failed authentication or
// authorization. err is ErrNoToken or a *TokenError (401), a *ScopeError
// (403), or the context's error when the request ended during verification.
// The WWW-Authenticate header is already set when FailFunc is called.
type FailFunc func(w http.ResponseWriter, r *http.Request, err error)

// Authenticate returns middleware that verifies the request's
// "Authorization: Bearer <token>" and stores the Principal in the request's
// context. On failure it sets the RFC 6750 challenge and calls fail: no token,
// or another authentication scheme, gives `Bearer realm="syncgate"` with no
// error code (§3.1); an invalid token, an empty one, or several Authorization
// headers give error="invalid_token" with a safe error_description.
func (v *Verifier) Authenticate(fail FailFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, err := bearerToken(r)
			var p *Principal
			if err == nil {
				p, err = v.Verify(r.Context(), raw)
			}
			if err != nil {
				var te *TokenError
				switch {
				case errors.Is(err, ErrNoToken):
					w.Header().Set("WWW-Authenticate", challenge())
				case errors.As(err, &te):
					w.Header().Set("WWW-Authenticate", challenge("error", "invalid_token", "error_description", te.Reason))
				}
				fail(w, r, err)
				return
			}
			if st := reqstate.From(r.Context()); st != nil {
				st.Principal = p // set in place: no copy of the request
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// RequireScope returns middleware that lets a request through only when the
// Principal in its context holds scope. Otherwise it sets
// `Bearer realm="syncgate", error="insufficient_scope", scope="<scope>"` and
// calls fail with a *ScopeError; a request with no Principal at all (a route
// wired without Authenticate) is treated as one without a token.
func RequireScope(scope string, fail FailFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := PrincipalFrom(r.Context())
			if !ok {
				w.Header().Set("WWW-Authenticate", challenge())
				fail(w, r, ErrNoToken)
				return
			}
			if !p.HasScope(scope) {
				w.Header().Set("WWW-Authenticate", challenge("error", "insufficient_scope", "scope", scope))
				fail(w, r, &ScopeError{Scope: scope})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// bearerToken returns the token of the request's one Authorization header.
func bearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", ErrNoToken
	case 1:
	default:
		return "", &TokenError{Reason: reasonSeveral, Err: errors.New("request has several Authorization headers")}
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrNoToken
	}
	token = strings.TrimLeft(token, " ")
	if token == "" || !isB64Token(token) {
		return "", &TokenError{Reason: reasonMalformed, Err: errors.New("bearer credentials are not a b64token")}
	}
	return token, nil
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
// It runs on every request over the whole token (about a kilobyte), so each
// byte costs one table lookup.
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		if !b64tokenChar[body[i]] {
			return false
		}
	}
	return true
}

// b64tokenChar marks the bytes of b64token other than the trailing "=".
var b64tokenChar = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/") {
		t[c] = true
	}
	return t
}()

// challenge builds a Bearer challenge with the realm and the given
// name/value pairs, each value a quoted string.
func challenge(params ...string) string {
	var b strings.Builder
	b.WriteString(`Bearer realm="` + realm + `"`)
	for i := 0; i+1 < len(params); i += 2 {
		b.WriteString(", " + params[i] + `="` + quote(params[i+1]) + `"`)
	}
	return b.String()
}

// quote escapes a value for an HTTP quoted-string.
func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}
