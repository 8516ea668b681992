package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
)

// TestServeMetricsAddr: with SYNCGATE_METRICS_ADDR set, /metrics is served
// there (with the build's version) and the main listener answers 404 for it;
// unset, the main listener serves it.
func TestServeMetricsAddr(t *testing.T) {
	minter, err := auth.NewMinter("https://issuer.test/", "api://syncgate")
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(t.TempDir(), "pub.pem")
	if err := minter.WritePublicKey(pubFile); err != nil {
		t.Fatal(err)
	}
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, separate := range []bool{true, false} {
		main, metrics := freePort(t), freePort(t)
		env := map[string]string{
			"SYNCGATE_LISTEN_ADDR":         main,
			"SYNCGATE_JWT_ISSUERS":         "https://issuer.test/",
			"SYNCGATE_JWT_AUDIENCES":       "api://syncgate",
			"SYNCGATE_JWT_PUBLIC_KEY_FILE": pubFile,
		}
		if separate {
			env["SYNCGATE_METRICS_ADDR"] = metrics
		}
		stdout, _, cancel, done, _ := startRun(t, env, "serve")
		waitFor(t, "/healthz", 10*time.Second, func() bool { s, _ := get("http://" + main + "/healthz"); return s == http.StatusOK })
		onMain, body := get("http://" + main + "/metrics")
		if separate {
			if onMain != http.StatusNotFound {
				t.Errorf("SYNCGATE_METRICS_ADDR set: main listener's /metrics answered %d; want 404", onMain)
			}
			var onOwn int
			onOwn, body = get("http://" + metrics + "/metrics")
			if onOwn != http.StatusOK {
				t.Errorf("metrics listener's /metrics answered %d; want 200", onOwn)
			}
		} else if onMain != http.StatusOK {
			t.Errorf("SYNCGATE_METRICS_ADDR unset: main listener's /metrics answered %d; want 200", onMain)
		}
		if !strings.Contains(body, `syncgate_build_info{goversion="`) || !strings.Contains(body, `version="`+version+`"`) {
			t.Errorf("separate=%v: no syncgate_build_info with version %q:\n%.500s", separate, version, body)
		}
		cancel()
		<-done
		// JSON logs give durations in seconds: the access line's, the
		// startup line's settings.
		sawAccess, sawStart := false, false
		for line := range strings.Lines(stdout.String()) {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			if rec["msg"] == "starting syncgate" {
				sawStart = true
				cfg, _ := rec["config"].(map[string]any)
				if d, ok := cfg["idempotency_ttl"].(float64); !ok || d != 24*3600 {
					t.Errorf("startup line's idempotency_ttl %v; want 86400 (seconds)", cfg["idempotency_ttl"])
				}
			}
			if rec["msg"] != "request" {
				continue
			}
			sawAccess = true
			if d, ok := rec["duration"].(float64); !ok || d < 0 || d > 5 {
				t.Errorf("access line's duration %v; want seconds", rec["duration"])
			}
		}
		if !sawStart {
			t.Errorf("no startup line logged:\n%s", stdout.String())
		}
		if !sawAccess {
			t.Errorf("no access line logged:\n%s", stdout.String())
		}
	}
}
