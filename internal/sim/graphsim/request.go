package graphsim

// The checks every request goes through: its path, its API version, its
// token and the directory object it names.

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// badSegment finds an empty, "." or ".." segment (after decoding once).
func badSegment(escaped string) (string, bool) {
	segs := strings.Split(strings.TrimPrefix(escaped, "/"), "/")
	for _, s := range segs {
		d, err := url.PathUnescape(s)
		if err != nil {
			return s, true
		}
		if d == "" || d == "." || d == ".." {
			return d, true
		}
	}
	return "", false
}

// checkVersion answers 400 unless {ver} is beta or v1.0.
func (g *Graph) checkVersion(w http.ResponseWriter, r *http.Request) bool {
	switch v := r.PathValue("ver"); v {
	case "beta", "v1.0":
		return true
	default:
		g.writeError(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Invalid version: %s", v))
		return false
	}
}

// authorize checks the bearer token, and that it carries one of roles.
func (g *Graph) authorize(w http.ResponseWriter, r *http.Request, roles ...string) bool {
	unauthorized := func(msg string) bool {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
		g.writeError(w, r, http.StatusUnauthorized, CodeInvalidAuthenticationToken, msg)
		return false
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return unauthorized("Access token is empty.")
	}
	grant, state := g.tokens.lookup(tok)
	switch {
	case state == tokenUnknown:
		return unauthorized("CompactToken parsing failed with error code: 80049217")
	case state == tokenExpired:
		return unauthorized("Access token has expired or is not yet valid.")
	case !sameResource(grant.Audience, g.audience):
		return unauthorized("Access token validation failure. Invalid audience.")
	case !grant.has(roles...):
		g.writeError(w, r, http.StatusForbidden, CodeAuthorizationRequestDenied, "Insufficient privileges to complete the operation.")
		return false
	}
	return true
}

// validObjectID reports whether s is a GUID in its canonical 8-4-4-4-12 form.
func validObjectID(s string) bool {
	return len(s) == 36 && uuid.Validate(s) == nil
}

// directoryObject finds the application (by object id) or the service
// principal (by its object id) a request names, answering 400 or 404 as
// Graph does when there is none.
func (g *Graph) directoryObject(w http.ResponseWriter, r *http.Request, root, id string) *Application {
	if !validObjectID(id) {
		g.writeError(w, r, http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Invalid object identifier '%s'.", id))
		return nil
	}
	index := g.byObjectID
	if root == "servicePrincipals" {
		index = g.bySPID
	}
	a, ok := index[strings.ToLower(id)]
	if !ok {
		g.writeError(w, r, http.StatusNotFound, CodeRequestResourceNotFound,
			fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
		return nil
	}
	return a
}
