package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// DefaultMintTTL is the lifetime of a minted token when MintClaims.TTL is zero.
const DefaultMintTTL = time.Hour

// Minter signs tokens with a local development or demo key (ECDSA or RSA),
// for `syncgate demo` and `syncgate token`. Its public key is served as a
// JWKS so that the gateway's real verification path checks the tokens.
type Minter struct {
	key      crypto.Signer
	method   jwt.SigningMethod
	kid      string
	issuer   string
	audience string
	jwks     []byte
	now      func() time.Time
}

// MintClaims says what a minted token carries.
type MintClaims struct {
	// Subject is sub (required).
	Subject string
	// Scopes go to scp as one space-separated string, or to roles as an
	// array when Roles is set (as Entra's app-only tokens carry them).
	Scopes []string
	// TTL is the token's lifetime; zero means DefaultMintTTL.
	TTL time.Duration
	// Roles puts the scopes in roles instead of scp.
	Roles bool
	// ClientID, when set, goes to azp.
	ClientID string
	// ObjectID, when set, goes to oid.
	ObjectID string
}

// NewMinter returns a minter with a fresh ECDSA P-256 (ES256) key.
func NewMinter(issuer, audience string) (*Minter, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: new minter: generate key: %w", err)
	}
	m, err := newMinter(key, issuer, audience)
	if err != nil {
		return nil, fmt.Errorf("auth: new minter: %w", err)
	}
	return m, nil
}

// LoadMinter returns a minter with the private key in pemFile (PKCS #8, or
// SEC 1 / PKCS #1): ECDSA P-256, P-384 or P-521 (ES256, ES384, ES512) or RSA
// of at least 2048 bits (RS256).
func LoadMinter(pemFile, issuer, audience string) (*Minter, error) {
	key, err := readPrivateKey(pemFile)
	if err != nil {
		return nil, fmt.Errorf("auth: load minter key %s: %w", pemFile, err)
	}
	m, err := newMinter(key, issuer, audience)
	if err != nil {
		return nil, fmt.Errorf("auth: load minter key %s: %w", pemFile, err)
	}
	return m, nil
}

func newMinter(key crypto.Signer, issuer, audience string) (*Minter, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("issuer and audience are required")
	}
	var method jwt.SigningMethod
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve.Params().Name {
		case "P-256":
			method = jwt.SigningMethodES256
		case "P-384":
			method = jwt.SigningMethodES384
		case "P-521":
			method = jwt.SigningMethodES512
		default:
			return nil, fmt.Errorf("ECDSA curve %s is not supported", k.Curve.Params().Name)
		}
	case *rsa.PrivateKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key has %d bits, at least %d are required", k.N.BitLen(), minRSABits)
		}
		method = jwt.SigningMethodRS256
	default:
		return nil, fmt.Errorf("key type %T is not supported (ECDSA or RSA)", key)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	sum := sha256.Sum256(der)
	m := &Minter{
		key:      key,
		method:   method,
		kid:      base64.RawURLEncoding.EncodeToString(sum[:12]),
		issuer:   issuer,
		audience: audience,
		now:      time.Now,
	}
	jwk, err := jwkset.NewJWKFromKey(key.Public(), jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{ALG: jwkset.ALG(method.Alg()), KID: m.kid, USE: jwkset.UseSig},
	})
	if err != nil {
		return nil, fmt.Errorf("public JWK: %w", err)
	}
	m.jwks, err = json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	if err != nil {
		return nil, fmt.Errorf("public JWK set: %w", err)
	}
	return m, nil
}

// readPrivateKey reads the first private key in a PEM file.
func readPrivateKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		var key any
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", block.Type, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("key type %T cannot sign", key)
		}
		return signer, nil
	}
}

// KeyID returns the kid of the minter's key (a digest of the public key).
func (m *Minter) KeyID() string { return m.kid }

// Algorithm returns the JWS algorithm the minter signs with.
func (m *Minter) Algorithm() string { return m.method.Alg() }

// WriteKey writes the private key to path as PKCS #8 PEM, readable only by
// its owner (0600). The file is replaced atomically.
func (m *Minter) WriteKey(path string) error {
	der, err := x509.MarshalPKCS8PrivateKey(m.key)
	if err != nil {
		return fmt.Errorf("auth: write minter key %s: %w", path, err)
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("auth: write minter key %s: %w", path, err)
	}
	return nil
}

// WritePublicKey writes the public key to path as PKIX PEM (0644), the form
// Config.PublicKeyFile reads.
func (m *Minter) WritePublicKey(path string) error {
	der, err := x509.MarshalPKIXPublicKey(m.key.Public())
	if err != nil {
		return fmt.Errorf("auth: write minter public key %s: %w", path, err)
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("auth: write minter public key %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path (created 0600,
// so a private key is never readable by others, not even briefly), sets perm,
// and renames it over path.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// JWKS returns a handler that serves the public key as a JWK Set:
// {"keys":[{"kty":...,"kid":...,"alg":...,"use":"sig",...}]}.
func (m *Minter) JWKS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(m.jwks)
	})
}

// mintedClaims is the payload of a minted token.
type mintedClaims struct {
	jwt.RegisteredClaims
	Scp   string   `json:"scp,omitempty"`
	Roles []string `json:"roles,omitempty"`
	AZP   string   `json:"azp,omitempty"`
	OID   string   `json:"oid,omitempty"`
}

// Mint signs a token with iss, aud, sub, iat, nbf, exp, jti and the scopes
// (scp, or roles), and the key id in its header.
func (m *Minter) Mint(c MintClaims) (string, error) {
	if c.Subject == "" {
		return "", errors.New("auth: mint token: subject is required")
	}
	if c.TTL < 0 {
		return "", fmt.Errorf("auth: mint token: TTL %s is negative", c.TTL)
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultMintTTL
	}
	now := m.now()
	claims := mintedClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    m.issuer,
			Subject:   c.Subject,
			Audience:  jwt.ClaimStrings{m.audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        rand.Text(),
		},
		AZP: c.ClientID,
		OID: c.ObjectID,
	}
	if c.Roles {
		claims.Roles = c.Scopes
	} else {
		claims.Scp = strings.Join(c.Scopes, " ")
	}
	return m.sign(claims)
}

// sign signs any claims with the minter's key and key id.
func (m *Minter) sign(claims jwt.Claims) (string, error) {
	t := jwt.NewWithClaims(m.method, claims)
	t.Header["kid"] = m.kid
	s, err := t.SignedString(m.key)
	if err != nil {
		return "", fmt.Errorf("auth: mint token: %w", err)
	}
	return s, nil
}
