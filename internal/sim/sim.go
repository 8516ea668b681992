// Package sim holds what the backend simulators share: a certificate
// authority made at start so they serve TLS like the real servers, a clock
// tests can move, and per-route fault injection. The simulators themselves
// live in veeamsim and graphsim; they are written from the wire facts in
// shared/wire, never from the adapters' code.
package sim

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// CA is a throwaway certificate authority for simulators served over TLS.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// PEM is the CA certificate, PEM-encoded: what a client is told to trust
	// (SYNCGATE_VEEAM_CA_FILE, SYNCGATE_GRAPH_CA_FILE).
	PEM []byte
}

// NewCA makes a new CA valid for a day.
func NewCA() (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sim: ca key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "syncgate simulator CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("sim: ca certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("sim: ca certificate: %w", err)
	}
	return &CA{Cert: cert, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Pool returns a pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// ServerTLS returns a server TLS configuration with a leaf certificate, signed
// by the CA, for 127.0.0.1, ::1, localhost and any extra hosts (IPs or names).
func (ca *CA) ServerTLS(hosts ...string) (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("sim: leaf key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "syncgate simulator"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sim: leaf certificate: %w", err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
	}, nil
}

// StartTLS starts h on a loopback port over TLS with a certificate from the
// CA. The server's Client() trusts it; so does any client trusting ca.Pool().
func (ca *CA) StartTLS(h http.Handler) (*httptest.Server, error) {
	cfg, err := ca.ServerTLS()
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = cfg
	srv.StartTLS()
	return srv, nil
}

// Clock is the simulators' time source.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// FakeClock is a clock that moves only when told, so tests that wait for a
// sync to finish or a token to expire run in no time.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a FakeClock set to t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{t: t} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Fault is what a simulator does instead of (or before) answering a route.
type Fault struct {
	Latency    time.Duration // wait this long first (cut short if the client goes away)
	Status     int           // answer this status with the backend's error body; 0 = answer normally
	Code       string        // the backend error code in that body (Veeam errorCode, Graph error.code)
	Message    string        // the message in that body
	RetryAfter time.Duration // sent as Retry-After, in whole seconds, when > 0
	Drop       bool          // close the connection without answering
	Times      int           // apply to this many requests, then clear; 0 = until cleared
}

// maxFaultBody is the most of a request body read before a Latency fault.
const maxFaultBody = 1 << 20

// ErrorWriter writes a backend-shaped error body.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, status int, code, message string)

// Faults holds the faults tests have switched on, keyed by route pattern as
// registered on the simulator's ServeMux (for example
// "POST /v8/Organizations/{organizationId}/Sync").
type Faults struct {
	mu sync.Mutex
	m  map[string]*Fault
}

// Set switches a fault on for a route pattern.
func (f *Faults) Set(pattern string, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]*Fault{}
	}
	f.m[pattern] = &fault
}

// Clear switches off the fault of a route pattern.
func (f *Faults) Clear(pattern string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, pattern)
}

// Reset switches every fault off.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m = nil
}

func (f *Faults) take(pattern string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.m[pattern]
	if !ok {
		return Fault{}, false
	}
	fault := *p
	if p.Times > 0 {
		p.Times--
		if p.Times == 0 {
			delete(f.m, pattern)
		}
	}
	return fault, true
}

// Wrap applies the fault set for the request's route pattern (r.Pattern), if
// any, before next. Register it around a ServeMux's routes.
func (f *Faults) Wrap(writeErr ErrorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fault, ok := f.take(r.Pattern)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if fault.Latency > 0 {
			// The server notices a client that hangs up only once the
			// request's body has been read: read it first, for the
			// handler to read again.
			body, err := io.ReadAll(io.LimitReader(r.Body, maxFaultBody))
			if err != nil {
				panic(http.ErrAbortHandler)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			t := time.NewTimer(fault.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				// The caller gave up: answer nothing rather than an
				// implicit empty 200.
				t.Stop()
				panic(http.ErrAbortHandler)
			}
		}
		if fault.Drop {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		if fault.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((fault.RetryAfter+time.Second-1)/time.Second)))
		}
		if fault.Status != 0 {
			writeErr(w, r, fault.Status, fault.Code, fault.Message)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Mux is a ServeMux whose every route goes through Faults, so that r.Pattern
// is known when the fault is looked up.
type Mux struct {
	mux      *http.ServeMux
	faults   *Faults
	writeErr ErrorWriter
}

// NewMux returns a Mux applying faults, with writeErr for fault bodies.
func NewMux(faults *Faults, writeErr ErrorWriter) *Mux {
	return &Mux{mux: http.NewServeMux(), faults: faults, writeErr: writeErr}
}

// Handle registers h for a pattern, behind fault injection.
func (m *Mux) Handle(pattern string, h http.HandlerFunc) {
	m.mux.Handle(pattern, m.faults.Wrap(m.writeErr, h))
}

// ServeHTTP serves the request; an unmatched request gets the backend's
// error body with 404 (or 405 for a known path with another method).
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := m.mux.Handler(r)
	if pattern == "" {
		rec := &statusOnly{header: http.Header{}}
		h.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusNotFound
		}
		if allow := rec.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		m.writeErr(w, r, status, "", http.StatusText(status))
		return
	}
	m.mux.ServeHTTP(w, r)
}

// statusOnly records what ServeMux's own not-found / method-not-allowed
// handler would answer, so the simulator can answer it in the backend's shape.
type statusOnly struct {
	header http.Header
	status int
}

func (s *statusOnly) Header() http.Header         { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusOnly) WriteHeader(status int)      { s.status = status }
