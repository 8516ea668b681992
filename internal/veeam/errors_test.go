package veeam

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/upstream"
)

func TestErrorMapping(t *testing.T) {
	exception := func(code string) string {
		c := "null"
		if code != "" {
			c = `"` + code + `"`
		}
		return `{"message":"backend says no","errorCode":` + c + `,"stackTrace":"   at Veeam.Archiver.REST.SECRET_STACK_FRAME()"}`
	}
	tests := []struct {
		name           string
		start          bool // StartSync instead of Organization
		status         int
		retryAfter     string
		contentType    string
		body           string
		wantKind       upstream.Kind
		wantCode       string
		wantRetryAfter time.Duration
	}{
		// errorCode first
		{"ResourceNotFound", false, 404, "", "", exception("ResourceNotFound"), upstream.KindNotFound, "ResourceNotFound", 0},
		{"OperationConflict", true, 409, "", "", exception("OperationConflict"), upstream.KindConflict, "OperationConflict", 0},
		{"OperationConflict on a 500", true, 500, "", "", exception("OperationConflict"), upstream.KindConflict, "OperationConflict", 0},
		{"ParameterValidationFailure", true, 400, "", "", exception("ParameterValidationFailure"), upstream.KindInvalid, "ParameterValidationFailure", 0},
		{"ResourceAccessDenied", false, 403, "", "", exception("ResourceAccessDenied"), upstream.KindAuth, "ResourceAccessDenied", 0},
		{"ResourceAccessDenied on a 500", false, 500, "", "", exception("ResourceAccessDenied"), upstream.KindAuth, "ResourceAccessDenied", 0},
		{"Timeout", false, 500, "", "", exception("Timeout"), upstream.KindTimeout, "Timeout", 0},
		{"ProxyOffline", true, 500, "", "", exception("ProxyOffline"), upstream.KindUnavailable, "ProxyOffline", 0},
		{"OrganizationTransfer", true, 500, "", "", exception("OrganizationTransfer"), upstream.KindInternal, "OrganizationTransfer", 0},
		{"HttpError", false, 500, "", "", exception("HttpError"), upstream.KindInternal, "HttpError", 0},
		// a "come back later" status decides; the code only refines it
		{"503 with Retry-After and a Timeout code", true, 503, "30", "", exception("Timeout"), upstream.KindThrottled, "Timeout", 30 * time.Second},
		{"429 with a ResourceAccessDenied code", false, 429, "5", "", exception("ResourceAccessDenied"), upstream.KindThrottled, "ResourceAccessDenied", 5 * time.Second},
		{"503 with Retry-After and ProxyOffline", false, 503, "10", "", exception("ProxyOffline"), upstream.KindUnavailable, "ProxyOffline", 10 * time.Second},
		{"503 without Retry-After and a Timeout code", false, 503, "", "", exception("Timeout"), upstream.KindUnavailable, "Timeout", 0},
		// then the status
		{"400", true, 400, "", "", exception(""), upstream.KindInvalid, "", 0},
		{"403", false, 403, "", "", exception(""), upstream.KindAuth, "", 0},
		{"404", false, 404, "", "", exception(""), upstream.KindNotFound, "", 0},
		{"409", true, 409, "", "", exception(""), upstream.KindConflict, "", 0},
		{"429 with Retry-After", false, 429, "30", "", exception(""), upstream.KindThrottled, "", 30 * time.Second},
		{"429 without Retry-After", true, 429, "", "", exception(""), upstream.KindThrottled, "", 0},
		{"503 with Retry-After", true, 503, "10", "", exception(""), upstream.KindThrottled, "", 10 * time.Second},
		{"503 without Retry-After", false, 503, "", "", exception(""), upstream.KindUnavailable, "", 0},
		{"504", false, 504, "", "", exception(""), upstream.KindTimeout, "", 0},
		{"500", false, 500, "", "", exception(""), upstream.KindInternal, "", 0},
		{"502", true, 502, "", "", exception(""), upstream.KindInternal, "", 0},
		{"501", false, 501, "", "", exception(""), upstream.KindInternal, "", 0},
		// bodies
		{"404 that is not Veeam's", false, 404, "", "text/html", "<html><body>Not Found</body></html>", upstream.KindBadResponse, "", 0},
		{"500 that is not JSON", false, 500, "", "text/html", "<html>Server Error in '/' Application. SECRET_STACK_FRAME</html>", upstream.KindBadResponse, "", 0},
		{"JSON that is not an object", true, 400, "", "", `"bad"`, upstream.KindBadResponse, "", 0},
		{"proxy's 503 page with Retry-After", false, 503, "20", "text/html", "<html>maintenance</html>", upstream.KindThrottled, "", 20 * time.Second},
		{"proxy's 502 page", false, 502, "", "text/html", "<html>bad gateway</html>", upstream.KindInternal, "", 0},
		{"404 with no body", false, 404, "", "", "", upstream.KindNotFound, "", 0},
		{"unexpected 3xx", false, 304, "", "", "", upstream.KindInternal, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			h := newHarness(t, fake, nil)
			var err error
			if tt.start {
				err = h.c.StartSync(context.Background(), orgID, SyncRequest{})
			} else {
				_, err = h.c.Organization(context.Background(), orgID)
			}
			ue := wantKind(t, err, tt.wantKind)
			if ue.Status != tt.status || ue.Code != tt.wantCode || ue.RetryAfter != tt.wantRetryAfter {
				t.Errorf("Status, Code, RetryAfter = %d, %q, %v; want %d, %q, %v", ue.Status, ue.Code, ue.RetryAfter, tt.status, tt.wantCode, tt.wantRetryAfter)
			}
			if strings.HasPrefix(tt.body, "{") && ue.Message != "backend says no" {
				t.Errorf("Message = %q, want the backend's message", ue.Message)
			}
			if strings.Contains(err.Error(), "SECRET_STACK_FRAME") {
				t.Errorf("error carries the stack trace: %v", err)
			}
		})
	}
}

func TestSuccessBodiesThatDoNotParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		call func(c *Client) error
	}{
		{"organization that is not JSON", `<html>login</html>`, func(c *Client) error { _, err := c.Organization(context.Background(), orgID); return err }},
		{"organization with a wrong type", `{"id":5}`, func(c *Client) error { _, err := c.Organization(context.Background(), orgID); return err }},
		{"page that is neither object nor array", `"results"`, func(c *Client) error { _, err := c.Organizations(context.Background(), 0, 0); return err }},
		{"sync state with an unreadable date", `{"organizationId":"x","lastSyncState":{"type":"Full","result":"Success","startTime":"yesterday"}}`,
			func(c *Client) error { _, err := c.SyncState(context.Background(), orgID); return err }},
		{"sync states that are truncated", `[{"organizationId":`, func(c *Client) error { _, err := c.SyncStates(context.Background()); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tt.body))
			})
			h := newHarness(t, fake, nil)
			ue := wantKind(t, tt.call(h.c), upstream.KindBadResponse)
			if ue.Status != http.StatusOK {
				t.Errorf("Status = %d, want 200", ue.Status)
			}
		})
	}
}
