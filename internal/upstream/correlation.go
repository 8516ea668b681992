package upstream

import "context"

type requestIDKey struct{}

// WithRequestID returns ctx carrying the gateway's request id, which adapters
// send upstream with every call they make for that request.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
