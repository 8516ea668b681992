package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/syncgate/syncgate/internal/auth"
)

// RateLimit is the per-caller request limit: Requests per Per, counted in
// the store over a fixed window that the caller's first request opens, so
// replicas sharing the store share the count. Zero Requests: no limit.
type RateLimit struct {
	Requests int
	Per      time.Duration
}

// rateLimit refuses a caller's requests over the limit with 429
// rate-limited and Retry-After (the time until the window closes); refused
// requests call no backend. Every answer carries the IETF httpapi
// RateLimit-Policy and RateLimit headers. The caller is the token's client
// id (azp, appid, client_id), else its subject, under its issuer. When the
// store cannot be reached the request is let through and the failure
// logged: a rate limit is no reason to stop reads, and starts fail closed
// on their own (their cooldown claim needs the store).
func (s *server) rateLimit(next http.Handler) http.Handler {
	limit := s.RateLimit
	if limit.Requests <= 0 || limit.Per <= 0 {
		return next
	}
	policy := fmt.Sprintf(`"caller";q=%d;w=%d`, limit.Requests, int(limit.Per/time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		begin := time.Now()
		n, reset, err := s.Store.Count(r.Context(), "ratelimit:"+digest(caller(r)), limit.Per)
		if err != nil {
			s.Logger.LogAttrs(r.Context(), slog.LevelWarn, "rate limit not applied: the store cannot be reached", slog.Any("error", err))
			s.Metrics.StoreError("ratelimit")
			next.ServeHTTP(w, r)
			return
		}
		secs := max(1, int((reset+time.Second-1)/time.Second))
		h := w.Header()
		h.Set("RateLimit-Policy", policy)
		h.Set("RateLimit", `"caller";r=`+strconv.Itoa(max(0, limit.Requests-n))+";t="+strconv.Itoa(secs))
		if n > limit.Requests {
			s.Metrics.RateLimited(chi.RouteContext(r.Context()).RoutePattern())
			p := newProblem(kindRateLimited, fmt.Sprintf("this caller may make %d requests per %s; retry after the time given", limit.Requests, limit.Per))
			p.setRetryAfter(time.Duration(secs) * time.Second)
			s.answeredEarly(r, begin, p)
			s.fail(w, r, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// caller names the caller a rate limit counts: the token's issuer and its
// client id, else its subject.
func caller(r *http.Request) string {
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		return ""
	}
	id := p.ClientID
	if id == "" {
		id = "sub:" + p.Subject
	}
	return p.Issuer + "\x00" + id
}
