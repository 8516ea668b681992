package graphsim

// Directory objects (applications, service principals) and the OData JSON
// Graph writes them, and every successful answer, in.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// metadata is the @odata.context prefix for a request.
func metadata(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/" + r.PathValue("ver") + "/$metadata#"
}

// getApplication serves GET /{ver}/applications/{id}, honouring $select.
func (g *Graph) getApplication(w http.ResponseWriter, r *http.Request) {
	if !g.checkVersion(w, r) || !g.authorize(w, r, RoleApplicationRead, RoleApplicationReadWrite) {
		return
	}
	a := g.directoryObject(w, r, "applications", r.PathValue("id"))
	if a == nil {
		return
	}
	props := []field{
		{"id", a.ObjectID}, {"deletedDateTime", nil}, {"appId", a.AppID}, {"displayName", a.DisplayName},
		{"signInAudience", "AzureADMyOrg"},
	}
	g.writeEntity(w, r, "applications", "microsoft.graph.application", props)
}

// servicePrincipalByAppID serves GET /{ver}/servicePrincipals(appId='{appId}').
func (g *Graph) servicePrincipalByAppID(w http.ResponseWriter, r *http.Request) {
	if !g.checkVersion(w, r) {
		return
	}
	entity := r.PathValue("entity")
	key, ok := strings.CutPrefix(entity, "servicePrincipals(appId='")
	if ok {
		key, ok = strings.CutSuffix(key, "')")
	}
	if !ok || strings.Contains(key, "'") {
		g.writeError(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Resource not found for the segment '%s'.", entity))
		return
	}
	if !g.authorize(w, r, RoleApplicationRead, RoleApplicationReadWrite) {
		return
	}
	if !validObjectID(key) {
		g.writeError(w, r, http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Invalid object identifier '%s'.", key))
		return
	}
	a, found := g.byAppID[strings.ToLower(key)]
	if !found {
		g.writeError(w, r, http.StatusNotFound, CodeRequestResourceNotFound,
			fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", key))
		return
	}
	props := []field{
		{"id", a.ServicePrincipalID}, {"deletedDateTime", nil}, {"accountEnabled", true}, {"appId", a.AppID},
		{"appDisplayName", a.DisplayName}, {"displayName", a.DisplayName}, {"servicePrincipalType", "Application"},
	}
	g.writeEntity(w, r, "servicePrincipals", "microsoft.graph.servicePrincipal", props)
}

// field is one property of a directory object, in Graph's order.
type field struct {
	name  string
	value any
}

// writeEntity writes a directory object, keeping only the $select-ed
// properties when $select is given.
func (g *Graph) writeEntity(w http.ResponseWriter, r *http.Request, set, typ string, props []field) {
	ctx := metadata(r) + set + "/$entity"
	if sel, ok := r.URL.Query()["$select"]; ok {
		var kept []field
		var names []string
		for _, name := range strings.Split(strings.Join(sel, ","), ",") {
			name = strings.TrimSpace(name)
			found := false
			for _, p := range props {
				if strings.EqualFold(p.name, name) {
					kept, names, found = append(kept, p), append(names, p.name), true
					break
				}
			}
			if !found {
				g.writeError(w, r, http.StatusBadRequest, CodeRequestBadRequest,
					fmt.Sprintf("Parsing OData Select and Expand failed: Could not find a property named '%s' on type '%s'.", name, typ))
				return
			}
		}
		props = kept
		ctx = metadata(r) + set + "(" + strings.Join(names, ",") + ")/$entity"
	}
	var buf bytes.Buffer
	buf.WriteString(`{"@odata.context":`)
	writeJSONValue(&buf, ctx)
	for _, p := range props {
		buf.WriteByte(',')
		writeJSONValue(&buf, p.name)
		buf.WriteByte(':')
		writeJSONValue(&buf, p.value)
	}
	buf.WriteByte('}')
	g.writeRaw(w, http.StatusOK, buf.Bytes())
}

func writeJSONValue(buf *bytes.Buffer, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte("null") // strings, bools and nil always marshal
	}
	buf.Write(b)
}

// writeJSON writes a successful JSON answer.
func (g *Graph) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		g.log.Error("graphsim: encode response", "err", err)
		g.writeError(w, r, http.StatusInternalServerError, "", "")
		return
	}
	g.writeRaw(w, status, b)
}

func (g *Graph) writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", jsonType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
