package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/sim"
	"github.com/syncgate/syncgate/internal/sim/veeamsim"
)

// served is `syncgate serve` in front of the Veeam simulator.
type served struct {
	base   string
	veeam  *veeamsim.Server
	token  string
	cancel context.CancelFunc
	done   chan struct{}
	runErr *error
	stdout *syncBuffer
	// startsSent counts start requests that reached Veeam (before any
	// fault's latency).
	startsSent atomic.Int64
}

// startGateway runs serve with extra settings and waits for /healthz.
func startGateway(t *testing.T, extra map[string]string) *served {
	t.Helper()
	g := &served{veeam: veeamsim.New(veeamsim.Options{Username: "svc", Password: "pw"})}
	minter, env := behindVeeam(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Sync") {
			g.startsSent.Add(1)
		}
		g.veeam.ServeHTTP(w, r)
	}))
	port := freePort(t)
	env["SYNCGATE_LISTEN_ADDR"], env["SYNCGATE_VEEAM_PASSWORD"] = port, "pw"
	maps.Copy(env, extra)
	stdout, _, cancel, done, runErr := startRun(t, env, "serve")
	g.base, g.cancel, g.done, g.runErr, g.stdout = "http://"+port, cancel, done, runErr, stdout
	waitFor(t, "/healthz", 10*time.Second, func() bool {
		select {
		case <-done:
			t.Fatalf("serve stopped: %v\n%s", *runErr, stdout)
		default:
		}
		resp, err := http.Get(g.base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	token, err := minter.Mint(auth.MintClaims{Subject: "t", Scopes: []string{"Organizations.Read", "Organizations.Sync"}, TTL: time.Hour})
	g.token = token
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// answer is what a caller got: a status and problem type, or the transport
// error of a connection closed without an answer.
type answer struct {
	status      int
	contentType string
	problemType string
	err         error
}

func (g *served) send(method, path string) answer {
	req, _ := http.NewRequest(method, g.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var p struct{ Type string }
	_ = json.Unmarshal(data, &p)
	return answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), problemType: p.Type}
}

// TestSilentBackendAnswered: a backend that never sends its headers costs
// three attempts of SYNCGATE_VEEAM_TIMEOUT, longer than the write timeout;
// the caller still gets a 504 problem (it used to get a connection closed
// without an answer while the gateway logged a 504).
func TestSilentBackendAnswered(t *testing.T) {
	g := startGateway(t, map[string]string{
		"SYNCGATE_HTTP_WRITE_TIMEOUT": "3s",
		"SYNCGATE_VEEAM_TIMEOUT":      "1500ms",
	})
	g.veeam.Faults.Set(veeamsim.RouteOrganizations, sim.Fault{Latency: time.Minute})
	got := g.send("GET", "/organizations")
	if got.err != nil {
		t.Fatalf("no answer: %v", got.err)
	}
	if got.status != http.StatusGatewayTimeout || got.contentType != "application/problem+json" {
		t.Fatalf("answer %+v, want a 504 problem", got)
	}
}

// TestServeRefusesWriteTimeoutBelowBackend: a write timeout that a backend
// timeout reaches is refused at start.
func TestServeRefusesWriteTimeoutBelowBackend(t *testing.T) {
	err := run(context.Background(), []string{"syncgate", "serve"}, envMap(map[string]string{
		"SYNCGATE_JWT_ISSUERS": "https://issuer.test/", "SYNCGATE_JWT_AUDIENCES": "api://syncgate",
		"SYNCGATE_JWT_JWKS_URL": "https://issuer.test/keys",
		"SYNCGATE_VEEAM_URL":    "https://vb365.test", "SYNCGATE_VEEAM_USERNAME": "svc", "SYNCGATE_VEEAM_PASSWORD": "pw",
		"SYNCGATE_VEEAM_TIMEOUT": "90s",
	}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SYNCGATE_HTTP_WRITE_TIMEOUT") {
		t.Fatalf("serve with a 90s backend timeout and a 60s write timeout: %v; want a start-up error", err)
	}
}

// TestShutdownAnswersInFlight: starts already sent to a backend that takes
// longer than the grace are answered (a problem, not an empty reply) when
// the grace runs out, and the process exits cleanly.
func TestShutdownAnswersInFlight(t *testing.T) {
	g := startGateway(t, map[string]string{"SYNCGATE_SHUTDOWN_GRACE": "2s"})
	// Longer than the grace. (The simulator, waiting before it reads the
	// start's body, does not see the gateway hang up: keep it short.)
	g.veeam.Faults.Set(veeamsim.RouteSync, sim.Fault{Latency: 5 * time.Second})
	orgs := []string{veeamsim.ContosoID, veeamsim.FabrikamID}
	n := len(orgs)
	answers := make(chan answer, n)
	for _, id := range orgs {
		go func() { answers <- g.send("POST", "/organizations/"+id+"/sync?force=true") }()
	}
	waitFor(t, "the starts to reach Veeam", 10*time.Second, func() bool { return g.startsSent.Load() >= int64(n) })
	g.cancel()
	for range n {
		got := <-answers
		if got.err != nil {
			t.Errorf("in-flight start got no answer: %v", got.err)
			continue
		}
		if got.status < 500 || got.contentType != "application/problem+json" {
			t.Errorf("in-flight start answered %+v, want a 5xx problem", got)
		}
	}
	<-g.done
	if *g.runErr != nil {
		t.Fatalf("run: %v", *g.runErr)
	}
}

// TestConnectionLimit: with SYNCGATE_MAX_CONNECTIONS=4, four silent
// connections hold every slot (a fifth caller waits in the listen queue, no
// file spent), and the fifth is served once one of them goes.
func TestConnectionLimit(t *testing.T) {
	g := startGateway(t, map[string]string{"SYNCGATE_MAX_CONNECTIONS": "4"})
	addr := strings.TrimPrefix(g.base, "http://")
	var conns []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	time.Sleep(200 * time.Millisecond) // let the server accept them
	quick := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := quick.Get(g.base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatalf("a fifth connection was served (%d) while four held the limit", resp.StatusCode)
	}
	conns[0].Close()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(g.base + "/healthz")
	if err != nil {
		t.Fatalf("not served after a slot freed: %v", err)
	}
	resp.Body.Close()
}

// TestIdleConnectionsDroppedUnderPressure: once three quarters of the
// connection limit are open, idle keep-alive connections are closed at once
// instead of after the 120 s idle timeout.
func TestIdleConnectionsDroppedUnderPressure(t *testing.T) {
	g := startGateway(t, map[string]string{"SYNCGATE_MAX_CONNECTIONS": "8"})
	addr := strings.TrimPrefix(g.base, "http://")
	idle := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return c, br
	}
	first, firstReader := idle()
	time.Sleep(100 * time.Millisecond) // the server marks it idle after the answer
	var wg sync.WaitGroup
	for range 6 { // 7 of 8 open: over three quarters
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err == nil {
				t.Cleanup(func() { c.Close() })
			}
		}()
	}
	wg.Wait()
	first.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := firstReader.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection under pressure: read %v, want it closed by the gateway (EOF)", err)
	}
}

// TestConnectionLimitKeepsFileHeadroom: a limit that leaves fewer than 256
// of the process's open files is refused; the derived limit leaves them.
func TestConnectionLimitKeepsFileHeadroom(t *testing.T) {
	files, known := openFileLimit()
	if !known {
		t.Fatal("the open-file limit is unknown on this system")
	}
	if _, err := connectionLimit(files); err == nil {
		t.Errorf("a limit of %d connections with %d open files was accepted", files, files)
	}
	if n, err := connectionLimit(0); err != nil || n > files-fileHeadroom || n < 1 {
		t.Errorf("derived limit %d (%v) with %d open files", n, err, files)
	}
}
