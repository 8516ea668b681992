package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateExamples = flag.Bool("update", false, "rewrite testdata/examples.json from the answers TestEveryDocumentedAnswer produces (then run `make docs`)")

// examplesPath holds the example answers openapi.yaml shows (`make docs`
// puts each in its operation's response): real answers of the gateway,
// captured by TestEveryDocumentedAnswer, which fails when they go stale.
const examplesPath = "testdata/examples.json"

// exampleRequestID is the X-Request-ID of every request that makes an example.
const exampleRequestID = "0d5e3a4c-7f1b-4a0e-9c2d-6b8f1e2a3b4c"

// randomGUIDs are the ids a simulator makes up per answer (Graph's
// request-id): an example shows a fixed one.
var randomGUIDs = regexp.MustCompile(`"upstreamRequestId":"[0-9a-f-]{36}"`)

// examplesFile is the JSON answers by "METHOD /path" and status.
type examplesFile map[string]map[string]json.RawMessage

// add records a JSON answer as the example of an operation's status.
func (f examplesFile) add(t *testing.T, op, status string, resp *http.Response) {
	t.Helper()
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt != "application/json" && mt != "application/problem+json" {
		return
	}
	data, _ := io.ReadAll(resp.Body)
	data = randomGUIDs.ReplaceAll(data, []byte(`"upstreamRequestId":"7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"`))
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		t.Errorf("%s %s: the answer is not JSON: %v", op, status, err)
		return
	}
	if f[op] == nil {
		f[op] = map[string]json.RawMessage{}
	}
	f[op][status] = buf.Bytes()
}

// compare fails when testdata/examples.json is not what the gateway
// answered; -update rewrites it.
func (f examplesFile) compare(t *testing.T) {
	t.Helper()
	got, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *updateExamples {
		if err := os.WriteFile(examplesPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(examplesPath)
	if err != nil {
		t.Fatalf("%v: run go test ./api -run TestEveryDocumentedAnswer -update, then make docs", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s is stale: the gateway answers otherwise; run go test ./api -run TestEveryDocumentedAnswer -update, then make docs (-committed +answered):\n%s", examplesPath, diff)
	}
}
