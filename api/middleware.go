package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/syncgate/syncgate/internal/reqstate"
	"github.com/syncgate/syncgate/internal/telemetry"
	"github.com/syncgate/syncgate/internal/upstream"
)

// requestIDFrom returns the request id the requestID middleware assigned.
// It lives in the context where the adapters find it to send upstream.
func requestIDFrom(ctx context.Context) string { return upstream.RequestID(ctx) }

// validRequestID reports whether a caller's X-Request-ID can be kept: 1 to
// 128 printable ASCII characters.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		if id[i] < 0x20 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// newRequestID is a random (version 4) UUID, made in one allocation (the
// uuid package's NewString takes two).
func newRequestID() string {
	var u uuid.UUID
	_, _ = rand.Read(u[:])  // crypto/rand.Read never fails
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u.String()
}

// requestID keeps the caller's X-Request-ID when it is acceptable, makes one
// otherwise, and echoes it on the response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Headers are read and set by their canonical key: no key is
		// canonicalized (and allocated) per request.
		var id string
		if ids := r.Header["X-Request-Id"]; len(ids) == 1 && validRequestID(ids[0]) {
			id = ids[0]
		} else {
			id = newRequestID()
		}
		// The id goes in the request's reqstate.State (made here unless the
		// gateway made it with the answer deadline), whose room for the
		// header's value saves that allocation too.
		st := reqstate.From(r.Context())
		if st == nil {
			var ctx context.Context
			ctx, st = reqstate.New(r.Context())
			r = r.WithContext(ctx)
		}
		st.RequestID = id
		st.IDHeader[0] = id
		w.Header()["X-Request-Id"] = st.IDHeader[:]
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a logged 500 problem, answered by fail.
func recoverer(logger *slog.Logger, fail func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				rec := recover()
				if rec == nil {
					return
				}
				if rec == http.ErrAbortHandler {
					panic(rec)
				}
				logger.ErrorContext(r.Context(), "panic serving request", "panic", rec, "stack", string(debug.Stack()))
				fail(w, r, newProblem(kindInternal, internalDetail))
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// statusWriter records the status and the size of an answer for the access
// log (one allocation; http.ResponseController reaches the writer beneath
// through Unwrap).
type statusWriter struct {
	http.ResponseWriter
	status, bytes int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 && status >= 200 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Flush sends what is buffered, when the writer beneath can.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs one line per request and counts it in metrics by its route
// pattern.
func accessLog(logger *slog.Logger, metrics Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(ww, r)
			status := ww.status
			if status == 0 {
				status = http.StatusOK
			}
			elapsed := time.Since(start)
			route := ""
			if rc := chi.RouteContext(r.Context()); rc != nil {
				route = rc.RoutePattern()
			}
			metrics.ObserveRequest(route, r.Method, status, elapsed)
			telemetry.NameSpan(r.Context(), r.Method, route)
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			telemetry.LogAttrs(r.Context(), logger, level, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()),
				slog.Int("status", status), slog.Int("bytes", ww.bytes),
				slog.Duration("duration", elapsed), slog.String("remote", r.RemoteAddr))
		})
	}
}

// limitBody caps every request body at maxBodyBytes; a declared length over
// it is refused, by fail, before the body is read.
func limitBody(fail func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > maxBodyBytes {
				fail(w, r, newProblem(kindBodyTooLarge, fmt.Sprintf("the body must not exceed %d bytes", maxBodyBytes)))
				return
			}
			if r.Body != http.NoBody { // a request without a body needs no cap
				r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Header values every answer carries, shared by all answers (set whole,
// never appended to or edited in place): no allocation per request.
var (
	headerNosniff    = []string{"nosniff"}
	headerDeny       = []string{"DENY"}
	headerNoReferrer = []string{"no-referrer"}
	headerJSON       = []string{"application/json"}
	headerProblem    = []string{"application/problem+json"}
	headerNoStore    = []string{"no-store"}
)

// securityHeaders sets headers every API answer should carry.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["X-Content-Type-Options"] = headerNosniff
		h["X-Frame-Options"] = headerDeny
		h["Referrer-Policy"] = headerNoReferrer
		next.ServeHTTP(w, r)
	})
}
