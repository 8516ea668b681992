package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"golang.org/x/sync/singleflight"

	"github.com/syncgate/syncgate/internal/upstream"
)

// tokenTimeout bounds one token request. A request is shared by every caller
// waiting for it, so it does not end with the caller that began it.
const tokenTimeout = 30 * time.Second

// opToken names getting a token in errors.
const opToken = "get token"

var errEmptyToken = errors.New("the credential returned an empty token")

// tokens holds the one access token every call shares.
//
// How azidentity caches (v1.15, through MSAL): each credential keeps its
// tokens in memory and GetToken answers from that cache until 5 minutes
// before the token expires (or its RefreshOn, when the login host set
// refresh_in), then asks the login host. Nothing in TokenRequestOptions
// forces a new token except Claims (a claims challenge), which makes MSAL skip
// its cache and sends the claims to the login host; MSAL for Go has no
// ForceRefresh. So tokens keeps its own copy, renewed from refreshBefore
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

	mu     sync.Mutex
	cur    *heldToken // nil until the first token
	flight singleflight.Group
}

// heldToken is the token in use and when to renew it.
type heldToken struct {
	value     string
	expires   time.Time
	refreshAt time.Time
}

// get returns the token to send: the held one until it is due for renewal,
// then a renewed one.
func (t *tokens) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	cur := t.cur
	t.mu.Unlock()
	if cur != nil && t.now().Before(cur.refreshAt) {
		return cur.value, nil
	}
	used := ""
	if cur != nil {
		used = cur.value
	}
	return t.renew(ctx, used, false)
}

// renew replaces the token that was used (empty for none). Callers renewing
// at the same moment share one request to the credential; a caller whose token
// was already replaced gets the replacement without one. refused says Graph
// refused the used token: it is then never kept, while a routine renewal that
// fails keeps a token that has not expired yet.
func (t *tokens) renew(ctx context.Context, used string, refused bool) (string, error) {
	ch := t.flight.DoChan("token", func() (any, error) {
		t.mu.Lock()
		cur := t.cur
		t.mu.Unlock()
		if cur != nil && cur.value != used && t.now().Before(cur.refreshAt) {
			return cur.value, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenTimeout)
		defer cancel()
		opts := policy.TokenRequestOptions{Scopes: []string{t.scope}}
		if refused {
			// Graph refused the token (expired early, revoked): a claims
			// request is the one way to make azidentity skip its cache and
			// ask the login host for a new token. The nbf claim asks for a
			// token issued no earlier than now, which any fresh token is.
			opts.Claims = fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, t.now().Unix())
		}
		at, err := t.cred.GetToken(fctx, opts)
		if err == nil && at.Token == "" {
			err = errEmptyToken
		}
		if err != nil {
			if !refused && cur != nil && t.now().Before(cur.expires) {
				t.log.WarnContext(ctx, "graph: token renewal failed, using the current token until it expires", "err", err, "expires", cur.expires)
				return cur.value, nil
			}
			return nil, credentialError(opToken, err, t.now())
		}
		held := t.hold(at)
		t.mu.Lock()
		t.cur = held
		t.mu.Unlock()
		t.log.DebugContext(ctx, "graph: token acquired", "expires", held.expires, "refresh_at", held.refreshAt, "same_as_refused", refused && at.Token == used)
		return held.value, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", upstream.TransportError(service, opToken, ctx.Err())
	}
}

// hold decides when to renew at: refreshBefore ahead of its expiry (at most
// half its remaining lifetime), or at its RefreshOn when that is sooner. A
// token without an expiry is used once.
func (t *tokens) hold(at azcore.AccessToken) *heldToken {
	now := t.now()
	h := &heldToken{value: at.Token, expires: at.ExpiresOn, refreshAt: now}
	if at.ExpiresOn.IsZero() {
		h.expires = now
		return h
	}
	lifetime := at.ExpiresOn.Sub(now)
	h.refreshAt = at.ExpiresOn.Add(-min(t.refreshBefore, max(lifetime/2, 0)))
	if !at.RefreshOn.IsZero() && at.RefreshOn.Before(h.refreshAt) {
		h.refreshAt = at.RefreshOn
	}
	return h
}
