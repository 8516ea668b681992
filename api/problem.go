package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/guard"
	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/upstream"
)

// problemTypePrefix starts every problem type; the slug after it is stable
// and documented in README.md.
const problemTypePrefix = "urn:syncgate:problem:"

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string       `json:"type" example:"urn:syncgate:problem:validation"`
	Title     string       `json:"title" example:"Request validation failed"`
	Status    int          `json:"status" example:"400"`
	Detail    string       `json:"detail,omitempty" example:"organizationId: must be a GUID"`
	Instance  string       `json:"instance,omitempty" example:"/organizations/not-a-guid/sync"`
	RequestID string       `json:"requestId,omitempty" example:"0d5e3a4c-7f1b-4a0e-9c2d-6b8f1e2a3b4c"`
	Errors    []FieldError `json:"errors,omitempty"`
	// Upstream describes the backend's answer when one came back.
	Upstream *UpstreamInfo `json:"upstream,omitempty"`
	// CurrentStatus is the target's status when a start was refused for it.
	CurrentStatus string `json:"currentStatus,omitempty" example:"Running"`
	// RetryAfter repeats the Retry-After header, in seconds, on 429 and 503.
	RetryAfter int `json:"retryAfter,omitempty" example:"42"`

	retryAfter time.Duration // sent as the Retry-After header
	cause      error         // logged for 5xx, never sent
}

// FieldError is one invalid input: a path id, query parameter or body field.
type FieldError struct {
	Field   string `json:"field" example:"parts[1]"`
	Rule    string `json:"rule" example:"oneof"`
	Message string `json:"message" example:"must be one of Users Groups GroupMembers Sites Mailboxes"`
}

// UpstreamInfo says what a backend answered.
type UpstreamInfo struct {
	Service   string `json:"service" example:"veeam"`
	Status    int    `json:"status,omitempty" example:"503"`
	Code      string `json:"code,omitempty" example:"ProxyOffline"`
	RequestID string `json:"requestId,omitempty" example:"7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"`
}

// The problem types. Each is "urn:syncgate:problem:" + slug.
const (
	TypeValidation          = problemTypePrefix + "validation"
	TypeMalformedBody       = problemTypePrefix + "malformed-body"
	TypeUnauthorized        = problemTypePrefix + "unauthorized"
	TypeInvalidToken        = problemTypePrefix + "invalid-token"
	TypeInsufficientScope   = problemTypePrefix + "insufficient-scope"
	TypeNotFound            = problemTypePrefix + "not-found"
	TypeRouteNotFound       = problemTypePrefix + "route-not-found"
	TypeMethodNotAllowed    = problemTypePrefix + "method-not-allowed"
	TypeAlreadyRunning      = problemTypePrefix + "already-running"
	TypeConflict            = problemTypePrefix + "conflict"
	TypeBodyTooLarge        = problemTypePrefix + "body-too-large"
	TypeRequestTimeout      = problemTypePrefix + "request-timeout"
	TypeUnsupportedMedia    = problemTypePrefix + "unsupported-media-type"
	TypeNotEligible         = problemTypePrefix + "not-eligible"
	TypeCooldown            = problemTypePrefix + "cooldown"
	TypeUpstreamError       = problemTypePrefix + "upstream-error"
	TypeUpstreamBadResponse = problemTypePrefix + "upstream-bad-response"
	TypeUpstreamCredentials = problemTypePrefix + "upstream-credentials"
	TypeUpstreamThrottled   = problemTypePrefix + "upstream-throttled"
	TypeUpstreamUnavailable = problemTypePrefix + "upstream-unavailable"
	TypeUpstreamTimeout     = problemTypePrefix + "upstream-timeout"
	TypeCircuitOpen         = problemTypePrefix + "circuit-open"
	TypeNotConfigured       = problemTypePrefix + "backend-not-configured"
	TypeStoreUnavailable    = problemTypePrefix + "store-unavailable"
	TypeRateLimited         = problemTypePrefix + "rate-limited"
	TypeIdempotencyKeyReuse = problemTypePrefix + "idempotency-key-reused"
	TypeIdempotencyInFlight = problemTypePrefix + "idempotency-key-in-flight"
	TypeInternal            = problemTypePrefix + "internal"
)

// problemKind is a failure the gateway itself decides (as opposed to an
// upstream.Kind or a guard.Reason).
type problemKind int

// The gateway's own failures.
const (
	kindValidation problemKind = iota + 1
	kindMalformedBody
	kindBodyTooLarge
	kindRequestTimeout
	kindUnsupportedMedia
	kindRouteNotFound
	kindMethodNotAllowed
	kindNotConfigured
	kindNotReady
	kindUnauthorized
	kindInvalidToken
	kindInsufficientScope
	kindCancelled
	kindTimeout
	kindInternal
	kindStoreUnavailable
	kindRateLimited
	kindIdempotencyKeyReuse
	kindIdempotencyInFlight
)

// statuses is the one table that turns an error kind into what a caller
// sees: its status, problem type and title. A key is a problemKind, an
// upstream.Kind (what a backend answered) or a guard.Reason (why a start was
// refused).
var statuses = map[any]struct {
	status int
	typ    string
	title  string
}{
	kindValidation:        {http.StatusBadRequest, TypeValidation, "Request validation failed"},
	kindMalformedBody:     {http.StatusBadRequest, TypeMalformedBody, "Malformed request body"},
	kindBodyTooLarge:      {http.StatusRequestEntityTooLarge, TypeBodyTooLarge, "Request body too large"},
	kindRequestTimeout:    {http.StatusRequestTimeout, TypeRequestTimeout, "Request body too slow"},
	kindUnsupportedMedia:  {http.StatusUnsupportedMediaType, TypeUnsupportedMedia, "Unsupported media type"},
	kindRouteNotFound:     {http.StatusNotFound, TypeRouteNotFound, "No such route"},
	kindMethodNotAllowed:  {http.StatusMethodNotAllowed, TypeMethodNotAllowed, "Method not allowed"},
	kindNotConfigured:     {http.StatusServiceUnavailable, TypeNotConfigured, ""}, // the title names the backend
	kindNotReady:          {http.StatusServiceUnavailable, TypeUpstreamUnavailable, "Not ready"},
	kindUnauthorized:      {http.StatusUnauthorized, TypeUnauthorized, "Authentication required"},
	kindInvalidToken:      {http.StatusUnauthorized, TypeInvalidToken, "Invalid token"},
	kindInsufficientScope: {http.StatusForbidden, TypeInsufficientScope, "Insufficient scope"},
	kindCancelled:         {http.StatusServiceUnavailable, TypeUpstreamUnavailable, "Request cancelled"},
	kindTimeout:           {http.StatusGatewayTimeout, TypeUpstreamTimeout, "The backend did not answer in time"},
	kindInternal:          {http.StatusInternalServerError, TypeInternal, "Internal error"},

	kindStoreUnavailable:    {http.StatusServiceUnavailable, TypeStoreUnavailable, "The gateway's store cannot be reached"},
	kindRateLimited:         {http.StatusTooManyRequests, TypeRateLimited, "Too many requests"},
	kindIdempotencyKeyReuse: {http.StatusUnprocessableEntity, TypeIdempotencyKeyReuse, "Idempotency-Key reused with another request"},
	kindIdempotencyInFlight: {http.StatusConflict, TypeIdempotencyInFlight, "A request with this Idempotency-Key is in progress"},

	upstream.KindNotFound:    {http.StatusNotFound, TypeNotFound, "Not found"},
	upstream.KindConflict:    {http.StatusConflict, TypeConflict, "The backend reports a conflicting operation in progress"},
	upstream.KindInvalid:     {http.StatusBadGateway, TypeUpstreamError, "The backend rejected the request"},
	upstream.KindAuth:        {http.StatusBadGateway, TypeUpstreamCredentials, "The backend refused the gateway's credentials"},
	upstream.KindThrottled:   {http.StatusServiceUnavailable, TypeUpstreamThrottled, "The backend is throttling requests"},
	upstream.KindUnavailable: {http.StatusServiceUnavailable, TypeUpstreamUnavailable, "The backend cannot be reached"},
	upstream.KindTimeout:     {http.StatusGatewayTimeout, TypeUpstreamTimeout, "The backend did not answer in time"},
	upstream.KindBadResponse: {http.StatusBadGateway, TypeUpstreamBadResponse, "The backend's answer could not be read"},
	upstream.KindInternal:    {http.StatusBadGateway, TypeUpstreamError, "The backend answered with an error"},
	upstream.KindCircuitOpen: {http.StatusServiceUnavailable, TypeCircuitOpen, "The backend is failing; calls to it are paused"},

	guard.Busy:       {http.StatusConflict, TypeAlreadyRunning, "Already running"},
	guard.Ineligible: {http.StatusUnprocessableEntity, TypeNotEligible, "Not eligible for this start"},
	guard.Cooldown:   {http.StatusTooManyRequests, TypeCooldown, "Started too recently"},
}

// newProblem builds the problem of an error kind (a key of statuses).
func newProblem(kind any, detail string) *Problem {
	m, ok := statuses[kind]
	if !ok {
		m = statuses[kindInternal]
	}
	return &Problem{Type: m.typ, Title: m.title, Status: m.status, Detail: detail}
}

// targetError names what a failed operation was about ("organization <id>"),
// so that problemFor can say it in the detail.
type targetError struct {
	target string
	err    error
}

func (e *targetError) Error() string { return e.target + ": " + e.err.Error() }
func (e *targetError) Unwrap() error { return e.err }

// about wraps err with the target it concerns; nil stays nil.
func about(target string, err error) error {
	if err == nil {
		return nil
	}
	return &targetError{target: target, err: err}
}

// problemFor turns any error from a handler's work into the problem a caller
// sees, through the statuses table. It is the one place errors become
// statuses.
func problemFor(err error) *Problem {
	target := "the target"
	var te *targetError
	if errors.As(err, &te) {
		target = te.target
	}
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if errors.Is(err, store.ErrUnavailable) {
		// Never start without a claim: nothing was started.
		p = newProblem(kindStoreUnavailable, "the gateway cannot reach its store (Redis), where cooldown claims and Idempotency-Key records live; nothing was started; retry after the time given")
		p.setRetryAfter(storeRetryAfter)
		p.cause = err
		return p
	}
	var refusal *guard.Refusal
	if errors.As(err, &refusal) {
		p = newProblem(refusal.Reason, target+": "+refusal.Detail)
		p.CurrentStatus = refusal.Status
		p.setRetryAfter(refusal.RetryAfter)
		return p
	}
	if ue, ok := upstream.As(err); ok {
		p = newProblem(ue.Kind, upstreamDetail(ue, target))
		p.Upstream = &UpstreamInfo{Service: ue.Service, Status: ue.Status, Code: ue.Code, RequestID: ue.RequestID}
		if p.Status == http.StatusServiceUnavailable {
			p.setRetryAfter(ue.RetryAfter)
		}
		p.cause = err
		return p
	}
	var scope *auth.ScopeError
	if errors.As(err, &scope) {
		return newProblem(kindInsufficientScope, fmt.Sprintf("this operation needs the %q scope", scope.Scope))
	}
	if errors.Is(err, auth.ErrNoToken) {
		return newProblem(kindUnauthorized, "send a bearer token in the Authorization header")
	}
	var bad *auth.TokenError
	if errors.As(err, &bad) {
		return newProblem(kindInvalidToken, bad.Error())
	}
	if errors.Is(err, context.Canceled) {
		// The caller went away; nobody reads this answer and it is not a failure.
		p = newProblem(kindCancelled, "the request was cancelled")
		p.cause = err
		return p
	}
	if errors.Is(err, context.DeadlineExceeded) {
		p = newProblem(kindTimeout, "")
		p.cause = err
		return p
	}
	p = newProblem(kindInternal, internalDetail)
	p.cause = err
	return p
}

// storeRetryAfter is the Retry-After of a 503 store-unavailable: the store
// client reconnects by itself, within about a second of Redis coming back.
const storeRetryAfter = 5 * time.Second

// internalDetail is the detail of every 500: the details are in the log.
const internalDetail = "the gateway failed; the request id identifies the details in its log"

// upstreamDetail says what went wrong without any backend internals: the
// backend's own message is logged, never sent.
func upstreamDetail(ue *upstream.Error, target string) string {
	switch ue.Kind {
	case upstream.KindNotFound:
		return target + " is unknown to " + serviceName(ue.Service)
	case upstream.KindConflict:
		return serviceName(ue.Service) + " refused: an operation on " + target + " is already in progress"
	case upstream.KindAuth:
		return serviceName(ue.Service) + " refused the gateway's own credentials or permissions; an operator must fix the gateway's configuration"
	case upstream.KindThrottled:
		return serviceName(ue.Service) + " is throttling requests; retry after the time given"
	case upstream.KindUnavailable:
		return serviceName(ue.Service) + " cannot be reached"
	case upstream.KindTimeout:
		return serviceName(ue.Service) + " did not answer in time"
	case upstream.KindBadResponse:
		return serviceName(ue.Service) + " answered with a body the gateway cannot read"
	case upstream.KindCircuitOpen:
		return serviceName(ue.Service) + " failed repeatedly, so the gateway is not calling it for now (nothing was sent); retry after the time given"
	}
	return serviceName(ue.Service) + " answered with an error"
}

func serviceName(s string) string {
	switch s {
	case "veeam":
		return "Veeam Backup for Microsoft 365"
	case "graph":
		return "Microsoft Graph"
	}
	return s
}

func (p *Problem) setRetryAfter(d time.Duration) {
	if d <= 0 {
		return
	}
	d = min(d, upstream.MaxRetryAfter)
	p.retryAfter = d
	p.RetryAfter = int((d + time.Second - 1) / time.Second)
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// writeError answers err as application/problem+json: problemFor finds the
// problem, completed here with the request's path and id. It is the one
// function that writes a problem, and a 5xx is logged once, in full, here.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	p := problemFor(err)
	p.Instance = r.URL.EscapedPath()
	p.RequestID = requestIDFrom(r.Context())
	if p.Status >= 500 && !errors.Is(p.cause, context.Canceled) {
		logger.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.Int("status", p.Status),
			slog.String("type", p.Type), slog.Any("error", p.cause))
	}
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	h := w.Header()
	h["Content-Type"] = headerProblem
	h["Cache-Control"] = headerNoStore
	w.WriteHeader(p.Status)
	_ = jsonEncode(w, p)
}

func (p *Problem) withErrors(errs ...FieldError) *Problem {
	p.Errors = append(p.Errors, errs...)
	return p
}
