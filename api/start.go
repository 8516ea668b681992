package api

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/telemetry"
)

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
	out, err := s.Guard.Start(ctx, guard.Start{
		Key:        spec.Key,
		Force:      spec.Query.Force,
		DryRun:     spec.Query.DryRun,
		NoCooldown: spec.NoCooldown,
		Precheck:   spec.Precheck,
		Run: func(ctx context.Context) error {
			var err error
			res.UpstreamRequestID, err = spec.Run(ctx)
			return err
		},
	})
	res.Outcome = out
	err = about(spec.Target, err)
	res.Decision = decision(spec, res, err)
	s.Metrics.ObserveStart(spec.Kind, metricDecision(spec, res, err))
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

// audit writes the one audit record of a start attempt or dry run.
func (s *server) audit(ctx context.Context, spec startSpec, res startResult, err error, begin time.Time) {
	attrs := []slog.Attr{
		slog.String("requestId", requestIDFrom(ctx)), slog.String("action", spec.Action), slog.String("target", spec.ID),
		slog.Bool("dryRun", spec.Query.DryRun), slog.Bool("force", spec.Query.Force), slog.Bool("started", res.Started),
		slog.String("previousStatus", res.PreviousStatus), slog.Duration("duration", time.Since(begin)),
	}
	if p, ok := auth.PrincipalFrom(ctx); ok {
		attrs = append(attrs, slog.String("sub", p.Subject), slog.String("oid", p.ObjectID),
			slog.String("clientId", p.ClientID), slog.Any("scopes", p.Scopes))
	}
	switch {
	case err != nil:
		if p := problemFor(err); p.Upstream != nil {
			attrs = append(attrs, slog.Int("upstreamStatus", p.Upstream.Status), slog.String("upstreamRequestId", p.Upstream.RequestID))
		}
	case res.UpstreamRequestID != "":
		// A start the backend accepted: its request id finds the call in the backend's logs.
		attrs = append(attrs, slog.String("upstreamRequestId", res.UpstreamRequestID))
	}
	attrs = append(attrs, slog.String("decision", res.Decision))
	s.Logger.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
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
// busy, ineligible or cooldown (the guard refused it), or failed (anything
// else: the backend, the store...).
func metricDecision(spec startSpec, res startResult, err error) string {
	var refusal *guard.Refusal
	switch {
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
