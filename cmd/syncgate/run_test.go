package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startRun runs the program with args and env until the test ends, and
// returns its output and a channel closed when run returns (its error is
// then in *runErr).
func startRun(t *testing.T, env map[string]string, args ...string) (stdout, stderr *syncBuffer, cancel context.CancelFunc, done chan struct{}, runErr *error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr, done, runErr = &syncBuffer{}, &syncBuffer{}, make(chan struct{}), new(error)
	go func() {
		defer close(done)
		*runErr = run(ctx, append([]string{"syncgate"}, args...), envMap(env), stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("run did not stop within 10 s")
		}
	})
	return stdout, stderr, cancel, done, runErr
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func call(t *testing.T, method, url, token string) (int, map[string]any) {
	t.Helper()
	return callBody(t, method, url, token, "")
}

// callBody is call with a JSON body ("" for none).
func callBody(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &answer)
	return resp.StatusCode, answer
}

// TestDemo runs `syncgate demo` as `make run` does and follows its printed
// instructions: the curl line starts a sync (202) that is then Queued or
// Running, and later Success.
func TestDemo(t *testing.T) {
	env := map[string]string{"SYNCGATE_DEMO_DIR": t.TempDir()}
	out, _, _ := demoBanner(t, env, "-sync-duration", "1s")
	m := regexp.MustCompile(`curl -i -X POST -H 'Authorization: Bearer ([^']+)' (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no start curl line in:\n%s", out)
	}
	token, url := m[1], m[2]

	status, body := call(t, "POST", url, token)
	if status != http.StatusAccepted {
		t.Fatalf("the printed curl line answered %d %v; want 202", status, body)
	}
	_, state := call(t, "GET", url, token)
	if s := state["status"]; s != "Queued" && s != "Running" {
		t.Fatalf("right after the start the sync is %v; want Queued or Running", s)
	}
	waitFor(t, "the sync to succeed", 10*time.Second, func() bool {
		_, state = call(t, "GET", url, token)
		return state["status"] == "Success"
	})

	// The printed job start starts a Paused job; a second identical call is
	// refused; GET shows the job Active.
	jm := regexp.MustCompile(`curl -i -X POST -H 'Authorization: Bearer [^']+' (\S+/jobs/\S+/start)`).FindStringSubmatch(out)
	if jm == nil {
		t.Fatalf("no job start curl line in:\n%s", out)
	}
	if status, body := call(t, "POST", jm[1], token); status != http.StatusAccepted {
		t.Fatalf("job start: %d %v; want 202", status, body)
	}
	if status, _ := call(t, "POST", jm[1], token); status != http.StatusConflict && status != http.StatusTooManyRequests {
		t.Fatalf("second job start: %d; want 409 or 429", status)
	}
	if _, job := call(t, "GET", strings.TrimSuffix(jm[1], "/start"), token); job["status"] != "Active" {
		t.Fatalf("job after start: %v; want Active", job)
	}

	// The printed pause pauses the Active job, and a second one changes
	// nothing; the printed restart restarts the quarantined job, lifting
	// its quarantine.
	pm := regexp.MustCompile(`curl -s -X POST -H 'Authorization: Bearer [^']+' (\S+/jobs/\S+/pause)`).FindStringSubmatch(out)
	if pm == nil {
		t.Fatalf("no job pause curl line in:\n%s", out)
	}
	for _, want := range []bool{true, false} {
		if status, body := call(t, "POST", pm[1], token); status != http.StatusOK || body["changed"] != want {
			t.Fatalf("job pause: %d %v; want 200 with changed %v", status, body, want)
		}
	}
	rm := regexp.MustCompile(`-d '(\{"resetScope"[^']+)' (\S+/jobs/\S+/restart)`).FindStringSubmatch(out)
	if rm == nil {
		t.Fatalf("no job restart curl line in:\n%s", out)
	}
	if status, body := callBody(t, "POST", rm[2], token, rm[1]); status != http.StatusAccepted {
		t.Fatalf("job restart: %d %v; want 202", status, body)
	}
	if _, job := call(t, "GET", strings.TrimSuffix(rm[2], "/restart"), token); job["status"] != "Active" || job["quarantine"] != nil {
		t.Fatalf("job after restart: %v; want Active without quarantine", job)
	}

	// The read-only token reads but cannot start.
	ro := regexp.MustCompile(`Read-only token:\n  (\S+)`).FindStringSubmatch(out)
	if ro == nil {
		t.Fatal("no read-only token printed")
	}
	if status, _ := call(t, "POST", url, ro[1]); status != http.StatusForbidden {
		t.Fatalf("read-only token start: %d; want 403", status)
	}

	// `syncgate token` mints tokens the running demo accepts.
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"syncgate", "token", "-scopes", "Organizations.Read"}, envMap(env), &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(url, "/organizations/"+veeamsim.ContosoID+"/sync")
	if status, body := call(t, "GET", base+"/organizations", strings.TrimSpace(tok.String())); status != http.StatusOK {
		t.Fatalf("minted token: %d %v", status, body)
	}
}

// TestServeRejectsBadConfiguration checks that start-up stops with one
// message naming every offending variable.
func TestServeRejectsBadConfiguration(t *testing.T) {
	err := run(context.Background(), []string{"syncgate"}, envMap(map[string]string{
		"SYNCGATE_START_COOLDOWN": "soon",
		"SYNCGATE_VEEAM_URL":      "ftp://veeam",
	}), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("serve started with a bad configuration")
	}
	for _, v := range []string{"SYNCGATE_START_COOLDOWN", "SYNCGATE_VEEAM_URL", "SYNCGATE_JWT_ISSUERS", "SYNCGATE_JWT_AUDIENCES"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
	}
}

// TestServeGracefulShutdown starts `syncgate serve` against the Veeam
// simulator, then stops it while a slow request is in flight: the request
// completes and run returns cleanly. The effective configuration is logged
// with the password masked.
func TestServeGracefulShutdown(t *testing.T) {
	vs := veeamsim.New(veeamsim.Options{Username: "svc", Password: "pa55word-of-the-gateway"})
	minter, env := behindVeeam(t, vs)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("pa55word-of-the-gateway\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	maps.Copy(env, map[string]string{
		"SYNCGATE_LISTEN_ADDR":         port,
		"SYNCGATE_JWT_ALGORITHMS":      "ES256",
		"SYNCGATE_VEEAM_PASSWORD_FILE": pwFile,
		"SYNCGATE_SHUTDOWN_GRACE":      "10s",
	})
	stdout, _, cancel, done, runErr := startRun(t, env, "serve")
	base := "http://" + port
	waitFor(t, "/healthz", 10*time.Second, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	token, err := minter.Mint(auth.MintClaims{Subject: "t", Scopes: []string{"Organizations.Read"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	vs.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Latency: time.Second, Times: 1})
	result := make(chan int, 1)
	go func() {
		status, _ := call(t, "GET", base+"/organizations", token)
		result <- status
	}()
	time.Sleep(300 * time.Millisecond) // let the request reach the simulator
	cancel()
	if status := <-result; status != http.StatusOK {
		t.Fatalf("in-flight request during shutdown: %d; want 200", status)
	}
	<-done
	if *runErr != nil {
		t.Fatalf("run: %v", *runErr)
	}
	logs := stdout.String()
	if strings.Contains(logs, "pa55word") {
		t.Fatal("the Veeam password reached the log")
	}
	sc := bufio.NewScanner(strings.NewReader(logs))
	var sawConfig bool
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"msg":"starting syncgate"`) && strings.Contains(sc.Text(), `"password":"******"`) {
			sawConfig = true
		}
	}
	if !sawConfig {
		t.Fatalf("no start-up line with the masked configuration:\n%s", logs)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// behindVeeam serves h (the Veeam simulator, or a wrapper of it) over TLS
// until the test ends. It returns a minter of the test issuer's tokens and
// the variables of a gateway in front of that Veeam, as user svc, that
// trusts them; the caller adds the password and its own settings.
func behindVeeam(t *testing.T, h http.Handler) (*auth.Minter, map[string]string) {
	t.Helper()
	ca, err := sim.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.StartTLS(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile, pubFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "pub.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	minter, err := auth.NewMinter("https://issuer.test/", "api://syncgate")
	if err != nil {
		t.Fatal(err)
	}
	if err := minter.WritePublicKey(pubFile); err != nil {
		t.Fatal(err)
	}
	return minter, map[string]string{
		"SYNCGATE_JWT_ISSUERS":         "https://issuer.test/",
		"SYNCGATE_JWT_AUDIENCES":       "api://syncgate",
		"SYNCGATE_JWT_PUBLIC_KEY_FILE": pubFile,
		"SYNCGATE_VEEAM_URL":           srv.URL,
		"SYNCGATE_VEEAM_USERNAME":      "svc",
		"SYNCGATE_VEEAM_CA_FILE":       caFile,
	}
}

// environ is vars as a process environment (NAME=value).
func environ(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}
