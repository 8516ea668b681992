package upstream

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// writeFile writes data to a new file in a temporary directory.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serverCA is the PEM of a TLS test server's certificate.
func serverCA(t *testing.T, srv *httptest.Server) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

func get(t *testing.T, c *http.Client, url string) error {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	return nil
}

func TestNewHTTPClientTrust(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	tests := []struct {
		name        string
		cfg         func(t *testing.T) HTTPConfig
		wantTrusted bool
	}{
		{"CA file trusts the server", func(t *testing.T) HTTPConfig {
			return HTTPConfig{CAFile: writeFile(t, "ca.pem", serverCA(t, srv))}
		}, true},
		{"system roots alone do not", func(*testing.T) HTTPConfig { return HTTPConfig{} }, false},
		{"skipping verification connects", func(*testing.T) HTTPConfig { return HTTPConfig{InsecureSkipVerify: true} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg(t)
			c, err := NewHTTPClient(cfg)
			if err != nil {
				t.Fatalf("NewHTTPClient: %v", err)
			}
			err = get(t, c, srv.URL)
			if tt.wantTrusted && err != nil {
				t.Fatalf("GET: %v", err)
			}
			if !tt.wantTrusted && !untrusted(err) {
				t.Fatalf("GET error = %v, want a certificate verification failure", err)
			}
			if got := InsecureSkipVerify(c); got != cfg.InsecureSkipVerify {
				t.Errorf("InsecureSkipVerify = %v, want %v", got, cfg.InsecureSkipVerify)
			}
		})
	}
}

func TestNewHTTPClientBadCAFile(t *testing.T) {
	tests := []struct {
		name string
		path func(t *testing.T) string
	}{
		{"missing file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope.pem") }},
		{"no certificate in it", func(t *testing.T) string { return writeFile(t, "ca.pem", []byte("not a certificate\n")) }},
		{"a key, not a certificate", func(t *testing.T) string {
			return writeFile(t, "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewHTTPClient(HTTPConfig{CAFile: tt.path(t)}); err == nil {
				t.Fatal("NewHTTPClient succeeded, want an error")
			}
		})
	}
}

func TestNewHTTPClientRefusesOldTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	srv.StartTLS()
	defer srv.Close()
	c, err := NewHTTPClient(HTTPConfig{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := get(t, c, srv.URL); err == nil {
		t.Fatal("GET to a TLS 1.1 server succeeded, want a handshake failure")
	}
}

func setProxyEnv(t *testing.T, httpProxy, httpsProxy, noProxy string) {
	t.Helper()
	for k, v := range map[string]string{"HTTP_PROXY": httpProxy, "HTTPS_PROXY": httpsProxy, "NO_PROXY": noProxy, "REQUEST_METHOD": ""} {
		t.Setenv(k, v)
		t.Setenv(strings.ToLower(k), v)
	}
}

func TestNewHTTPClientUsesProxyFromEnvironment(t *testing.T) {
	proxied := make(chan string, 1)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied <- r.URL.String() // a proxy receives the absolute URL
	}))
	defer proxy.Close()
	setProxyEnv(t, proxy.URL, "http://secure-proxy.test:3128", "direct.test")

	c, err := NewHTTPClient(HTTPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := get(t, c, "http://veeam.test:4443/v8/Organizations"); err != nil {
		t.Fatalf("GET through proxy: %v", err)
	}
	if got := <-proxied; got != "http://veeam.test:4443/v8/Organizations" {
		t.Errorf("proxy saw %q, want the request's absolute URL", got)
	}

	proxyFor := c.Transport.(*http.Transport).Proxy
	tests := []struct {
		url  string
		want string
	}{
		{"https://veeam.test:4443/v8/token", "http://secure-proxy.test:3128"},
		{"https://direct.test/v8/token", ""},
		{"https://sub.direct.test/v8/token", ""},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, tt.url, nil)
		u, err := proxyFor(req)
		if err != nil {
			t.Fatalf("proxy for %s: %v", tt.url, err)
		}
		got := ""
		if u != nil {
			got = u.String()
		}
		if got != tt.want {
			t.Errorf("proxy for %s = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestNewHTTPClientTimesOutWaitingForHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}))
	defer srv.Close()
	c, err := NewHTTPClient(HTTPConfig{Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = get(t, c, srv.URL)
	if e := TransportError("veeam", "list organizations", err); e.Kind != KindTimeout {
		t.Fatalf("error = %v, want kind timeout", e)
	}
	if !errors.Is(TransportError("veeam", "x", err), err) {
		t.Error("TransportError lost the transport error")
	}
}

// TestPoolKeepsConnectionsForTheLoad: after a burst of concurrent calls, the
// same burst again reuses the pooled connections and opens none.
func TestPoolKeepsConnectionsForTheLoad(t *testing.T) {
	const concurrent = 64
	var opened atomic.Int64
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Answer only once every call of the burst is in flight, so each
		// holds its own connection.
		arrived.Done()
		arrived.Wait()
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := NewHTTPClient(HTTPConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	burst := func() {
		arrived.Add(concurrent)
		var wg sync.WaitGroup
		for range concurrent {
			wg.Go(func() {
				resp, err := c.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		wg.Wait()
	}
	burst()
	if n := opened.Load(); n != concurrent {
		t.Fatalf("first burst opened %d connections, want %d", n, concurrent)
	}
	burst()
	if n := opened.Load() - concurrent; n != 0 {
		t.Errorf("second burst opened %d new connections, want 0 (the pool keeps %d)", n, concurrent)
	}
}
