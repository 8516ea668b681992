package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/examples/go/orgsync"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// bannerDemo runs `syncgate demo` (syncs lasting syncTime) until the test
// ends and returns the gateway's address and the every-scope token its
// banner prints.
func bannerDemo(t *testing.T, syncTime string, flags ...string) (base, token string) {
	t.Helper()
	out, _, _ := demoBanner(t, map[string]string{"SYNCGATE_DEMO_DIR": t.TempDir()},
		append([]string{"-sync-duration", syncTime}, flags...)...)
	b := regexp.MustCompile(`gateway on (\S+)`).FindStringSubmatch(out)
	tok := regexp.MustCompile(`Token with every scope[^\n]*\n  (\S+)`).FindStringSubmatch(out)
	if b == nil || tok == nil {
		t.Fatalf("no gateway address or token in the banner:\n%s", out)
	}
	return b[1], tok[1]
}

// TestGoExample runs the Go example (examples/go, built on the client
// generated from openapi.yaml) against the demo: a start is accepted and
// waited for until Success, a rerun with the same Idempotency-Key starts
// nothing new, and each refusal is reported by its problem type with the
// problem's detail.
func TestGoExample(t *testing.T) {
	base, token := bannerDemo(t, "1s")
	run := func(t *testing.T, org, key string, timeout time.Duration) (orgsync.Result, string, error) {
		t.Helper()
		var out strings.Builder
		res, err := orgsync.Run(context.Background(), orgsync.Options{
			URL: base, Token: token, Organization: org, IdempotencyKey: key, Timeout: timeout,
		}, &out)
		t.Logf("output:\n%s", out.String())
		return res, out.String(), err
	}

	t.Run("started then Success", func(t *testing.T) {
		res, out, err := run(t, veeamsim.ContosoID, "contoso-1", 20*time.Second)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if !res.Started || res.Replayed || res.Final != "Success" {
			t.Errorf("result %+v; want started, not replayed, Success", res)
		}
		if !strings.Contains(out, "202 Accepted: Incremental sync of "+veeamsim.ContosoID) || !strings.Contains(out, "sync: Success") {
			t.Errorf("output does not show the 202 and the Success")
		}

		// A second run with another key meets the cooldown: it is told so
		// by the problem type and waits for the sync already done.
		res, out, err = run(t, veeamsim.ContosoID, "contoso-2", 20*time.Second)
		if err != nil {
			t.Fatalf("run after the start: %v", err)
		}
		if res.Started || res.Refusal == nil || res.Refusal.Type != "urn:syncgate:problem:cooldown" || res.Final != "Success" {
			t.Errorf("result %+v; want refused with cooldown, then Success", res)
		}
		if !strings.Contains(out, "429 urn:syncgate:problem:cooldown") {
			t.Errorf("output does not show the 429 and its problem type")
		}
	})

	t.Run("not eligible", func(t *testing.T) {
		res, out, err := run(t, veeamsim.NorthwindID, "northwind-1", 20*time.Second)
		if err == nil || !strings.Contains(err.Error(), "not-eligible") {
			t.Fatalf("run: %v; want a refusal naming not-eligible", err)
		}
		if res.Started || res.Refusal == nil || res.Refusal.Status != 422 || res.Refusal.Detail == nil {
			t.Fatalf("result %+v; want a 422 refusal with a detail", res)
		}
		if !strings.Contains(out, "422 urn:syncgate:problem:not-eligible: "+*res.Refusal.Detail) {
			t.Errorf("output does not show the 422 with its detail")
		}
	})

	t.Run("already running", func(t *testing.T) {
		// Woodgrove's sync runs for ever: the program says why it did not
		// start one, waits, and gives up when its time is out.
		res, out, err := run(t, veeamsim.WoodgroveID, "woodgrove-1", 3*time.Second)
		if err == nil || !strings.Contains(err.Error(), "still Running") {
			t.Fatalf("run: %v; want to give up while the sync is still Running", err)
		}
		if res.Refusal == nil || res.Refusal.Type != "urn:syncgate:problem:already-running" || res.Final != "Running" {
			t.Errorf("result %+v; want an already-running refusal and Running", res)
		}
		// The gateway held the second read until the deadline (Prefer:
		// wait with the first read's ETag): no read every second.
		if res.Reads > 2 {
			t.Errorf("%d reads of the state in 3 s; want 2 (the second held by the gateway)", res.Reads)
		}
		if !strings.Contains(out, "409 urn:syncgate:problem:already-running") {
			t.Errorf("output does not show the 409 and its problem type")
		}
	})

	t.Run("rate limited", func(t *testing.T) {
		// A gateway allowing each caller 3 requests a second: the quota is
		// spent, so the start is refused 429 rate-limited (nothing started);
		// the program asks again with the same key once Retry-After has
		// passed, and any read refused the same way is read again.
		base, token := bannerDemo(t, "1s", "-rate-limit", "3/s")
		var out strings.Builder
		opts := orgsync.Options{URL: base, Token: token, Organization: veeamsim.FabrikamID, IdempotencyKey: "fabrikam-rl", Timeout: 30 * time.Second}
		for spent := false; !spent; {
			req, _ := http.NewRequest("GET", base+"/organizations", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			spent = resp.StatusCode == http.StatusTooManyRequests
		}
		res, err := orgsync.Run(context.Background(), opts, &out)
		t.Logf("output:\n%s", out.String())
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if !res.Started || res.Final != "Success" {
			t.Errorf("result %+v; want started after the refusal, then Success", res)
		}
		if !strings.Contains(out.String(), "429 urn:syncgate:problem:rate-limited") || !strings.Contains(out.String(), "202 Accepted") {
			t.Errorf("output does not show the 429 rate-limited refusal, then the 202")
		}
	})

	t.Run("sync fails", func(t *testing.T) {
		res, _, err := run(t, veeamsim.TailspinID, "tailspin-1", 20*time.Second)
		if err == nil || !strings.Contains(err.Error(), veeamsim.TailspinSyncError) {
			t.Fatalf("run: %v; want the sync's error", err)
		}
		if !res.Started || res.Final != "Error" {
			t.Errorf("result %+v; want started, then Error", res)
		}
	})
}
