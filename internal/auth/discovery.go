package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"

	"github.com/syncgate/syncgate/internal/redact"
)

const (
	// discoveryAttempts is how many times an issuer's discovery document is
	// asked for at start before NewVerifier gives up.
	discoveryAttempts = 3
	// maxDiscoveryBody bounds a discovery document.
	maxDiscoveryBody = 1 << 20
)

// discoveryURL is where OpenID Connect Discovery 1.0 (§4) puts an issuer's
// configuration: the issuer, without a trailing slash, followed by
// /.well-known/openid-configuration. For Entra ID's v2 issuer
// https://login.microsoftonline.com/{tenant}/v2.0 that is
// https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration.
func discoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// discover reads each issuer's discovery document and returns their JWKS
// URLs, one per issuer, duplicates removed. A document must name the very
// issuer it was read for (OIDC Discovery §4.3), or the issuer's keys could
// sign tokens for another: that is a configuration error (ErrConfig).
func discover(ctx context.Context, client *http.Client, issuers []string, logger *slog.Logger) ([]string, error) {
	var urls []string
	for _, iss := range issuers {
		doc, err := fetchDiscovery(ctx, client, iss)
		if err != nil {
			return nil, err
		}
		if doc.Issuer != iss {
			return nil, fmt.Errorf("%w: OIDC discovery: %s names issuer %q, not %q: set SYNCGATE_JWT_ISSUERS to the issuer exactly as its document names it",
				ErrConfig, redactURL(discoveryURL(iss)), doc.Issuer, iss)
		}
		if err := checkJWKSURL(doc.JWKSURI); err != nil {
			return nil, fmt.Errorf("%w: OIDC discovery: %s: jwks_uri: %w", ErrConfig, redactURL(discoveryURL(iss)), err)
		}
		logger.InfoContext(ctx, "auth: issuer discovered", "issuer", iss, "jwks_uri", redactURL(doc.JWKSURI))
		if !slices.Contains(urls, doc.JWKSURI) {
			urls = append(urls, doc.JWKSURI)
		}
	}
	return urls, nil
}

// discoveryDoc is the part of an OpenID Provider configuration syncgate uses.
type discoveryDoc struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// fetchDiscovery reads an issuer's discovery document, trying a few times a
// document that cannot be read (the identity provider may be starting too).
func fetchDiscovery(ctx context.Context, client *http.Client, issuer string) (discoveryDoc, error) {
	target := discoveryURL(issuer)
	var err error
	for attempt := 1; attempt <= discoveryAttempts; attempt++ {
		var doc discoveryDoc
		if doc, err = fetchDiscoveryOnce(ctx, client, target); err == nil {
			return doc, nil
		}
		if attempt < discoveryAttempts {
			select {
			case <-ctx.Done():
				return discoveryDoc{}, ctx.Err()
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
	}
	return discoveryDoc{}, fmt.Errorf("auth: OIDC discovery of %s: %s", issuer, redact.Text(err.Error()))
}

func fetchDiscoveryOnce(ctx context.Context, client *http.Client, target string) (discoveryDoc, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksHTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return discoveryDoc{}, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return discoveryDoc{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return discoveryDoc{}, fmt.Errorf("GET %s: status %d", redactURL(target), resp.StatusCode)
	}
	var doc discoveryDoc
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDiscoveryBody)).Decode(&doc); err != nil {
		return discoveryDoc{}, fmt.Errorf("GET %s: the document is not JSON: %w", redactURL(target), err)
	}
	if doc.Issuer == "" || doc.JWKSURI == "" {
		return discoveryDoc{}, fmt.Errorf("GET %s: the document has no issuer or no jwks_uri", redactURL(target))
	}
	return doc, nil
}

// algorithmsOfKeys returns the candidates that fit at least one key of the
// set: a key's own alg when it names one, else every algorithm of its family.
func algorithmsOfKeys(keys []jwkset.JWK, candidates []string) []string {
	var out []string
	for _, alg := range candidates {
		for _, k := range keys {
			if named := string(k.Marshal().ALG); (named == "" || named == alg) && keyFits(alg, k.Key()) {
				out = append(out, alg)
				break
			}
		}
	}
	return out
}
