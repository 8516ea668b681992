package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/syncgate/syncgate/internal/config"
	"github.com/syncgate/syncgate/internal/reqstate"
)

// answerBefore gives every request a context that ends config.AnswerMargin
// before the server's write timeout: a backend that sends nothing, or
// trickles its body, is cut off in time for the caller to get a 504 rather
// than a connection closed without an answer.
func answerBefore(h http.Handler, writeTimeout time.Duration) http.Handler {
	if writeTimeout <= 0 {
		return h
	}
	budget := writeTimeout - config.AnswerMargin
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), budget)
		defer cancel()
		// The request's reqstate.State comes with this one copy of the
		// request: the api's middleware fill it in place.
		ctx, _ = reqstate.New(ctx)
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
