package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/syncgate/syncgate/internal/sim/graphsim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// chromiumPath returns the first Chromium found on the PATH or in /usr/bin.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		if p := filepath.Join("/usr/bin", name); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestBrowserSwaggerTryItOut drives the demo's Swagger UI in headless
// Chromium as a user would: Authorize with the printed all-scopes token, then
// "Try it out" and Execute the organization sync start and the job start,
// each of which must answer 202 on the page.
func TestBrowserSwaggerTryItOut(t *testing.T) {
	chromium := chromiumPath()
	if chromium == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium or chromium-browser found; CI must run the browser test (.ci/run installs chromium)")
		}
		t.Skip("no chromium or chromium-browser found; install Chromium to run the Swagger UI browser test")
	}

	base, token := bannerDemo(t, "1s")

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 1024),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()

	type css = chromedp.CSS
	// The page renders the operations as soon as its scripts have run, with
	// no spinner to wait out: wait for the operations themselves (not a
	// fixed time), then check nothing is still loading.
	if err := chromedp.Do(bctx,
		chromedp.Navigate(base+"/swagger/"),
		chromedp.WaitVisible(css("#operations-organizations-startOrganizationSync")),
		chromedp.WaitVisible(css("#operations-jobs-startJob")),
	); err != nil {
		t.Fatalf("Swagger UI did not show the operations: %v", err)
	}
	// The job lifecycle and the sync state of #12 are on the page too.
	for _, op := range []string{"#operations-jobs-pauseJob", "#operations-jobs-restartJob",
		"#operations-organizations-listOrganizationSyncStates", "#operations-organizations-getOrganizationSync"} {
		if err := chromedp.Do(bctx, chromedp.WaitVisible(css(op))); err != nil {
			t.Fatalf("Swagger UI does not show %s: %v", op, err)
		}
	}
	if loading, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelector(".loading-container") !== null || document.body.innerText.includes("Failed to load")`)); err != nil || loading {
		t.Fatalf("Swagger UI still shows a loading or failure message once the operations are visible (%v)", err)
	}
	if err := chromedp.Do(bctx,
		chromedp.Click(css(".btn.authorize")),
		// Typed at once: SendKeys would send the long token key by key.
		chromedp.Focus(css(".auth-container input")),
		chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tgt, input.InsertText, input.InsertTextParams{Text: token})
			return err
		}),
		chromedp.Click(css(".auth-btn-wrapper .authorize")),
		chromedp.Click(css(".auth-btn-wrapper .btn-done")),
		chromedp.WaitNotPresent(css(".dialog-ux")),
	); err != nil {
		t.Fatalf("authorize in Swagger UI: %v", err)
	}

	tests := []struct {
		op     string
		params map[string]string
		want   string
	}{
		{"#operations-organizations-startOrganizationSync", map[string]string{"organizationId": veeamsim.ContosoID}, "202"},
		// The page offers the wait (Prefer, with its example wait=30); with no
		// If-None-Match yet there is nothing to wait for: the state at once.
		{"#operations-organizations-getOrganizationSync", map[string]string{"organizationId": veeamsim.ContosoID, "Prefer": "wait=30"}, "200"},
		// The seeded AWS job is Paused: its pause answers 200, nothing sent
		// (the start below then resumes it).
		{"#operations-jobs-pauseJob", map[string]string{"applicationId": graphsim.AWSObjectID, "jobId": graphsim.AWSJobID}, "200"},
		{"#operations-jobs-startJob", map[string]string{"applicationId": graphsim.AWSObjectID, "jobId": graphsim.AWSJobID}, "202"},
	}
	for _, tt := range tests {
		op := tt.op
		if err := chromedp.Do(bctx,
			chromedp.ScrollIntoView(css(op)),
			chromedp.Click(css(op+" .opblock-summary")),
			chromedp.Click(css(op+" .try-out__btn")),
		); err != nil {
			t.Fatalf("%s: open and try it out: %v", op, err)
		}
		for name, want := range tt.params {
			sel := css(op + ` tr[data-param-name="` + name + `"] input`)
			got, err := chromedp.Run(bctx, chromedp.Value(sel))
			if err != nil {
				t.Fatalf("%s: read parameter %s: %v", op, name, err)
			}
			if got == want {
				continue
			}
			t.Logf("%s: parameter %s holds %q, not the seeded %q; typing it", op, name, got, want)
			if err := chromedp.Do(bctx, chromedp.Clear(sel), chromedp.SendKeys(sel, want)); err != nil {
				t.Fatalf("%s: fill parameter %s: %v", op, name, err)
			}
		}
		status := css(op + " .live-responses-table .response .response-col_status")
		if err := chromedp.Do(bctx, chromedp.Click(css(op+" .execute")), chromedp.WaitVisible(status)); err != nil {
			t.Fatalf("%s: execute: %v", op, err)
		}
		got, err := chromedp.Run(bctx, chromedp.Text(status))
		if err != nil {
			t.Fatalf("%s: read the response status: %v", op, err)
		}
		if f := strings.Fields(got); len(f) == 0 || f[0] != tt.want {
			body, _ := chromedp.Run(bctx, chromedp.Text(css(op+" .live-responses-table .response-col_description")))
			t.Errorf("%s: Swagger UI shows status %q; want %s (%s)", op, got, tt.want, body)
		}
	}

	// The viewport, scrolled to the last live response, shows its 202.
	if err := chromedp.Do(bctx, chromedp.ScrollIntoView(css(tests[len(tests)-1].op+" .live-responses-table"))); err != nil {
		t.Fatalf("scroll to the last response: %v", err)
	}
	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), "swagger-try-it-out.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the final page: %s (kept with go test -artifacts)", path)
}
