// Package upstream holds what the Veeam and Graph adapters share: the one
// error type they return, HTTP client construction, the retry and
// Retry-After policy, the deadline of each backend call and the circuit
// breaker of each backend.
package upstream

import (
	"errors"
	"fmt"
	"time"

	"github.com/syncgate/syncgate/internal/redact"
)

// Kind classifies an upstream failure. The api package maps each kind to one
// HTTP status in a single table.
type Kind int

// The kinds of upstream failure.
const (
	// KindInternal is a backend failure with no better classification (a 5xx,
	// an unexpected status). Callers see 502.
	KindInternal Kind = iota
	// KindNotFound is an unknown organization, application or job. 404.
	KindNotFound
	// KindConflict is the backend refusing because an operation is already
	// running (Veeam's OperationConflict). 409.
	KindConflict
	// KindInvalid is the backend rejecting the request's content
	// (ParameterValidationFailure, Graph 400). 502: the gateway validated it.
	KindInvalid
	// KindAuth is the backend refusing the gateway's own credentials or
	// permissions (401 after one re-login, 403). 502; only an operator can fix it.
	KindAuth
	// KindThrottled is backend throttling (429, or 503 with Retry-After). 503
	// with the backend's Retry-After passed on.
	KindThrottled
	// KindUnavailable is a backend that cannot be reached (connection refused,
	// dropped, DNS, TLS failure). 503.
	KindUnavailable
	// KindTimeout is a backend that did not answer in time. 504.
	KindTimeout
	// KindBadResponse is a backend answer that does not parse. 502.
	KindBadResponse
	// KindCircuitOpen is a call the backend's circuit breaker refused without
	// sending it, after a run of failures: 503 with RetryAfter, the time
	// until the breaker lets a probe through.
	KindCircuitOpen
)

var kindNames = [...]string{"internal", "not_found", "conflict", "invalid", "auth", "throttled", "unavailable", "timeout", "bad_response", "circuit_open"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the one error type both adapters return for a failed backend call.
// Message is the backend's own text: it is logged, never shown to callers of
// a 5xx. Stack traces and tokens are never stored here.
type Error struct {
	Service    string        // "veeam" or "graph"
	Op         string        // what the adapter was doing: "start sync", "get job"
	Kind       Kind          // classification, mapped to an HTTP status by api
	Status     int           // the backend's HTTP status; 0 when it did not answer
	Code       string        // the backend's error code (errorCode, error.code)
	Message    string        // the backend's message, for logs
	RequestID  string        // the backend's request id, when it sent one
	RetryAfter time.Duration // the backend's Retry-After, when it sent one
	Err        error         // the underlying transport error, if any
}

// Error describes the failure for logs. Text the backend or the transport
// supplied passes through redact.Text: a backend may echo a password or a
// bearer token, and a transport error names the URL with its query.
func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %s: %s", e.Service, e.Op, e.Kind)
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != "" {
			msg += " " + e.Code
		}
		msg += ")"
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return redact.Text(msg)
}

func (e *Error) Unwrap() error { return e.Err }

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var ue *Error
	ok := errors.As(err, &ue)
	return ue, ok
}

// IsKind reports whether err is an upstream error of kind k.
func IsKind(err error, k Kind) bool {
	ue, ok := As(err)
	return ok && ue.Kind == k
}
