package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
)

// minRSABits is the smallest RSA modulus accepted for verifying or minting.
const minRSABits = 2048

// minHMACSecret is the smallest HMAC secret accepted, in bytes: the output
// size of SHA-256 (RFC 7518 §3.2).
const minHMACSecret = 32

// asymmetricAlgorithms lists every JWS algorithm accepted with a JWKS or PEM
// key source.
func asymmetricAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
}

// hmacAlgorithms lists every JWS algorithm accepted with an HMAC secret.
func hmacAlgorithms() []string {
	return []string{"HS256", "HS384", "HS512"}
}

// keyFits reports whether key may verify a signature made with alg: the key's
// type must be the algorithm's family (RSA for RS*/PS*, the algorithm's own
// curve for ES*, Ed25519 for EdDSA, a long enough secret for HS*). This is
// what makes algorithm confusion impossible: a public key is never an HMAC
// secret, and "none" fits no key at all.
func keyFits(alg string, key any) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		k, ok := key.(*rsa.PublicKey)
		return ok && k.N.BitLen() >= minRSABits
	case "ES256":
		return onCurve(key, "P-256")
	case "ES384":
		return onCurve(key, "P-384")
	case "ES512":
		return onCurve(key, "P-521")
	case "EdDSA":
		k, ok := key.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize
	case "HS256", "HS384", "HS512":
		k, ok := key.([]byte)
		return ok && len(k) >= minHMACSecret
	}
	return false
}

func onCurve(key any, curve string) bool {
	k, ok := key.(*ecdsa.PublicKey)
	return ok && k.Curve != nil && k.Curve.Params().Name == curve
}

// algorithmsFor returns the algorithms of candidates that fit key.
func algorithmsFor(key any, candidates []string) []string {
	var out []string
	for _, alg := range candidates {
		if keyFits(alg, key) {
			out = append(out, alg)
		}
	}
	return out
}

// readPublicKey reads a PEM file holding a public key ("PUBLIC KEY" in PKIX
// form, "RSA PUBLIC KEY" in PKCS #1 form) or a certificate, and returns the
// first key found. Private keys are refused: a verifier needs no secret.
func readPublicKey(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no PEM public key or certificate found")
		}
		switch block.Type {
		case "PUBLIC KEY":
			return x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			return x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, err
			}
			return cert.PublicKey, nil
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			return nil, fmt.Errorf("the file holds a private key (%s); give the public key", block.Type)
		}
	}
}

// checkAlgorithms returns the configured algorithms, or the defaults when none
// are configured, after checking each against what the key source supports.
func checkAlgorithms(configured, supported []string, source string) ([]string, []error) {
	if len(configured) == 0 {
		return supported, nil
	}
	var errs []error
	for _, alg := range configured {
		if !slices.Contains(supported, alg) {
			errs = append(errs, fmt.Errorf("algorithm %q does not fit the %s key source (supported: %v)", alg, source, supported))
		}
	}
	return slices.Clone(configured), errs
}
