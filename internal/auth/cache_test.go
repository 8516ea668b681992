package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// clock is a settable time for a verifier's checks and cache.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func wantReason(t *testing.T, what string, err error, reason string) {
	t.Helper()
	var te *TokenError
	if !errors.As(err, &te) || te.Reason != reason {
		t.Errorf("%s: %v, want a token error %q", what, err, reason)
	}
}

func TestTokenCache(t *testing.T) {
	const maxAge = 5 * time.Minute
	// setup's verifier caches 10,000 tokens unless cfg says how many (-1:
	// none).
	setup := func(t *testing.T, cfg Config) (*Verifier, *jwksServer, *Minter, *clock) {
		oldKey := testMinter(t)
		srv := newJWKSServer(t, oldKey)
		cfg.JWKSURL = srv.URL
		cfg.CacheMaxAge = maxAge
		switch cfg.CacheSize {
		case 0:
			cfg.CacheSize = 10000
		case -1:
			cfg.CacheSize = 0
		}
		v := newTestVerifier(t, cfg, nil)
		c := &clock{t: time.Now()}
		v.now = c.now
		return v, srv, oldKey, c
	}
	// rotate replaces the JWKS's key with a new one and makes the verifier
	// download it (a token of the new key has an unknown kid).
	rotate := func(t *testing.T, v *Verifier, srv *jwksServer) {
		t.Helper()
		newKey := testMinter(t)
		srv.serve(newKey)
		if _, err := v.Verify(t.Context(), mint(t, newKey, claimsNow(nil))); err != nil {
			t.Fatalf("token of the new key: %v", err)
		}
	}

	t.Run("a verified token is answered from the cache until the maximum age", func(t *testing.T) {
		v, srv, oldKey, c := setup(t, Config{})
		token := mint(t, oldKey, claimsNow(map[string]any{"scp": "SyncJobs.Read"}))
		p, err := v.Verify(t.Context(), token)
		if err != nil || !p.HasScope("SyncJobs.Read") {
			t.Fatalf("first verification: %v, %+v", err, p)
		}
		rotate(t, v, srv)
		// The old key is gone: an unseen token of it fails, the cached one
		// is still honoured, with the same principal.
		wantReason(t, "unseen token of the removed key", func() error { _, err := v.Verify(t.Context(), mint(t, oldKey, claimsNow(nil))); return err }(), reasonKeyNotFound)
		c.add(maxAge - time.Second)
		if p2, err := v.Verify(t.Context(), token); err != nil || p2.Subject != p.Subject || !p2.HasScope("SyncJobs.Read") {
			t.Fatalf("cached token within the maximum age: %v, %+v", err, p2)
		}
		c.add(time.Second)
		_, err = v.Verify(t.Context(), token)
		wantReason(t, "cached token at the maximum age", err, reasonKeyNotFound)
	})

	t.Run("an entry never outlives the token's exp", func(t *testing.T) {
		v, _, oldKey, c := setup(t, Config{Leeway: 10 * time.Second})
		token := mint(t, oldKey, claimsNow(map[string]any{"exp": c.now().Add(30 * time.Second).Unix()}))
		if _, err := v.Verify(t.Context(), token); err != nil {
			t.Fatal(err)
		}
		c.add(30*time.Second + 10*time.Second + time.Second) // past exp and the leeway
		_, err := v.Verify(t.Context(), token)
		wantReason(t, "expired token that was cached", err, reasonExpired)
	})

	t.Run("a token differing by one byte is verified on its own", func(t *testing.T) {
		v, _, oldKey, _ := setup(t, Config{})
		token := mint(t, oldKey, claimsNow(nil))
		if _, err := v.Verify(t.Context(), token); err != nil {
			t.Fatal(err)
		}
		for i, what := range map[int]string{len(token) - 2: "signature", strings.IndexByte(token, '.') + 5: "claims"} {
			b := []byte(token)
			b[i] ^= 0x01
			if b[i] == '.' || b[i] == '=' {
				b[i] = 'A'
			}
			if _, err := v.Verify(t.Context(), string(b)); err == nil {
				t.Errorf("token with its %s changed was accepted", what)
			}
		}
	})

	t.Run("the cache holds at most CacheSize tokens", func(t *testing.T) {
		v, _, oldKey, _ := setup(t, Config{CacheSize: 3})
		for i := range 10 {
			if _, err := v.Verify(t.Context(), mint(t, oldKey, claimsNow(map[string]any{"sub": "user-" + string(rune('a'+i))}))); err != nil {
				t.Fatal(err)
			}
			if n := v.cache.len(); n > 3 {
				t.Fatalf("after %d tokens the cache holds %d entries, want at most 3", i+1, n)
			}
		}
	})

	t.Run("turned off, a removed key fails at once", func(t *testing.T) {
		v, srv, oldKey, _ := setup(t, Config{CacheSize: -1})
		token := mint(t, oldKey, claimsNow(nil))
		if _, err := v.Verify(t.Context(), token); err != nil {
			t.Fatal(err)
		}
		rotate(t, v, srv)
		_, err := v.Verify(t.Context(), token)
		wantReason(t, "token of the removed key, no cache", err, reasonKeyNotFound)
	})

	t.Run("failures are not cached", func(t *testing.T) {
		v, _, oldKey, c := setup(t, Config{Leeway: time.Second})
		future := mint(t, oldKey, claimsNow(map[string]any{"nbf": c.now().Add(time.Minute).Unix()}))
		_, err := v.Verify(t.Context(), future)
		wantReason(t, "token not valid yet", err, reasonNotYetValid)
		c.add(time.Minute)
		if _, err := v.Verify(t.Context(), future); err != nil {
			t.Errorf("the same token once valid: %v", err)
		}
	})
}

// benchVerifier is an RS256 verifier over a PEM public key, as `make bench`
// runs syncgate, and a token of 2048-bit RSA.
func benchVerifier(b *testing.B, cfg Config) (*Verifier, string) {
	b.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg.PublicKeyFile, cfg.Issuers, cfg.Audiences = path, []string{testIssuer}, []string{testAudience}
	v, err := NewVerifier(b.Context(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := claimsNow(map[string]any{"scp": "SyncJobs.Read SyncJobs.Start", "azp": "0f9e8d7c-6b5a-4c3d-2e1f-0a9b8c7d6e5f",
		"oid": "b7e0c1d2-3f4a-4b5c-8d9e-0f1a2b3c4d5e", "tid": "11111111-2222-3333-4444-555555555555", "name": "Portal Automation", "ver": "2.0"})
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	raw, err := tok.SignedString(key)
	if err != nil {
		b.Fatal(err)
	}
	return v, raw
}

// BenchmarkTokenCheck is Verify of an RS256 token: cold runs the whole
// verification every time (cache off), cached answers from the cache.
func BenchmarkTokenCheck(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{{"cold", Config{}}, {"cached", Config{CacheSize: 10000, CacheMaxAge: 5 * time.Minute}}} {
		b.Run(bc.name, func(b *testing.B) {
			v, raw := benchVerifier(b, bc.cfg)
			ctx := b.Context()
			if _, err := v.Verify(ctx, raw); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPrincipalScopesJSON: the scopes' JSON made once per verified token is
// the list itself, as the log handler writes it (no HTML escaping), and "[]"
// for none.
func TestPrincipalScopesJSON(t *testing.T) {
	c := &claims{Scp: stringList{"SyncJobs.Read", `a<b>&"c"`}, Roles: stringList{"SyncJobs.Read"}}
	if got, want := string(c.principal().ScopesJSON()), `["SyncJobs.Read","a<b>&\"c\""]`; got != want {
		t.Errorf("ScopesJSON = %s, want %s", got, want)
	}
	if got := string((&claims{}).principal().ScopesJSON()); got != "[]" {
		t.Errorf("ScopesJSON without scopes = %s, want []", got)
	}
	if got := string((&Principal{Scopes: []string{"x"}}).ScopesJSON()); got != `["x"]` {
		t.Errorf("ScopesJSON of a principal made elsewhere = %s, want [\"x\"]", got)
	}
}

// ignoreCache compares principals by what they say (their exported fields),
// not by the scopes' JSON made for the audit log (TestPrincipalScopesJSON).
var ignoreCache = cmpopts.IgnoreUnexported(Principal{})
