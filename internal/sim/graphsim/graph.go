package graphsim

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
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
	pauseCalls   map[string]int
	restarts     map[string][]string // each restart's resetScope, as sent
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
		pauseCalls:   map[string]int{},
		restarts:     map[string][]string{},
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

// PauseCalls returns how many pause requests for jobID got past
// authentication, whatever they answered.
func (g *Graph) PauseCalls(jobID string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pauseCalls[jobID]
}

// Restarts returns the criteria.resetScope of each restart request for jobID
// that got past authentication, in order, as sent ("" for a restart without
// criteria).
func (g *Graph) Restarts(jobID string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.restarts[jobID])
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
