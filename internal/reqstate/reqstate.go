// Package reqstate holds a request's own values — its request id and, once
// authenticated, its principal — in one context value set once per request:
// each middleware fills its field in place rather than copying the request
// with a context of its own (two allocations each).
package reqstate

import "context"

// State is one request's values. It is filled in order by the middleware
// chain, before the handler runs, and only read after that.
type State struct {
	// RequestID is the request's id; "" until the requestID middleware sets
	// it.
	RequestID string
	// Principal is the authenticated caller (an *auth.Principal; any keeps
	// this package below auth); nil until authenticated.
	Principal any
	// IDHeader is room for the X-Request-Id answer header's value, so that
	// setting it takes no allocation of its own.
	IDHeader [1]string
}

type key struct{}

// stateCtx is ctx with a State: one allocation for both.
type stateCtx struct {
	context.Context
	st State
}

// Value implements context.Context.
func (c *stateCtx) Value(k any) any {
	if k == (key{}) {
		return &c.st
	}
	return c.Context.Value(k)
}

// New returns ctx carrying a new, empty State, and the State.
func New(ctx context.Context) (context.Context, *State) {
	c := &stateCtx{Context: ctx}
	return c, &c.st
}

// From returns the State ctx carries, or nil.
func From(ctx context.Context) *State {
	st, _ := ctx.Value(key{}).(*State)
	return st
}
