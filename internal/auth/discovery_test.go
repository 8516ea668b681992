package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"slices"
	"testing"

	"github.com/MicahParks/jwkset"
)

// TestAlgorithmsOfKeys: the algorithms chosen for unset
// SYNCGATE_JWT_ALGORITHMS with discovery are those of the keys found: a
// key's family, or only its own alg when it names one.
func TestAlgorithmsOfKeys(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := func(key any, alg jwkset.ALG) jwkset.JWK {
		t.Helper()
		k, err := jwkset.NewJWKFromKey(key, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{ALG: alg, KID: string(alg) + "k"}})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	tests := []struct {
		name string
		keys []jwkset.JWK
		want []string
	}{
		{"RSA without alg", []jwkset.JWK{jwk(&rsaKey.PublicKey, "")}, []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}},
		{"RSA naming RS256 (Entra)", []jwkset.JWK{jwk(&rsaKey.PublicKey, jwkset.AlgRS256)}, []string{"RS256"}},
		{"RSA and P-384", []jwkset.JWK{jwk(&rsaKey.PublicKey, jwkset.AlgRS256), jwk(&ecKey.PublicKey, "")}, []string{"RS256", "ES384"}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		if got := algorithmsOfKeys(tt.keys, asymmetricAlgorithms()); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, got, tt.want)
		}
	}
}
