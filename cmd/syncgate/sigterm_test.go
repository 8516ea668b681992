package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// TestSIGTERMAnswersEveryRequestInFlight runs `syncgate serve` as its own
// process in front of the Veeam simulator, which holds organization lists
// until the test lets them through. With 100 lists in flight (all of them
// waiting at Veeam, none answered) the process gets SIGTERM and begins its
// shutdown; then Veeam answers: every one of the 100 callers gets its
// complete 200 answer, none is cut, and the process exits 0 after logging
// "stopped".
func TestSIGTERMAnswersEveryRequestInFlight(t *testing.T) {
	const inFlight = 100
	vs := veeamsim.New(veeamsim.Options{Username: "svc", Password: "pw"})
	// Once hold is on, organization lists wait at Veeam until release is
	// closed.
	var lists atomic.Int32
	var hold atomic.Bool
	release := make(chan struct{})
	letThrough := sync.OnceFunc(func() { close(release) })
	defer letThrough()
	minter, env := behindVeeam(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/v8/Organizations" {
			lists.Add(1)
			if hold.Load() {
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
			}
		}
		vs.ServeHTTP(w, r)
	}))
	addr := freePort(t)
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = []string{
		runMainEnv + "=1",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"SYNCGATE_LISTEN_ADDR=" + addr,
		"SYNCGATE_VEEAM_PASSWORD=pw",
		"SYNCGATE_SHUTDOWN_GRACE=30s",
	}
	cmd.Env = append(cmd.Env, environ(env)...)
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() {
		exitErr = cmd.Wait()
		close(exited)
	}()
	defer func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	base := "http://" + addr
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: inFlight}}
	defer client.CloseIdleConnections()
	waitFor(t, "/healthz", 20*time.Second, func() bool {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	token, err := minter.Mint(auth.MintClaims{Subject: "t", Scopes: []string{"Organizations.Read"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	list := func() (int, error) {
		req, _ := http.NewRequest(http.MethodGet, base+"/organizations", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var body struct {
			Items []json.RawMessage `json:"items"`
		}
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return resp.StatusCode, err
		}
		if err := json.Unmarshal(data, &body); err != nil || len(body.Items) == 0 {
			return resp.StatusCode, &json.SyntaxError{}
		}
		return resp.StatusCode, nil
	}
	if status, err := list(); status != http.StatusOK || err != nil {
		t.Fatalf("warm-up list (logs in): %d %v", status, err)
	}

	hold.Store(true)
	before := lists.Load()
	var answered atomic.Int32
	statuses := make([]int, inFlight)
	errs := make([]error, inFlight)
	var wg sync.WaitGroup
	for i := range inFlight {
		wg.Go(func() {
			statuses[i], errs[i] = list()
			answered.Add(1)
		})
	}
	waitFor(t, "every request to reach Veeam", 30*time.Second, func() bool { return lists.Load()-before == inFlight })
	if n := answered.Load(); n != 0 {
		t.Fatalf("%d requests were answered before SIGTERM; the test needs them all in flight", n)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the shutdown to begin", 20*time.Second, func() bool { return strings.Contains(logs.String(), `"msg":"shutting down"`) })
	time.Sleep(200 * time.Millisecond) // the listener closes, the 100 stay in flight
	if n := answered.Load(); n != 0 {
		t.Fatalf("%d requests were answered before Veeam let them through", n)
	}
	letThrough()
	wg.Wait()
	for i := range inFlight {
		if statuses[i] != http.StatusOK || errs[i] != nil {
			t.Errorf("request %d in flight at SIGTERM: status %d, error %v; want its whole 200 answer", i, statuses[i], errs[i])
		}
	}
	select {
	case <-exited:
		if exitErr != nil {
			t.Fatalf("syncgate exited with %v after SIGTERM; want 0\n%s", exitErr, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("syncgate still running 30 s after SIGTERM\n%s", logs.String())
	}
	if out := logs.String(); !containsAll(out, `"msg":"shutting down"`, `"msg":"stopped"`) {
		t.Errorf("no shutting down / stopped lines in the log:\n%s", out)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
