package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "https://login.example.test/tenant/v2.0"
	testAudience = "api://syncgate"
)

func testMinter(t *testing.T) *Minter {
	t.Helper()
	m, err := NewMinter(testIssuer, testAudience)
	if err != nil {
		t.Fatalf("NewMinter: %v", err)
	}
	return m
}

// jwksServer serves the JWKS of whichever minters are current and counts the
// downloads.
type jwksServer struct {
	URL     string
	hits    atomic.Int64
	mu      sync.Mutex
	minters []*Minter
	down    bool
}

func newJWKSServer(t *testing.T, minters ...*Minter) *jwksServer {
	t.Helper()
	s := &jwksServer{minters: minters}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		minters, down := s.minters, s.down
		s.mu.Unlock()
		if down {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		for _, m := range minters {
			set.Keys = append(set.Keys, publicJWK(t, m))
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/keys"
	return s
}

func (s *jwksServer) serve(minters ...*Minter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.minters = minters
}

func (s *jwksServer) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// publicJWK returns the one JWK the minter's JWKS handler serves.
func publicJWK(t *testing.T, m *Minter) json.RawMessage {
	t.Helper()
	rec := httptest.NewRecorder()
	m.JWKS().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/keys", nil))
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("minter JWKS %q: %v", rec.Body.String(), err)
	}
	return set.Keys[0]
}

func publicKeyPEM(t *testing.T, m *Minter) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pub.pem")
	if err := m.WritePublicKey(path); err != nil {
		t.Fatalf("WritePublicKey: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestVerifier(t *testing.T, cfg Config, logger *slog.Logger) *Verifier {
	t.Helper()
	if cfg.Issuers == nil {
		cfg.Issuers = []string{"https://other.example.test", testIssuer}
	}
	if cfg.Audiences == nil {
		cfg.Audiences = []string{testAudience, "api://other"}
	}
	v, err := NewVerifier(t.Context(), cfg, logger)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// claimsNow returns valid claims for testIssuer and testAudience, changed by
// the given edits (a nil value deletes the claim).
func claimsNow(edits jwt.MapClaims) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"iss": testIssuer,
		"aud": testAudience,
		"sub": "user-1",
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// sign signs claims with any method and key; kid "" leaves the header
// without a key id.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", method.Alg(), err)
	}
	return s
}

// mint signs claims with the minter's own key and kid.
func mint(t *testing.T, m *Minter, claims jwt.Claims) string {
	t.Helper()
	s, err := m.sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	return rsaKeyBits(t, 2048)
}

func rsaKeyBits(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecKey(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func pkixDER(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// logBuffer is a debug-level JSON logger whose output the test can search.
func logBuffer() (*slog.Logger, *syncBuffer) {
	b := &syncBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)
