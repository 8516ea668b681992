// Package guard is syncgate's start policy, one mechanism for Veeam
// organizations and Graph jobs: read the target's state first, refuse a start
// that would hit a running or ineligible target, claim a cooldown atomically
// so concurrent identical requests make exactly one upstream start, and answer
// dry runs without starting or claiming anything.
package guard

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/syncgate/syncgate/internal/store"
	"github.com/syncgate/syncgate/internal/upstream"
)

// Reason says why a start was refused.
type Reason int

// The reasons a start is refused.
const (
	// Busy: the target is already running or queued (409).
	Busy Reason = iota + 1
	// Ineligible: the target cannot be started at all (422).
	Ineligible
	// Cooldown: the target was started too recently (429).
	Cooldown
)

func (r Reason) String() string {
	switch r {
	case Busy:
		return "busy"
	case Ineligible:
		return "ineligible"
	case Cooldown:
		return "cooldown"
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Refusal is the error a refused start returns.
type Refusal struct {
	Reason     Reason
	Status     string        // the target's current status, when known
	Detail     string        // why, in the user's terms
	RetryAfter time.Duration // for Cooldown: how long until a start is allowed
}

func (r *Refusal) Error() string { return "guard: start refused: " + r.Detail }

// State is what a precheck learned about the target.
type State struct {
	Status     string // the target's status, as the caller should see it
	Busy       bool   // already running or queued: refused unless forced
	Ineligible string // non-empty: why the target can never be started as it is
	// Done: the target is already as the action would leave it (a pause of
	// a Paused job), so nothing is sent upstream and nothing is claimed.
	Done bool
}

// Start describes one start attempt.
type Start struct {
	Key    string // the target, unique across kinds ("veeam/organization/<id>", "graph/job/<app>/<job>")
	Force  bool   // skip the busy check (never the cooldown, never eligibility)
	DryRun bool   // decide only: nothing is started, nothing claimed
	// NoCooldown: the action neither claims nor respects a cooldown (a
	// pause: stopping a job must never wait for a start's cooldown).
	NoCooldown bool
	Precheck   func(ctx context.Context) (State, error) // read the target's state upstream
	Run        func(ctx context.Context) error          // the upstream start
}

// Outcome is what happened, or for a dry run what would have.
type Outcome struct {
	Started        bool
	PreviousStatus string
	// Done is set when the target was already as the action would leave
	// it: nothing was (or would be) sent upstream.
	Done bool
	// Refusal is set on a dry run that would have been refused.
	Refusal *Refusal
}

// Policy applies the start rules. It is safe for concurrent use.
type Policy struct {
	store    store.Store
	cooldown time.Duration
}

// New returns a Policy claiming cooldowns in st. A cooldown of 0 disables it.
func New(st store.Store, cooldown time.Duration) *Policy {
	return &Policy{store: st, cooldown: cooldown}
}

// Cooldown is the configured cooldown.
func (p *Policy) Cooldown() time.Duration { return p.cooldown }

// Start runs the policy for s. A refused real start returns a *Refusal
// error; a refused dry run returns an Outcome carrying it and no error.
// Errors from Precheck and Run come back unchanged. When the store cannot be
// reached the error wraps store.ErrUnavailable and nothing is started: a
// start never runs without its cooldown claim.
func (p *Policy) Start(ctx context.Context, s Start) (Outcome, error) {
	out, err := p.decide(ctx, s)
	if err != nil {
		return out, err
	}
	if out.Refusal != nil {
		if s.DryRun {
			return out, nil
		}
		return out, out.Refusal
	}
	if s.DryRun || out.Done {
		return out, nil
	}
	if p.cooldown == 0 || s.NoCooldown {
		if err := s.Run(ctx); err != nil {
			return out, err
		}
		out.Started = true
		return out, nil
	}
	// The claim belongs to this start: its value is a token only this call
	// knows, so only this call releases or renews it.
	key, token := cooldownKey(s.Key), uuid.NewString()
	claimed, left, err := p.store.Claim(ctx, key, token, p.cooldown)
	if err != nil {
		return out, fmt.Errorf("guard: claim %s: %w", s.Key, err)
	}
	if !claimed {
		return out, cooldownRefusal(out.PreviousStatus, left)
	}
	// Fresh contexts: a cancelled request still releases or renews.
	bg := context.WithoutCancel(ctx)
	if err := s.Run(ctx); err != nil {
		if notActedOn(err) {
			// The backend shows it did nothing: let the caller try again
			// now. Compare-and-delete: a claim that expired during the run
			// and was taken by another start stays that start's.
			_, _ = p.store.Release(bg, key, token)
		}
		return out, err
	}
	out.Started = true
	// The cooldown runs from the upstream start, not from the claim: a
	// start that spent its retries must not let a second one in early.
	if renewed, err := p.store.Replace(bg, key, token, token, p.cooldown); err == nil && !renewed {
		// The claim ran out during the run; claim again unless another
		// start already holds it.
		_, _, _ = p.store.Claim(bg, key, token, p.cooldown)
	}
	return out, nil
}

// cooldownKey is the store key of a target's cooldown claim.
func cooldownKey(target string) string { return "cooldown:" + target }

// decide runs the checks that do not change anything: cooldown peek, then
// the upstream precheck.
func (p *Policy) decide(ctx context.Context, s Start) (Outcome, error) {
	var out Outcome
	if p.cooldown > 0 && !s.NoCooldown {
		_, left, found, err := p.store.Get(ctx, cooldownKey(s.Key))
		if err != nil {
			return out, fmt.Errorf("guard: cooldown %s: %w", s.Key, err)
		}
		if found {
			out.Refusal = cooldownRefusal("", left)
			if !s.DryRun {
				return out, nil
			}
			// A dry run is for seeing: it reads the target anyway, so it
			// says what the target is doing during the cooldown.
			st, err := s.Precheck(ctx)
			if err != nil {
				return out, err
			}
			out.PreviousStatus, out.Refusal.Status = st.Status, st.Status
			return out, nil
		}
	}
	st, err := s.Precheck(ctx)
	if err != nil {
		return out, err
	}
	out.PreviousStatus = st.Status
	switch {
	case st.Ineligible != "":
		out.Refusal = &Refusal{Reason: Ineligible, Status: st.Status, Detail: st.Ineligible}
	case st.Busy && !s.Force:
		out.Refusal = &Refusal{Reason: Busy, Status: st.Status,
			Detail: fmt.Sprintf("it is already %s; starting it again is refused (use force=true to override)", st.Status)}
	case st.Done:
		out.Done = true
	}
	return out, nil
}

func cooldownRefusal(status string, left time.Duration) *Refusal {
	secs := max(1, int((left+time.Second-1)/time.Second))
	return &Refusal{Reason: Cooldown, Status: status, RetryAfter: time.Duration(secs) * time.Second,
		Detail: fmt.Sprintf("it was started moments ago; try again in %d s", secs)}
}

// notActedOn reports whether an upstream start error shows the backend did
// not start anything: it answered with a refusal rather than failing midway,
// or the start was never sent (an open circuit breaker).
func notActedOn(err error) bool {
	ue, ok := upstream.As(err)
	if !ok {
		return false
	}
	switch ue.Kind {
	case upstream.KindNotFound, upstream.KindConflict, upstream.KindInvalid, upstream.KindAuth, upstream.KindThrottled,
		upstream.KindCircuitOpen:
		return true
	}
	return false
}
