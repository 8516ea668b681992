package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/syncgate/syncgate/internal/graph"
	"github.com/syncgate/syncgate/internal/guard"
)

// JobStarter is what the job routes need from the Graph adapter.
type JobStarter interface {
	Jobs(ctx context.Context, applicationID string) ([]graph.Job, error)
	Job(ctx context.Context, applicationID, jobID string) (graph.Job, error)
	StartJob(ctx context.Context, applicationID, jobID string) (graph.StartResult, error)
}

var _ JobStarter = (*graph.Client)(nil)

// appPath is the application id in a route's path.
type appPath struct {
	ApplicationID string `path:"applicationId" validate:"guid"`
}

// jobPath is the application and job ids in a route's path.
type jobPath struct {
	ApplicationID string `path:"applicationId" validate:"guid"`
	JobID         string `path:"jobId" validate:"jobid"`
}

// Job is a Graph synchronization job as syncgate shows it.
type Job struct {
	ID         string `json:"id" example:"aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6"`
	TemplateID string `json:"templateId" example:"aWSSingleSignon"`
	// Status is NotConfigured, NotRun, Active, Paused or Quarantine (other values pass through).
	Status                          string         `json:"status" example:"Paused"`
	Schedule                        *JobSchedule   `json:"schedule"`
	Quarantine                      *JobQuarantine `json:"quarantine"`
	LastExecution                   *JobExecution  `json:"lastExecution"`
	LastSuccessfulExecution         *JobExecution  `json:"lastSuccessfulExecution"`
	CountSuccessiveCompleteFailures int64          `json:"countSuccessiveCompleteFailures"`
	SteadyStateLastAchievedTime     *time.Time     `json:"steadyStateLastAchievedTime"`
	TroubleshootingURL              string         `json:"troubleshootingUrl,omitempty"`
}

// JobSchedule is when a job runs.
type JobSchedule struct {
	Interval   string     `json:"interval" example:"PT40M"`
	State      string     `json:"state" example:"Active"`
	Expiration *time.Time `json:"expiration"`
}

// JobQuarantine says why a job is in quarantine.
type JobQuarantine struct {
	Reason       string     `json:"reason" example:"EncounteredQuarantineException"`
	SeriesCount  int64      `json:"seriesCount" example:"3"`
	CurrentBegan *time.Time `json:"currentBegan"`
	NextAttempt  *time.Time `json:"nextAttempt"`
	Error        *JobError  `json:"error"`
}

// JobExecution is one run of a job.
type JobExecution struct {
	State     string     `json:"state" example:"Succeeded"`
	TimeBegan *time.Time `json:"timeBegan"`
	TimeEnded *time.Time `json:"timeEnded"`
	Error     *JobError  `json:"error"`
}

// JobError is an error Graph reported for a job.
type JobError struct {
	Code             string `json:"code" example:"AzureDirectoryB2BManagementPolicyCheckFailure"`
	Message          string `json:"message"`
	TenantActionable bool   `json:"tenantActionable"`
}

// JobList is a page of an application's jobs.
type JobList struct {
	Items  []Job `json:"items"`
	Offset int   `json:"offset" example:"0"`
	Limit  int   `json:"limit" example:"100"`
	Total  *int  `json:"total" example:"2"`
}

// JobStarted answers a started job.
type JobStarted struct {
	ApplicationID     string `json:"applicationId" example:"0c5b9dbd-6d6c-4a7b-9a9e-3a5b4c8d2e1f"`
	JobID             string `json:"jobId" example:"aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6"`
	PreviousStatus    string `json:"previousStatus" example:"Paused"`
	UpstreamRequestID string `json:"upstreamRequestId,omitempty" example:"7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"`
	RequestID         string `json:"requestId" example:"0d5e3a4c-7f1b-4a0e-9c2d-6b8f1e2a3b4c"`
}

func toJob(j graph.Job) Job {
	out := Job{
		ID: j.ID, TemplateID: j.TemplateID, Status: j.Status.Code,
		CountSuccessiveCompleteFailures: j.Status.CountSuccessiveCompleteFailures,
		SteadyStateLastAchievedTime:     j.Status.SteadyStateLastAchievedTime,
		TroubleshootingURL:              j.Status.TroubleshootingURL,
		LastExecution:                   toExecution(j.Status.LastExecution),
		LastSuccessfulExecution:         toExecution(j.Status.LastSuccessfulExecution),
	}
	if j.Schedule != nil {
		out.Schedule = &JobSchedule{Interval: j.Schedule.Interval, State: j.Schedule.State, Expiration: j.Schedule.Expiration}
	}
	if q := j.Status.Quarantine; q != nil {
		out.Quarantine = &JobQuarantine{Reason: q.Reason, SeriesCount: q.SeriesCount, CurrentBegan: q.CurrentBegan,
			NextAttempt: q.NextAttempt, Error: toJobError(q.Error)}
	}
	return out
}

func toExecution(e *graph.Execution) *JobExecution {
	if e == nil {
		return nil
	}
	return &JobExecution{State: e.State, TimeBegan: e.TimeBegan, TimeEnded: e.TimeEnded, Error: toJobError(e.Error)}
}

func toJobError(e *graph.ExecutionError) *JobError {
	if e == nil {
		return nil
	}
	return &JobError{Code: e.Code, Message: e.Message, TenantActionable: e.TenantActionable}
}

// jobs returns the Graph adapter, or writes 503 when it is not configured.
func (s *server) jobs(w http.ResponseWriter, r *http.Request) (JobStarter, bool) {
	if s.Jobs == nil {
		s.problem(w, r, notConfigured("Microsoft Graph", s.JobsMissing))
		return nil, false
	}
	return s.Jobs, true
}

// pathJob reads and validates the application and job ids of the path.
func (s *server) pathJob(r *http.Request) (jobPath, error) {
	p := jobPath{ApplicationID: chi.URLParam(r, "applicationId"), JobID: chi.URLParam(r, "jobId")}
	if err := s.bind.validate(&p); err != nil {
		return p, err
	}
	p.ApplicationID = strings.ToLower(p.ApplicationID)
	return p, nil
}

// handleListJobs answers GET /applications/{applicationId}/jobs.
func (s *server) handleListJobs() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := appPath{ApplicationID: chi.URLParam(r, "applicationId")}
		q := pageQuery{Limit: 100}
		if err := collect(s.bind.validate(&p), s.bind.query(r, &q)); err != nil {
			s.fail(w, r, err)
			return
		}
		jobs, ok := s.jobs(w, r)
		if !ok {
			return
		}
		id := strings.ToLower(p.ApplicationID)
		all, err := jobs.Jobs(r.Context(), id)
		if err != nil {
			s.problem(w, r, problemFor(err, "application "+id))
			return
		}
		total := len(all)
		out := JobList{Items: []Job{}, Offset: q.Offset, Limit: q.Limit, Total: &total}
		for i := q.Offset; i < total && i < q.Offset+q.Limit; i++ {
			out.Items = append(out.Items, toJob(all[i]))
		}
		encode(w, http.StatusOK, out)
	}
}

// handleGetJob answers GET /applications/{applicationId}/jobs/{jobId}.
func (s *server) handleGetJob() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.pathJob(r)
		if err = collect(err, s.bind.query(r, &struct{}{})); err != nil {
			s.fail(w, r, err)
			return
		}
		jobs, ok := s.jobs(w, r)
		if !ok {
			return
		}
		job, err := jobs.Job(r.Context(), p.ApplicationID, p.JobID)
		if err != nil {
			s.problem(w, r, problemFor(err, jobTarget(p)))
			return
		}
		encode(w, http.StatusOK, toJob(job))
	}
}

// handleStartJob answers POST /applications/{applicationId}/jobs/{jobId}/start.
func (s *server) handleStartJob() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var q startQuery
		p, err := s.pathJob(r)
		if err = collect(err, s.bind.query(r, &q), s.bind.body(r, &struct{}{}, true)); err != nil {
			s.fail(w, r, err)
			return
		}
		jobs, ok := s.jobs(w, r)
		if !ok {
			return
		}
		target := jobTarget(p)
		var started graph.StartResult
		begin := time.Now()
		out, err := s.Guard.Start(r.Context(), guard.Start{
			Key:    "graph/job/" + p.ApplicationID + "/" + p.JobID,
			Force:  q.Force,
			DryRun: q.DryRun,
			Precheck: func(ctx context.Context) (guard.State, error) {
				job, err := jobs.Job(ctx, p.ApplicationID, p.JobID)
				if err != nil {
					return guard.State{}, err
				}
				return jobState(job.Status.Code), nil
			},
			Run: func(ctx context.Context) error {
				var err error
				started, err = jobs.StartJob(ctx, p.ApplicationID, p.JobID)
				return err
			},
		})
		s.audit(r.Context(), "graph.job.start", p.ApplicationID+"/"+p.JobID, q, out, err, begin)
		switch {
		case err != nil:
			s.problem(w, r, problemFor(err, target))
		case q.DryRun:
			encode(w, http.StatusOK, dryRunAnswer(out, target))
		default:
			w.Header().Set("Location", "/applications/"+p.ApplicationID+"/jobs/"+p.JobID)
			encode(w, http.StatusAccepted, JobStarted{
				ApplicationID: p.ApplicationID, JobID: p.JobID, PreviousStatus: out.PreviousStatus,
				UpstreamRequestID: started.RequestID, RequestID: requestIDFrom(r.Context()),
			})
		}
	}
}

// jobState applies the Graph start rules: start only from Paused,
// Quarantine or NotRun; Active is busy; anything else cannot be started.
func jobState(code string) guard.State {
	st := guard.State{Status: code}
	switch code {
	case graph.StatusPaused, graph.StatusQuarantine, graph.StatusNotRun:
	case graph.StatusActive:
		st.Busy = true
	case graph.StatusNotConfigured:
		st.Ineligible = "it is NotConfigured; configure its provisioning before starting it"
	default:
		st.Ineligible = "its status " + code + " is not one syncgate starts from (Paused, Quarantine, NotRun)"
	}
	return st
}

func jobTarget(p jobPath) string { return "job " + p.JobID + " of application " + p.ApplicationID }
