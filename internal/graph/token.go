package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/syncgate/syncgate/internal/upstream"
)

// opToken names getting a token in errors.
const opToken = "get token"

var errEmptyToken = errors.New("the credential returned an empty token")

// tokens gets the access tokens every call shares (held by upstream.Tokens)
// from the credential.
//
// How azidentity caches (v1.15, through MSAL): each credential keeps its
// tokens in memory and GetToken answers from that cache until 5 minutes
// before the token expires (or its RefreshOn, when the login host set
// refresh_in), then asks the login host. Nothing in TokenRequestOptions
// forces a new token except Claims (a claims challenge), which makes MSAL skip
// its cache and sends the claims to the login host; MSAL for Go has no
// ForceRefresh. So the adapter keeps its own copy, renewed from refreshBefore
// ahead of expiry (the same moment MSAL stops serving its cached one), one
// renewal at a time. After Graph refuses a token, the credential is asked
// again at once with an nbf claims request, which makes azidentity skip its
// cache and fetch a new token from the login host. The call is sent once
// more: a refused token is renewed, and a second refusal fails the call as
// KindAuth.
type tokens struct {
	cred          azcore.TokenCredential
	scope         string
	refreshBefore time.Duration
	now           func() time.Time
	log           *slog.Logger
}

// fetch gets a new token from the credential for upstream.Tokens. refused is
// the token Graph refused ("" for a routine renewal).
func (t *tokens) fetch(ctx context.Context, _ *upstream.Token, refused string) (*upstream.Token, error) {
	opts := policy.TokenRequestOptions{Scopes: []string{t.scope}}
	if refused != "" {
		// Graph refused the token (expired early, revoked): a claims
		// request is the one way to make azidentity skip its cache and
		// ask the login host for a new token. The nbf claim asks for a
		// token issued no earlier than now, which any fresh token is.
		opts.Claims = fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, t.now().Unix())
	}
	at, err := t.cred.GetToken(ctx, opts)
	if err == nil && at.Token == "" {
		err = errEmptyToken
	}
	if err != nil {
		return nil, credentialError(opToken, err, t.now())
	}
	held := t.hold(at)
	t.log.DebugContext(ctx, "graph: token acquired", "expires", held.Expires, "refresh_at", held.RefreshAt, "same_as_refused", refused != "" && at.Token == refused)
	return held, nil
}

// hold decides when to renew at: refreshBefore ahead of its expiry (at most
// half its remaining lifetime), or at its RefreshOn when that is sooner. A
// token without an expiry is used once.
func (t *tokens) hold(at azcore.AccessToken) *upstream.Token {
	now := t.now()
	h := &upstream.Token{Value: at.Token, Expires: at.ExpiresOn, RefreshAt: now}
	if at.ExpiresOn.IsZero() {
		h.Expires = now
		return h
	}
	lifetime := at.ExpiresOn.Sub(now)
	h.RefreshAt = at.ExpiresOn.Add(-min(t.refreshBefore, max(lifetime/2, 0)))
	if !at.RefreshOn.IsZero() && at.RefreshOn.Before(h.RefreshAt) {
		h.RefreshAt = at.RefreshOn
	}
	return h
}
