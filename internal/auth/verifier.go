// Package auth verifies callers' JWT bearer tokens, checks their scopes,
// answers failures with RFC 6750 challenges, and mints tokens for a local
// development or demo signing key.
package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/syncgate/syncgate/internal/redact"
	"golang.org/x/time/rate"
)

const (
	// DefaultUnknownKIDWait is the longest a token with an unknown key id
	// waits for a JWKS refresh when Config.UnknownKIDWait is zero.
	DefaultUnknownKIDWait = 2 * time.Second

	// jwksHTTPTimeout bounds one JWKS download, including the first one,
	// which NewVerifier waits for.
	jwksHTTPTimeout = 10 * time.Second
	// jwksRefreshInterval is how often the JWKS is downloaded in the
	// background.
	jwksRefreshInterval = time.Hour
	// unknownKIDRefreshEvery is the least time between two JWKS downloads
	// caused by unknown key ids, so that a flood of made-up key ids cannot
	// hammer the identity provider.
	unknownKIDRefreshEvery = time.Minute
	// readinessKID is the key id Ready asks for to cause a rate-limited
	// refresh while no key is loaded.
	readinessKID = "syncgate-readiness-probe"
	// maxTokenBytes bounds the size of a token accepted for parsing.
	maxTokenBytes = 32 << 10
)

// ErrKeysNotLoaded is Ready's answer while the JWKS holds no key. It names
// no URL: /readyz shows it to anyone; the log names the JWKS.
var ErrKeysNotLoaded = errors.New("signing keys not loaded")

// ErrConfig is wrapped by every configuration error NewVerifier returns.
var ErrConfig = errors.New("auth: invalid configuration")

// Config says where the signing keys come from and what a token must carry.
type Config struct {
	// JWKSURL is the identity provider's JWK Set (https, or http on a
	// loopback host). Exactly one of JWKSURL, Discovery, PublicKeyFile and
	// HMACSecret is set.
	JWKSURL string
	// Discovery: each issuer's OIDC discovery document
	// ({issuer}/.well-known/openid-configuration), read once by NewVerifier,
	// must name that same issuer and gives its JWKS (refreshed as a JWKSURL
	// is). Unset Algorithms are then those that fit the keys found.
	Discovery bool
	// PublicKeyFile is a PEM file with one public key or certificate.
	PublicKeyFile string
	// HMACSecret is a shared secret of at least 32 bytes (development only).
	HMACSecret []byte
	// Algorithms is the allow-list of JWS algorithms. Empty means every
	// algorithm that fits the key source: RS*, PS*, ES* and EdDSA for a
	// JWKS; those that fit the key for a PEM file; HS256, HS384 and HS512
	// for an HMAC secret. An algorithm that does not fit the source is a
	// configuration error, and so is "none".
	Algorithms []string
	// Issuers lists the accepted iss values (at least one).
	Issuers []string
	// Audiences lists the accepted aud values (at least one); a token is
	// accepted when its aud holds any of them.
	Audiences []string
	// Leeway is the clock skew allowed on exp, nbf and iat; zero allows none,
	// as SYNCGATE_JWT_LEEWAY=0 says.
	Leeway time.Duration
	// HTTPClient downloads the JWKS; nil means http.DefaultClient.
	HTTPClient *http.Client
	// UnknownKIDWait is the longest a token with an unknown key id waits for
	// a (rate-limited) JWKS refresh; zero means DefaultUnknownKIDWait (2 s).
	UnknownKIDWait time.Duration
	// CacheSize is how many verified tokens are remembered and CacheMaxAge
	// the longest one is; an entry never outlives its token's exp. Either
	// zero (or negative) turns the cache off, as SYNCGATE_JWT_CACHE_SIZE=0
	// and SYNCGATE_JWT_CACHE_MAX_AGE=0 do: the defaults are the
	// configuration's.
	CacheSize   int
	CacheMaxAge time.Duration
	// MaxLifetime is the longest lifetime accepted: exp at most this long
	// after iat, or, for a token without iat, after now plus the leeway.
	// Zero means no limit.
	MaxLifetime time.Duration
}

// String describes the configuration with the HMAC secret masked.
func (c Config) String() string {
	secret := ""
	if len(c.HMACSecret) > 0 {
		secret = "[masked]"
	}
	return fmt.Sprintf("{JWKSURL:%s PublicKeyFile:%s HMACSecret:%s Algorithms:%v Issuers:%v Audiences:%v Leeway:%s UnknownKIDWait:%s CacheSize:%d CacheMaxAge:%s}",
		redactURL(c.JWKSURL), c.PublicKeyFile, secret, c.Algorithms, c.Issuers, c.Audiences, c.Leeway, c.UnknownKIDWait, c.CacheSize, c.CacheMaxAge)
}

// LogValue logs the configuration as String does, with the secret masked.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Verifier verifies bearer tokens. It is safe for concurrent use.
type Verifier struct {
	logger    *slog.Logger
	algs      []string
	issuers   []string
	audiences []string
	parser    *jwt.Parser
	leeway    time.Duration
	maxLife   time.Duration
	// jwks is set for a JWKS key source; static holds the PEM public key or
	// the HMAC secret otherwise.
	jwks    keyfunc.Keyfunc
	jwksURL string
	static  any
	// source names the key source for logs; it never holds a secret.
	source string
	// cache remembers verified tokens; nil when turned off.
	cache *tokenCache
	// now is the clock of the checks and of the cache.
	now func() time.Time
}

// NewVerifier checks cfg and loads the signing keys. With a JWKS URL it waits
// for the first download (at most 10 s) and starts a background refresh
// (hourly) that lasts until ctx ends; a JWKS that cannot be downloaded at
// start does not fail NewVerifier: Ready reports it instead. Configuration
// errors wrap ErrConfig and name every problem found.
func NewVerifier(ctx context.Context, cfg Config, logger *slog.Logger) (*Verifier, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{
		logger:    logger,
		issuers:   slices.Clone(cfg.Issuers),
		audiences: slices.Clone(cfg.Audiences),
		now:       time.Now,
	}
	var errs []error
	sources := 0
	for _, set := range []bool{cfg.JWKSURL != "", cfg.Discovery, cfg.PublicKeyFile != "", len(cfg.HMACSecret) > 0} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		errs = append(errs, fmt.Errorf("exactly one key source (JWKS URL, OIDC discovery, public key file, HMAC secret) is required, %d given", sources))
	}
	if len(cfg.Issuers) == 0 || slices.Contains(cfg.Issuers, "") {
		errs = append(errs, errors.New("at least one issuer is required, and none may be empty"))
	}
	if len(cfg.Audiences) == 0 || slices.Contains(cfg.Audiences, "") {
		errs = append(errs, errors.New("at least one audience is required, and none may be empty"))
	}
	leeway := cfg.Leeway
	if leeway < 0 {
		errs = append(errs, fmt.Errorf("leeway %s is negative", cfg.Leeway))
	}
	wait := cfg.UnknownKIDWait
	if wait == 0 {
		wait = DefaultUnknownKIDWait
	}
	if cfg.MaxLifetime < 0 {
		errs = append(errs, fmt.Errorf("maximum token lifetime %s is negative", cfg.MaxLifetime))
	}
	v.leeway, v.maxLife = leeway, cfg.MaxLifetime
	if wait < 0 {
		errs = append(errs, fmt.Errorf("unknown key id wait %s is negative", cfg.UnknownKIDWait))
	}

	var algErrs []error
	switch {
	case sources != 1:
	case cfg.JWKSURL != "":
		if err := checkJWKSURL(cfg.JWKSURL); err != nil {
			errs = append(errs, err)
		}
		v.jwksURL = redact.URL(cfg.JWKSURL)
		v.source = "jwks " + v.jwksURL
		v.algs, algErrs = checkAlgorithms(cfg.Algorithms, asymmetricAlgorithms(), "JWKS")
	case cfg.Discovery:
		v.source = "oidc discovery"
		v.algs, algErrs = checkAlgorithms(cfg.Algorithms, asymmetricAlgorithms(), "OIDC discovery")
	case cfg.PublicKeyFile != "":
		key, err := readPublicKey(cfg.PublicKeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("public key file %s: %w", cfg.PublicKeyFile, err))
			break
		}
		supported := algorithmsFor(key, asymmetricAlgorithms())
		if len(supported) == 0 {
			errs = append(errs, fmt.Errorf("public key file %s: key type %T is not supported (RSA of at least %d bits, ECDSA P-256/P-384/P-521, Ed25519)", cfg.PublicKeyFile, key, minRSABits))
			break
		}
		v.static = key
		v.source = "public key file " + cfg.PublicKeyFile
		v.algs, algErrs = checkAlgorithms(cfg.Algorithms, supported, "public key file")
	default:
		if len(cfg.HMACSecret) < minHMACSecret {
			errs = append(errs, fmt.Errorf("HMAC secret has %d bytes, at least %d are required", len(cfg.HMACSecret), minHMACSecret))
		}
		v.static = slices.Clone(cfg.HMACSecret)
		v.source = "hmac secret"
		v.algs, algErrs = checkAlgorithms(cfg.Algorithms, hmacAlgorithms(), "HMAC")
	}
	errs = append(errs, algErrs...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}

	v.cache = newTokenCache(cfg.CacheSize, cfg.CacheMaxAge)
	jwksURLs := []string{cfg.JWKSURL}
	if cfg.Discovery {
		client := cfg.HTTPClient
		if client == nil {
			client = http.DefaultClient
		}
		urls, err := discover(ctx, client, v.issuers, logger)
		if err != nil {
			return nil, err
		}
		jwksURLs = urls
		redacted := make([]string, len(urls))
		for i, u := range urls {
			redacted[i] = redact.URL(u)
		}
		v.jwksURL = strings.Join(redacted, " ")
		v.source = "oidc discovery: jwks " + v.jwksURL
	}
	if cfg.JWKSURL != "" || cfg.Discovery {
		k, err := keyfunc.NewDefaultOverrideCtx(ctx, jwksURLs, keyfunc.Override{
			Client:                    cfg.HTTPClient,
			HTTPTimeout:               jwksHTTPTimeout,
			NoErrorReturnFirstHTTPReq: new(true),
			RateLimitWaitMax:          wait,
			RefreshInterval:           jwksRefreshInterval,
			RefreshUnknownKID:         rate.NewLimiter(rate.Every(unknownKIDRefreshEvery), 1),
			RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
				return func(ctx context.Context, err error) {
					logger.WarnContext(ctx, "auth: JWKS download failed", "url", v.jwksURL, "error", redact.Text(err.Error()))
				}
			},
		})
		if err != nil {
			return nil, fmt.Errorf("auth: JWKS %s: %s", v.jwksURL, redact.Text(err.Error()))
		}
		v.jwks = k
		if n, _ := v.keyCount(ctx); n == 0 {
			logger.WarnContext(ctx, "auth: no signing keys loaded yet; not ready until the JWKS downloads", "url", v.jwksURL)
		}
		if cfg.Discovery && len(cfg.Algorithms) == 0 {
			keys, _ := v.jwks.Storage().KeyReadAll(ctx)
			if fit := algorithmsOfKeys(keys, asymmetricAlgorithms()); len(fit) > 0 {
				v.algs = fit
			} else {
				logger.WarnContext(ctx, "auth: no key found to choose the algorithms from; every asymmetric algorithm is allowed (each still needs a key of its family)")
			}
		}
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(v.algs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)

	logger.InfoContext(ctx, "auth: verifier configured", "source", v.source, "algorithms", v.algs,
		"issuers", v.issuers, "audiences", v.audiences, "leeway", leeway,
		"cache_size", max(cfg.CacheSize, 0), "cache_max_age", max(cfg.CacheMaxAge, 0))
	return v, nil
}

// Verify checks a raw bearer token and returns its principal. The signature
// must verify with an allowed algorithm and a key of that algorithm's family;
// exp is required; iss must be one of the issuers, aud must hold one of the
// audiences, and exp, nbf and iat are checked with the leeway. Key lookups are
// bound to ctx; an unknown key id waits at most Config.UnknownKIDWait for a
// rate-limited JWKS refresh.
//
// A token that passed all of that is remembered, by its SHA-256, until its
// exp and at most Config.CacheMaxAge: the same token again is answered from
// memory, without a signature check. The principal returned may be shared by
// those requests and must not be modified.
//
// An empty raw token gives ErrNoToken; a token that fails gives a *TokenError
// whose message is safe to show the caller. When ctx ends during the key
// lookup, the context's error is returned.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Principal, error) {
	if raw == "" {
		return nil, ErrNoToken
	}
	if len(raw) > maxTokenBytes {
		return nil, &TokenError{Reason: reasonMalformed, Err: fmt.Errorf("%w: token is longer than %d bytes", jwt.ErrTokenMalformed, maxTokenBytes)}
	}
	if v.cache == nil {
		p, _, err := v.verify(ctx, raw)
		return p, err
	}
	k := keyOf(raw)
	if p, ok := v.cache.get(k, v.now()); ok {
		return p, nil
	}
	p, exp, err := v.verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	v.cache.put(k, p, exp, v.now())
	return p, nil
}

// verify runs the whole verification of a token and returns its principal and
// exp.
func (v *Verifier) verify(ctx context.Context, raw string) (*Principal, time.Time, error) {
	alg, err := headerAlgorithm(raw)
	if err != nil {
		return nil, time.Time{}, &TokenError{Reason: reasonMalformed, Err: fmt.Errorf("%w: %w", jwt.ErrTokenMalformed, err)}
	}
	if !slices.Contains(v.algs, alg) {
		return nil, time.Time{}, &TokenError{Reason: reasonAlgorithm, Err: errAlgorithm}
	}
	var c claims
	if _, err := v.parser.ParseWithClaims(raw, &c, v.keyfunc(ctx)); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, time.Time{}, fmt.Errorf("auth: verify token: %w", ctxErr)
		}
		te := &TokenError{Reason: reason(err), Err: err}
		v.logger.DebugContext(ctx, "auth: token rejected", "reason", te.Reason, "error", err)
		return nil, time.Time{}, te
	}
	if !slices.Contains(v.issuers, c.Issuer) {
		return nil, time.Time{}, &TokenError{Reason: reasonIssuer, Err: jwt.ErrTokenInvalidIssuer}
	}
	if !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(v.audiences, a) }) {
		return nil, time.Time{}, &TokenError{Reason: reasonAudience, Err: jwt.ErrTokenInvalidAudience}
	}
	if v.maxLife > 0 && !v.lifetimeOK(&c) {
		return nil, time.Time{}, &TokenError{Reason: reasonLifetime, Err: errLifetime}
	}
	var exp time.Time
	if c.ExpiresAt != nil { // required by the parser
		exp = c.ExpiresAt.Time
	}
	return c.principal(), exp, nil
}

// lifetimeOK reports whether a token's exp is within the maximum lifetime of
// its iat (of now plus the leeway when it has no iat).
func (v *Verifier) lifetimeOK(c *claims) bool {
	from := time.Now().Add(v.leeway)
	if c.IssuedAt != nil {
		from = c.IssuedAt.Time
	}
	return !c.ExpiresAt.Time.After(from.Add(v.maxLife))
}

// headerAlgorithm reads the alg of a compact JWS before anything else, so
// that an algorithm outside the allow-list is named as such. A token with a
// "crit" header is refused: syncgate understands no JWS extension.
func headerAlgorithm(raw string) (string, error) {
	head, _, ok := strings.Cut(raw, ".")
	if !ok || strings.Count(raw, ".") != 2 {
		return "", errors.New("token is not three dot-separated parts")
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", errors.New("token header is not base64url")
	}
	var h struct {
		Alg  string          `json:"alg"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return "", errors.New("token header is not a JSON object")
	}
	if h.Crit != nil {
		return "", errors.New("token header has a crit parameter")
	}
	return h.Alg, nil
}

// keyfunc returns the verification key for a token whose algorithm is
// already allowed: the one static key, or the JWKS key named by kid (all JWKS
// keys when there is no kid), and only keys of the algorithm's family.
func (v *Verifier) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		alg := t.Method.Alg()
		if !slices.Contains(v.algs, alg) {
			return nil, errAlgorithm
		}
		if v.jwks == nil {
			if !keyFits(alg, v.static) {
				return nil, errKeyMismatch
			}
			return v.static, nil
		}
		got, err := v.jwks.KeyfuncCtx(ctx)(t)
		if err != nil {
			kid, _ := t.Header["kid"].(string)
			if ctx.Err() == nil && v.hasKID(ctx, kid) {
				return nil, fmt.Errorf("%w: %w", errKeyMismatch, err)
			}
			return nil, fmt.Errorf("%w: %w", errKeyNotFound, err)
		}
		if set, ok := got.(jwt.VerificationKeySet); ok {
			var fit jwt.VerificationKeySet
			for _, k := range set.Keys {
				if keyFits(alg, k) {
					fit.Keys = append(fit.Keys, k)
				}
			}
			if len(fit.Keys) == 0 {
				return nil, errKeyNotFound
			}
			return fit, nil
		}
		if !keyFits(alg, got) {
			return nil, errKeyMismatch
		}
		return got, nil
	}
}

// hasKID reports whether a key with the id is loaded (without downloading).
func (v *Verifier) hasKID(ctx context.Context, kid string) bool {
	keys, err := v.jwks.Storage().KeyReadAll(ctx)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(keys, func(k jwkset.JWK) bool { return k.Marshal().KID == kid })
}

func (v *Verifier) keyCount(ctx context.Context) (int, error) {
	keys, err := v.jwks.Storage().KeyReadAll(ctx)
	return len(keys), err
}

// Ready reports whether signing keys are loaded: always for a public key file
// or an HMAC secret, and once the JWKS holds at least one key. While the JWKS
// holds none, Ready asks for a refresh (rate-limited like an unknown key id).
func (v *Verifier) Ready(ctx context.Context) error {
	if v.jwks == nil {
		return nil
	}
	if n, err := v.keyCount(ctx); err == nil && n > 0 {
		return nil
	}
	// The lookup of a key id that does not exist makes jwkset download the
	// set again, if the rate limit allows it within UnknownKIDWait.
	_, _ = v.jwks.Storage().KeyRead(ctx, readinessKID)
	n, err := v.keyCount(ctx)
	if err != nil || n == 0 {
		v.logger.WarnContext(ctx, "auth: not ready: no signing keys loaded", "url", v.jwksURL, "error", err)
		return ErrKeysNotLoaded
	}
	return nil
}

// checkJWKSURL accepts an absolute https URL, or http on a loopback host (the
// demo and tests): keys fetched over plain http from elsewhere could be
// replaced on the way.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("JWKS URL is not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("JWKS URL %s must use https (http only on a loopback host)", redactURL(raw))
}

// redactURL drops user information and the query from a URL for logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}
