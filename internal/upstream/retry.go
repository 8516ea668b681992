package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// The retry defaults: used for the RetryPolicy fields left zero, but for
// RetryAfterBudget, whose zero means never wait (DefaultRetryAfterBudget is
// the setting's default).
const (
	DefaultMaxAttempts      = 3
	DefaultBaseDelay        = 200 * time.Millisecond
	DefaultMaxDelay         = 2 * time.Second
	DefaultRetryAfterBudget = 2 * time.Second
)

// RetryPolicy decides whether and when a failed backend call is sent again.
// The zero value is usable: zero fields take the defaults above, but a zero
// RetryAfterBudget never waits for a Retry-After.
//
// Reads (idempotent calls) are retried on connection errors, timeouts, 429,
// 502, 503 and 504. A call that is not idempotent (a start) is retried only
// when the backend shows it did not act: the request never left (the dial,
// proxy connect or TLS handshake failed, so no header was written), or 429 or
// 503 came back. Without a Retry-After the wait is exponential backoff with
// full jitter. A Retry-After is waited out only while the total of such waits
// fits RetryAfterBudget; beyond it the response is returned as it is, for the
// adapter to report as throttling with that Retry-After. No wait ever runs
// past the context's deadline: the last answer is returned instead.
type RetryPolicy struct {
	// MaxAttempts is the number of sends, first included. 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff cap of the first retry; it doubles per retry.
	BaseDelay time.Duration
	// MaxDelay caps the backoff.
	MaxDelay time.Duration
	// RetryAfterBudget is the most one call waits, in total, for Retry-After
	// answers. Zero (or negative): never wait for a Retry-After, as
	// SYNCGATE_RETRY_AFTER_BUDGET=0 says; DefaultRetryAfterBudget is the
	// setting's default.
	RetryAfterBudget time.Duration
	// Sleep waits d or until ctx is done (then it returns ctx's error).
	// Tests inject one that does not wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used for HTTP-date Retry-After values and deadlines.
	Now func() time.Time
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	p.RetryAfterBudget = max(p.RetryAfterBudget, 0)
	if p.Sleep == nil {
		p.Sleep = sleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// Do sends a request through send until it succeeds, fails in a way that is
// not retried, or the attempts run out, and returns the last response or
// error. send must build a fresh request, from the ctx it is given, each time
// it is called (so bodies are replayed and the policy can see whether the
// request was written). Responses that are retried are drained and closed;
// the one returned is the caller's to close. An error is returned only when no
// response came back: the last transport error, or the context's error when
// it ended during a wait.
func (p RetryPolicy) Do(ctx context.Context, idempotent bool, send func(ctx context.Context) (*http.Response, error)) (*http.Response, error) {
	p = p.withDefaults()
	budget := p.RetryAfterBudget
	for attempt := 1; ; attempt++ {
		// Only a call that is not idempotent needs to know how far a failed
		// attempt got; a read is retried either way and skips the tracing.
		sctx, tr := ctx, (*sendTrace)(nil)
		if !idempotent {
			tr = new(sendTrace)
			sctx = httptrace.WithClientTrace(ctx, tr.clientTrace())
		}
		resp, err := send(sctx)
		if attempt >= p.MaxAttempts {
			return resp, err
		}
		var wait time.Duration
		if err != nil {
			if ctx.Err() != nil || !retryableError(idempotent, err, tr) {
				return resp, err
			}
			wait = p.backoff(attempt)
		} else {
			if !retryableStatus(idempotent, resp.StatusCode) {
				return resp, nil
			}
			if ra, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), p.Now()); ok {
				if ra > budget {
					return resp, nil
				}
				budget -= ra
				wait = ra
			} else {
				wait = p.backoff(attempt)
			}
		}
		if deadline, ok := ctx.Deadline(); ok && !p.Now().Add(wait).Before(deadline) {
			return resp, err
		}
		if resp != nil {
			discard(resp)
		}
		if err := p.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// backoff is the wait before retry number n (1-based): full jitter, uniform
// in [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)].
func (p RetryPolicy) backoff(n int) time.Duration {
	limit := p.MaxDelay
	if n-1 < 62 {
		if d := p.BaseDelay << (n - 1); d > 0 && d < limit {
			limit = d
		}
	}
	return rand.N(limit + 1)
}

func retryableStatus(idempotent bool, status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}

func retryableError(idempotent bool, err error, tr *sendTrace) bool {
	if untrusted(err) {
		return false // the same certificate fails the same way every time
	}
	if idempotent {
		return true
	}
	return tr.notSent(err)
}

// untrusted reports a certificate verification failure.
func untrusted(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// sendTrace records how far one attempt got.
type sendTrace struct {
	reached atomic.Bool // the transport started getting a connection
	wrote   atomic.Bool // the request headers were written to one
}

func (t *sendTrace) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn:      func(string) { t.reached.Store(true) },
		WroteHeaders: func() { t.wrote.Store(true) },
	}
}

// notSent reports whether a failed attempt certainly never reached the
// backend. When the transport reported its progress, that decides: no header
// written means nothing was sent. Otherwise only a failed dial counts.
func (t *sendTrace) notSent(err error) bool {
	if t.reached.Load() {
		return !t.wrote.Load()
	}
	var op *net.OpError
	if errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect") {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// MaxRetryAfter caps a backend's Retry-After: a larger value (up to
// 99999999999999999999 seconds, or a date in year 9999) is read as a day, so
// that no arithmetic on it overflows into a negative wait.
const MaxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After value, delta-seconds or an HTTP-date,
// as a wait from now, at most MaxRetryAfter. A date in the past is a zero
// wait. It reports false for an empty or malformed value.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return MaxRetryAfter, true
			}
			return 0, false
		}
		if secs > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), MaxRetryAfter), true
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// discard drains a little of a response body, so its connection can be
// reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}
