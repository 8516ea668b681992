package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/syncgate/syncgate/internal/config"
)

// benchJob is the 620-byte Graph job the load run's backend answers too.
const benchJob = `{"id":"aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f","templateId":"aWSSingleSignon","schedule":{"expiration":null,"interval":"PT40M","state":"Active"},"status":{"code":"Active","countSuccessiveCompleteFailures":0,"escrowsPruned":false,"lastExecution":{"activityIdentifier":"a8f1e2d3c4","state":"Succeeded","timeBegan":"2026-11-30T21:45:53.6330529Z","timeEnded":"2026-11-30T21:46:02.1204117Z","countEntitled":12,"countImported":12,"error":null},"lastSuccessfulExecution":null,"quarantine":null,"steadyStateLastAchievedTime":"2026-11-30T21:46:02.1204117Z","troubleshootingUrl":""}}`

const (
	benchTenant = "11111111-2222-3333-4444-555555555555"
	benchApp    = "fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3"
	benchJobID  = "aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f"
)

// benchGateway is syncgate as `syncgate serve` wires it (logging as shipped,
// into io.Discard), in front of a trivial Graph and login host, with an RS256
// caller token.
type benchGateway struct {
	url, graphURL string
	token         string
	client        *http.Client
	backendConns  atomic.Int64 // connections the Graph stand-in accepted
}

func newBenchGateway(b *testing.B) *benchGateway {
	b.Helper()
	g := &benchGateway{}
	login := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "https://" + r.Host + "/" + benchTenant
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/openid-configuration") {
			_, _ = io.WriteString(w, `{"token_endpoint":"`+base+`/oauth2/v2.0/token","issuer":"`+base+`/v2.0","authorization_endpoint":"`+base+`/oauth2/v2.0/authorize"}`)
			return
		}
		_, _ = io.WriteString(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"graph-token"}`)
	}))
	b.Cleanup(login.Close)
	graph := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchJob)
	}))
	graph.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			g.backendConns.Add(1)
		}
	}
	graph.Start()
	b.Cleanup(graph.Close)
	g.graphURL = graph.URL

	dir := b.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	writeBenchFile(b, caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: login.Certificate().Raw}))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubFile := filepath.Join(dir, "pub.pem")
	writeBenchFile(b, pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	now := time.Now()
	g.token, err = jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": "https://login.bench.local/", "aud": "api://syncgate", "sub": "b7e0c1d2-3f4a-4b5c-8d9e-0f1a2b3c4d5e",
		"azp": "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f", "scp": "SyncJobs.Read SyncJobs.Start",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString(key)
	if err != nil {
		b.Fatal(err)
	}

	cfg, err := config.Load(envMap(map[string]string{
		"SYNCGATE_LISTEN_ADDR":         "127.0.0.1:0",
		"SYNCGATE_JWT_PUBLIC_KEY_FILE": pubFile,
		"SYNCGATE_JWT_ISSUERS":         "https://login.bench.local/",
		"SYNCGATE_JWT_AUDIENCES":       "api://syncgate",
		"SYNCGATE_GRAPH_TENANT_ID":     benchTenant,
		"SYNCGATE_GRAPH_CLIENT_ID":     "5c0a9f3e-1d2b-4c5d-8e7f-90a1b2c3d4e5",
		"SYNCGATE_GRAPH_CLIENT_SECRET": "bench-secret",
		"SYNCGATE_GRAPH_AUTHORITY_URL": login.URL,
		"SYNCGATE_GRAPH_BASE_URL":      graph.URL,
		"SYNCGATE_GRAPH_CA_FILE":       caFile,
		"SYNCGATE_START_COOLDOWN":      "0",
	}))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, newLogger(cfg, io.Discard), listening) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("serve: %v", err)
		}
	})
	select {
	case addr := <-listening:
		g.url = "http://" + addr
	case err := <-done:
		b.Fatalf("serve: %v", err)
	}
	g.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	b.Cleanup(g.client.CloseIdleConnections)
	return g
}

func writeBenchFile(b *testing.B, path string, data []byte) {
	b.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
}

// do sends one request and wants the status.
func (g *benchGateway) do(b *testing.B, method, url, token string, want int) {
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := g.client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Errorf("%s %s: %d, want %d", method, url, resp.StatusCode, want)
	}
}

// runParallel drives a request from GOMAXPROCS×4 goroutines, after a warm-up,
// and reports the backend connections opened while measuring.
func (g *benchGateway) runParallel(b *testing.B, method, url, token string, want int) {
	// Warm up with as many goroutines as RunParallel uses, so that the pools
	// hold the connections the measured run needs.
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for range 16 {
				g.do(b, method, url, token, want)
			}
		})
	}
	wg.Wait()
	conns := g.backendConns.Load()
	b.SetParallelism(4)
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g.do(b, method, url, token, want)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(g.backendConns.Load()-conns), "backend-conns")
	// CPU time (user + system, all threads: client, syncgate and backend)
	// per request: unlike ns/op, it does not grow when other processes
	// share the machine's cores.
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkJobRead is an authenticated GET /applications/{app}/jobs/{job}:
// client → syncgate → backend over loopback, all in this process.
func BenchmarkJobRead(b *testing.B) {
	g := newBenchGateway(b)
	g.runParallel(b, http.MethodGet, g.url+"/applications/"+benchApp+"/jobs/"+benchJobID, g.token, http.StatusOK)
}

// BenchmarkJobStart is an authenticated POST .../start?force=true: the
// precheck read and the start, two backend calls.
func BenchmarkJobStart(b *testing.B) {
	g := newBenchGateway(b)
	g.runParallel(b, http.MethodPost, g.url+"/applications/"+benchApp+"/jobs/"+benchJobID+"/start?force=true", g.token, http.StatusAccepted)
}

// BenchmarkDirectRead is the same client reading the job from the backend
// without syncgate: BenchmarkJobRead minus this is syncgate's own share.
func BenchmarkDirectRead(b *testing.B) {
	g := newBenchGateway(b)
	g.runParallel(b, http.MethodGet, g.graphURL+"/beta/applications/"+benchApp+"/synchronization/jobs/"+benchJobID, "graph-token", http.StatusOK)
}
