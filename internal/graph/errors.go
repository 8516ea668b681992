package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/syncgate/syncgate/internal/upstream"
)

// errorBody is Graph's error shape. encoding/json matches keys without
// regard to case, so "innerError" (what Graph sends) and "innererror" (what
// its documentation shows) both land in InnerError.
type errorBody struct {
	Error *struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

// responseError classifies a non-2xx answer: by error.code when it names a
// known one, else by status. A non-empty body that is not Graph's error shape
// is KindBadResponse, except on 429, 502, 503 and 504, which gateways and load
// balancers in front of Graph send with bodies of their own.
func (c *Client) responseError(op string, resp *http.Response) *upstream.Error {
	e, body := upstream.ResponseError(service, op, resp, c.now())
	e.RequestID = resp.Header.Get("request-id")
	if len(body) == 0 {
		return e
	}
	var info errorBody
	if err := json.Unmarshal(body, &info); err != nil || info.Error == nil {
		e.ForeignBody(resp, "a Graph error", len(body))
		return e
	}
	e.Code = info.Error.Code
	e.SetMessage(info.Error.Message)
	if e.RequestID == "" {
		e.RequestID = info.Error.InnerError.RequestID
	}
	if kind, ok := codeKind(e.Code); ok {
		e.Refine(kind)
	}
	return e
}

// codeKind maps the Graph error codes syncgate tells apart to a kind; other
// codes fall back to the status.
func codeKind(code string) (upstream.Kind, bool) {
	lower := strings.ToLower(code)
	switch {
	case lower == "request_resourcenotfound", lower == "resourcenotfound", lower == "itemnotfound":
		return upstream.KindNotFound, true
	case strings.HasPrefix(lower, "authorization_"), lower == "accessdenied":
		return upstream.KindAuth, true
	}
	return 0, false
}

// credentialError classifies a failure to get a token. The login host
// refusing the gateway's credentials is KindAuth; its throttling is
// KindThrottled; its 5xx, and no answer at all, are KindUnavailable; a
// deadline is KindTimeout. azidentity reports every failure, transport ones
// included, as an AuthenticationFailedError: one without a response means the
// login host did not answer.
func credentialError(op string, err error, now time.Time) *upstream.Error {
	var (
		failed *azidentity.AuthenticationFailedError
		ne     net.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.As(err, &ne):
		return upstream.TransportError(service, op, err)
	case !errors.As(err, &failed):
		// A credential that cannot work here (no managed identity endpoint,
		// no federated token file): only an operator can fix it.
		return &upstream.Error{Service: service, Op: op, Kind: upstream.KindAuth, Err: err}
	case failed.RawResponse == nil:
		return &upstream.Error{Service: service, Op: op, Kind: upstream.KindUnavailable, Message: "no answer from the login host", Err: err}
	}
	resp := failed.RawResponse
	e := &upstream.Error{Service: service, Op: op, Status: resp.StatusCode, RequestID: resp.Header.Get("x-ms-request-id"), Err: err}
	retryAfter, hasRetryAfter := upstream.ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind, e.RetryAfter = upstream.KindThrottled, retryAfter
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode >= 500:
		e.Kind = upstream.KindUnavailable
		if hasRetryAfter {
			e.RetryAfter = retryAfter
		}
	default:
		e.Kind = upstream.KindAuth
	}
	// The OAuth error body names no secret: {"error","error_description",
	// "error_codes","trace_id","correlation_id"}.
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		TraceID     string `json:"trace_id"`
	}
	if body, err := runtime.Payload(resp); err == nil && json.Unmarshal(body, &oauth) == nil {
		e.Code = oauth.Error
		e.SetMessage(oauth.Description)
		if e.RequestID == "" {
			e.RequestID = oauth.TraceID
		}
	}
	return e
}
