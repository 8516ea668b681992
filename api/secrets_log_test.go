package api_test

import (
	"strings"
	"testing"

	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// TestBackendTextRedactedInLogs: a backend's error text that echoes a
// password or a bearer token is logged without them.
func TestBackendTextRedactedInLogs(t *testing.T) {
	e := newEnv(t)
	e.veeam.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Status: 500, Code: "InternalError",
		Message: "proxy login failed: password=Q-S3CRET-1 with Authorization Bearer Q-S3CRET-2 at https://vb365.test/v8/token?client_secret=Q-S3CRET-3"})
	resp := e.get("/organizations")
	if resp.status < 500 {
		t.Fatalf("status %d, want a 5xx", resp.status)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "proxy login failed") {
		t.Fatalf("the backend's message is not logged:\n%s", logs)
	}
	if strings.Contains(logs, "Q-S3CRET") {
		t.Errorf("a credential from the backend's text reached the log:\n%s", logs)
	}
	if strings.Contains(string(resp.body), "Q-S3CRET") {
		t.Errorf("a credential from the backend's text reached the caller: %s", resp.body)
	}
}
