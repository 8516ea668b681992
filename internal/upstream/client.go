package upstream

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// DefaultTimeout bounds each step of reaching a backend (connecting, the TLS
// handshake, waiting for the response headers) when HTTPConfig.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// MaxIdleConnsPerHost is how many idle keep-alive connections the client
// keeps to one backend host. An inbound request uses at most one backend
// connection at a time, so under a steady load of up to this many concurrent
// requests every call finds a connection in the pool and none is opened (with
// Go's default of 2, or the 32 used before, a load of 64 opened ~150 new
// connections per 1,000 requests). Connections idle for 90 s are closed, so
// a quiet gateway holds none. (An HTTP/2 backend multiplexes calls over one
// connection and is not concerned.)
const MaxIdleConnsPerHost = 512

// HTTPConfig is how an adapter's outbound HTTP client reaches its backend.
type HTTPConfig struct {
	// CAFile is a PEM bundle trusted in addition to the system roots (for a
	// backend with a self-signed or private-CA certificate). Empty: system
	// roots only.
	CAFile string
	// InsecureSkipVerify turns off certificate verification. Only for an
	// explicit operator setting, which the caller must log loudly.
	InsecureSkipVerify bool
	// Timeout bounds each step of one attempt: dialing, the TLS handshake and
	// waiting for the response headers. Zero means DefaultTimeout. The whole
	// call's deadline comes from the caller's context.
	Timeout time.Duration
}

// NewHTTPClient builds the client an adapter uses: TLS 1.2 or newer, the
// system roots plus cfg.CAFile, the proxy named by HTTPS_PROXY, HTTP_PROXY and
// NO_PROXY (read once, now), per-step timeouts and pooled keep-alive
// connections. The client itself has no overall timeout: every call carries
// its deadline in its context.
func NewHTTPClient(cfg HTTPConfig) (*http.Client, error) {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tlsConfig := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: cfg.InsecureSkipVerify,
	}
	if cfg.CAFile != "" {
		pool, err := certPool(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		tlsConfig.RootCAs = pool
	}
	proxy := httpproxy.FromEnvironment().ProxyFunc()
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 func(r *http.Request) (*url.URL, error) { return proxy(r.URL) },
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          2 * MaxIdleConnsPerHost,
		MaxIdleConnsPerHost:   MaxIdleConnsPerHost,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: transport}, nil
}

// certPool is the system pool plus every certificate in the PEM file at path.
func certPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("upstream: read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("upstream: CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// InsecureSkipVerify reports whether c's transport skips certificate
// verification, so an adapter can warn about it whoever built the client. It
// sees through a transport wrapped by one that has an Unwrap method (such as
// the tracing transport).
func InsecureSkipVerify(c *http.Client) bool {
	if c == nil {
		return false
	}
	rt := c.Transport
	for {
		w, ok := rt.(interface{ Unwrap() http.RoundTripper })
		if !ok {
			break
		}
		rt = w.Unwrap()
	}
	t, ok := rt.(*http.Transport)
	return ok && t.TLSClientConfig != nil && t.TLSClientConfig.InsecureSkipVerify
}
