package graph

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/syncgate/syncgate/internal/upstream"
)

func TestErrorMapping(t *testing.T) {
	const (
		innerID = "8f5a1c2e-1b3d-4e5f-9a6b-7c8d9e0f1a2b" // request-id in errors/not_found.json
		lowerID = "4b7e2d1a-9c3f-4a5e-8b6d-1f2e3d4c5b6a" // request-id in errors/job_not_found.json (innererror)
	)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		file       string // under testdata/errors; "" for no body
		noHeaderID bool   // Graph sent no request-id header
		want       upstream.Error
	}{
		{"404 Request_ResourceNotFound", 404, "", "not_found.json", false,
			upstream.Error{Kind: upstream.KindNotFound, Status: 404, Code: "Request_ResourceNotFound", RequestID: graphReqID}},
		{"request id from innerError without the header", 404, "", "not_found.json", true,
			upstream.Error{Kind: upstream.KindNotFound, Status: 404, Code: "Request_ResourceNotFound", RequestID: innerID}},
		{"request id from innererror (lower case) without the header", 404, "", "job_not_found.json", true,
			upstream.Error{Kind: upstream.KindNotFound, Status: 404, Code: "ResourceNotFound", RequestID: lowerID}},
		{"ResourceNotFound code wins over a 400", 400, "", "job_not_found.json", false,
			upstream.Error{Kind: upstream.KindNotFound, Status: 400, Code: "ResourceNotFound", RequestID: graphReqID}},
		{"404 without a body", 404, "", "", false,
			upstream.Error{Kind: upstream.KindNotFound, Status: 404, RequestID: graphReqID}},
		{"403 Authorization_RequestDenied", 403, "", "authorization.json", false,
			upstream.Error{Kind: upstream.KindAuth, Status: 403, Code: "Authorization_RequestDenied", RequestID: graphReqID}},
		{"Authorization_ code wins over a 400", 400, "", "authorization.json", false,
			upstream.Error{Kind: upstream.KindAuth, Status: 400, Code: "Authorization_RequestDenied", RequestID: graphReqID}},
		{"400", 400, "", "bad_request.json", false,
			upstream.Error{Kind: upstream.KindInvalid, Status: 400, Code: "BadRequest", RequestID: graphReqID}},
		{"409", 409, "", "conflict.json", false,
			upstream.Error{Kind: upstream.KindConflict, Status: 409, Code: "Conflict", RequestID: graphReqID}},
		{"429 with Retry-After", 429, "120", "throttled.json", false,
			upstream.Error{Kind: upstream.KindThrottled, Status: 429, Code: "TooManyRequests", RequestID: graphReqID, RetryAfter: 120 * time.Second}},
		{"429 without Retry-After", 429, "", "throttled.json", false,
			upstream.Error{Kind: upstream.KindThrottled, Status: 429, Code: "TooManyRequests", RequestID: graphReqID}},
		{"503 with Retry-After", 503, "30", "unavailable.json", false,
			upstream.Error{Kind: upstream.KindThrottled, Status: 503, Code: "serviceNotAvailable", RequestID: graphReqID, RetryAfter: 30 * time.Second}},
		{"503 without Retry-After", 503, "", "unavailable.json", false,
			upstream.Error{Kind: upstream.KindUnavailable, Status: 503, Code: "serviceNotAvailable", RequestID: graphReqID}},
		{"504", 504, "", "timeout.json", false,
			upstream.Error{Kind: upstream.KindTimeout, Status: 504, Code: "UnknownError", RequestID: graphReqID}},
		{"500", 500, "", "internal.json", false,
			upstream.Error{Kind: upstream.KindInternal, Status: 500, Code: "InternalServerError", RequestID: graphReqID}},
		{"502 from a proxy, HTML", 502, "", "html.html", false,
			upstream.Error{Kind: upstream.KindInternal, Status: 502, RequestID: graphReqID}},
		{"503 from a proxy, HTML", 503, "", "html.html", false,
			upstream.Error{Kind: upstream.KindUnavailable, Status: 503, RequestID: graphReqID}},
		{"400 that is not a Graph error", 400, "", "html.html", false,
			upstream.Error{Kind: upstream.KindBadResponse, Status: 400, RequestID: graphReqID}},
		{"403 without a body", 403, "", "", false,
			upstream.Error{Kind: upstream.KindAuth, Status: 403, RequestID: graphReqID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if tt.noHeaderID {
					w.Header().Del("request-id")
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.file == "" {
					w.WriteHeader(tt.status)
					return
				}
				writeFile(t, w, tt.status, "errors/"+tt.file)
			}, func(c *Config) { c.Retry.MaxAttempts = 1 })
			_, err := s.client.Job(context.Background(), appObjectID, jobID)
			ue := wantKind(t, err, tt.want.Kind)
			got := upstream.Error{Kind: ue.Kind, Status: ue.Status, Code: ue.Code, RequestID: ue.RequestID, RetryAfter: ue.RetryAfter}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if ue.Op != "get job" {
				t.Errorf("Op = %q, want get job", ue.Op)
			}
			if tt.file != "" && ue.Message == "" {
				t.Error("Message is empty: the backend's text is kept for logs")
			}
		})
	}
}

func TestBadSuccessBodies(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not JSON", "<html></html>"},
		{"job without id", `{"templateId":"scim"}`},
		{"bad timestamp", `{"id":"j","schedule":{"expiration":"yesterday"}}`},
		{"wrong type", `{"id":"j","status":{"countSuccessiveCompleteFailures":"three"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
				writeJSON(w, http.StatusOK, tt.body)
			}, nil)
			_, err := s.client.Job(context.Background(), appObjectID, jobID)
			ue := wantKind(t, err, upstream.KindBadResponse)
			if ue.RequestID != graphReqID {
				t.Errorf("RequestID = %q, want %q", ue.RequestID, graphReqID)
			}
		})
	}
}
