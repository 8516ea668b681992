package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestUnknownQueryBounded: 4,000 unknown query parameters get a short 400
// naming a few and counting the rest (they used to be echoed twice, 240 KB).
func TestUnknownQueryBounded(t *testing.T) {
	e := newEnv(t)
	var q []string
	for i := range 4000 {
		q = append(q, fmt.Sprintf("p%04d=1", i))
	}
	q = append(q, strings.Repeat("x", 3000)+"=1")
	resp := e.get("/organizations?" + strings.Join(q, "&"))
	wantProblem(t, resp, http.StatusBadRequest, "urn:syncgate:problem:validation")
	if len(resp.body) > 4096 {
		t.Errorf("answer is %d bytes, want at most 4 KB", len(resp.body))
	}
	var p struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	if err := json.Unmarshal(resp.body, &p); err != nil {
		t.Fatal(err)
	}
	if n := len(p.Errors); n > 6 || n == 0 {
		t.Fatalf("%d field errors, want a few: %s", n, resp.body)
	}
	if !strings.Contains(string(resp.body), "3996 more unknown query parameters") {
		t.Errorf("the rest are not counted: %s", resp.body)
	}
}
