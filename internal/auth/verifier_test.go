package auth

import (
	"context"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// verifyCase is one token and what Verify must make of it.
type verifyCase struct {
	name  string
	token string
	// wantErr is the TokenError reason; "" means the token is accepted.
	wantErr string
	// wantIs, when set, must be in the error's chain.
	wantIs error
	want   *Principal
}

func runVerifyCases(t *testing.T, v *Verifier, cases []verifyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(t.Context(), tc.token)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify: %v (%v)", err, errors.Unwrap(err))
				}
				if tc.want != nil {
					if diff := cmp.Diff(tc.want, p, ignoreCache); diff != "" {
						t.Errorf("principal (-want +got):\n%s", diff)
					}
				}
				return
			}
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("Verify error = %v (%T), want *TokenError %q", err, err, tc.wantErr)
			}
			if te.Error() != tc.wantErr {
				t.Errorf("reason = %q, want %q (underlying: %v)", te.Error(), tc.wantErr, te.Err)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", te.Err, tc.wantIs)
			}
			if len(tc.token) > 20 && strings.Contains(fmt.Sprintf("%v %v", te, te.Err), tc.token) {
				t.Errorf("error text contains the token")
			}
		})
	}
}

func TestVerifyJWKS(t *testing.T) {
	m := testMinter(t)
	other := ecKey(t, elliptic.P256())
	srv := newJWKSServer(t, m)
	logger, logs := logBuffer()
	v := newTestVerifier(t, Config{JWKSURL: srv.URL, Leeway: time.Minute}, logger)
	now := time.Now()
	pubPEM := publicKeyPEM(t, m)
	jwk := publicJWK(t, m)

	cases := []verifyCase{
		{
			name:  "scp as space-separated string",
			token: mint(t, m, claimsNow(jwt.MapClaims{"scp": "Organizations.Read Organizations.Sync", "oid": "oid-1", "azp": "client-1"})),
			want: &Principal{Subject: "user-1", ObjectID: "oid-1", ClientID: "client-1", Issuer: testIssuer,
				Scopes: []string{"Organizations.Read", "Organizations.Sync"}},
		},
		{
			name:  "scp as array",
			token: mint(t, m, claimsNow(jwt.MapClaims{"scp": []string{"SyncJobs.Read", "SyncJobs.Start"}})),
			want:  &Principal{Subject: "user-1", Issuer: testIssuer, Scopes: []string{"SyncJobs.Read", "SyncJobs.Start"}},
		},
		{
			name:  "RFC 9068 scope string",
			token: mint(t, m, claimsNow(jwt.MapClaims{"scope": "SyncJobs.Read  Organizations.Read"})),
			want:  &Principal{Subject: "user-1", Issuer: testIssuer, Scopes: []string{"SyncJobs.Read", "Organizations.Read"}},
		},
		{
			name:  "scope as array tolerated",
			token: mint(t, m, claimsNow(jwt.MapClaims{"scope": []string{"SyncJobs.Read"}})),
			want:  &Principal{Subject: "user-1", Issuer: testIssuer, Scopes: []string{"SyncJobs.Read"}},
		},
		{
			name:  "app-only roles with appid",
			token: mint(t, m, claimsNow(jwt.MapClaims{"roles": []string{"SyncJobs.Start"}, "appid": "app-1", "oid": "sp-1", "sub": "sp-1"})),
			want:  &Principal{Subject: "sp-1", ObjectID: "sp-1", ClientID: "app-1", Issuer: testIssuer, Scopes: []string{"SyncJobs.Start"}},
		},
		{
			name:  "RFC 9068 client_id",
			token: mint(t, m, claimsNow(jwt.MapClaims{"scope": "SyncJobs.Read", "client_id": "cid-1"})),
			want:  &Principal{Subject: "user-1", ClientID: "cid-1", Issuer: testIssuer, Scopes: []string{"SyncJobs.Read"}},
		},
		{
			name: "union of scp, scope and roles without duplicates; azp wins over appid",
			token: mint(t, m, claimsNow(jwt.MapClaims{"scp": "a b", "scope": "b c", "roles": []string{"c", "d"},
				"azp": "azp-1", "appid": "appid-1"})),
			want: &Principal{Subject: "user-1", ClientID: "azp-1", Issuer: testIssuer, Scopes: []string{"a", "b", "c", "d"}},
		},
		{
			name:  "no scopes at all",
			token: mint(t, m, claimsNow(nil)),
			want:  &Principal{Subject: "user-1", Issuer: testIssuer},
		},
		{
			name:  "second accepted issuer and audience array holding an accepted one",
			token: mint(t, m, claimsNow(jwt.MapClaims{"iss": "https://other.example.test", "aud": []string{"api://else", "api://other"}})),
			want:  &Principal{Subject: "user-1", Issuer: "https://other.example.test"},
		},
		{
			name:  "token without kid is checked against every key",
			token: sign(t, jwt.SigningMethodES256, m.key, "", claimsNow(nil)),
		},
		{
			name:  "expired within the leeway",
			token: mint(t, m, claimsNow(jwt.MapClaims{"exp": now.Add(-30 * time.Second).Unix()})),
		},
		{name: "not three parts", token: "abc.def", wantErr: reasonMalformed, wantIs: jwt.ErrTokenMalformed},
		{name: "four parts", token: "a.b.c.d", wantErr: reasonMalformed},
		{name: "garbage base64", token: "!!!.@@@.###", wantErr: reasonMalformed},
		{name: "header not JSON", token: "bm90LWpzb24.e30.c2ln", wantErr: reasonMalformed},
		{
			name:    "payload not base64",
			token:   strings.Join([]string{strings.Split(mint(t, m, claimsNow(nil)), ".")[0], "%%%", "c2ln"}, "."),
			wantErr: reasonMalformed,
		},
		{
			name:    "scp of the wrong type",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"scp": 42})),
			wantErr: reasonMalformed,
		},
		{
			name:    "crit header",
			token:   signWithHeader(t, m, map[string]any{"crit": []string{"exp"}}),
			wantErr: reasonMalformed,
		},
		{
			name:    "signed by another key under the same kid",
			token:   sign(t, jwt.SigningMethodES256, other, m.KeyID(), claimsNow(nil)),
			wantErr: reasonSignature, wantIs: jwt.ErrTokenSignatureInvalid,
		},
		{
			name:    "no kid and signed by another key",
			token:   sign(t, jwt.SigningMethodES256, other, "", claimsNow(nil)),
			wantErr: reasonSignature,
		},
		{
			name:    "tampered payload",
			token:   tamper(t, mint(t, m, claimsNow(jwt.MapClaims{"scp": "SyncJobs.Read"})), claimsNow(jwt.MapClaims{"scp": "SyncJobs.Start"})),
			wantErr: reasonSignature,
		},
		{
			name:    "expired",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"exp": now.Add(-2 * time.Hour).Unix(), "iat": now.Add(-3 * time.Hour).Unix(), "nbf": nil})),
			wantErr: reasonExpired, wantIs: jwt.ErrTokenExpired,
		},
		{
			name:    "not yet valid",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"nbf": now.Add(2 * time.Hour).Unix(), "exp": now.Add(3 * time.Hour).Unix()})),
			wantErr: reasonNotYetValid, wantIs: jwt.ErrTokenNotValidYet,
		},
		{
			name:    "issued in the future",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"iat": now.Add(2 * time.Hour).Unix(), "exp": now.Add(3 * time.Hour).Unix()})),
			wantErr: reasonIssuedLater, wantIs: jwt.ErrTokenUsedBeforeIssued,
		},
		{
			name:    "missing exp",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"exp": nil})),
			wantErr: reasonNoExpiry, wantIs: jwt.ErrTokenRequiredClaimMissing,
		},
		{
			name:    "wrong issuer",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"iss": "https://evil.example.test"})),
			wantErr: reasonIssuer, wantIs: jwt.ErrTokenInvalidIssuer,
		},
		{
			name:    "missing issuer",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"iss": nil})),
			wantErr: reasonIssuer,
		},
		{
			name:    "wrong audience string",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"aud": "api://else"})),
			wantErr: reasonAudience, wantIs: jwt.ErrTokenInvalidAudience,
		},
		{
			name:    "wrong audience array",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"aud": []string{"api://else", "api://more"}})),
			wantErr: reasonAudience,
		},
		{
			name:    "missing audience",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"aud": nil})),
			wantErr: reasonAudience,
		},
		{
			name:    "alg none",
			token:   sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, m.KeyID(), claimsNow(nil)),
			wantErr: reasonAlgorithm,
		},
		{
			name:    "HS256 signed with the public key PEM",
			token:   sign(t, jwt.SigningMethodHS256, pubPEM, m.KeyID(), claimsNow(nil)),
			wantErr: reasonAlgorithm,
		},
		{
			name:    "HS256 signed with the public JWK",
			token:   sign(t, jwt.SigningMethodHS256, []byte(jwk), m.KeyID(), claimsNow(nil)),
			wantErr: reasonAlgorithm,
		},
		{
			name:    "ES384 token under the ES256 key's kid",
			token:   sign(t, jwt.SigningMethodES384, ecKey(t, elliptic.P384()), m.KeyID(), claimsNow(nil)),
			wantErr: reasonKeyMismatch,
		},
	}
	runVerifyCases(t, v, cases)

	// The empty token is ErrNoToken, not a TokenError.
	if _, err := v.Verify(t.Context(), ""); !errors.Is(err, ErrNoToken) {
		t.Errorf("Verify(\"\") = %v, want ErrNoToken", err)
	}
	if got := srv.hits.Load(); got != 1 {
		t.Errorf("JWKS downloads = %d, want 1 (no case has an unknown kid)", got)
	}
	out := logs.String()
	for _, tc := range cases {
		if parts := strings.Split(tc.token, "."); len(parts) == 3 && len(parts[2]) > 20 && strings.Contains(out, parts[2]) {
			t.Errorf("log output holds the token of case %q", tc.name)
		}
	}
}

// signWithHeader signs valid claims with the minter's key and extra header
// parameters.
func signWithHeader(t *testing.T, m *Minter, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m.method, claimsNow(nil))
	tok.Header["kid"] = m.KeyID()
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(m.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tamper replaces the payload of a signed token, keeping its signature.
func tamper(t *testing.T, token string, claims jwt.MapClaims) string {
	t.Helper()
	forged := sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("k", 32)), "", claims)
	parts, forgedParts := strings.Split(token, "."), strings.Split(forged, ".")
	return parts[0] + "." + forgedParts[1] + "." + parts[2]
}

func TestVerifyAllowList(t *testing.T) {
	m := testMinter(t)
	srv := newJWKSServer(t, m)
	v := newTestVerifier(t, Config{JWKSURL: srv.URL, Algorithms: []string{"RS256", "PS256"}}, nil)
	runVerifyCases(t, v, []verifyCase{
		{name: "ES256 outside the allow-list", token: mint(t, m, claimsNow(nil)), wantErr: reasonAlgorithm},
	})
}

func TestVerifyHMAC(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	v := newTestVerifier(t, Config{HMACSecret: secret}, nil)
	m := testMinter(t)
	runVerifyCases(t, v, []verifyCase{
		{name: "HS256", token: sign(t, jwt.SigningMethodHS256, secret, "", claimsNow(jwt.MapClaims{"scp": "a"})),
			want: &Principal{Subject: "user-1", Issuer: testIssuer, Scopes: []string{"a"}}},
		{name: "HS512", token: sign(t, jwt.SigningMethodHS512, secret, "any-kid", claimsNow(nil))},
		{name: "other secret", token: sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), "", claimsNow(nil)), wantErr: reasonSignature},
		{name: "ES256 token", token: mint(t, m, claimsNow(nil)), wantErr: reasonAlgorithm},
		{name: "RS256 token", token: sign(t, jwt.SigningMethodRS256, rsaKey(t), "", claimsNow(nil)), wantErr: reasonAlgorithm},
		{name: "alg none", token: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claimsNow(nil)), wantErr: reasonAlgorithm},
		{name: "expired", token: sign(t, jwt.SigningMethodHS256, secret, "", claimsNow(jwt.MapClaims{"exp": time.Now().Add(-time.Hour).Unix()})), wantErr: reasonExpired},
	})
	if err := v.Ready(t.Context()); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

func TestVerifyPublicKeyFile(t *testing.T) {
	ecMinter := testMinter(t)
	ecFile := writePEM(t, "PUBLIC KEY", pkixDER(t, ecMinter.key.Public()))
	ecVerifier := newTestVerifier(t, Config{PublicKeyFile: ecFile}, nil)
	other := ecKey(t, elliptic.P256())
	runVerifyCases(t, ecVerifier, []verifyCase{
		{name: "ES256", token: mint(t, ecMinter, claimsNow(jwt.MapClaims{"scp": "a"})),
			want: &Principal{Subject: "user-1", Issuer: testIssuer, Scopes: []string{"a"}}},
		{name: "ES256 without kid", token: sign(t, jwt.SigningMethodES256, ecMinter.key, "", claimsNow(nil))},
		{name: "other key", token: sign(t, jwt.SigningMethodES256, other, "", claimsNow(nil)), wantErr: reasonSignature},
		{name: "ES384 does not fit a P-256 key", token: sign(t, jwt.SigningMethodES384, ecKey(t, elliptic.P384()), "", claimsNow(nil)), wantErr: reasonAlgorithm},
		{name: "HS256 signed with the PEM file", token: sign(t, jwt.SigningMethodHS256, publicKeyPEM(t, ecMinter), "", claimsNow(nil)), wantErr: reasonAlgorithm},
		{name: "wrong audience", token: mint(t, ecMinter, claimsNow(jwt.MapClaims{"aud": "x"})), wantErr: reasonAudience},
	})
	if err := ecVerifier.Ready(t.Context()); err != nil {
		t.Errorf("Ready: %v", err)
	}

	rsa := rsaKey(t)
	rsaFile := writePEM(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsa.PublicKey))
	rsaVerifier := newTestVerifier(t, Config{PublicKeyFile: rsaFile}, nil)
	runVerifyCases(t, rsaVerifier, []verifyCase{
		{name: "RS256", token: sign(t, jwt.SigningMethodRS256, rsa, "", claimsNow(nil))},
		{name: "PS512", token: sign(t, jwt.SigningMethodPS512, rsa, "", claimsNow(nil))},
		{name: "ES256 does not fit an RSA key", token: mint(t, ecMinter, claimsNow(nil)), wantErr: reasonAlgorithm},
		{name: "HS256 signed with the PEM file", token: sign(t, jwt.SigningMethodHS256, readFile(t, rsaFile), "", claimsNow(nil)), wantErr: reasonAlgorithm},
	})

	cert := selfSigned(t, ecMinter)
	certVerifier := newTestVerifier(t, Config{PublicKeyFile: writePEM(t, "CERTIFICATE", cert)}, nil)
	runVerifyCases(t, certVerifier, []verifyCase{
		{name: "ES256 against a certificate", token: mint(t, ecMinter, claimsNow(nil))},
	})
}

func selfSigned(t *testing.T, m *Minter) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "syncgate test signer"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, m.key.Public(), m.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey, unknown := testMinter(t), testMinter(t), testMinter(t)
	srv := newJWKSServer(t, oldKey)
	v := newTestVerifier(t, Config{JWKSURL: srv.URL}, nil)

	if _, err := v.Verify(t.Context(), mint(t, oldKey, claimsNow(nil))); err != nil {
		t.Fatalf("token of the first key: %v", err)
	}
	srv.serve(newKey)
	if _, err := v.Verify(t.Context(), mint(t, newKey, claimsNow(nil))); err != nil {
		t.Fatalf("token of the rotated-in key: %v", err)
	}
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("JWKS downloads = %d, want 2 (start, one refresh for the new kid)", got)
	}
	// The old key left the set with the refresh; another unknown kid right
	// after must not download the set again.
	for _, m := range []*Minter{oldKey, unknown} {
		_, err := v.Verify(t.Context(), mint(t, m, claimsNow(nil)))
		var te *TokenError
		if !errors.As(err, &te) || te.Reason != reasonKeyNotFound {
			t.Errorf("token of a key not in the set: %v, want %q", err, reasonKeyNotFound)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("JWKS downloads = %d, want still 2 (refresh is rate-limited)", got)
	}
}

func TestUnknownKIDFlood(t *testing.T) {
	m, attacker := testMinter(t), testMinter(t)
	srv := newJWKSServer(t, m)
	v := newTestVerifier(t, Config{JWKSURL: srv.URL}, nil)

	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			token := sign(t, jwt.SigningMethodES256, attacker.key, fmt.Sprintf("made-up-%d", i), claimsNow(nil))
			_, errs[i] = v.Verify(t.Context(), token)
		})
	}
	wg.Wait()
	for i, err := range errs {
		var te *TokenError
		if !errors.As(err, &te) || te.Reason != reasonKeyNotFound {
			t.Errorf("token %d: %v, want %q", i, err, reasonKeyNotFound)
		}
	}
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("JWKS downloads = %d, want 2 (start and one rate-limited refresh)", got)
	}
	if _, err := v.Verify(t.Context(), mint(t, m, claimsNow(nil))); err != nil {
		t.Errorf("a good token after the flood: %v", err)
	}
}

func TestVerifyContextEnded(t *testing.T) {
	m := testMinter(t)
	srv := newJWKSServer(t, m)
	v := newTestVerifier(t, Config{JWKSURL: srv.URL}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := v.Verify(ctx, mint(t, testMinter(t), claimsNow(nil)))
	var te *TokenError
	if !errors.Is(err, context.Canceled) || errors.As(err, &te) {
		t.Errorf("Verify with an ended context = %v, want context.Canceled and no TokenError", err)
	}
}

func TestReadyJWKS(t *testing.T) {
	t.Run("JWKS down at start, up later", func(t *testing.T) {
		m := testMinter(t)
		srv := newJWKSServer(t, m)
		srv.setDown(true)
		logger, logs := logBuffer()
		v := newTestVerifier(t, Config{JWKSURL: srv.URL}, logger)
		if !strings.Contains(logs.String(), "JWKS download failed") {
			t.Errorf("no log line for the failed download; logs:\n%s", logs)
		}
		srv.setDown(false)
		if err := v.Ready(t.Context()); err != nil {
			t.Fatalf("Ready once the JWKS is up: %v", err)
		}
		if _, err := v.Verify(t.Context(), mint(t, m, claimsNow(nil))); err != nil {
			t.Errorf("Verify once ready: %v", err)
		}
	})
	t.Run("JWKS unreachable", func(t *testing.T) {
		srv := httptest.NewServer(nil)
		url := srv.URL + "/keys"
		srv.Close()
		v := newTestVerifier(t, Config{JWKSURL: url}, nil)
		if err := v.Ready(t.Context()); err == nil {
			t.Error("Ready = nil with no keys loaded")
		}
		_, err := v.Verify(t.Context(), mint(t, testMinter(t), claimsNow(nil)))
		var te *TokenError
		if !errors.As(err, &te) || te.Reason != reasonKeyNotFound {
			t.Errorf("Verify with no keys = %v, want %q", err, reasonKeyNotFound)
		}
	})
	t.Run("JWKS with keys", func(t *testing.T) {
		v := newTestVerifier(t, Config{JWKSURL: newJWKSServer(t, testMinter(t)).URL}, nil)
		if err := v.Ready(t.Context()); err != nil {
			t.Errorf("Ready: %v", err)
		}
	})
}

func TestNewVerifierConfigErrors(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	m := testMinter(t)
	pubFile := writePEM(t, "PUBLIC KEY", pkixDER(t, m.key.Public()))
	privFile := t.TempDir() + "/priv.pem"
	if err := m.WriteKey(privFile); err != nil {
		t.Fatal(err)
	}
	smallRSA := writePEM(t, "PUBLIC KEY", pkixDER(t, &rsaKeyBits(t, 1024).PublicKey))
	jwksURL := "https://login.example.test/keys"
	iss, aud := []string{testIssuer}, []string{testAudience}

	cases := []struct {
		name string
		cfg  Config
		want string // a piece of the message
	}{
		{"no key source", Config{Issuers: iss, Audiences: aud}, "exactly one key source"},
		{"JWKS and HMAC", Config{JWKSURL: jwksURL, HMACSecret: secret, Issuers: iss, Audiences: aud}, "2 given"},
		{"JWKS and PEM", Config{JWKSURL: jwksURL, PublicKeyFile: pubFile, Issuers: iss, Audiences: aud}, "2 given"},
		{"no issuer", Config{JWKSURL: jwksURL, Audiences: aud}, "issuer"},
		{"empty issuer", Config{JWKSURL: jwksURL, Issuers: []string{""}, Audiences: aud}, "issuer"},
		{"no audience", Config{JWKSURL: jwksURL, Issuers: iss}, "audience"},
		{"alg none", Config{JWKSURL: jwksURL, Algorithms: []string{"none"}, Issuers: iss, Audiences: aud}, `"none"`},
		{"unknown alg", Config{JWKSURL: jwksURL, Algorithms: []string{"XS256"}, Issuers: iss, Audiences: aud}, `"XS256"`},
		{"HS256 with JWKS", Config{JWKSURL: jwksURL, Algorithms: []string{"RS256", "HS256"}, Issuers: iss, Audiences: aud}, `"HS256"`},
		{"HS256 with PEM", Config{PublicKeyFile: pubFile, Algorithms: []string{"HS256"}, Issuers: iss, Audiences: aud}, `"HS256"`},
		{"RS256 with HMAC", Config{HMACSecret: secret, Algorithms: []string{"RS256"}, Issuers: iss, Audiences: aud}, `"RS256"`},
		{"RS256 with an EC PEM key", Config{PublicKeyFile: pubFile, Algorithms: []string{"RS256"}, Issuers: iss, Audiences: aud}, `"RS256"`},
		{"short HMAC secret", Config{HMACSecret: []byte("short"), Issuers: iss, Audiences: aud}, "at least 32"},
		{"negative leeway", Config{JWKSURL: jwksURL, Leeway: -time.Second, Issuers: iss, Audiences: aud}, "leeway"},
		{"negative unknown kid wait", Config{JWKSURL: jwksURL, UnknownKIDWait: -time.Second, Issuers: iss, Audiences: aud}, "wait"},
		{"plain http JWKS elsewhere", Config{JWKSURL: "http://login.example.test/keys", Issuers: iss, Audiences: aud}, "https"},
		{"relative JWKS URL", Config{JWKSURL: "/keys", Issuers: iss, Audiences: aud}, "absolute"},
		{"missing PEM file", Config{PublicKeyFile: t.TempDir() + "/none.pem", Issuers: iss, Audiences: aud}, "none.pem"},
		{"private key as PEM source", Config{PublicKeyFile: privFile, Issuers: iss, Audiences: aud}, "private key"},
		{"RSA key too small", Config{PublicKeyFile: smallRSA, Issuers: iss, Audiences: aud}, "not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(t.Context(), tc.cfg, nil)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("NewVerifier = %v, %v; want ErrConfig", v, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), string(secret)) {
				t.Errorf("error %q holds the HMAC secret", err)
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConfigMasksSecret(t *testing.T) {
	cfg := Config{HMACSecret: []byte("super-secret-value-0123456789abcdef"), Issuers: []string{testIssuer}}
	logger, logs := logBuffer()
	logger.Info("config", "auth", cfg)
	for name, out := range map[string]string{"fmt": fmt.Sprint(cfg), "%+v": fmt.Sprintf("%+v", cfg), "slog": logs.String()} {
		if strings.Contains(out, "super-secret") || !strings.Contains(out, "[masked]") {
			t.Errorf("%s output %q does not mask the secret", name, out)
		}
	}
}

// TestZeroLeeway: SYNCGATE_JWT_LEEWAY=0 means no clock skew at all, so a token
// expired half a minute ago is refused (zero once meant a 60 s default).
func TestZeroLeeway(t *testing.T) {
	m := testMinter(t)
	srv := newJWKSServer(t, m)
	v := newTestVerifier(t, Config{JWKSURL: srv.URL, Leeway: 0}, nil)
	runVerifyCases(t, v, []verifyCase{
		{name: "fresh", token: mint(t, m, claimsNow(nil))},
		{
			name:    "expired 30 s ago",
			token:   mint(t, m, claimsNow(jwt.MapClaims{"exp": time.Now().Add(-30 * time.Second).Unix()})),
			wantErr: reasonExpired,
		},
	})
}
