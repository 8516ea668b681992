package graphsim

// The synchronization job routes: list, get, and the start, pause and
// restart actions.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

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
	g.actOnJob(w, r, a, id, func(j *Job) {
		if j.Status.Code == StatusActive {
			g.activeStarts[id]++
			g.log.Warn("graphsim: start of an Active job", "job_id", id)
			return
		}
		j.Status.Code = StatusActive
		j.Schedule.State = ScheduleActive
		if j.Status.Quarantine != nil {
			j.Status.Quarantine = nil
			j.Status.CountSuccessiveCompleteFailures = 0
		}
	})
}

// actOnJob runs one job action: change, under the lock, gets the job unless
// it is unknown (404) or NotConfigured (400, as Graph answers every action
// on such a job); the action then answers 204.
func (g *Graph) actOnJob(w http.ResponseWriter, r *http.Request, a *Application, id string, change func(j *Job)) {
	g.mu.Lock()
	j := findJob(a, id)
	notConfigured := j != nil && j.Status.Code == StatusNotConfigured
	if j != nil && !notConfigured {
		change(j)
	}
	g.mu.Unlock()
	switch {
	case j == nil:
		g.jobNotFound(w, r, id)
	case notConfigured:
		g.notConfigured(w, r, id)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// pauseJob serves POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/pause:
// any configured job becomes Paused; NotConfigured is 400.
func (g *Graph) pauseJob(w http.ResponseWriter, r *http.Request) {
	a := g.jobTarget(w, r, func() {
		g.mu.Lock()
		g.pauseCalls[r.PathValue("jobId")]++
		g.mu.Unlock()
	}, RoleSyncReadWrite)
	if a == nil {
		return
	}
	g.actOnJob(w, r, a, r.PathValue("jobId"), func(j *Job) {
		j.Status.Code = StatusPaused
		j.Schedule.State = SchedulePaused
	})
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
	scopes, raw, ok := g.readRestart(w, r)
	if !ok {
		return
	}
	id := r.PathValue("jobId")
	g.mu.Lock()
	g.restarts[id] = append(g.restarts[id], raw)
	g.mu.Unlock()
	lift := scopes["QuarantineState"] || scopes["Full"]
	g.actOnJob(w, r, a, r.PathValue("jobId"), func(j *Job) {
		if j.Status.Code == StatusQuarantine && !lift {
			return
		}
		j.Status.Code = StatusActive
		j.Schedule.State = ScheduleActive
		j.Status.Quarantine = nil
		j.Status.CountSuccessiveCompleteFailures = 0
	})
}

// readRestart reads restart's body and returns its reset scopes, and the
// resetScope string as sent.
func (g *Graph) readRestart(w http.ResponseWriter, r *http.Request) (map[string]bool, string, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		g.writeError(w, r, http.StatusBadRequest, CodeBadRequest, errBadPayload)
		return nil, "", false
	}
	scopes := map[string]bool{}
	if len(bytes.TrimSpace(body)) == 0 {
		return scopes, "", true
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		g.writeError(w, r, http.StatusBadRequest, CodeBadRequest, errBadPayload)
		return nil, "", false
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
		return nil, "", false
	}
	if rb.Criteria == nil || rb.Criteria.ResetScope == "" {
		return scopes, "", true
	}
	for _, s := range strings.Split(rb.Criteria.ResetScope, ",") {
		s = strings.TrimSpace(s)
		if !restartScope(s) {
			g.writeError(w, r, http.StatusBadRequest, CodeBadRequest,
				fmt.Sprintf("Cannot convert the literal '%s' to the expected type 'microsoft.graph.synchronizationJobRestartScope'.", s))
			return nil, "", false
		}
		scopes[s] = true
	}
	return scopes, rb.Criteria.ResetScope, true
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
