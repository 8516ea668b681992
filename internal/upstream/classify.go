package upstream

import (
	"context"
	"errors"
	"net"
	"net/http"
)

// TransportError wraps a call that got no response from the backend. A
// deadline that passed or a network timeout is KindTimeout; anything else
// (refused, reset, EOF, TLS, DNS, and a caller that went away) is
// KindUnavailable. err is kept, so errors.Is(e, context.Canceled) still tells
// a cancelled caller apart.
func TransportError(service, op string, err error) *Error {
	kind := KindUnavailable
	var ne net.Error
	if !errors.Is(err, context.Canceled) &&
		(errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
		kind = KindTimeout
	}
	return &Error{Service: service, Op: op, Kind: kind, Err: err}
}

// KindForStatus classifies an error status when the backend's body names no
// better kind: 400 invalid, 401 and 403 auth, 404 not found, 409 conflict,
// 429 throttled, 503 throttled when it carries a Retry-After and unavailable
// otherwise, 504 timeout, anything else internal.
func KindForStatus(status int, hasRetryAfter bool) Kind {
	switch status {
	case http.StatusBadRequest:
		return KindInvalid
	case http.StatusUnauthorized, http.StatusForbidden:
		return KindAuth
	case http.StatusNotFound:
		return KindNotFound
	case http.StatusConflict:
		return KindConflict
	case http.StatusTooManyRequests:
		return KindThrottled
	case http.StatusServiceUnavailable:
		if hasRetryAfter {
			return KindThrottled
		}
		return KindUnavailable
	case http.StatusGatewayTimeout:
		return KindTimeout
	}
	return KindInternal
}
