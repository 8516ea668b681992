// Package reqstate holds a request's own values — its request id and, once
// authenticated, its principal — in one context value set once per request:
// each middleware fills its field in place rather than copying the request
// with a context of its own (two allocations each).
package reqstate

import (
	"context"
	"net/http"
)

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
	// IDBytes is room for a request id the gateway makes (a UUID's 36
	// characters), written once before RequestID is made to hold it.
	IDBytes [36]byte
	// Writer is room for the access log's ResponseWriter.
	Writer Writer
}

// Writer records the status and the size of an answer for the access log;
// http.ResponseController reaches the writer beneath through Unwrap.
type Writer struct {
	http.ResponseWriter
	Status, Bytes int
}

// WriteHeader implements http.ResponseWriter.
func (w *Writer) WriteHeader(status int) {
	if w.Status == 0 && status >= 200 {
		w.Status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write implements http.ResponseWriter.
func (w *Writer) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.Bytes += n
	return n, err
}

// Flush sends what is buffered, when the writer beneath can.
func (w *Writer) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap is the writer beneath.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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
