package api_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// slowSend sends method path to e's gateway handler served with a 300 ms
// read timeout, with a body that sends "{" and then nothing for 5 s: the
// gateway answers 408 once the read deadline passes.
func slowSend(t *testing.T, e *env, client func(http.RoundTripper) *http.Client, method, path, token string) *http.Response {
	t.Helper()
	srv := httptest.NewUnstartedServer(e.gw.Config.Handler)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte("{"))
		time.Sleep(5 * time.Second)
		pw.Close()
	}()
	t.Cleanup(func() { pw.Close() })
	req, err := http.NewRequest(method, srv.URL+path, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", exampleRequestID) // the answer is openapi.yaml's example
	resp, err := client(srv.Client().Transport).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp
}

// TestSlowBodyAnswered408: through the real handler and a server read
// timeout, a body that stops arriving gets 408 request-timeout.
func TestSlowBodyAnswered408(t *testing.T) {
	e := newEnv(t)
	resp := slowSend(t, e, func(rt http.RoundTripper) *http.Client { return &http.Client{Transport: rt} }, "POST", "/organizations/sync", e.token)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q", ct)
	}
}
