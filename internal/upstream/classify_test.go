package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
)

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTransportError(t *testing.T) {
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "https://veeam.test/v8/token", Err: err} }
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"deadline exceeded", urlErr(context.DeadlineExceeded), KindTimeout},
		{"network timeout", urlErr(&net.OpError{Op: "read", Err: timeoutErr{}}), KindTimeout},
		{"caller cancelled", urlErr(context.Canceled), KindUnavailable},
		{"connection refused", urlErr(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), KindUnavailable},
		{"connection reset", urlErr(&net.OpError{Op: "read", Err: syscall.ECONNRESET}), KindUnavailable},
		{"EOF", urlErr(io.EOF), KindUnavailable},
		{"DNS", urlErr(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "veeam.test", IsNotFound: true}}), KindUnavailable},
		{"wrapped deadline", fmt.Errorf("token: %w", urlErr(context.DeadlineExceeded)), KindTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := TransportError("graph", "start job", tt.err)
			if e.Kind != tt.want {
				t.Errorf("Kind = %v, want %v", e.Kind, tt.want)
			}
			if e.Service != "graph" || e.Op != "start job" || e.Status != 0 {
				t.Errorf("Service, Op, Status = %q, %q, %d", e.Service, e.Op, e.Status)
			}
			if !errors.Is(e, tt.err) {
				t.Error("the transport error is not kept")
			}
		})
	}
	if !errors.Is(TransportError("veeam", "get", urlErr(context.Canceled)), context.Canceled) {
		t.Error("a cancelled caller cannot be told apart")
	}
}

func TestKindForStatus(t *testing.T) {
	tests := []struct {
		status     int
		retryAfter bool
		want       Kind
	}{
		{http.StatusBadRequest, false, KindInvalid},
		{http.StatusUnauthorized, false, KindAuth},
		{http.StatusForbidden, false, KindAuth},
		{http.StatusNotFound, false, KindNotFound},
		{http.StatusConflict, false, KindConflict},
		{http.StatusTooManyRequests, false, KindThrottled},
		{http.StatusTooManyRequests, true, KindThrottled},
		{http.StatusServiceUnavailable, true, KindThrottled},
		{http.StatusServiceUnavailable, false, KindUnavailable},
		{http.StatusGatewayTimeout, false, KindTimeout},
		{http.StatusInternalServerError, false, KindInternal},
		{http.StatusBadGateway, true, KindInternal},
		{http.StatusTeapot, false, KindInternal},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d retry-after %v", tt.status, tt.retryAfter), func(t *testing.T) {
			if got := KindForStatus(tt.status, tt.retryAfter); got != tt.want {
				t.Errorf("KindForStatus(%d, %v) = %v, want %v", tt.status, tt.retryAfter, got, tt.want)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	ctx := context.Background()
	if got := RequestID(ctx); got != "" {
		t.Errorf("RequestID of a bare context = %q, want empty", got)
	}
	if got := RequestID(WithRequestID(ctx, "req-1")); got != "req-1" {
		t.Errorf("RequestID = %q, want req-1", got)
	}
}
