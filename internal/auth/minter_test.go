package auth

import (
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

func TestMintVerifiesThroughJWKS(t *testing.T) {
	m := testMinter(t)
	v := newTestVerifier(t, Config{JWKSURL: newJWKSServer(t, m).URL}, nil)
	cases := []struct {
		name string
		c    MintClaims
		want *Principal
	}{
		{
			name: "delegated scopes in scp",
			c:    MintClaims{Subject: "alice", Scopes: []string{"Organizations.Read", "SyncJobs.Read"}},
			want: &Principal{Subject: "alice", Issuer: testIssuer, Scopes: []string{"Organizations.Read", "SyncJobs.Read"}},
		},
		{
			name: "app-only scopes in roles, with a client id",
			c:    MintClaims{Subject: "automation", Scopes: []string{"SyncJobs.Start"}, Roles: true, ClientID: "client-1"},
			want: &Principal{Subject: "automation", ClientID: "client-1", Issuer: testIssuer, Scopes: []string{"SyncJobs.Start"}},
		},
		{
			name: "no scopes",
			c:    MintClaims{Subject: "nobody", TTL: time.Minute},
			want: &Principal{Subject: "nobody", Issuer: testIssuer},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token, err := m.Mint(tc.c)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			p, err := v.Verify(t.Context(), token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tc.want, p, ignoreCache); diff != "" {
				t.Errorf("principal (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMintClaims(t *testing.T) {
	m := testMinter(t)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	m.now = func() time.Time { return now }

	cases := []struct {
		name      string
		c         MintClaims
		wantExp   time.Time
		wantScp   any
		wantRoles any
	}{
		{name: "scp and given TTL", c: MintClaims{Subject: "s", Scopes: []string{"a", "b"}, TTL: 10 * time.Minute},
			wantExp: now.Add(10 * time.Minute), wantScp: "a b"},
		{name: "roles and default TTL", c: MintClaims{Subject: "s", Scopes: []string{"a", "b"}, Roles: true},
			wantExp: now.Add(DefaultMintTTL), wantRoles: []any{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token, err := m.Mint(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			got := jwt.MapClaims{}
			parsed, err := jwt.NewParser(jwt.WithoutClaimsValidation()).ParseWithClaims(token, got,
				func(*jwt.Token) (any, error) { return m.key.Public(), nil })
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if parsed.Header["kid"] != m.KeyID() || parsed.Header["alg"] != "ES256" {
				t.Errorf("header = %v, want kid %q and alg ES256", parsed.Header, m.KeyID())
			}
			want := jwt.MapClaims{
				"iss": testIssuer, "aud": []any{testAudience}, "sub": "s",
				"iat": float64(now.Unix()), "nbf": float64(now.Unix()), "exp": float64(tc.wantExp.Unix()),
			}
			if tc.wantScp != nil {
				want["scp"] = tc.wantScp
			}
			if tc.wantRoles != nil {
				want["roles"] = tc.wantRoles
			}
			jti, _ := got["jti"].(string)
			if len(jti) < 16 {
				t.Errorf("jti = %q, want a random id", jti)
			}
			delete(got, "jti")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}

	a, _ := m.Mint(MintClaims{Subject: "s"})
	b, _ := m.Mint(MintClaims{Subject: "s"})
	if a == b {
		t.Error("two tokens minted at the same instant are equal: jti is not random")
	}
}

func TestMintErrors(t *testing.T) {
	m := testMinter(t)
	for _, c := range []MintClaims{{}, {Subject: "s", TTL: -time.Second}} {
		if tok, err := m.Mint(c); err == nil {
			t.Errorf("Mint(%+v) = %q, want an error", c, tok)
		}
	}
	if _, err := NewMinter("", testAudience); err == nil {
		t.Error("NewMinter without issuer: no error")
	}
	if _, err := NewMinter(testIssuer, ""); err == nil {
		t.Error("NewMinter without audience: no error")
	}
}

func TestJWKSHandler(t *testing.T) {
	m := testMinter(t)
	rec := httptest.NewRecorder()
	m.JWKS().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	k := set.Keys[0]
	for name, want := range map[string]string{"kty": "EC", "crv": "P-256", "kid": m.KeyID(), "alg": "ES256", "use": "sig"} {
		if k[name] != want {
			t.Errorf("%s = %v, want %q", name, k[name], want)
		}
	}
	if _, ok := k["d"]; ok {
		t.Error("the JWKS holds the private key")
	}

	rec = httptest.NewRecorder()
	m.JWKS().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/.well-known/jwks.json", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405", rec.Code)
	}
}

func TestWriteKeyAndLoadMinter(t *testing.T) {
	m := testMinter(t)
	path := filepath.Join(t.TempDir(), "signing.pem")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteKey(path); err != nil {
		t.Fatalf("WriteKey: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %o, want 600", perm)
	}
	block, _ := pem.Decode(readFile(t, path))
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("key file is not a PKCS #8 PEM block: %v", block)
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		t.Errorf("key file is not PKCS #8: %v", err)
	}

	loaded, err := LoadMinter(path, testIssuer, testAudience)
	if err != nil {
		t.Fatalf("LoadMinter: %v", err)
	}
	if loaded.KeyID() != m.KeyID() {
		t.Errorf("loaded kid = %q, want %q", loaded.KeyID(), m.KeyID())
	}
	// A token from the reloaded key verifies against the original's JWKS.
	v := newTestVerifier(t, Config{JWKSURL: newJWKSServer(t, m).URL}, nil)
	token, err := loaded.Mint(MintClaims{Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), token); err != nil {
		t.Errorf("token of the reloaded key: %v", err)
	}
}

func TestLoadMinterKeyTypes(t *testing.T) {
	dir := t.TempDir()
	rsa := rsaKey(t)
	p384 := ecKey(t, elliptic.P384())
	sec1, err := x509.MarshalECPrivateKey(p384)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024DER, err := x509.MarshalPKCS8PrivateKey(rsaKeyBits(t, 1024))
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		file    string
		wantAlg string // "" means an error
	}{
		{name: "RSA PKCS #1", file: writePEM(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsa)), wantAlg: "RS256"},
		{name: "EC P-384 SEC 1", file: writePEM(t, "EC PRIVATE KEY", sec1), wantAlg: "ES384"},
		{name: "Ed25519", file: writePEM(t, "PRIVATE KEY", edDER)},
		{name: "RSA 1024", file: writePEM(t, "PRIVATE KEY", rsa1024DER)},
		{name: "public key only", file: writePEM(t, "PUBLIC KEY", pkixDER(t, &rsa.PublicKey))},
		{name: "not PEM", file: writeText(t, dir, "junk.pem", "not a key")},
		{name: "missing file", file: filepath.Join(dir, "missing.pem")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadMinter(tc.file, testIssuer, testAudience)
			if tc.wantAlg == "" {
				if err == nil {
					t.Fatalf("LoadMinter = %s minter, want an error", m.Algorithm())
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadMinter: %v", err)
			}
			if m.Algorithm() != tc.wantAlg {
				t.Errorf("algorithm = %s, want %s", m.Algorithm(), tc.wantAlg)
			}
			v := newTestVerifier(t, Config{JWKSURL: newJWKSServer(t, m).URL}, nil)
			token, err := m.Mint(MintClaims{Subject: "s", Scopes: []string{"a"}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(t.Context(), token); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestWritePublicKeyIsAVerifierSource(t *testing.T) {
	m := testMinter(t)
	path := filepath.Join(t.TempDir(), "pub.pem")
	if err := m.WritePublicKey(path); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(readFile(t, path)), "PRIVATE") {
		t.Fatal("public key file holds a private key")
	}
	v := newTestVerifier(t, Config{PublicKeyFile: path}, nil)
	token, err := m.Mint(MintClaims{Subject: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), token); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func writeText(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
