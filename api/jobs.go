package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/syncgate/syncgate/internal/graph"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/telemetry"
)

// JobStarter is what the job routes need from the Graph adapter.
type JobStarter interface {
	Jobs(ctx context.Context, applicationID string) ([]graph.Job, error)
	Job(ctx context.Context, applicationID, jobID string) (graph.Job, error)
	// JobStatus is the job's status code alone: a start's precheck.
	JobStatus(ctx context.Context, applicationID, jobID string) (string, error)
	StartJob(ctx context.Context, applicationID, jobID string) (graph.StartResult, error)
	PauseJob(ctx context.Context, applicationID, jobID string) (graph.StartResult, error)
	RestartJob(ctx context.Context, applicationID, jobID string, resetScope []string) (graph.StartResult, error)
}

var _ JobStarter = (*graph.Client)(nil)

// handleListJobs answers GET /applications/{applicationId}/jobs.
//
//	@Summary		List an application's synchronization jobs
//	@ID			listJobs
//	@x-ms-visibility	"advanced"
//	@Description	Lists the Microsoft Graph synchronization (provisioning) jobs of an Entra application, each with its status
//	@Description	(NotConfigured, NotRun, Active, Paused or Quarantine), schedule, quarantine and last executions.
//	@Description	Replaces `Get-MgBetaApplicationSynchronizationJob -ApplicationId`. Scope: `SyncJobs.Read`.
//	@Tags			jobs
//	@Produce		json
//	@Param			applicationId	path	string	true	"Object id of the Entra application (the cmdlet's -ApplicationId), a GUID (case-insensitive)"	Format(uuid)	extensions(x-ms-summary=Application ID,x-pattern=^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$,x-example=fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3)
//	@Param			limit			query	int		false	"Page size"	minimum(1)	maximum(1000)	default(100)	extensions(x-ms-summary=Page size,x-ms-visibility=advanced)
//	@Param			offset			query	int		false	"Items to skip"	minimum(0)	default(0)	extensions(x-ms-summary=Items to skip,x-ms-visibility=advanced)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Success		200	{object}	JobList	"A page of the application's jobs"
//	@Failure		400	{object}	Problem	"validation: a bad path id or query parameter; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the SyncJobs.Read scope"
//	@Failure		404	{object}	Problem	"not-found: Microsoft Graph does not know the application"
//	@Failure		429	{object}	Problem	"rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills"
//	@Failure		500	{object}	Problem	"internal: the gateway failed; the request id finds the details in its log"
//	@Failure		502	{object}	Problem	"upstream-error, upstream-bad-response or upstream-credentials: the backend failed, answered something unreadable, or refused the gateway's own credentials"
//	@Failure		503	{object}	Problem	"upstream-throttled (the backend's Retry-After passed on), upstream-unavailable, circuit-open (the backend failed repeatedly and is not called; Retry-After says when it is tried again), or backend-not-configured (the detail names the missing settings)"
//	@Failure		504	{object}	Problem	"upstream-timeout: the backend did not answer in time"
//	@Header			401,403	{string}	WWW-Authenticate	"The bearer challenge (RFC 6750): realm, and error and scope when the token was refused"
//	@Header			429	{integer}	Retry-After	"Seconds until this caller's rate-limit window refills"
//	@Header			503	{integer}	Retry-After	"When the backend asked to wait: seconds before retrying"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Header			all	{string}	RateLimit	"When SYNCGATE_RATE_LIMIT is set: this caller's quota (IETF httpapi ratelimit headers): policy caller, r = requests left in the window, t = seconds until it refills"
//	@Header			all	{string}	RateLimit-Policy	"When SYNCGATE_RATE_LIMIT is set: the policy, caller, q = requests per window, w = the window in seconds"
//	@Security		bearer
//	@x-required-scopes	["SyncJobs.Read"]
//	@Router			/applications/{applicationId}/jobs [get]
func (s *server) handleListJobs() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		p := appPath{ApplicationID: chi.URLParam(r, "applicationId")}
		q := pageQuery{Limit: 100}
		jobs, err := s.jobs(collect(s.bind.validate(&p), s.bind.query(r, &q)))
		if err != nil {
			return err
		}
		id := strings.ToLower(p.ApplicationID)
		all, err := jobs.Jobs(r.Context(), id)
		if err != nil {
			return about("application "+id, err)
		}
		total := len(all)
		out := JobList{Items: []Job{}, Offset: q.Offset, Limit: q.Limit, Total: &total}
		for i := q.Offset; i < total && i < q.Offset+q.Limit; i++ {
			out.Items = append(out.Items, toJob(all[i], nil))
		}
		encode(w, http.StatusOK, out)
		return nil
	})
}

// handleGetJob answers GET /applications/{applicationId}/jobs/{jobId}.
//
//	@Summary		Get a synchronization job
//	@ID			getJob
//	@x-ms-visibility	"important"
//	@Description	Reads one Microsoft Graph synchronization job of an Entra application and its status.
//	@Description	Replaces `Get-MgBetaApplicationSynchronizationJob -ApplicationId -SynchronizationJobId`. Scope: `SyncJobs.Read`.
//	@Tags			jobs
//	@Produce		json
//	@Param			applicationId	path	string	true	"Object id of the Entra application (the cmdlet's -ApplicationId), a GUID (case-insensitive)"	Format(uuid)	extensions(x-ms-summary=Application ID,x-pattern=^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$,x-example=fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3)
//	@Param			jobId			path	string	true	"Synchronization job id (the cmdlet's -SynchronizationJobId): a letter or digit, then letters, digits, dots, underscores or hyphens, 200 characters at most"	maxlength(200)	extensions(x-ms-summary=Job ID,x-pattern=^[A-Za-z0-9][A-Za-z0-9._-]*$,x-example=aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Success		200	{object}	Job	"The job"
//	@Failure		400	{object}	Problem	"validation: a bad path id or query parameter; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the SyncJobs.Read scope"
//	@Failure		404	{object}	Problem	"not-found: Microsoft Graph does not know the application or the job"
//	@Failure		429	{object}	Problem	"rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills"
//	@Failure		500	{object}	Problem	"internal: the gateway failed; the request id finds the details in its log"
//	@Failure		502	{object}	Problem	"upstream-error, upstream-bad-response or upstream-credentials: the backend failed, answered something unreadable, or refused the gateway's own credentials"
//	@Failure		503	{object}	Problem	"upstream-throttled (the backend's Retry-After passed on), upstream-unavailable, circuit-open (the backend failed repeatedly and is not called; Retry-After says when it is tried again), or backend-not-configured (the detail names the missing settings)"
//	@Failure		504	{object}	Problem	"upstream-timeout: the backend did not answer in time"
//	@Header			401,403	{string}	WWW-Authenticate	"The bearer challenge (RFC 6750): realm, and error and scope when the token was refused"
//	@Header			429	{integer}	Retry-After	"Seconds until this caller's rate-limit window refills"
//	@Header			503	{integer}	Retry-After	"When the backend asked to wait: seconds before retrying"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Header			all	{string}	RateLimit	"When SYNCGATE_RATE_LIMIT is set: this caller's quota (IETF httpapi ratelimit headers): policy caller, r = requests left in the window, t = seconds until it refills"
//	@Header			all	{string}	RateLimit-Policy	"When SYNCGATE_RATE_LIMIT is set: the policy, caller, q = requests per window, w = the window in seconds"
//	@Security		bearer
//	@x-required-scopes	["SyncJobs.Read"]
//	@Router			/applications/{applicationId}/jobs/{jobId} [get]
func (s *server) handleGetJob() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.pathJob(r)
		jobs, err := s.jobs(collect(err, s.bind.query(r, &struct{}{})))
		if err != nil {
			return err
		}
		job, err := jobs.Job(r.Context(), p.ApplicationID, p.JobID)
		if err != nil {
			return about(jobTarget(p), err)
		}
		encode(w, http.StatusOK, newJobAnswer(job))
		return nil
	})
}

// handleStartJob answers POST /applications/{applicationId}/jobs/{jobId}/start.
//
//	@Summary		Start a synchronization job
//	@ID			startJob
//	@x-ms-visibility	"important"
//	@Description	Starts a Microsoft Graph synchronization (provisioning) job of an Entra application: the REST twin of
//	@Description	`Start-MgBetaApplicationSynchronizationJob -ApplicationId $app -SynchronizationJobId $job`.
//	@Description
//	@Description	Graph warns that starting a running job can stop the service, so syncgate reads the job first and starts only
//	@Description	a Paused, Quarantine or NotRun job: Active is refused (409, unless force=true), NotConfigured or any other
//	@Description	status is refused (422), and a second start within the cooldown is refused (429). The answer is 202 with
//	@Description	Location pointing at the job; with dryRun=true it is 200 with what a start would do. The call takes no body
//	@Description	(an empty JSON object is accepted). Scope: `SyncJobs.Start`.
//	@Tags			jobs
//	@Produce		json
//	@Param			applicationId	path	string	true	"Object id of the Entra application (the cmdlet's -ApplicationId), a GUID (case-insensitive)"	Format(uuid)	extensions(x-ms-summary=Application ID,x-pattern=^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$,x-example=fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3)
//	@Param			jobId			path	string	true	"Synchronization job id (the cmdlet's -SynchronizationJobId): a letter or digit, then letters, digits, dots, underscores or hyphens, 200 characters at most"	maxlength(200)	extensions(x-ms-summary=Job ID,x-pattern=^[A-Za-z0-9][A-Za-z0-9._-]*$,x-example=aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f)
//	@Param			dryRun			query	bool	false	"Check only, start nothing and claim no cooldown (PowerShell -WhatIf): answers 200 with what a start would do"	default(false)	extensions(x-ms-summary=Dry run,x-ms-visibility=advanced)
//	@Param			force			query	bool	false	"Start even if the job is Active (never skips eligibility or the cooldown)"	default(false)	extensions(x-ms-summary=Force,x-ms-visibility=advanced)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Param			Idempotency-Key	header	string	false	"1 to 255 printable characters (IETF idempotency-key draft): the first answer to this caller's key is kept for SYNCGATE_IDEMPOTENCY_TTL (24 h) and replayed, with Idempotent-Replayed: true and no backend call, to the same request (method, path, query, body); 401, 403, 429 and 503 answers are not kept"	maxlength(255)
//	@Success		200	{object}	DryRun	"dryRun=true: what a start would do; nothing was started"
//	@Success		202	{object}	JobStarted	"The job was started"
//	@Failure		400	{object}	Problem	"validation or malformed-body: a bad path id, query parameter or body; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the SyncJobs.Start scope"
//	@Failure		404	{object}	Problem	"not-found: Microsoft Graph does not know the application or the job"
//	@Failure		409	{object}	Problem	"already-running: the job is Active (currentStatus); conflict: Graph reports a conflicting operation; idempotency-key-in-flight: the first request with this Idempotency-Key is still running"
//	@Failure		408	{object}	Problem	"request-timeout: the body did not arrive within the server's read timeout"
//	@Failure		413	{object}	Problem	"body-too-large: the body exceeds 64 KiB"
//	@Failure		415	{object}	Problem	"unsupported-media-type: a body that is not application/json"
//	@Failure		422	{object}	Problem	"not-eligible: the job is NotConfigured or in another status syncgate does not start from (currentStatus); idempotency-key-reused: this Idempotency-Key came with another request"
//	@Failure		429	{object}	Problem	"cooldown: the job was started too recently; Retry-After and retryAfter say when to try again; rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills"
//	@Failure		500	{object}	Problem	"internal: the gateway failed; the request id finds the details in its log"
//	@Failure		502	{object}	Problem	"upstream-error, upstream-bad-response or upstream-credentials: the backend failed, answered something unreadable, or refused the gateway's own credentials"
//	@Failure		503	{object}	Problem	"upstream-throttled (the backend's Retry-After passed on), upstream-unavailable, circuit-open (the backend failed repeatedly and is not called; Retry-After says when it is tried again), or backend-not-configured (the detail names the missing settings); store-unavailable: the gateway cannot reach its store (Redis), so nothing was started"
//	@Failure		504	{object}	Problem	"upstream-timeout: the backend did not answer in time"
//	@Header			202	{string}	Location	"The job: /applications/{applicationId}/jobs/{jobId}"
//	@Header			401,403	{string}	WWW-Authenticate	"The bearer challenge (RFC 6750): realm, and error and scope when the token was refused"
//	@Header			429	{integer}	Retry-After	"Seconds until the cooldown ends or this caller's rate-limit window refills"
//	@Header			503	{integer}	Retry-After	"When the backend asked to wait, or the store cannot be reached: seconds before retrying"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Header			all	{string}	RateLimit	"When SYNCGATE_RATE_LIMIT is set: this caller's quota (IETF httpapi ratelimit headers): policy caller, r = requests left in the window, t = seconds until it refills"
//	@Header			all	{string}	RateLimit-Policy	"When SYNCGATE_RATE_LIMIT is set: the policy, caller, q = requests per window, w = the window in seconds"
//	@Header			all	{string}	Idempotent-Replayed	"When the answer is replayed for a repeated Idempotency-Key: true"
//	@Security		bearer
//	@x-required-scopes	["SyncJobs.Start"]
//	@Router			/applications/{applicationId}/jobs/{jobId}/start [post]
func (s *server) handleStartJob() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		var q startQuery
		p, err := s.pathJob(r)
		jobs, err := s.jobs(collect(err, s.bind.query(r, &q), s.bind.body(r, &struct{}{}, true)))
		if err != nil {
			return err
		}
		return s.start(w, r, jobStart(jobs, p, q))
	})
}

// jobStart is the start of a Graph synchronization job (Graph's start
// action), allowed from the states jobState accepts.
func jobStart(jobs JobStarter, p jobPath, q startQuery) startSpec {
	return startSpec{
		Action: actionJobStart, Kind: telemetry.KindJob, ID: p.ApplicationID + "/" + p.JobID, Target: jobTarget(p),
		Key: "graph/job/" + p.ApplicationID + "/" + p.JobID, Query: q,
		Precheck: func(ctx context.Context) (guard.State, error) {
			code, err := jobs.JobStatus(ctx, p.ApplicationID, p.JobID)
			if err != nil {
				return guard.State{}, err
			}
			return jobState(code), nil
		},
		Run: func(ctx context.Context) (string, error) {
			started, err := jobs.StartJob(ctx, p.ApplicationID, p.JobID)
			return started.RequestID, err
		},
		Location: "/applications/" + p.ApplicationID + "/jobs/" + p.JobID,
		Started: func(res startResult) any {
			return JobStarted{
				ApplicationID: p.ApplicationID, JobID: p.JobID, PreviousStatus: res.PreviousStatus,
				UpstreamRequestID: res.UpstreamRequestID, RequestID: res.RequestID,
			}
		},
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
