package upstream

import (
	"context"
	"net/http"
	"sync"

	"github.com/syncgate/syncgate/internal/reqstate"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the gateway's request id, which adapters
// send upstream with every call they make for that request.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id ctx carries — in its reqstate.State, or from
// WithRequestID — or "".
func RequestID(ctx context.Context) string {
	if st := reqstate.From(ctx); st != nil && st.RequestID != "" {
		return st.RequestID
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestIDHeader is a header value holding just the request's id, made once
// per request (reqstate.State.IDHeader), for a call to send as it is; nil
// when ctx has none. It is shared: set it whole, never edit it.
func RequestIDHeader(ctx context.Context) []string {
	if st := reqstate.From(ctx); st != nil && st.IDHeader[0] != "" {
		return st.IDHeader[:]
	}
	return nil
}

type answerKey struct{}

// Answer is what a backend last answered a call made with a context from
// WithAnswer: the start path reads the status and request id of the start
// call, for the audit record, whatever the adapter's result carries.
type Answer struct {
	mu        sync.Mutex
	status    int
	requestID string
}

// WithAnswer returns ctx, whose calls note their answer in the returned
// Answer.
func WithAnswer(ctx context.Context) (context.Context, *Answer) {
	a := &Answer{}
	return context.WithValue(ctx, answerKey{}, a), a
}

// NoteAnswer notes resp in the Answer its request's context carries, if any:
// its status and, when requestIDHeader is not "", that header.
func NoteAnswer(resp *http.Response, requestIDHeader string) {
	if resp == nil || resp.Request == nil {
		return
	}
	a, ok := resp.Request.Context().Value(answerKey{}).(*Answer)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.status = resp.StatusCode
	if requestIDHeader != "" {
		a.requestID = resp.Header.Get(requestIDHeader)
	}
}

// Status is the last answer's HTTP status; 0 when no answer came back.
func (a *Answer) Status() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

// RequestID is the last answer's request id, if the backend sent one.
func (a *Answer) RequestID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requestID
}
