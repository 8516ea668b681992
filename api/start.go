package api

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/syncgate/syncgate/internal/audit"
	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/ids"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/telemetry"
	"github.com/syncgate/syncgate/internal/upstream"
)

// The actions an audit record names.
const (
	actionOrganizationSync = "veeam.organization.sync"
	// actionBulkSync is a bulk sync answered as a whole before its
	// organizations were read (rate limit, Idempotency-Key); each
	// organization it starts is an actionOrganizationSync.
	actionBulkSync   = "veeam.organizations.sync"
	actionJobStart   = "graph.job.start"
	actionJobPause   = "graph.job.pause"
	actionJobRestart = "graph.job.restart"
)

// startRoute is what a POST route starts: its audit action and its kind in
// the metrics, for the record of a request answered before its handler ran
// (see answeredEarly).
type startRoute struct{ action, kind string }

// startQuery is the query of every start.
type startQuery struct {
	DryRun bool `query:"dryRun"`
	Force  bool `query:"force"`
}

// startSpec is one start of any kind (an organization sync, a job start, one
// organization of a bulk sync): everything the one start path needs to
// decide it, run it, audit it and answer it. A new kind of start is a
// startSpec built by its handler: a precheck, a run and an answer.
type startSpec struct {
	// Action names the start in the audit log ("veeam.organization.sync").
	Action string
	// Kind is the start's kind in the metrics (telemetry.KindOrganization,
	// KindJob, KindBulkItem).
	Kind string
	// ID is the target in the audit log ("<applicationId>/<jobId>").
	ID string
	// Target names the target in problem details ("organization <id>").
	Target string
	// Key is the guard's key for the target, unique across kinds.
	Key string
	// Query is the start's dryRun and force.
	Query startQuery
	// NoCooldown: the action neither claims nor respects the cooldown
	// (a pause; see guard.Start).
	NoCooldown bool
	// Precheck reads the target's state upstream (see guard.Start).
	Precheck func(ctx context.Context) (guard.State, error)
	// Run is the upstream start; it returns the backend's request id, if any.
	Run func(ctx context.Context) (upstreamRequestID string, err error)
	// Request is the start's body as asked, for its audit record (nil: a
	// start without a body).
	Request any
	// Location is the status resource the answer points at.
	Location string
	// Status is the answer's status: 0 means 202 (the backend accepted work
	// that goes on); 200 suits an action that is over when the backend
	// answers (a pause), and is also the answer when Precheck found nothing
	// to do.
	Status int
	// Started is the answer's body.
	Started func(res startResult) any
}

// startResult is what one start did (or, on a dry run, would have done).
type startResult struct {
	guard.Outcome
	// UpstreamRequestID is the backend's request id of the start, if it sent one.
	UpstreamRequestID string
	// UpstreamStatus is the HTTP status the backend answered the start
	// with; 0 when it made no start call or no answer came back.
	UpstreamStatus int
	// RequestID is the gateway's request id.
	RequestID string
	// Decision is what the start came to (see decision), as the audit
	// record says it.
	Decision string
}

// runStart is the one start path: precheck → guard (busy, eligibility,
// cooldown, dry run) → upstream start → audit. Every kind of start goes
// through it, so what all starts share (the audit record, and counters of
// res.Decision) belongs here; its error names spec.Target for problemFor.
func (s *server) runStart(ctx context.Context, spec startSpec) (startResult, error) {
	begin := time.Now()
	res := startResult{RequestID: requestIDFrom(ctx)}
	gctx, span := ctx, trace.Span(nil)
	if !s.untraced {
		gctx, span = s.Tracer.Start(ctx, "guard "+spec.Action, trace.WithAttributes(
			attribute.String("syncgate.target", spec.ID), attribute.Bool("syncgate.dry_run", spec.Query.DryRun),
			attribute.Bool("syncgate.force", spec.Query.Force)))
	}
	out, err := s.Guard.Start(gctx, guard.Start{
		Key:        spec.Key,
		Force:      spec.Query.Force,
		DryRun:     spec.Query.DryRun,
		NoCooldown: spec.NoCooldown,
		Precheck:   spec.Precheck,
		Run: func(ctx context.Context) error {
			ctx, answer := upstream.WithAnswer(ctx)
			var err error
			res.UpstreamRequestID, err = spec.Run(ctx)
			res.UpstreamStatus = answer.Status()
			if res.UpstreamRequestID == "" {
				res.UpstreamRequestID = answer.RequestID()
			}
			return err
		},
	})
	res.Outcome = out
	err = about(spec.Target, err)
	res.Decision = decision(spec, res, err)
	if span != nil {
		span.SetAttributes(attribute.String("syncgate.decision", res.Decision))
		if err != nil {
			span.SetStatus(codes.Error, res.Decision)
		}
		span.End()
	}
	s.Metrics.ObserveStart(spec.Kind, metricDecision(spec, res, err, false))
	if errors.Is(err, store.ErrUnavailable) {
		s.Metrics.StoreError("cooldown")
	}
	s.audit(ctx, spec, res, err, begin)
	return res, err
}

// start runs spec and answers it: spec.Status (202 by default; 200 when
// nothing needed doing) with Location and spec.Started's body, 200 with the
// decision on a dry run, or the error for the handler to return.
func (s *server) start(w http.ResponseWriter, r *http.Request, spec startSpec) error {
	res, err := s.runStart(r.Context(), spec)
	switch {
	case err != nil:
		return err
	case spec.Query.DryRun:
		encode(w, http.StatusOK, dryRunAnswer(res.Outcome, spec.Target))
	default:
		status := cmp.Or(spec.Status, http.StatusAccepted)
		if res.Done {
			status = http.StatusOK
		}
		w.Header().Set("Location", spec.Location)
		encode(w, status, spec.Started(res))
	}
	return nil
}

// answeredEarly audits and counts a start request (a POST route) answered
// before it reached runStart, since it never reaches the guard: refused for
// want of the route's scope, by the caller's rate limit, by its
// Idempotency-Key (another request, or the first still in flight) or for
// want of the store, or replayed (err nil)
// from the first answer to its key. A request refused as malformed (400,
// 408, 413, 415) is not an attempt, as a malformed start body is not.
// begin is when the request reached the step that answered it.
func (s *server) answeredEarly(r *http.Request, begin time.Time, err error) {
	if r.Method != http.MethodPost {
		return
	}
	rc := chi.RouteContext(r.Context())
	route, ok := s.startRoutes[rc.RoutePattern()]
	if !ok {
		return
	}
	if err != nil {
		switch problemFor(err).Status {
		case http.StatusBadRequest, http.StatusRequestTimeout, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			return
		}
	}
	spec := startSpec{Action: route.action, Kind: route.kind, ID: routeTarget(rc)}
	spec.Query.DryRun, _ = strconv.ParseBool(r.URL.Query().Get("dryRun"))
	spec.Query.Force, _ = strconv.ParseBool(r.URL.Query().Get("force"))
	res := startResult{RequestID: requestIDFrom(r.Context()), Decision: decisionReplayed}
	if err != nil {
		res.Decision = decision(spec, res, err)
	}
	s.Metrics.ObserveStart(spec.Kind, metricDecision(spec, res, err, err == nil))
	s.audit(r.Context(), spec, res, err, begin)
}

// decisionReplayed is the audit decision of an answer replayed for a
// repeated Idempotency-Key: nothing was sent to the backend.
const decisionReplayed = "replayed"

// routeTarget is the audit target of a start route's request from its path
// ids (the organization id, or <applicationId>/<jobId>; "" for a bulk
// sync), GUIDs lowercased as the handlers do, each cut to 200 bytes: a
// request refused early has had its ids checked by no one.
func routeTarget(rc *chi.Context) string {
	parts := make([]string, 0, len(rc.URLParams.Values))
	for _, v := range rc.URLParams.Values {
		if ids.IsGUID(v) {
			v = strings.ToLower(v)
		}
		if len(v) > 200 {
			v = v[:200]
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "/")
}

// audit writes the one audit record of a start attempt or dry run (see
// audit.Record), before the answer is sent.
func (s *server) audit(ctx context.Context, spec startSpec, res startResult, err error, begin time.Time) {
	rec := audit.Record{
		Time: begin.UTC(), RequestID: requestIDFrom(ctx), Action: spec.Action, Target: spec.ID, Request: spec.Request,
		DryRun: spec.Query.DryRun, Force: spec.Query.Force, Started: res.Started, PreviousStatus: res.PreviousStatus,
		Decision: res.Decision, Duration: time.Since(begin).Seconds(), Scopes: []string{},
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		rec.TraceID = sc.TraceID().String()
	}
	if p, ok := auth.PrincipalFrom(ctx); ok {
		rec.Subject, rec.ObjectID, rec.ClientID = p.Subject, p.ObjectID, p.ClientID
		if p.Scopes != nil {
			rec.Scopes = p.Scopes
		}
		rec.ScopesJSON = p.ScopesJSON()
	}
	switch {
	case err != nil:
		if p := problemFor(err); p.Upstream != nil {
			rec.UpstreamStatus, rec.UpstreamRequestID = p.Upstream.Status, p.Upstream.RequestID
		}
	case res.Started:
		// A start the backend accepted: its request id finds the call in the backend's logs.
		rec.UpstreamStatus, rec.UpstreamRequestID = res.UpstreamStatus, res.UpstreamRequestID
	}
	s.Audit.Write(ctx, rec)
}

// decision names what a start came to: "started", "would-start" (a dry run),
// "would-refuse:<reason>" (a dry run the guard would refuse), "unchanged" or
// "would-be-unchanged" (the target was already as the action leaves it), or the problem
// type's slug of a start that failed or was refused ("cooldown",
// "already-running", "upstream-timeout"...).
func decision(spec startSpec, res startResult, err error) string {
	switch {
	case err != nil:
		return strings.TrimPrefix(problemFor(err).Type, problemTypePrefix)
	case res.Refusal != nil:
		return "would-refuse:" + res.Refusal.Reason.String()
	case res.Done && spec.Query.DryRun:
		return "would-be-unchanged"
	case res.Done:
		return "unchanged"
	case spec.Query.DryRun:
		return "would-start"
	}
	return "started"
}

// metricDecision is the decision label of a start in the metrics: started,
// unchanged (nothing needed doing), dry_run (whatever the dry run found),
// replayed (an Idempotency-Key's first answer again), busy, ineligible or
// cooldown (the guard refused it), forbidden, rate_limited,
// idempotency_conflict, store_unavailable or circuit_open (the gateway
// refused it, sending nothing), or failed (anything else: the backend failed...).
func metricDecision(spec startSpec, res startResult, err error, replayed bool) string {
	var refusal *guard.Refusal
	switch {
	case err == nil && replayed:
		return telemetry.DecisionReplayed
	case err == nil && spec.Query.DryRun:
		return telemetry.DecisionDryRun
	case err == nil && res.Done:
		return telemetry.DecisionUnchanged
	case err == nil:
		return telemetry.DecisionStarted
	case errors.As(err, &refusal):
		switch refusal.Reason {
		case guard.Busy:
			return telemetry.DecisionBusy
		case guard.Ineligible:
			return telemetry.DecisionIneligible
		case guard.Cooldown:
			return telemetry.DecisionCooldown
		}
	}
	switch problemFor(err).Type {
	case TypeInsufficientScope:
		return telemetry.DecisionForbidden
	case TypeRateLimited:
		return telemetry.DecisionRateLimited
	case TypeIdempotencyKeyReuse, TypeIdempotencyInFlight:
		return telemetry.DecisionIdempotencyConflict
	case TypeStoreUnavailable:
		return telemetry.DecisionStoreUnavailable
	case TypeCircuitOpen:
		return telemetry.DecisionCircuitOpen
	}
	return telemetry.DecisionFailed
}

// DryRun answers a start with dryRun=true: what a real start would do.
type DryRun struct {
	DryRun     bool `json:"dryRun" example:"true"`
	WouldStart bool `json:"wouldStart" example:"false"`
	// Reason is the problem type a real start would have met, or null.
	Reason *string `json:"reason" extensions:"x-nullable" example:"urn:syncgate:problem:already-running"`
	// Detail says why, when a start would be refused.
	Detail         string `json:"detail,omitempty"`
	PreviousStatus string `json:"previousStatus" example:"Running"`
}

// dryRunAnswer is the 200 body of a dry run.
func dryRunAnswer(out guard.Outcome, target string) DryRun {
	d := DryRun{DryRun: true, WouldStart: out.Refusal == nil && !out.Done, PreviousStatus: out.PreviousStatus}
	if out.Done {
		d.Detail = "it is already " + out.PreviousStatus + "; nothing would be sent"
	}
	if out.Refusal != nil {
		p := problemFor(about(target, out.Refusal))
		d.Reason, d.Detail = &p.Type, p.Detail
		if d.PreviousStatus == "" {
			d.PreviousStatus = out.Refusal.Status
		}
	}
	return d
}
