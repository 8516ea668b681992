package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/syncgate/syncgate/internal/auth"
	"github.com/syncgate/syncgate/internal/config"
)

// entraLike serves an Entra ID v2-shaped issuer on loopback: the issuer is
// {base}/{tenant}/v2.0, its discovery document is under it, and the JWKS is
// elsewhere, as Entra's is. named is the issuer the document names ("" for
// the issuer itself).
func entraLike(t *testing.T, named string) (issuer string, minter *auth.Minter) {
	t.Helper()
	const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer = srv.URL + "/" + tenant + "/v2.0"
	if named == "" {
		named = issuer
	}
	var err error
	if minter, err = auth.NewMinter(issuer, "api://syncgate"); err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("GET /"+tenant+"/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": named, "jwks_uri": srv.URL + "/" + tenant + "/discovery/v2.0/keys",
			"authorization_endpoint":                srv.URL + "/" + tenant + "/oauth2/v2.0/authorize",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.Handle("GET /"+tenant+"/discovery/v2.0/keys", minter.JWKS())
	return issuer, minter
}

// TestDiscovery: a gateway configured with only the issuer and the audience
// (SYNCGATE_JWT_DISCOVERY=true) finds the JWKS through the issuer's
// discovery document and verifies its tokens; unset algorithms are those
// that fit the keys found (the issuer's ES256 key: ES256 only).
func TestDiscovery(t *testing.T) {
	issuer, minter := entraLike(t, "")
	cfg, err := config.Load(envMap{
		"SYNCGATE_JWT_ISSUERS":   issuer,
		"SYNCGATE_JWT_AUDIENCES": "api://syncgate",
		"SYNCGATE_JWT_DISCOVERY": "true",
	}.get)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	gw, err := New(t.Context(), cfg, slog.New(slog.NewJSONHandler(&logs, nil)), Hooks{})
	if err != nil {
		t.Fatalf("gateway with discovery: %v", err)
	}
	tok, err := minter.Mint(auth.MintClaims{Subject: "s", Scopes: []string{"Organizations.Read"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	get := func(token string) int {
		r := httptest.NewRequest("GET", "/organizations", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		gw.Handler.ServeHTTP(w, r)
		return w.Code
	}
	// Veeam is not configured: 503 says the token got through.
	if code := get(tok); code != http.StatusServiceUnavailable {
		t.Fatalf("a token of the discovered issuer: %d; want past authentication (503, Veeam not configured)", code)
	}
	other, _ := auth.NewMinter(issuer, "api://syncgate")
	forged, _ := other.Mint(auth.MintClaims{Subject: "s", Scopes: []string{"Organizations.Read"}, TTL: time.Minute})
	if code := get(forged); code != http.StatusUnauthorized {
		t.Fatalf("a token signed by another key: %d; want 401", code)
	}
	if !strings.Contains(logs.String(), `"algorithms":["ES256"]`) {
		t.Errorf("algorithms are not those of the keys found:\n%s", logs.String())
	}
}

// TestDiscoveryIssuerMismatch: a discovery document that names another
// issuer stops start-up with a message naming both.
func TestDiscoveryIssuerMismatch(t *testing.T) {
	const other = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0"
	issuer, _ := entraLike(t, other)
	cfg, err := config.Load(envMap{
		"SYNCGATE_JWT_ISSUERS":   issuer,
		"SYNCGATE_JWT_AUDIENCES": "api://syncgate",
		"SYNCGATE_JWT_DISCOVERY": "true",
	}.get)
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(t.Context(), cfg, nil, Hooks{})
	if err == nil || !errors.Is(err, auth.ErrConfig) || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), issuer) {
		t.Fatalf("start with a document naming another issuer: %v; want a configuration error naming both", err)
	}
}

// TestDiscoveryIsOneKeySource: discovery is not combined with another key
// source, and an issuer that is not a URL cannot be discovered.
func TestDiscoveryIsOneKeySource(t *testing.T) {
	_, err := config.Load(envMap{
		"SYNCGATE_JWT_ISSUERS": "https://issuer.test/", "SYNCGATE_JWT_AUDIENCES": "api://syncgate",
		"SYNCGATE_JWT_DISCOVERY": "true", "SYNCGATE_JWT_JWKS_URL": "https://issuer.test/keys",
	}.get)
	if err == nil || !strings.Contains(err.Error(), "SYNCGATE_JWT_DISCOVERY") {
		t.Fatalf("discovery with a JWKS URL: %v; want refused", err)
	}
	_, err = config.Load(envMap{
		"SYNCGATE_JWT_ISSUERS": "sts.example", "SYNCGATE_JWT_AUDIENCES": "api://syncgate", "SYNCGATE_JWT_DISCOVERY": "true",
	}.get)
	if err == nil || !strings.Contains(err.Error(), "cannot be discovered") {
		t.Fatalf("discovery of a non-URL issuer: %v; want refused", err)
	}
}
