// Command baseline is the minimal gateway someone would write instead of
// syncgate, for the load run's comparison: golang-jwt RS256 verification of
// every request (signature, exp, iss, aud), a scope check, and
// httputil.ReverseProxy to Graph with one client-credentials token fetched at
// start. It does no validation, precheck, logging, metrics or tracing: it is
// the floor a gateway with authentication can reach, not a product.
//
// Its transport keeps as many idle connections per host as the load has in
// flight, so that it is not handicapped by Go's default of 2.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address; the bound one is printed as \"listening http://<addr>\"")
	keyFile := flag.String("key", "", "PEM RSA public key verifying the callers' tokens")
	issuer := flag.String("issuer", "", "accepted iss")
	audience := flag.String("audience", "", "accepted aud")
	graphURL := flag.String("graph", "", "Graph base URL (scheme://host:port)")
	tokenURL := flag.String("token-url", "", "client-credentials token endpoint")
	caFile := flag.String("ca", "", "PEM CA trusted for the token endpoint")
	clientID := flag.String("client-id", "baseline", "client id for the token endpoint")
	flag.Parse()

	pemKey, err := os.ReadFile(*keyFile)
	if err != nil {
		log.Fatal(err)
	}
	pub, err := jwt.ParseRSAPublicKeyFromPEM(pemKey)
	if err != nil {
		log.Fatal(err)
	}
	backendToken, err := fetchToken(*tokenURL, *caFile, *clientID)
	if err != nil {
		log.Fatal(err)
	}
	target, err := url.Parse(*graphURL)
	if err != nil {
		log.Fatal(err)
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(),
		jwt.WithIssuer(*issuer), jwt.WithAudience(*audience), jwt.WithLeeway(time.Minute))
	keyfunc := func(*jwt.Token) (any, error) { return pub, nil }

	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// /applications/{app}/jobs/{job}[/start] → /beta/applications/{app}/synchronization/jobs/{job}[/start]
			app, rest, _ := strings.Cut(strings.TrimPrefix(pr.In.URL.Path, "/applications/"), "/jobs/")
			pr.Out.URL.Path = "/beta/applications/" + app + "/synchronization/jobs/" + rest
			pr.Out.URL.RawPath = ""
			pr.Out.Header.Set("Authorization", "Bearer "+backendToken)
		},
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 1024,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		var claims struct {
			jwt.RegisteredClaims
			Scp string `json:"scp"`
		}
		if _, err := parser.ParseWithClaims(raw, &claims, keyfunc); err != nil {
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		need := "SyncJobs.Read"
		if r.Method == http.MethodPost {
			need = "SyncJobs.Start"
		}
		if !slices.Contains(strings.Fields(claims.Scp), need) {
			http.Error(w, "insufficient scope", http.StatusForbidden)
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/applications/") || !strings.Contains(r.URL.Path, "/jobs/") {
			http.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening http://" + ln.Addr().String())
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}

// fetchToken gets one client-credentials token.
func fetchToken(tokenURL, caFile, clientID string) (string, error) {
	pemCA, err := os.ReadFile(caFile)
	if err != nil {
		return "", err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemCA)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.PostForm(tokenURL, url.Values{"client_id": {clientID}, "client_secret": {"bench"},
		"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || t.AccessToken == "" {
		return "", fmt.Errorf("token endpoint answered %s", resp.Status)
	}
	return t.AccessToken, nil
}
