package api

import (
	"net/http"

	"github.com/go-chi/cors"
)

// corsMaxAge is how long, in seconds, a browser may reuse a preflight's
// answer.
const corsMaxAge = 600

// corsHandler answers browser portals on the allowed origins (go-chi/cors):
// a preflight (OPTIONS with Access-Control-Request-Method) is answered 200
// before authentication, since browsers send it without credentials; every
// answer to an allowed origin says which headers the page may read. An
// origin that is not allowed gets no CORS header, so the browser keeps the
// answer from the page. origins is empty (no CORS at all), ["*"], or
// scheme://host[:port] origins.
func corsHandler(origins []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return cors.Handler(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost},
		// Prefer and If-None-Match let a portal wait for a sync's state to
		// change (GET .../sync with Prefer: wait=N); ETag and
		// Preference-Applied are what it reads back. traceparent and
		// tracestate carry a traced portal's W3C trace context into the
		// gateway's (a preflight refusing them would fail its every call).
		AllowedHeaders: []string{"Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID", "Prefer", "If-None-Match",
			"Traceparent", "Tracestate"},
		ExposedHeaders: []string{"X-Request-ID", "Location", "Retry-After", "Idempotent-Replayed", "RateLimit", "RateLimit-Policy",
			"ETag", "Preference-Applied"},
		// Bearer tokens are sent explicitly by the page; no cookie or HTTP
		// authentication is ever honoured, so credentials stay off.
		AllowCredentials: false,
		MaxAge:           corsMaxAge,
	})
}
