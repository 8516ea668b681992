// Command backend is the trivial Microsoft Graph stand-in of the load run:
// the standard library only, precomputed answers, so that it costs as little
// as possible and every target is measured against the same floor.
//
// It serves three listeners on loopback and prints their URLs as one JSON
// line on stdout:
//   - graph (plain HTTP): GET {root}/jobs/{jobId} answers a 620-byte job,
//     POST {root}/jobs/{jobId}/start answers 204; both want the bearer token
//     the login host issued, any other answers 401.
//   - login (TLS, a CA made at start and written to -ca): the OpenID
//     configuration azidentity reads and the client-credentials token
//     endpoint (the same token for everyone, one hour).
//   - stats (plain HTTP): GET / answers the counters as JSON: requests per
//     kind, token requests per client id, and new connections per listener.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// jobJSON is a job as Graph answers GET {root}/jobs/{jobId}: 620 bytes.
const jobJSON = `{"id":"aWSSingleSignon.e9ff0643b9f2e298af6702760319d135.659a124b-fc8f-4243-9003-8e142f39e54f","templateId":"aWSSingleSignon","schedule":{"expiration":null,"interval":"PT40M","state":"Active"},"status":{"code":"Active","countSuccessiveCompleteFailures":0,"escrowsPruned":false,"lastExecution":{"activityIdentifier":"a8f1e2d3c4","state":"Succeeded","timeBegan":"2026-11-30T21:45:53.6330529Z","timeEnded":"2026-11-30T21:46:02.1204117Z","countEntitled":12,"countImported":12,"error":null},"lastSuccessfulExecution":null,"quarantine":null,"steadyStateLastAchievedTime":"2026-11-30T21:46:02.1204117Z","troubleshootingUrl":""}}`

// Stats is what the stats listener answers.
type Stats struct {
	JobReads       int64            `json:"jobReads"`
	JobStarts      int64            `json:"jobStarts"`
	Unauthorized   int64            `json:"unauthorized"`
	Other          int64            `json:"other"`
	TokenRequests  map[string]int64 `json:"tokenRequests"` // per client_id
	GraphNewConns  int64            `json:"graphNewConns"`
	LoginNewConns  int64            `json:"loginNewConns"`
	GraphOpenConns int64            `json:"graphOpenConns"`
}

type backend struct {
	token                              string
	reads, starts, unauthorized, other atomic.Int64
	graphNew, loginNew, graphOpen      atomic.Int64
	mu                                 sync.Mutex
	tokenRequests                      map[string]int64
	jobBody, tokenBody                 []byte
	tenant                             string
}

func main() {
	caFile := flag.String("ca", "backend-ca.pem", "where to write the login host's CA certificate (PEM)")
	tenant := flag.String("tenant", "11111111-2222-3333-4444-555555555555", "tenant id the login host serves")
	flag.Parse()
	if len(jobJSON) != 620 {
		log.Fatalf("job body is %d bytes, want 620", len(jobJSON))
	}
	tok := make([]byte, 32)
	_, _ = rand.Read(tok)
	b := &backend{token: "bench-" + hex.EncodeToString(tok), tokenRequests: map[string]int64{}, jobBody: []byte(jobJSON), tenant: *tenant}
	b.tokenBody, _ = json.Marshal(map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": b.token})

	cert, caPEM, err := selfSigned()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*caFile, caPEM, 0o600); err != nil {
		log.Fatal(err)
	}
	graphLn := listen()
	loginLn := listen()
	statsLn := listen()
	graph := &http.Server{Handler: http.HandlerFunc(b.graph), ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				b.graphNew.Add(1)
				b.graphOpen.Add(1)
			case http.StateClosed, http.StateHijacked:
				b.graphOpen.Add(-1)
			}
		}}
	login := &http.Server{Handler: http.HandlerFunc(b.login), ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				b.loginNew.Add(1)
			}
		}}
	stats := &http.Server{Handler: http.HandlerFunc(b.stats), ReadHeaderTimeout: 10 * time.Second}
	go func() { log.Fatal(graph.Serve(graphLn)) }()
	go func() { log.Fatal(login.ServeTLS(loginLn, "", "")) }()
	go func() { log.Fatal(stats.Serve(statsLn)) }()
	out, _ := json.Marshal(map[string]string{
		"graph": "http://" + graphLn.Addr().String(),
		"login": "https://" + loginLn.Addr().String(),
		"stats": "http://" + statsLn.Addr().String(),
	})
	fmt.Println(string(out))
	select {}
}

func listen() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	return ln
}

// graph serves the job read and the job start under /beta or /v1.0.
func (b *backend) graph(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+b.token {
		b.unauthorized.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty or invalid."}}`))
		return
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && strings.Contains(path, "/synchronization/jobs/") && !strings.HasSuffix(path, "/start"):
		b.reads.Add(1)
		h := w.Header()
		h["Content-Type"] = []string{"application/json;odata.metadata=minimal"}
		h["Request-Id"] = []string{"7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"}
		_, _ = w.Write(b.jobBody)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/start"):
		b.starts.Add(1)
		w.Header()["Request-Id"] = []string{"7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e70"}
		w.WriteHeader(http.StatusNoContent)
	default:
		b.other.Add(1)
		http.NotFound(w, r)
	}
}

// login serves the OpenID configuration and the token endpoint.
func (b *backend) login(w http.ResponseWriter, r *http.Request) {
	base := "https://" + r.Host + "/" + b.tenant
	switch {
	case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
		doc, _ := json.Marshal(map[string]any{
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"jwks_uri":                              base + "/discovery/v2.0/keys",
			"response_modes_supported":              []string{"query", "fragment", "form_post"},
			"subject_types_supported":               []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
			"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
			"issuer":                                base + "/v2.0",
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
			"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
			"tenant_region_scope":                   "EU",
			"cloud_instance_name":                   "microsoftonline.com",
			"cloud_graph_host_name":                 "graph.windows.net",
			"msgraph_host":                          "graph.microsoft.com",
		})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") && r.Method == http.MethodPost:
		_ = r.ParseForm()
		b.mu.Lock()
		b.tokenRequests[r.PostForm.Get("client_id")]++
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b.tokenBody)
	default:
		http.NotFound(w, r)
	}
}

func (b *backend) stats(w http.ResponseWriter, _ *http.Request) {
	b.mu.Lock()
	tr := make(map[string]int64, len(b.tokenRequests))
	for k, v := range b.tokenRequests {
		tr[k] = v
	}
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Stats{
		JobReads: b.reads.Load(), JobStarts: b.starts.Load(), Unauthorized: b.unauthorized.Load(), Other: b.other.Load(),
		TokenRequests: tr, GraphNewConns: b.graphNew.Load(), LoginNewConns: b.loginNew.Load(), GraphOpenConns: b.graphOpen.Load(),
	})
}

// selfSigned makes a CA-signed-by-itself certificate for 127.0.0.1 and
// localhost, returning it and its PEM.
func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "syncgate bench backend"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
