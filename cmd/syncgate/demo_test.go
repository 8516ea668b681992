package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// demo is one `syncgate demo` started by a test.
type demo struct {
	base     string   // the gateway's address
	tokenCmd []string // the printed `syncgate token` arguments, with -key
	keyPath  string
	stop     context.CancelFunc
	done     chan struct{}
}

// demoBanner runs `syncgate demo -addr 127.0.0.1:0 args...` with env until
// the test ends (or cancel), waits for its banner and returns it; done is
// closed when the demo has stopped.
func demoBanner(t *testing.T, env map[string]string, args ...string) (banner string, cancel context.CancelFunc, done chan struct{}) {
	t.Helper()
	stdout, stderr, cancel, done, runErr := startRun(t, env, append([]string{"demo", "-addr", "127.0.0.1:0"}, args...)...)
	waitFor(t, "the demo banner", 30*time.Second, func() bool {
		select {
		case <-done:
			t.Fatalf("demo stopped: %v\n%s", *runErr, stderr)
		default:
		}
		return strings.Contains(stdout.String(), "Stop with Ctrl-C")
	})
	return stdout.String(), cancel, done
}

// startDemo runs `syncgate demo` with env until the test ends and reads its
// banner.
func startDemo(t *testing.T, env map[string]string) *demo {
	t.Helper()
	out, cancel, done := demoBanner(t, env)
	bm := regexp.MustCompile(`gateway on (\S+)`).FindStringSubmatch(out)
	tm := regexp.MustCompile(`go run ./cmd/syncgate (token -key (\S+) .*)`).FindStringSubmatch(out)
	if bm == nil || tm == nil {
		t.Fatalf("no gateway address or token command in the banner:\n%s", out)
	}
	return &demo{base: bm[1], tokenCmd: strings.Fields(tm[1]), keyPath: tm[2], stop: cancel, done: done}
}

// mintWith runs `syncgate token args...` and returns the token or the error.
func mintWith(env map[string]string, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"syncgate"}, args...), envMap(env), &out, io.Discard)
	return strings.TrimSpace(out.String()), err
}

func listStatus(t *testing.T, d *demo, token string) int {
	t.Helper()
	status, _ := call(t, "GET", d.base+"/organizations", token)
	return status
}

// TestTwoDemos runs two demos on one machine, as two people (or two
// terminals) would: each has its own folder and key, the token command each
// prints mints tokens that demo accepts and the other refuses, `syncgate
// token` without -key says which demos it could mean, and a stopped demo
// removes its folder.
func TestTwoDemos(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the demos' folders, and only theirs, land here
	a, b := startDemo(t, nil), startDemo(t, nil)
	if filepath.Dir(a.keyPath) == filepath.Dir(b.keyPath) {
		t.Fatalf("both demos keep their key in %s", filepath.Dir(a.keyPath))
	}
	for _, tt := range []struct {
		name        string
		mint, other *demo
	}{{"first", a, b}, {"second", b, a}} {
		tok, err := mintWith(nil, append(tt.mint.tokenCmd, "-scopes", "Organizations.Read")...)
		if err != nil {
			t.Fatalf("%s demo's printed token command: %v", tt.name, err)
		}
		if got := listStatus(t, tt.mint, tok); got != http.StatusOK {
			t.Errorf("%s demo's printed token command mints a token its demo answers %d; want 200", tt.name, got)
		}
		if got := listStatus(t, tt.other, tok); got != http.StatusUnauthorized {
			t.Errorf("%s demo's token at the other demo: %d; want 401", tt.name, got)
		}
	}

	// Without -key, two running demos are ambiguous: the error names both.
	_, err := mintWith(nil, "token")
	if err == nil || !strings.Contains(err.Error(), a.keyPath) || !strings.Contains(err.Error(), b.base) {
		t.Fatalf("token without -key, two demos running: %v; want both named", err)
	}

	// A stopped demo removes its folder; `syncgate token` then finds the one left.
	b.stop()
	<-b.done
	if _, err := os.Stat(filepath.Dir(b.keyPath)); !os.IsNotExist(err) {
		t.Errorf("the stopped demo's folder is still there: %v", err)
	}
	tok, err := mintWith(nil, "token", "-scopes", "Organizations.Read")
	if err != nil {
		t.Fatalf("token without -key, one demo running: %v", err)
	}
	if got := listStatus(t, a, tok); got != http.StatusOK {
		t.Errorf("token found by `syncgate token` alone: %d; want 200", got)
	}
	a.stop()
	<-a.done
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("the demos left %v behind", left)
	}
	if _, err := mintWith(nil, "token"); err == nil || !strings.Contains(err.Error(), "no running demo") {
		t.Errorf("token with no demo running: %v; want it to say so", err)
	}
}
