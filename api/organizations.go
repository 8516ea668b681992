package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/telemetry"
	"github.com/syncgate/syncgate/internal/veeam"
)

// handleListOrganizations answers GET /organizations.
//
//	@Summary		List organizations
//	@ID			listOrganizations
//	@x-ms-visibility	"important"
//	@Description	Lists the Microsoft 365 organizations added to Veeam Backup for Microsoft 365, a page at a time, each with
//	@Description	syncEligible (whether Veeam can synchronize its organization cache). Veeam does not count organizations, so
//	@Description	total is null. Replaces `Get-VBOOrganization`. Scope: `Organizations.Read`.
//	@Tags			organizations
//	@Produce		json
//	@Param			limit			query	int		false	"Page size"	minimum(1)	maximum(1000)	default(100)	extensions(x-ms-summary=Page size,x-ms-visibility=advanced)
//	@Param			offset			query	int		false	"Items to skip"	minimum(0)	default(0)	extensions(x-ms-summary=Items to skip,x-ms-visibility=advanced)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Success		200	{object}	OrganizationList	"A page of organizations"
//	@Failure		400	{object}	Problem	"validation: a bad path id or query parameter; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the Organizations.Read scope"
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
//	@x-required-scopes	["Organizations.Read"]
//	@Router			/organizations [get]
func (s *server) handleListOrganizations() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		q := pageQuery{Limit: 100}
		orgs, err := s.organizations(s.bind.query(r, &q))
		if err != nil {
			return err
		}
		page, err := orgs.Organizations(r.Context(), q.Offset, q.Limit)
		if err != nil {
			return about("the organization list", err)
		}
		out := OrganizationList{Items: make([]Organization, 0, len(page.Results)), Offset: q.Offset, Limit: q.Limit}
		for _, o := range page.Results {
			out.Items = append(out.Items, toOrganization(o))
		}
		encode(w, http.StatusOK, out)
		return nil
	})
}

// handleGetOrganization answers GET /organizations/{organizationId}.
//
//	@Summary		Get an organization
//	@ID			getOrganization
//	@x-ms-visibility	"advanced"
//	@Description	Reads one organization from Veeam Backup for Microsoft 365, with syncEligible: true when it uses modern
//	@Description	app-only authentication, the only kind whose organization cache Veeam synchronizes.
//	@Description	Replaces `Get-VBOOrganization -Id`. Scope: `Organizations.Read`.
//	@Tags			organizations
//	@Produce		json
//	@Param			organizationId	path	string	true	"Veeam organization id, a GUID (case-insensitive)"	Format(uuid)	extensions(x-ms-summary=Organization ID,x-pattern=^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$,x-example=62c4ab35-68fb-4a48-ae4d-8103635b9526)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Success		200	{object}	Organization	"The organization"
//	@Failure		400	{object}	Problem	"validation: a bad path id or query parameter; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the Organizations.Read scope"
//	@Failure		404	{object}	Problem	"not-found: Veeam does not know the organization"
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
//	@x-required-scopes	["Organizations.Read"]
//	@Router			/organizations/{organizationId} [get]
func (s *server) handleGetOrganization() http.HandlerFunc {
	return s.readOrganization(func(ctx context.Context, orgs OrganizationSyncer, id string) (any, error) {
		org, err := orgs.Organization(ctx, id)
		return toOrganization(org), err
	})
}

// handleGetSync answers GET /organizations/{organizationId}/sync.
//
//	@Summary		Get an organization's synchronization state
//	@ID			getOrganizationSync
//	@x-ms-visibility	"important"
//	@Description	Reads the organization cache synchronization state from Veeam Backup for Microsoft 365: status is Queued or
//	@Description	Running while a sync is under way, else the last result (Success or Error), or None; current and last
//	@Description	give the details, and parts the state of each part (users, groups, group members, sites) on Veeam servers
//	@Description	that report it (null on older ones). Replaces `Get-VBOOrganizationSynchronizationState`. Scope: `Organizations.Read`.
//	@Description
//	@Description	Every answer carries an ETag. With If-None-Match naming the current ETag the answer is 304. To wait for a
//	@Description	change without polling, add `Prefer: wait=N` (RFC 7240, N seconds, at most 60): the answer (200) comes as soon
//	@Description	as the state's ETag differs from If-None-Match, or after N seconds with the state unchanged;
//	@Description	Preference-Applied says how long the gateway was prepared to wait (less than N when the server's write
//	@Description	timeout is nearer). The gateway reads Veeam at most twice a second for all the callers waiting on an organization,
//	@Description	and a wait ends early, with the last state read, when the gateway shuts down.
//	@Tags			organizations
//	@Produce		json
//	@Param			organizationId	path	string	true	"Veeam organization id, a GUID (case-insensitive)"	Format(uuid)	extensions(x-ms-summary=Organization ID,x-pattern=^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$,x-example=62c4ab35-68fb-4a48-ae4d-8103635b9526)
//	@Param			If-None-Match	header	string	false	"ETags of states already seen: 304 when the state is still one of them; with Prefer: wait, what to wait for a change from"	extensions(x-ms-summary=If-None-Match,x-ms-visibility=advanced)
//	@Param			Prefer			header	string	false	"wait=N (RFC 7240): with If-None-Match, wait up to N seconds (at most 60) for the state to change"	extensions(x-ms-summary=Prefer,x-ms-visibility=advanced,x-example=wait=30)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Success		200	{object}	SyncStatus	"The synchronization state"
//	@Success		304	"The state is still the one If-None-Match names (no Prefer: wait)"
//	@Failure		400	{object}	Problem	"validation: a bad path id, query parameter or Prefer wait; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the Organizations.Read scope"
//	@Failure		404	{object}	Problem	"not-found: Veeam does not know the organization"
//	@Failure		429	{object}	Problem	"rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills; rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills"
//	@Failure		500	{object}	Problem	"internal: the gateway failed; the request id finds the details in its log"
//	@Failure		502	{object}	Problem	"upstream-error, upstream-bad-response or upstream-credentials: the backend failed, answered something unreadable, or refused the gateway's own credentials"
//	@Failure		503	{object}	Problem	"upstream-throttled (the backend's Retry-After passed on), upstream-unavailable, circuit-open (the backend failed repeatedly and is not called; Retry-After says when it is tried again), or backend-not-configured (the detail names the missing settings)"
//	@Failure		504	{object}	Problem	"upstream-timeout: the backend did not answer in time"
//	@Header			200,304	{string}	ETag	"The state's entity tag, for If-None-Match"
//	@Header			200	{string}	Preference-Applied	"When the request waited (Prefer: wait with If-None-Match): wait=N, the seconds the gateway was prepared to wait"
//	@Header			401,403	{string}	WWW-Authenticate	"The bearer challenge (RFC 6750): realm, and error and scope when the token was refused"
//	@Header			429	{integer}	Retry-After	"Seconds until this caller's rate-limit window refills"
//	@Header			503	{integer}	Retry-After	"When the backend asked to wait: seconds before retrying"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Header			all	{string}	RateLimit	"When SYNCGATE_RATE_LIMIT is set: this caller's quota (IETF httpapi ratelimit headers): policy caller, r = requests left in the window, t = seconds until it refills"
//	@Header			all	{string}	RateLimit-Policy	"When SYNCGATE_RATE_LIMIT is set: the policy, caller, q = requests per window, w = the window in seconds"
//	@Security		bearer
//	@x-required-scopes	["Organizations.Read"]
//	@Router			/organizations/{organizationId}/sync [get]
func (s *server) handleGetSync() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := s.pathOrg(r)
		wait, werr := preferWait(r.Header)
		orgs, err := s.organizations(collect(err, werr, s.bind.query(r, &struct{}{})))
		if err != nil {
			return err
		}
		ctx, tags := r.Context(), ifNoneMatch(r.Header)
		var reading syncReading
		waiting := wait > 0 && len(tags) > 0
		if waiting {
			d := min(time.Duration(wait)*time.Second, MaxWait)
			if deadline, ok := ctx.Deadline(); ok {
				d = max(0, min(d, time.Until(deadline)-waitMargin))
			}
			if reading, err = s.watch.wait(ctx, s.Stopping, orgs, id, tags, d); err == nil {
				w.Header().Set("Preference-Applied", "wait="+strconv.Itoa(int(d.Round(time.Second)/time.Second)))
			}
		} else {
			var st veeam.SyncState
			if st, err = orgs.SyncState(ctx, id); err == nil {
				reading = newReading(toSyncStatus(st), time.Now())
				s.watch.keep(id, reading)
			}
		}
		if err != nil {
			return about("organization "+id, err)
		}
		w.Header().Set("ETag", reading.etag)
		if !waiting && matchesAny(tags, reading.etag) {
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		encode(w, http.StatusOK, reading.status)
		return nil
	})
}

// handleListSyncStates answers GET /organizations/sync.
//
//	@Summary		List every organization's synchronization state
//	@ID			listOrganizationSyncStates
//	@x-ms-visibility	"advanced"
//	@Description	Reads the organization cache synchronization state of every organization in one Veeam call
//	@Description	(GET /v8/Organizations/SyncState), each as GET /organizations/{organizationId}/sync answers it, a page at a time.
//	@Description	Replaces `Get-VBOOrganization | Get-VBOOrganizationSynchronizationState`. Scope: `Organizations.Read`.
//	@Tags			organizations
//	@Produce		json
//	@Param			limit			query	int		false	"Page size"	minimum(1)	maximum(1000)	default(100)	extensions(x-ms-summary=Page size,x-ms-visibility=advanced)
//	@Param			offset			query	int		false	"Items to skip"	minimum(0)	default(0)	extensions(x-ms-summary=Items to skip,x-ms-visibility=advanced)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Success		200	{object}	SyncStatusList	"A page of synchronization states"
//	@Failure		400	{object}	Problem	"validation: a bad path id or query parameter; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the Organizations.Read scope"
//	@Failure		429	{object}	Problem	"rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills"
//	@Failure		500	{object}	Problem	"internal: the gateway failed; the request id finds the details in its log"
//	@Failure		502	{object}	Problem	"upstream-error, upstream-bad-response or upstream-credentials: the backend failed, answered something unreadable, or refused the gateway's own credentials"
//	@Failure		503	{object}	Problem	"upstream-throttled (the backend's Retry-After passed on), upstream-unavailable, or backend-not-configured (the detail names the missing settings)"
//	@Failure		504	{object}	Problem	"upstream-timeout: the backend did not answer in time"
//	@Header			401,403	{string}	WWW-Authenticate	"The bearer challenge (RFC 6750): realm, and error and scope when the token was refused"
//	@Header			429	{integer}	Retry-After	"Seconds until this caller's rate-limit window refills"
//	@Header			503	{integer}	Retry-After	"When the backend asked to wait: seconds before retrying"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Header			all	{string}	RateLimit	"When SYNCGATE_RATE_LIMIT is set: this caller's quota (IETF httpapi ratelimit headers): policy caller, r = requests left in the window, t = seconds until it refills"
//	@Header			all	{string}	RateLimit-Policy	"When SYNCGATE_RATE_LIMIT is set: the policy, caller, q = requests per window, w = the window in seconds"
//	@Security		bearer
//	@x-required-scopes	["Organizations.Read"]
//	@Router			/organizations/sync [get]
func (s *server) handleListSyncStates() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		q := pageQuery{Limit: 100}
		orgs, err := s.organizations(s.bind.query(r, &q))
		if err != nil {
			return err
		}
		all, err := orgs.SyncStates(r.Context())
		if err != nil {
			return about("the organizations' synchronization states", err)
		}
		total := len(all)
		out := SyncStatusList{Items: []SyncStatus{}, Offset: q.Offset, Limit: q.Limit, Total: &total}
		for i := q.Offset; i < total && i < q.Offset+q.Limit; i++ {
			out.Items = append(out.Items, toSyncStatus(all[i]))
		}
		encode(w, http.StatusOK, out)
		return nil
	})
}

// readOrganization is a GET of one organization's resource: validate the
// path (and that there is no query), then answer what read returns.
func (s *server) readOrganization(read func(ctx context.Context, orgs OrganizationSyncer, id string) (any, error)) http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		id, err := s.pathOrg(r)
		orgs, err := s.organizations(collect(err, s.bind.query(r, &struct{}{})))
		if err != nil {
			return err
		}
		out, err := read(r.Context(), orgs, id)
		if err != nil {
			return about("organization "+id, err)
		}
		encode(w, http.StatusOK, out)
		return nil
	})
}

// handleStartSync answers POST /organizations/{organizationId}/sync.
//
//	@Summary		Start an organization cache sync
//	@ID			startOrganizationSync
//	@x-ms-visibility	"important"
//	@Description	Starts Veeam Backup for Microsoft 365's synchronization of the organization's objects (users, groups, sites…)
//	@Description	with its organization cache database: the REST twin of `Start-VBOOrganizationSynchronization -Organization $org
//	@Description	[-Full]`. An empty body runs an incremental sync of every part.
//	@Description
//	@Description	Before starting, syncgate reads the organization and its sync state: a sync already Queued or Running is
//	@Description	refused (409, unless force=true), an organization without modern app-only authentication is refused (422),
//	@Description	and a second start within the cooldown is refused (429). The answer is 202 with Location pointing at
//	@Description	GET /organizations/{organizationId}/sync; with dryRun=true it is 200 with what a start would do.
//	@Description	Scope: `Organizations.Sync`.
//	@Tags			organizations
//	@Accept			json
//	@Produce		json
//	@Param			organizationId	path	string	true	"Veeam organization id, a GUID (case-insensitive)"	Format(uuid)	extensions(x-ms-summary=Organization ID,x-pattern=^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$,x-example=62c4ab35-68fb-4a48-ae4d-8103635b9526)
//	@Param			dryRun			query	bool	false	"Check only, start nothing and claim no cooldown (PowerShell -WhatIf): answers 200 with what a start would do"	default(false)	extensions(x-ms-summary=Dry run,x-ms-visibility=advanced)
//	@Param			force			query	bool	false	"Start even if a sync is already queued or running (never skips eligibility or the cooldown)"	default(false)	extensions(x-ms-summary=Force,x-ms-visibility=advanced)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Param			Idempotency-Key	header	string	false	"1 to 255 printable characters (IETF idempotency-key draft): the first answer to this caller's key is kept for SYNCGATE_IDEMPOTENCY_TTL (24 h) and replayed, with Idempotent-Replayed: true and no backend call, to the same request (method, path, query, body); 401, 403, 429 and 503 answers are not kept"	maxlength(255)
//	@Param			body			body	SyncRequest	false	"Sync options; empty or omitted: incremental, every part"
//	@Success		200	{object}	DryRun	"dryRun=true: what a start would do; nothing was started"
//	@Success		202	{object}	SyncStarted	"The sync was started"
//	@Failure		400	{object}	Problem	"validation or malformed-body: a bad path id, query parameter or body; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the Organizations.Sync scope"
//	@Failure		404	{object}	Problem	"not-found: Veeam does not know the organization"
//	@Failure		409	{object}	Problem	"already-running: a sync is Queued or Running (currentStatus says which); conflict: Veeam reports a conflicting operation; idempotency-key-in-flight: the first request with this Idempotency-Key is still running"
//	@Failure		408	{object}	Problem	"request-timeout: the body did not arrive within the server's read timeout"
//	@Failure		413	{object}	Problem	"body-too-large: the body exceeds 64 KiB"
//	@Failure		415	{object}	Problem	"unsupported-media-type: a body that is not application/json"
//	@Failure		422	{object}	Problem	"not-eligible: the organization does not use modern app-only authentication, so Veeam cannot synchronize its cache; idempotency-key-reused: this Idempotency-Key came with another request"
//	@Failure		429	{object}	Problem	"cooldown: the organization was started too recently; Retry-After and retryAfter say when to try again; rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills"
//	@Failure		500	{object}	Problem	"internal: the gateway failed; the request id finds the details in its log"
//	@Failure		502	{object}	Problem	"upstream-error, upstream-bad-response or upstream-credentials: the backend failed, answered something unreadable, or refused the gateway's own credentials"
//	@Failure		503	{object}	Problem	"upstream-throttled (the backend's Retry-After passed on), upstream-unavailable, circuit-open (the backend failed repeatedly and is not called; Retry-After says when it is tried again), or backend-not-configured (the detail names the missing settings); store-unavailable: the gateway cannot reach its store (Redis), so nothing was started"
//	@Failure		504	{object}	Problem	"upstream-timeout: the backend did not answer in time"
//	@Header			202	{string}	Location	"The synchronization state: /organizations/{organizationId}/sync"
//	@Header			401,403	{string}	WWW-Authenticate	"The bearer challenge (RFC 6750): realm, and error and scope when the token was refused"
//	@Header			429	{integer}	Retry-After	"Seconds until the cooldown ends or this caller's rate-limit window refills"
//	@Header			503	{integer}	Retry-After	"When the backend asked to wait, or the store cannot be reached: seconds before retrying"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Header			all	{string}	RateLimit	"When SYNCGATE_RATE_LIMIT is set: this caller's quota (IETF httpapi ratelimit headers): policy caller, r = requests left in the window, t = seconds until it refills"
//	@Header			all	{string}	RateLimit-Policy	"When SYNCGATE_RATE_LIMIT is set: the policy, caller, q = requests per window, w = the window in seconds"
//	@Header			all	{string}	Idempotent-Replayed	"When the answer is replayed for a repeated Idempotency-Key: true"
//	@Security		bearer
//	@x-required-scopes	["Organizations.Sync"]
//	@Router			/organizations/{organizationId}/sync [post]
func (s *server) handleStartSync() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		var q startQuery
		var body SyncRequest
		id, err := s.pathOrg(r)
		orgs, err := s.organizations(collect(err, s.bind.query(r, &q), s.bind.body(r, &body, true)))
		if err != nil {
			return err
		}
		return s.start(w, r, syncStart(orgs, id, body, q))
	})
}

// handleBulkSync answers POST /organizations/sync: a start per organization,
// a few at a time, each with the outcome the single call would have had.
//
//	@Summary		Start a cache sync of many organizations
//	@ID			startBulkOrganizationSync
//	@x-ms-visibility	"advanced"
//	@Description	Starts the organization cache sync of every organization Veeam Backup for Microsoft 365 knows, or of the
//	@Description	listed organizationIds: `Get-VBOOrganization | % { Start-VBOOrganizationSynchronization -Organization $_ }`
//	@Description	as one call. Each organization goes through the same checks as POST /organizations/{organizationId}/sync, and
//	@Description	its result carries the status that call would have answered (202, 409, 422, 429, 404…) with its problem.
//	@Description	The call itself fails only when the list of organizations cannot be read. With dryRun=true, nothing is
//	@Description	started and each result says whether it would start (status 200). Scope: `Organizations.Sync`.
//	@Tags			organizations
//	@Accept			json
//	@Produce		json
//	@Param			dryRun			query	bool	false	"Check only, start nothing and claim no cooldown (PowerShell -WhatIf): answers 200 with what a start would do"	default(false)	extensions(x-ms-summary=Dry run,x-ms-visibility=advanced)
//	@Param			force			query	bool	false	"Start even if a sync is already queued or running (never skips eligibility or the cooldown)"	default(false)	extensions(x-ms-summary=Force,x-ms-visibility=advanced)
//	@Param			X-Request-ID	header	string	false	"Correlation id, 1 to 128 printable characters; echoed on the answer and logged"	maxlength(128)
//	@Param			Idempotency-Key	header	string	false	"1 to 255 printable characters (IETF idempotency-key draft): the first answer to this caller's key is kept for SYNCGATE_IDEMPOTENCY_TTL (24 h) and replayed, with Idempotent-Replayed: true and no backend call, to the same request (method, path, query, body); 401, 403, 429 and 503 answers are not kept"	maxlength(255)
//	@Param			body			body	BulkSyncRequest	false	"Sync options and the organizations; empty or omitted: incremental, every part, every organization"
//	@Success		200	{object}	BulkSyncResult	"One result per organization"
//	@Failure		400	{object}	Problem	"validation or malformed-body: a bad path id, query parameter or body; errors lists every field"
//	@Failure		401	{object}	Problem	"unauthorized: no bearer token; invalid-token: a token that is malformed, badly signed, expired or not for this gateway"
//	@Failure		403	{object}	Problem	"insufficient-scope: the token lacks the Organizations.Sync scope"
//	@Failure		408	{object}	Problem	"request-timeout: the body did not arrive within the server's read timeout"
//	@Failure		413	{object}	Problem	"body-too-large: the body exceeds 64 KiB"
//	@Failure		415	{object}	Problem	"unsupported-media-type: a body that is not application/json"
//	@Failure		409	{object}	Problem	"idempotency-key-in-flight: the first request with this Idempotency-Key is still running"
//	@Failure		422	{object}	Problem	"idempotency-key-reused: this Idempotency-Key came with another request"
//	@Failure		429	{object}	Problem	"rate-limited: this caller is over SYNCGATE_RATE_LIMIT; Retry-After and the RateLimit headers say when its quota refills"
//	@Failure		500	{object}	Problem	"internal: the gateway failed; the request id finds the details in its log"
//	@Failure		502	{object}	Problem	"upstream-error, upstream-bad-response or upstream-credentials: the backend failed, answered something unreadable, or refused the gateway's own credentials"
//	@Failure		503	{object}	Problem	"upstream-throttled (the backend's Retry-After passed on), upstream-unavailable, circuit-open (the backend failed repeatedly and is not called; Retry-After says when it is tried again), or backend-not-configured (the detail names the missing settings); store-unavailable: the gateway cannot reach its store (Redis), so nothing was started"
//	@Failure		504	{object}	Problem	"upstream-timeout: the backend did not answer in time"
//	@Header			401,403	{string}	WWW-Authenticate	"The bearer challenge (RFC 6750): realm, and error and scope when the token was refused"
//	@Header			429	{integer}	Retry-After	"Seconds until this caller's rate-limit window refills"
//	@Header			503	{integer}	Retry-After	"When the backend asked to wait, or the store cannot be reached: seconds before retrying"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Header			all	{string}	RateLimit	"When SYNCGATE_RATE_LIMIT is set: this caller's quota (IETF httpapi ratelimit headers): policy caller, r = requests left in the window, t = seconds until it refills"
//	@Header			all	{string}	RateLimit-Policy	"When SYNCGATE_RATE_LIMIT is set: the policy, caller, q = requests per window, w = the window in seconds"
//	@Header			all	{string}	Idempotent-Replayed	"When the answer is replayed for a repeated Idempotency-Key: true"
//	@Security		bearer
//	@x-required-scopes	["Organizations.Sync"]
//	@Router			/organizations/sync [post]
func (s *server) handleBulkSync() http.HandlerFunc {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		var q startQuery
		var body BulkSyncRequest
		orgs, err := s.organizations(collect(s.bind.query(r, &q), s.bind.body(r, &body, true)))
		if err != nil {
			return err
		}
		ids := body.OrganizationIDs
		if len(ids) == 0 {
			if ids, err = allOrganizationIDs(r.Context(), orgs); err != nil {
				return about("the organization list", err)
			}
		}
		results := make([]OrganizationResult, len(ids))
		sem := make(chan struct{}, s.BulkConcurrency)
		var wg sync.WaitGroup
		for i, id := range ids {
			id = strings.ToLower(id)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				spec := syncStart(orgs, id, body.SyncRequest, q)
				spec.Kind = telemetry.KindBulkItem
				results[i] = s.bulkOne(r.Context(), spec)
			}()
		}
		wg.Wait()
		encode(w, http.StatusOK, BulkSyncResult{Results: results})
		return nil
	})
}

// bulkOne runs one organization's start of a bulk sync and says what the
// single-organization call would have answered.
func (s *server) bulkOne(ctx context.Context, spec startSpec) OrganizationResult {
	res := OrganizationResult{OrganizationID: spec.ID}
	out, err := s.runStart(ctx, spec)
	switch {
	case err != nil:
		p := problemFor(err)
		p.Instance = spec.Location
		p.RequestID = requestIDFrom(ctx)
		if p.Status >= 500 {
			s.Logger.ErrorContext(ctx, "bulk sync: organization failed",
				"organizationId", spec.ID, "status", p.Status, "error", p.cause)
		}
		res.Status, res.Problem = p.Status, p
	case spec.Query.DryRun:
		would := out.Refusal == nil
		res.Status, res.WouldStart = http.StatusOK, &would
		if out.Refusal != nil {
			p := problemFor(about(spec.Target, out.Refusal))
			p.Instance = spec.Location
			res.Problem = p
		}
	default:
		res.Status, res.Started = http.StatusAccepted, true
	}
	return res
}

// syncStart is the start of one organization's cache sync: the organization
// must use app-only authentication and have no sync queued or running
// (unless forced).
func syncStart(orgs OrganizationSyncer, id string, body SyncRequest, q startQuery) startSpec {
	return startSpec{
		Action: actionOrganizationSync, Kind: telemetry.KindOrganization, ID: id, Target: "organization " + id,
		Key: "veeam/organization/" + id, Query: q, Request: body,
		Precheck: func(ctx context.Context) (guard.State, error) {
			org, err := orgs.Organization(ctx, id)
			if err != nil {
				return guard.State{}, err
			}
			st, err := orgs.SyncState(ctx, id)
			if err != nil {
				return guard.State{}, err
			}
			state := guard.State{Status: st.Status(), Busy: st.Busy()}
			if !org.AppOnlyAuth() {
				state.Ineligible = "it does not use modern app-only authentication, and Veeam synchronizes the organization cache only for organizations that do"
			}
			return state, nil
		},
		Run: func(ctx context.Context) (string, error) {
			// Veeam sends no request id.
			return "", orgs.StartSync(ctx, id, veeam.SyncRequest{Full: body.Full, Parts: body.Parts})
		},
		Location: "/organizations/" + id + "/sync",
		Started: func(res startResult) any {
			return SyncStarted{
				OrganizationID: id, Type: syncType(body.Full), Parts: nonNil(body.Parts),
				PreviousStatus: res.PreviousStatus, RequestID: res.RequestID,
			}
		},
	}
}

func syncType(full bool) string {
	if full {
		return "Full"
	}
	return "Incremental"
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
