package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/config"
)

// TestPublicKeyFileDefaultAlgorithms: with SYNCGATE_JWT_PUBLIC_KEY_FILE set
// and SYNCGATE_JWT_ALGORITHMS unset, serve's verifier starts for an RSA and
// an EC key alike and accepts a token signed by the key (unset means every
// algorithm that fits the key; it used to list ES* for an RSA key, which
// the verifier refused).
func TestPublicKeyFileDefaultAlgorithms(t *testing.T) {
	dir := t.TempDir()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaFile := filepath.Join(dir, "rsa.pem")
	if err := os.WriteFile(rsaFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{"iss": "https://issuer.test/", "aud": "api://syncgate", "sub": "s",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix()}
	rsaToken, err := jwt.NewWithClaims(jwt.SigningMethodPS256, claims).SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}

	minter, err := auth.NewMinter("https://issuer.test/", "api://syncgate")
	if err != nil {
		t.Fatal(err)
	}
	ecFile := filepath.Join(dir, "ec.pem")
	if err := minter.WritePublicKey(ecFile); err != nil {
		t.Fatal(err)
	}
	ecToken, err := minter.Mint(auth.MintClaims{Subject: "s", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ name, file, token string }{{"RSA", rsaFile, rsaToken}, {"EC", ecFile, ecToken}} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(envMap{
				"SYNCGATE_JWT_ISSUERS":         "https://issuer.test/",
				"SYNCGATE_JWT_AUDIENCES":       "api://syncgate",
				"SYNCGATE_JWT_PUBLIC_KEY_FILE": tt.file,
			}.get)
			if err != nil {
				t.Fatal(err)
			}
			v, err := auth.NewVerifier(t.Context(), authConfig(cfg), nil)
			if err != nil {
				t.Fatalf("the verifier refused the default algorithms for an %s key: %v", tt.name, err)
			}
			if _, err := v.Verify(t.Context(), tt.token); err != nil {
				t.Fatalf("token signed by the %s key refused: %v", tt.name, err)
			}
		})
	}
}

// envMap is a getenv over a fixed set of variables.
type envMap map[string]string

func (m envMap) get(k string) string { return m[k] }
