package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
	"unsafe"

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

// newRequestID is a random (version 4) UUID, written into buf and returned
// as a string over it: no allocation (buf is the request's, written once).
func newRequestID(buf *[36]byte) string {
	var u uuid.UUID
	_, _ = rand.Read(u[:])  // crypto/rand.Read never fails
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	const hexDigits = "0123456789abcdef"
	j := 0
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf[j] = '-'
			j++
		}
		buf[j], buf[j+1] = hexDigits[b>>4], hexDigits[b&0x0f]
		j += 2
	}
	return unsafe.String(&buf[0], len(buf))
}

// requestID keeps the caller's X-Request-ID when it is acceptable, makes one
// otherwise, and echoes it on the response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The id goes in the request's reqstate.State (made here unless the
		// gateway made it with the answer deadline), whose room for the id
		// and the header's value saves those allocations too.
		st := reqstate.From(r.Context())
		if st == nil || st.RequestID != "" {
			var ctx context.Context
			ctx, st = reqstate.New(r.Context())
			r = r.WithContext(ctx)
		}
		// Headers are read and set by their canonical key: no key is
		// canonicalized (and allocated) per request.
		var id string
		if ids := r.Header["X-Request-Id"]; len(ids) == 1 && validRequestID(ids[0]) {
			id = ids[0]
		} else {
			id = newRequestID(&st.IDBytes)
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
// log; the request's reqstate.State has room for one.
type statusWriter = reqstate.Writer

// accessLog logs one line per request and counts it in metrics by its route
// pattern.
func accessLog(logger *slog.Logger, metrics Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			var ww *statusWriter
			if st := reqstate.From(r.Context()); st != nil && st.Writer.ResponseWriter == nil {
				ww = &st.Writer // the request's own: no allocation
				ww.ResponseWriter = w
			} else {
				ww = &statusWriter{ResponseWriter: w}
			}
			next.ServeHTTP(ww, r)
			status := ww.Status
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
				slog.Int("status", status), slog.Int("bytes", ww.Bytes),
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
