package api

// The bodies the job routes send and receive, and their conversion from the
// Graph adapter's types. The handlers are in jobs.go.

import (
	"time"

	"github.com/syncgate/syncgate/internal/graph"
)

// Job is a Graph synchronization job as syncgate shows it.
type Job struct {
	ID         string `json:"id" example:"aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f"`
	TemplateID string `json:"templateId" example:"aWSSingleSignon"`
	// Status is NotConfigured, NotRun, Active, Paused or Quarantine (other values pass through).
	Status                          string         `json:"status" example:"Paused"`
	Schedule                        *JobSchedule   `json:"schedule" extensions:"x-nullable"`
	Quarantine                      *JobQuarantine `json:"quarantine" extensions:"x-nullable"`
	LastExecution                   *JobExecution  `json:"lastExecution" extensions:"x-nullable"`
	LastSuccessfulExecution         *JobExecution  `json:"lastSuccessfulExecution" extensions:"x-nullable"`
	CountSuccessiveCompleteFailures int64          `json:"countSuccessiveCompleteFailures"`
	SteadyStateLastAchievedTime     *time.Time     `json:"steadyStateLastAchievedTime" extensions:"x-nullable" format:"date-time"`
	TroubleshootingURL              string         `json:"troubleshootingUrl,omitempty"`
}

// JobSchedule is when a job runs.
type JobSchedule struct {
	Interval   string     `json:"interval" example:"PT40M"`
	State      string     `json:"state" example:"Active"`
	Expiration *time.Time `json:"expiration" extensions:"x-nullable" format:"date-time"`
}

// JobQuarantine says why a job is in quarantine.
type JobQuarantine struct {
	Reason       string     `json:"reason" example:"EncounteredQuarantineException"`
	SeriesCount  int64      `json:"seriesCount" example:"3"`
	CurrentBegan *time.Time `json:"currentBegan" extensions:"x-nullable" format:"date-time"`
	NextAttempt  *time.Time `json:"nextAttempt" extensions:"x-nullable" format:"date-time"`
	Error        *JobError  `json:"error" extensions:"x-nullable"`
}

// JobExecution is one run of a job.
type JobExecution struct {
	State     string     `json:"state" example:"Succeeded"`
	TimeBegan *time.Time `json:"timeBegan" extensions:"x-nullable" format:"date-time"`
	TimeEnded *time.Time `json:"timeEnded" extensions:"x-nullable" format:"date-time"`
	Error     *JobError  `json:"error" extensions:"x-nullable"`
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
	ApplicationID     string `json:"applicationId" example:"fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3"`
	JobID             string `json:"jobId" example:"aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f"`
	PreviousStatus    string `json:"previousStatus" example:"Paused"`
	UpstreamRequestID string `json:"upstreamRequestId,omitempty" example:"7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"`
	RequestID         string `json:"requestId" example:"0d5e3a4c-7f1b-4a0e-9c2d-6b8f1e2a3b4c"`
}

// jobAnswer is a Job together with the parts it points to, so that an
// answer is one allocation; it encodes as the Job alone.
type jobAnswer struct {
	Job
	parts jobParts
}

// jobParts is where toJob stores what a Job points to.
type jobParts struct {
	schedule          JobSchedule
	last, lastSuccess JobExecution
}

func newJobAnswer(j graph.Job) *jobAnswer {
	a := new(jobAnswer)
	a.Job = toJob(j, &a.parts)
	return a
}

// toJob converts j, storing its schedule and executions in parts (nil: each
// its own allocation).
func toJob(j graph.Job, parts *jobParts) Job {
	if parts == nil {
		parts = new(jobParts)
	}
	out := Job{
		ID: j.ID, TemplateID: j.TemplateID, Status: j.Status.Code,
		CountSuccessiveCompleteFailures: j.Status.CountSuccessiveCompleteFailures,
		SteadyStateLastAchievedTime:     j.Status.SteadyStateLastAchievedTime,
		TroubleshootingURL:              j.Status.TroubleshootingURL,
		LastExecution:                   toExecution(j.Status.LastExecution, &parts.last),
		LastSuccessfulExecution:         toExecution(j.Status.LastSuccessfulExecution, &parts.lastSuccess),
	}
	if j.Schedule != nil {
		parts.schedule = JobSchedule{Interval: j.Schedule.Interval, State: j.Schedule.State, Expiration: j.Schedule.Expiration}
		out.Schedule = &parts.schedule
	}
	if q := j.Status.Quarantine; q != nil {
		out.Quarantine = &JobQuarantine{Reason: q.Reason, SeriesCount: q.SeriesCount, CurrentBegan: q.CurrentBegan,
			NextAttempt: q.NextAttempt, Error: toJobError(q.Error)}
	}
	return out
}

func toExecution(e *graph.Execution, into *JobExecution) *JobExecution {
	if e == nil {
		return nil
	}
	*into = JobExecution{State: e.State, TimeBegan: e.TimeBegan, TimeEnded: e.TimeEnded, Error: toJobError(e.Error)}
	return into
}

func toJobError(e *graph.ExecutionError) *JobError {
	if e == nil {
		return nil
	}
	return &JobError{Code: e.Code, Message: e.Message, TenantActionable: e.TenantActionable}
}

// RestartRequest is the optional body of POST /applications/{applicationId}/jobs/{jobId}/restart.
type RestartRequest struct {
	// ResetScope is what the job forgets before it runs again (Graph's criteria.resetScope): Watermark (the
	// incremental sync's marker: the next run is a full cycle), Escrows, QuarantineState (lifts a quarantine),
	// ConnectorDataStore, Full (all of it) or None. Omitted: Graph's default restart, with no criteria.
	ResetScope []string `json:"resetScope,omitempty" validate:"omitempty,max=6,unique,dive,oneof=Watermark Escrows QuarantineState ConnectorDataStore Full None" enums:"Watermark,Escrows,QuarantineState,ConnectorDataStore,Full,None" example:"Watermark,QuarantineState"`
}

// JobPaused answers a pause.
type JobPaused struct {
	ApplicationID string `json:"applicationId" example:"fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3"`
	JobID         string `json:"jobId" example:"aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f"`
	// Status is the job's status now: Paused.
	Status string `json:"status" example:"Paused"`
	// Changed is true when syncgate paused the job, false when it was already Paused (nothing was sent to Graph).
	Changed           bool   `json:"changed" example:"true"`
	PreviousStatus    string `json:"previousStatus" example:"Active"`
	UpstreamRequestID string `json:"upstreamRequestId,omitempty" example:"7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"`
	RequestID         string `json:"requestId" example:"0d5e3a4c-7f1b-4a0e-9c2d-6b8f1e2a3b4c"`
}

// JobRestarted answers a restarted job.
type JobRestarted struct {
	ApplicationID string `json:"applicationId" example:"fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3"`
	JobID         string `json:"jobId" example:"aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f"`
	// ResetScope is what was reset, as asked; empty means Graph's default.
	ResetScope        []string `json:"resetScope" enums:"Watermark,Escrows,QuarantineState,ConnectorDataStore,Full,None" example:"Watermark,QuarantineState"`
	PreviousStatus    string   `json:"previousStatus" example:"Quarantine"`
	UpstreamRequestID string   `json:"upstreamRequestId,omitempty" example:"7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"`
	RequestID         string   `json:"requestId" example:"0d5e3a4c-7f1b-4a0e-9c2d-6b8f1e2a3b4c"`
}
