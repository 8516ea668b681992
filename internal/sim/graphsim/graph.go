package graphsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/syncgate/syncgate/internal/sim"
)

// Route patterns of the simulated Graph, the keys of Graph.Faults. One
// pattern serves an operation in both API versions ({ver} is beta or v1.0)
// and, for jobs, under both roots ({root} is applications or
// servicePrincipals, {id} that object's id): a fault set on RouteStartJob
// hits every start however it is addressed.
const (
	RouteGetApplication = "GET /{ver}/applications/{id}"
	// RouteServicePrincipalByAppID serves servicePrincipals(appId='{appId}'):
	// ServeMux cannot match inside a segment, so the handler parses {entity}.
	RouteServicePrincipalByAppID = "GET /{ver}/{entity}"
	RouteListJobs                = "GET /{ver}/{root}/{id}/synchronization/jobs"
	RouteGetJob                  = "GET /{ver}/{root}/{id}/synchronization/jobs/{jobId}"
	RouteStartJob                = "POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/start"
	RoutePauseJob                = "POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/pause"
	RouteRestartJob              = "POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/restart"
)

// DefaultAudience is the resource a token must be issued for, by default.
const DefaultAudience = "https://graph.microsoft.com"

// Graph error codes the simulator answers with (error.code).
const (
	CodeBadRequest                 = "BadRequest"
	CodeRequestBadRequest          = "Request_BadRequest"
	CodeInvalidAuthenticationToken = "InvalidAuthenticationToken"
	CodeAuthorizationRequestDenied = "Authorization_RequestDenied"
	CodeRequestResourceNotFound    = "Request_ResourceNotFound"
	CodeResourceNotFound           = "ResourceNotFound"
	CodeTooManyRequests            = "TooManyRequests"
	CodeServiceNotAvailable        = "serviceNotAvailable"
	CodeGatewayTimeout             = "gatewayTimeout"
)

// diagnostic is the x-ms-ags-diagnostic header Graph sends.
const diagnostic = `{"ServerInfo":{"DataCenter":"West Europe","Slice":"E","Ring":"5","ScaleUnit":"003","RoleInstance":"AM2PEPF0001BC8A"}}`

// jsonType is the Content-Type of Graph's successful JSON answers.
const jsonType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// GraphOptions configures the simulated Graph.
type GraphOptions struct {
	Clock        sim.Clock     // nil: the system clock (error dates)
	Tokens       *Tokens       // accepted tokens (Login.Tokens()); nil accepts none
	Applications []Application // nil: Seed()
	Audience     string        // resource tokens must be issued for; "" is DefaultAudience
	Logger       *slog.Logger  // nil discards
}

// Graph is the simulated Microsoft Graph synchronization-jobs API. It is an
// http.Handler.
type Graph struct {
	// Faults injects faults per route (Route* patterns). Set faults through
	// it; do not replace it.
	Faults *sim.Faults

	clock    sim.Clock
	tokens   *Tokens
	audience string
	log      *slog.Logger
	mux      *sim.Mux

	// the indexes never change after New; the jobs they point to change under mu.
	byObjectID map[string]*Application
	bySPID     map[string]*Application
	byAppID    map[string]*Application

	mu           sync.Mutex
	startCalls   map[string]int
	activeStarts map[string]int
}

// New returns a simulated Graph for opts.
func New(opts GraphOptions) *Graph {
	g := &Graph{
		Faults:       &sim.Faults{},
		clock:        opts.Clock,
		tokens:       opts.Tokens,
		audience:     opts.Audience,
		log:          opts.Logger,
		byObjectID:   map[string]*Application{},
		bySPID:       map[string]*Application{},
		byAppID:      map[string]*Application{},
		startCalls:   map[string]int{},
		activeStarts: map[string]int{},
	}
	if g.clock == nil {
		g.clock = sim.SystemClock{}
	}
	if g.tokens == nil {
		g.tokens = NewTokens(g.clock)
	}
	if g.audience == "" {
		g.audience = DefaultAudience
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	apps := opts.Applications
	if apps == nil {
		apps = Seed()
	}
	for _, a := range apps {
		a := a.clone()
		for i := range a.Jobs {
			normalize(&a.Jobs[i])
		}
		g.byObjectID[strings.ToLower(a.ObjectID)] = &a
		g.bySPID[strings.ToLower(a.ServicePrincipalID)] = &a
		g.byAppID[strings.ToLower(a.AppID)] = &a
	}
	g.mux = sim.NewMux(g.Faults, g.writeError)
	g.mux.Handle(RouteGetApplication, g.getApplication)
	g.mux.Handle(RouteServicePrincipalByAppID, g.servicePrincipalByAppID)
	g.mux.Handle(RouteListJobs, g.listJobs)
	g.mux.Handle(RouteGetJob, g.getJob)
	g.mux.Handle(RouteStartJob, g.startJob)
	g.mux.Handle(RoutePauseJob, g.pauseJob)
	g.mux.Handle(RouteRestartJob, g.restartJob)
	return g
}

// normalize makes the lists Graph always writes as arrays non-nil.
func normalize(j *Job) {
	if j.Status.Progress == nil {
		j.Status.Progress = []Progress{}
	}
	if j.Status.SynchronizedEntryCountByType == nil {
		j.Status.SynchronizedEntryCountByType = []KeyCount{}
	}
	if j.Settings == nil {
		j.Settings = []KeyValue{}
	}
}

// StartCalls returns how many start requests for jobID got past
// authentication, whatever they answered.
func (g *Graph) StartCalls(jobID string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.startCalls[jobID]
}

// StartsWhileActive returns how many start requests reached jobID while it
// was already Active: what the gateway must prevent.
func (g *Graph) StartsWhileActive(jobID string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.activeStarts[jobID]
}

// Job returns a copy of a job of the application whose object id, appId or
// service principal id is appID.
func (g *Graph) Job(appID, jobID string) (Job, bool) {
	a := g.anyApplication(appID)
	if a == nil {
		return Job{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	j := findJob(a, jobID)
	if j == nil {
		return Job{}, false
	}
	return j.clone(), true
}

// PutJob replaces (by id) or adds a job of the application whose object id,
// appId or service principal id is appID, so that tests can put a job in
// any state. It reports whether the application exists.
func (g *Graph) PutJob(appID string, job Job) bool {
	a := g.anyApplication(appID)
	if a == nil {
		return false
	}
	job = job.clone()
	normalize(&job)
	g.mu.Lock()
	defer g.mu.Unlock()
	if j := findJob(a, job.ID); j != nil {
		*j = job
		return true
	}
	a.Jobs = append(a.Jobs, job)
	return true
}

func (g *Graph) anyApplication(id string) *Application {
	id = strings.ToLower(id)
	for _, m := range []map[string]*Application{g.byObjectID, g.byAppID, g.bySPID} {
		if a, ok := m[id]; ok {
			return a
		}
	}
	return nil
}

// findJob returns the job of a with exactly this id; g.mu must be held.
func findJob(a *Application, id string) *Job {
	for i := range a.Jobs {
		if a.Jobs[i].ID == id {
			return &a.Jobs[i]
		}
	}
	return nil
}

// ServeHTTP serves Graph. Every answer carries request-id,
// client-request-id (the caller's, else the request id) and
// x-ms-ags-diagnostic. A path with an empty, "." or ".." segment (encoded
// or not) is refused before routing, so that it can never be cleaned into
// another resource's path.
func (g *Graph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := uuid.NewString()
	clientReqID := r.Header.Get("client-request-id")
	if clientReqID == "" {
		clientReqID = reqID
	}
	h := w.Header()
	h.Set("request-id", reqID)
	h.Set("client-request-id", clientReqID)
	h.Set("x-ms-ags-diagnostic", diagnostic)
	h.Set("Strict-Transport-Security", "max-age=31536000")
	g.log.Debug("graphsim: request", "method", r.Method, "path", r.URL.EscapedPath(), "request_id", reqID,
		"client_request_id", clientReqID)
	if seg, ok := badSegment(r.URL.EscapedPath()); ok {
		g.writeError(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Resource not found for the segment '%s'.", seg))
		return
	}
	g.mux.ServeHTTP(w, r)
}

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

// jobTarget does what every job route does first: version, root, token
// (with roles) and the application. counted, when not nil, runs once the
// token is accepted, before the application is looked up.
func (g *Graph) jobTarget(w http.ResponseWriter, r *http.Request, counted func(), roles ...string) *Application {
	if !g.checkVersion(w, r) {
		return nil
	}
	root := r.PathValue("root")
	if root != "applications" && root != "servicePrincipals" {
		g.writeError(w, r, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Resource not found for the segment '%s'.", root))
		return nil
	}
	if !g.authorize(w, r, roles...) {
		return nil
	}
	if counted != nil {
		counted()
	}
	return g.directoryObject(w, r, root, r.PathValue("id"))
}

// jobsContext is the @odata.context of a job collection.
func jobsContext(r *http.Request) string {
	return metadata(r) + r.PathValue("root") + "('" + r.PathValue("id") + "')/synchronization/jobs"
}

// listJobs serves GET /{ver}/{root}/{id}/synchronization/jobs.
func (g *Graph) listJobs(w http.ResponseWriter, r *http.Request) {
	a := g.jobTarget(w, r, nil, RoleSyncRead, RoleSyncReadWrite)
	if a == nil {
		return
	}
	g.mu.Lock()
	jobs := make([]Job, len(a.Jobs))
	for i, j := range a.Jobs {
		jobs[i] = j.clone()
	}
	g.mu.Unlock()
	g.writeJSON(w, r, http.StatusOK, struct {
		Context string `json:"@odata.context"`
		Value   []Job  `json:"value"`
	}{jobsContext(r), jobs})
}

// getJob serves GET /{ver}/{root}/{id}/synchronization/jobs/{jobId}.
func (g *Graph) getJob(w http.ResponseWriter, r *http.Request) {
	a := g.jobTarget(w, r, nil, RoleSyncRead, RoleSyncReadWrite)
	if a == nil {
		return
	}
	id := r.PathValue("jobId")
	g.mu.Lock()
	j := findJob(a, id)
	var job Job
	if j != nil {
		job = j.clone()
	}
	g.mu.Unlock()
	if j == nil {
		g.jobNotFound(w, r, id)
		return
	}
	g.writeJSON(w, r, http.StatusOK, struct {
		Context string `json:"@odata.context"`
		Job
	}{jobsContext(r) + "/$entity", job})
}

func (g *Graph) jobNotFound(w http.ResponseWriter, r *http.Request, id string) {
	g.writeError(w, r, http.StatusNotFound, CodeResourceNotFound, fmt.Sprintf("The synchronization job '%s' was not found.", id))
}

func (g *Graph) notConfigured(w http.ResponseWriter, r *http.Request, id string) {
	g.writeError(w, r, http.StatusBadRequest, CodeBadRequest,
		fmt.Sprintf("The synchronization job '%s' is not configured: save and test the admin credentials before starting or pausing it.", id))
}

// startJob serves POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/start:
// Paused, Quarantine and NotRun (and any other status but these two) become
// Active with the quarantine cleared; NotConfigured is 400; Active answers
// 204 and changes nothing, but is counted by StartsWhileActive.
func (g *Graph) startJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("jobId")
	a := g.jobTarget(w, r, func() {
		g.mu.Lock()
		g.startCalls[id]++
		g.mu.Unlock()
	}, RoleSyncReadWrite)
	if a == nil {
		return
	}
	g.mu.Lock()
	j := findJob(a, id)
	var prev string
	if j != nil {
		prev = j.Status.Code
		switch prev {
		case StatusNotConfigured:
		case StatusActive:
			g.activeStarts[id]++
		default:
			j.Status.Code = StatusActive
			j.Schedule.State = ScheduleActive
			if j.Status.Quarantine != nil {
				j.Status.Quarantine = nil
				j.Status.CountSuccessiveCompleteFailures = 0
			}
		}
	}
	g.mu.Unlock()
	switch {
	case j == nil:
		g.jobNotFound(w, r, id)
	case prev == StatusNotConfigured:
		g.notConfigured(w, r, id)
	default:
		if prev == StatusActive {
			g.log.Warn("graphsim: start of an Active job", "job_id", id)
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// pauseJob serves POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/pause:
// any configured job becomes Paused; NotConfigured is 400.
func (g *Graph) pauseJob(w http.ResponseWriter, r *http.Request) {
	a := g.jobTarget(w, r, nil, RoleSyncReadWrite)
	if a == nil {
		return
	}
	id := r.PathValue("jobId")
	g.mu.Lock()
	j := findJob(a, id)
	var prev string
	if j != nil {
		prev = j.Status.Code
		if prev != StatusNotConfigured {
			j.Status.Code = StatusPaused
			j.Schedule.State = SchedulePaused
		}
	}
	g.mu.Unlock()
	switch {
	case j == nil:
		g.jobNotFound(w, r, id)
	case prev == StatusNotConfigured:
		g.notConfigured(w, r, id)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// restartScope reports whether s is a synchronizationJobRestartScope flag.
func restartScope(s string) bool {
	switch s {
	case "None", "ConnectorDataStore", "Escrows", "Watermark", "QuarantineState", "Full", "ForceDeletes":
		return true
	}
	return false
}

// restartBody is the body of restart.
type restartBody struct {
	Criteria *struct {
		ResetScope string `json:"resetScope"`
	} `json:"criteria"`
}

// errBadPayload is Graph's answer to a body it cannot read.
const errBadPayload = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."

// restartJob serves POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/restart
// with an optional {"criteria":{"resetScope":"..."}} body: the job becomes
// Active; a quarantine is lifted only when resetScope has QuarantineState or
// Full. NotConfigured is 400.
func (g *Graph) restartJob(w http.ResponseWriter, r *http.Request) {
	a := g.jobTarget(w, r, nil, RoleSyncReadWrite)
	if a == nil {
		return
	}
	scopes, ok := g.readRestart(w, r)
	if !ok {
		return
	}
	lift := scopes["QuarantineState"] || scopes["Full"]
	id := r.PathValue("jobId")
	g.mu.Lock()
	j := findJob(a, id)
	var prev string
	if j != nil {
		prev = j.Status.Code
		switch {
		case prev == StatusNotConfigured:
		case prev == StatusQuarantine && !lift:
		default:
			j.Status.Code = StatusActive
			j.Schedule.State = ScheduleActive
			j.Status.Quarantine = nil
			j.Status.CountSuccessiveCompleteFailures = 0
		}
	}
	g.mu.Unlock()
	switch {
	case j == nil:
		g.jobNotFound(w, r, id)
	case prev == StatusNotConfigured:
		g.notConfigured(w, r, id)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// readRestart reads restart's body and returns its reset scopes.
func (g *Graph) readRestart(w http.ResponseWriter, r *http.Request) (map[string]bool, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		g.writeError(w, r, http.StatusBadRequest, CodeBadRequest, errBadPayload)
		return nil, false
	}
	scopes := map[string]bool{}
	if len(bytes.TrimSpace(body)) == 0 {
		return scopes, true
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		g.writeError(w, r, http.StatusBadRequest, CodeBadRequest, errBadPayload)
		return nil, false
	}
	var rb restartBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rb); err != nil || dec.More() {
		msg := errBadPayload
		if name, ok := strings.CutPrefix(errString(err), "json: unknown field "); ok {
			msg = fmt.Sprintf("The property %s does not exist on type 'microsoft.graph.synchronizationJobRestartCriteria'. "+
				"Make sure to only use property names that are defined by the type.", strings.ReplaceAll(name, `"`, "'"))
		}
		g.writeError(w, r, http.StatusBadRequest, CodeBadRequest, msg)
		return nil, false
	}
	if rb.Criteria == nil || rb.Criteria.ResetScope == "" {
		return scopes, true
	}
	for _, s := range strings.Split(rb.Criteria.ResetScope, ",") {
		s = strings.TrimSpace(s)
		if !restartScope(s) {
			g.writeError(w, r, http.StatusBadRequest, CodeBadRequest,
				fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'microsoft.graph.synchronizationJobRestartScope'.", s))
			return nil, false
		}
		scopes[s] = true
	}
	return scopes, true
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
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

// graphError is Graph's error body.
type graphError struct {
	Error graphErrorDetail `json:"error"`
}

type graphErrorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// defaultError is the code and message Graph answers a status with when
// the simulator has no more specific ones (unmatched routes, faults
// injected without a code).
func defaultError(status int) (string, string) {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest, "The request is invalid."
	case http.StatusUnauthorized:
		return CodeInvalidAuthenticationToken, "Access token validation failure."
	case http.StatusForbidden:
		return CodeAuthorizationRequestDenied, "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		return CodeResourceNotFound, "The requested resource was not found."
	case http.StatusMethodNotAllowed:
		return CodeRequestBadRequest, "Specified HTTP method is not allowed for the request uri."
	case http.StatusTooManyRequests:
		return CodeTooManyRequests, "Too many requests. Retry after the time given in the Retry-After header."
	case http.StatusServiceUnavailable:
		return CodeServiceNotAvailable, "The service is temporarily unavailable. Retry after the time given in the Retry-After header."
	case http.StatusGatewayTimeout:
		return CodeGatewayTimeout, "The request timed out."
	default:
		return "UnknownError", http.StatusText(status)
	}
}

// writeError writes a Graph error body; it is also the sim.ErrorWriter for
// faults and unmatched routes. The request ids come from the headers
// ServeHTTP set.
func (g *Graph) writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	defCode, defMsg := defaultError(status)
	if code == "" {
		code = defCode
	}
	if message == "" || message == http.StatusText(status) {
		message = defMsg
	}
	body := graphError{Error: graphErrorDetail{
		Code:    code,
		Message: message,
		InnerError: innerError{
			Date:            g.clock.Now().UTC().Format("2006-01-02T15:04:05"),
			RequestID:       w.Header().Get("request-id"),
			ClientRequestID: w.Header().Get("client-request-id"),
		},
	}}
	b, err := json.Marshal(body)
	if err != nil {
		b = []byte(`{"error":{"code":"UnknownError","message":""}}`) // cannot happen: only strings
	}
	g.log.Debug("graphsim: error", "status", status, "code", code, "request_id", body.Error.InnerError.RequestID)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
