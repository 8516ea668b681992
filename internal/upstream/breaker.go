package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"
)

// The circuit breaker defaults: used for the BreakerConfig fields left zero.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerOpen     = 30 * time.Second
)

// BreakerConfig is how a backend's circuit breaker trips and recovers.
type BreakerConfig struct {
	// Failures is how many backend calls in a row must fail (a 5xx answer,
	// a timeout, a connection refused or dropped, the token endpoint
	// failing alike) for the breaker to open; a 4xx answer is a backend that
	// works and resets the run. Zero: DefaultBreakerFailures; negative: no
	// breaker.
	Failures int
	// Open is how long an open breaker answers every call at once with
	// KindCircuitOpen before it lets one probe call through (half-open): the
	// probe's success closes it, its failure opens it again. Zero:
	// DefaultBreakerOpen.
	Open time.Duration
	// OnStateChange, when set, is told every change of state ("closed",
	// "open", "half-open"), for metrics. It must not block.
	OnStateChange func(service, from, to string)
}

// Breaker is a backend's circuit breaker (sony/gobreaker): after a run of
// failed calls it answers every call at once, without reaching the backend,
// until a probe call shows the backend works again. A nil *Breaker lets
// every call through.
type Breaker struct {
	service string
	open    time.Duration
	cb      *gobreaker.TwoStepCircuitBreaker[struct{}]

	mu       sync.Mutex
	openedAt time.Time // when it last opened
}

// errCallerGone marks a call that ended because its caller did (cancelled,
// or past the caller's own deadline): it says nothing about the backend.
var errCallerGone = errors.New("caller gone")

// NewBreaker returns the breaker of service, or nil when cfg.Failures is
// negative. Changes of state are logged.
func NewBreaker(service string, cfg BreakerConfig, logger *slog.Logger) *Breaker {
	if cfg.Failures < 0 {
		return nil
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	failures := cfg.Failures
	if failures == 0 {
		failures = DefaultBreakerFailures
	}
	open := cfg.Open
	if open <= 0 {
		open = DefaultBreakerOpen
	}
	b := &Breaker{service: service, open: open}
	b.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        service,
		MaxRequests: 1, // one probe while half-open
		Timeout:     open,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(failures) },
		IsExcluded:  func(err error) bool { return errors.Is(err, errCallerGone) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				b.mu.Lock()
				b.openedAt = time.Now()
				b.mu.Unlock()
				logger.Warn(service+": circuit breaker open: calls are refused at once until a probe succeeds",
					"from", from.String(), "probe_in", open)
			} else {
				logger.Info(service+": circuit breaker "+to.String(), "from", from.String())
			}
			if cfg.OnStateChange != nil {
				cfg.OnStateChange(name, from.String(), to.String())
			}
		},
	})
	return b
}

// State is "closed", "open" or "half-open" ("closed" for a nil breaker).
func (b *Breaker) State() string {
	if b == nil {
		return gobreaker.StateClosed.String()
	}
	return b.cb.State().String()
}

// allow admits one call for op, or refuses it with a KindCircuitOpen error
// whose RetryAfter is when the breaker will let a probe through. The call's
// outcome is reported to done.
func (b *Breaker) allow(op string) (done func(outcome error), err error) {
	if b == nil {
		return func(error) {}, nil
	}
	done, err = b.cb.Allow()
	if err == nil {
		return done, nil
	}
	retryAfter := time.Second // half-open, its probe in flight
	if errors.Is(err, gobreaker.ErrOpenState) {
		b.mu.Lock()
		retryAfter = max(b.open-time.Since(b.openedAt), time.Second)
		b.mu.Unlock()
	}
	return nil, &Error{Service: b.service, Op: op, Kind: KindCircuitOpen, RetryAfter: retryAfter,
		Message: fmt.Sprintf("circuit breaker %s after repeated failures", b.cb.State())}
}

// outcome is what a finished call tells the breaker: nil for a backend that
// answered (a 2xx, 3xx or 4xx), errCallerGone when the caller ended first
// (parent is the caller's context), or the failure (a 5xx answer, a
// transport error or timeout, a failed token renewal of that kind).
func outcome(parent context.Context, resp *http.Response, err error) error {
	if parent.Err() != nil {
		return errCallerGone
	}
	if err != nil {
		if ue, ok := As(err); ok && ue.Status != 0 && ue.Status < 500 {
			return nil // the backend (its token endpoint) answered: it works
		}
		if ue, ok := As(err); ok && ue.Status == 0 && ue.Kind != KindUnavailable && ue.Kind != KindTimeout {
			return nil // refused before reaching the backend (an invalid id, a credential that cannot work)
		}
		return err
	}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
