package api

// The job actions besides start: pause and restart. Each is a startSpec run
// by the one start path (start.go).

import (
	"context"
	"net/http"

	"github.com/syncgate/syncgate/internal/graph"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/telemetry"
)

// pauseQuery is the query of a pause: force has no meaning there.
type pauseQuery struct {
	DryRun bool `query:"dryRun"`
}

// handlePauseJob answers POST /applications/{applicationId}/jobs/{jobId}/pause.
//
//	@Summary		Pause a synchronization job
//	@ID			pauseJob
//	@x-ms-visibility	"important"
//	@Description	Pauses a Microsoft Graph synchronization (provisioning) job of an Entra application: the REST twin of
//	@Description	`Suspend-MgBetaApplicationSynchronizationJob -ApplicationId $app -SynchronizationJobId $job`. A paused job
//	@Description	resumes where it stopped when started again.
//	@Description
//	@Description	syncgate reads the job first: a job already Paused answers 200 with changed=false and nothing is sent to
//	@Description	Graph; a NotConfigured job is refused (422). A pause is never held back by a start's cooldown and claims
//	@Description	none. The answer is 200 with Location pointing at the job; with dryRun=true it is 200 with what a pause would
//	@Description	do. The call takes no body (an empty JSON object is accepted). Scope: `SyncJobs.Manage`.
//	@Tags			jobs
//	@Produce		json
//	@Param			applicationId	path	string	true	"Object id of the Entra application (the cmdlet's -ApplicationId), a GUID (case-insensitive)"	Format(uuid)	extensions(x-ms-summary=Application ID,x-pattern=^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$,x-example=fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3)
//	@Param			jobId			path	string	true	"Synchronization job id (the cmdlet's -SynchronizationJobId): a letter or digit, then letters, digits, dots, underscores or hyphens, 200 characters at most"	maxlength(200)	extensions(x-ms-summary=Job ID,x-pattern=^[A-Za-z0-9][A-Za-z0-9._-]*$,x-example=aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f)
//	@Param			dryRun			query	bool	false	"Check only, send nothing (PowerShell -WhatIf): answers 200 with what a pause would do"	default(false)	extensions(x-ms-summary=Dry run,x-ms-visibility=advanced)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Param			Idempotency-Key	header	string	false	"1 to 255 printable characters (IETF idempotency-key draft): the first answer to this caller's key is kept for SYNCGATE_IDEMPOTENCY_TTL (24 h) and replayed, with Idempotent-Replayed: true and no backend call, to the same request (method, path, query, body); 401, 403, 429 and 503 answers are not kept"	maxlength(255)
//	@Success		200	{object}	JobPaused	"The job is paused (changed says whether syncgate paused it or it already was); with dryRun=true, a DryRun body"
//	@Failure		400	{object}	Problem	"validation or malformed-body: a bad path id, query parameter or body; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the SyncJobs.Manage scope"
//	@Failure		404	{object}	Problem	"not-found: Microsoft Graph does not know the application or the job"
//	@Failure		408	{object}	Problem	"request-timeout: the body did not arrive within the server's read timeout"
//	@Failure		409	{object}	Problem	"conflict: Graph reports a conflicting operation; idempotency-key-in-flight: the first request with this Idempotency-Key is still running"
//	@Failure		413	{object}	Problem	"body-too-large: the body exceeds 64 KiB"
//	@Failure		415	{object}	Problem	"unsupported-media-type: a body that is not application/json"
//	@Failure		422	{object}	Problem	"not-eligible: the job is NotConfigured (currentStatus); idempotency-key-reused: this Idempotency-Key came with another request"
//	@Failure		429	{object}	Problem	"rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills"
//	@Failure		500	{object}	Problem	"internal: the gateway failed; the request id finds the details in its log"
//	@Failure		502	{object}	Problem	"upstream-error, upstream-bad-response or upstream-credentials: the backend failed, answered something unreadable, or refused the gateway's own credentials"
//	@Failure		503	{object}	Problem	"upstream-throttled (the backend's Retry-After passed on), upstream-unavailable, or backend-not-configured (the detail names the missing settings); store-unavailable: the gateway cannot reach its store (Redis), so nothing was started"
//	@Failure		504	{object}	Problem	"upstream-timeout: the backend did not answer in time"
//	@Header			200	{string}	Location	"When not a dry run: the job, /applications/{applicationId}/jobs/{jobId}"
//	@Header			401,403	{string}	WWW-Authenticate	"The bearer challenge (RFC 6750): realm, and error and scope when the token was refused"
//	@Header			429	{integer}	Retry-After	"Seconds until this caller's rate-limit window refills"
//	@Header			503	{integer}	Retry-After	"When the backend asked to wait, or the store cannot be reached: seconds before retrying"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Header			all	{string}	RateLimit	"When SYNCGATE_RATE_LIMIT is set: this caller's quota (IETF httpapi ratelimit headers): policy caller, r = requests left in the window, t = seconds until it refills"
//	@Header			all	{string}	RateLimit-Policy	"When SYNCGATE_RATE_LIMIT is set: the policy, caller, q = requests per window, w = the window in seconds"
//	@Header			all	{string}	Idempotent-Replayed	"When the answer is replayed for a repeated Idempotency-Key: true"
//	@Security		bearer
//	@x-required-scopes	["SyncJobs.Manage"]
//	@x-dry-run-200		true
//	@Router			/applications/{applicationId}/jobs/{jobId}/pause [post]
func (s *server) handlePauseJob() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		var q pauseQuery
		p, err := s.pathJob(r)
		jobs, err := s.jobs(collect(err, s.bind.query(r, &q), s.bind.body(r, &struct{}{}, true)))
		if err != nil {
			return err
		}
		return s.start(w, r, jobPause(jobs, p, q))
	})
}

// jobPause is the pause of a Graph synchronization job: any configured job
// but a Paused one is paused; no cooldown holds it back.
func jobPause(jobs JobStarter, p jobPath, q pauseQuery) startSpec {
	return startSpec{
		Action: actionJobPause, Kind: telemetry.KindJobPause, ID: p.ApplicationID + "/" + p.JobID, Target: jobTarget(p),
		Key: "graph/job-pause/" + p.ApplicationID + "/" + p.JobID, Query: startQuery{DryRun: q.DryRun},
		NoCooldown: true,
		Precheck: func(ctx context.Context) (guard.State, error) {
			code, err := jobs.JobStatus(ctx, p.ApplicationID, p.JobID)
			if err != nil {
				return guard.State{}, err
			}
			st := guard.State{Status: code}
			switch code {
			case graph.StatusPaused:
				st.Done = true
			case graph.StatusNotConfigured:
				st.Ineligible = "it is NotConfigured; there is nothing to pause"
			}
			return st, nil
		},
		Run: func(ctx context.Context) (string, error) {
			paused, err := jobs.PauseJob(ctx, p.ApplicationID, p.JobID)
			return paused.RequestID, err
		},
		Location: "/applications/" + p.ApplicationID + "/jobs/" + p.JobID,
		Status:   http.StatusOK,
		Started: func(res startResult) any {
			return JobPaused{
				ApplicationID: p.ApplicationID, JobID: p.JobID, Status: graph.StatusPaused, Changed: res.Started,
				PreviousStatus: res.PreviousStatus, UpstreamRequestID: res.UpstreamRequestID, RequestID: res.RequestID,
			}
		},
	}
}

// handleRestartJob answers POST /applications/{applicationId}/jobs/{jobId}/restart.
//
//	@Summary		Restart a synchronization job
//	@ID			restartJob
//	@x-ms-visibility	"important"
//	@Description	Restarts a Microsoft Graph synchronization (provisioning) job of an Entra application after resetting what
//	@Description	resetScope names (the Entra portal's "Restart provisioning"): the REST twin of
//	@Description	`Restart-MgBetaApplicationSynchronizationJob -ApplicationId $app -SynchronizationJobId $job -Criteria @{ResetScope = "Watermark, Escrows"}`.
//	@Description	Graph lifts a quarantine only when resetScope holds QuarantineState or Full.
//	@Description
//	@Description	Guarded like a start, and sharing its cooldown for the job: an Active job is refused (409, unless
//	@Description	force=true), a NotConfigured job is refused (422), and a restart or start of the job within the cooldown is
//	@Description	refused (429). The answer is 202 with Location pointing at the job; with dryRun=true it is 200 with what a
//	@Description	restart would do. Scope: `SyncJobs.Manage`.
//	@Tags			jobs
//	@Accept			json
//	@Produce		json
//	@Param			applicationId	path	string	true	"Object id of the Entra application (the cmdlet's -ApplicationId), a GUID (case-insensitive)"	Format(uuid)	extensions(x-ms-summary=Application ID,x-pattern=^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$,x-example=fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3)
//	@Param			jobId			path	string	true	"Synchronization job id (the cmdlet's -SynchronizationJobId): a letter or digit, then letters, digits, dots, underscores or hyphens, 200 characters at most"	maxlength(200)	extensions(x-ms-summary=Job ID,x-pattern=^[A-Za-z0-9][A-Za-z0-9._-]*$,x-example=aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f)
//	@Param			dryRun			query	bool	false	"Check only, restart nothing and claim no cooldown (PowerShell -WhatIf): answers 200 with what a restart would do"	default(false)	extensions(x-ms-summary=Dry run,x-ms-visibility=advanced)
//	@Param			force			query	bool	false	"Restart even if the job is Active (never skips eligibility or the cooldown)"	default(false)	extensions(x-ms-summary=Force,x-ms-visibility=advanced)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Param			Idempotency-Key	header	string	false	"1 to 255 printable characters (IETF idempotency-key draft): the first answer to this caller's key is kept for SYNCGATE_IDEMPOTENCY_TTL (24 h) and replayed, with Idempotent-Replayed: true and no backend call, to the same request (method, path, query, body); 401, 403, 429 and 503 answers are not kept"	maxlength(255)
//	@Param			body			body	RestartRequest	false	"What to reset; empty or omitted: Graph's default restart, with no criteria"
//	@Success		200	{object}	DryRun	"dryRun=true: what a restart would do; nothing was restarted"
//	@Success		202	{object}	JobRestarted	"The job was restarted"
//	@Failure		400	{object}	Problem	"validation or malformed-body: a bad path id, query parameter or body; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the SyncJobs.Manage scope"
//	@Failure		404	{object}	Problem	"not-found: Microsoft Graph does not know the application or the job"
//	@Failure		408	{object}	Problem	"request-timeout: the body did not arrive within the server's read timeout"
//	@Failure		409	{object}	Problem	"already-running: the job is Active (currentStatus); conflict: Graph reports a conflicting operation; idempotency-key-in-flight: the first request with this Idempotency-Key is still running"
//	@Failure		413	{object}	Problem	"body-too-large: the body exceeds 64 KiB"
//	@Failure		415	{object}	Problem	"unsupported-media-type: a body that is not application/json"
//	@Failure		422	{object}	Problem	"not-eligible: the job is NotConfigured or in another status syncgate does not restart from (currentStatus); idempotency-key-reused: this Idempotency-Key came with another request"
//	@Failure		429	{object}	Problem	"cooldown: the job was started or restarted too recently; Retry-After and retryAfter say when to try again; rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills"
//	@Failure		500	{object}	Problem	"internal: the gateway failed; the request id finds the details in its log"
//	@Failure		502	{object}	Problem	"upstream-error, upstream-bad-response or upstream-credentials: the backend failed, answered something unreadable, or refused the gateway's own credentials"
//	@Failure		503	{object}	Problem	"upstream-throttled (the backend's Retry-After passed on), upstream-unavailable, or backend-not-configured (the detail names the missing settings); store-unavailable: the gateway cannot reach its store (Redis), so nothing was started"
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
//	@x-required-scopes	["SyncJobs.Manage"]
//	@Router			/applications/{applicationId}/jobs/{jobId}/restart [post]
func (s *server) handleRestartJob() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		var q startQuery
		var body RestartRequest
		p, err := s.pathJob(r)
		jobs, err := s.jobs(collect(err, s.bind.query(r, &q), s.bind.body(r, &body, true)))
		if err != nil {
			return err
		}
		return s.start(w, r, jobRestart(jobs, p, body, q))
	})
}

// jobRestart is the restart of a Graph synchronization job, guarded as a
// start (jobState) and under the same cooldown key: a restart and a start of
// one job are one start for the cooldown.
func jobRestart(jobs JobStarter, p jobPath, body RestartRequest, q startQuery) startSpec {
	spec := jobStart(jobs, p, q)
	spec.Action, spec.Kind, spec.Request = actionJobRestart, telemetry.KindJobRestart, body
	spec.Run = func(ctx context.Context) (string, error) {
		restarted, err := jobs.RestartJob(ctx, p.ApplicationID, p.JobID, body.ResetScope)
		return restarted.RequestID, err
	}
	spec.Started = func(res startResult) any {
		return JobRestarted{
			ApplicationID: p.ApplicationID, JobID: p.JobID, ResetScope: nonNil(body.ResetScope),
			PreviousStatus: res.PreviousStatus, UpstreamRequestID: res.UpstreamRequestID, RequestID: res.RequestID,
		}
	}
	return spec
}
