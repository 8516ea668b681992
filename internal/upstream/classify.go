package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/syncgate/syncgate/internal/redact"
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

// Refine narrows e's kind by what the backend's error code names (k). The
// status decides first: an answer that says "come back later" (429, or 503)
// stays a 503 for the caller, with the backend's Retry-After, whatever the
// code reads like; a code can only refine it to KindUnavailable. On any
// other status the code's kind applies, since Veeam documents its codes and
// not its statuses.
func (e *Error) Refine(k Kind) {
	switch e.Kind {
	case KindThrottled, KindUnavailable:
		if e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable {
			if k == KindUnavailable || k == KindThrottled {
				e.Kind = k
			}
			return
		}
	}
	e.Kind = k
}

// maxMessage is how many characters of a backend's error message are kept
// for logs (of at most MaxErrorBody bytes read).
const maxMessage = 1024

// ResponseError begins the error for a backend's non-2xx answer: its status,
// its Retry-After and the kind the status implies. It returns the error body
// (at most 64 KiB, spaces trimmed) for the adapter to read its own error
// shape from; a body that cannot be read is recorded in the error's Err.
func ResponseError(service, op string, resp *http.Response, now time.Time) (*Error, []byte) {
	e := &Error{Service: service, Op: op, Status: resp.StatusCode}
	retryAfter, hasRetryAfter := ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	if hasRetryAfter {
		e.RetryAfter = retryAfter
	}
	e.Kind = KindForStatus(resp.StatusCode, hasRetryAfter)
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	if err != nil {
		e.Err = fmt.Errorf("read error body: %w", err)
		return e, nil
	}
	return e, bytes.TrimSpace(body)
}

// ForeignBody records that an error answer's body is not in the backend's
// own error shape (named by shape): KindBadResponse — the gateway may be
// talking to something else — except on 429, 502, 503 and 504, which proxies
// and load balancers in front of the backend send with pages of their own.
func (e *Error) ForeignBody(resp *http.Response, shape string, size int) {
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		e.Kind = KindBadResponse
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	e.Message = fmt.Sprintf("error body is not %s (%s, %d bytes)", shape, ct, size)
}

// SetMessage keeps the backend's message for logs, cut to a sane length and
// with credentials it may echo removed.
func (e *Error) SetMessage(msg string) {
	if utf8.RuneCountInString(msg) > maxMessage {
		msg = string([]rune(msg)[:maxMessage]) + "…"
	}
	e.Message = redact.Text(msg)
}
