package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// TestWaitFitsWriteTimeout: a Prefer: wait longer than the write timeout
// allows is cut so that the answer (200, the state unchanged) still comes
// before the connection is closed, and Preference-Applied says by how much;
// a wait ends at once, answered, when the gateway begins to shut down.
func TestWaitFitsWriteTimeout(t *testing.T) {
	g := startGateway(t, map[string]string{"SYNCGATE_HTTP_WRITE_TIMEOUT": "5s", "SYNCGATE_VEEAM_TIMEOUT": "2s"})
	get := func(h map[string]string) (*http.Response, time.Duration) {
		t.Helper()
		req, _ := http.NewRequest("GET", g.base+"/organizations/"+veeamsim.WoodgroveID+"/sync", nil)
		req.Header.Set("Authorization", "Bearer "+g.token)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		begin := time.Now()
		resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		resp.Body.Close()
		return resp, time.Since(begin)
	}
	first, _ := get(nil)
	etag := first.Header.Get("ETag")
	resp, took := get(map[string]string{"If-None-Match": etag, "Prefer": "wait=60"})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != etag {
		t.Fatalf("wait=60 under a 5s write timeout: %d, ETag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	if got := resp.Header.Get("Preference-Applied"); got != "wait=3" {
		t.Errorf("Preference-Applied %q; want wait=3 (5s write timeout, less 1s for the backend cut-off and 1s to answer)", got)
	}
	if took > 5*time.Second {
		t.Errorf("answered after %s, past the write timeout", took)
	}

	time.AfterFunc(time.Second, g.cancel)
	resp, took = get(map[string]string{"If-None-Match": etag, "Prefer": "wait=60"})
	if resp.StatusCode != http.StatusOK || took > 2500*time.Millisecond {
		t.Fatalf("wait during shutdown: %d after %s; want 200 soon after shutdown began (1s)", resp.StatusCode, took)
	}
	<-g.done
	if *g.runErr != nil {
		t.Fatalf("run: %v", *g.runErr)
	}
}
