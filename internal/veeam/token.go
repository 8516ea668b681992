package veeam

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/syncgate/syncgate/internal/upstream"
)

const (
	// tokenTimeout bounds one renewal. A renewal is shared by every caller
	// waiting for it, so it does not end with the caller that began it.
	tokenTimeout = 30 * time.Second
	// defaultLifetime is assumed when the server sends no usable expires_in
	// (the server's own default is 60 minutes).
	defaultLifetime = time.Hour
)

// token is the login the client holds.
type token struct {
	access    string
	refresh   string
	expires   time.Time // the access token stops working
	refreshAt time.Time // renew from then on
}

// tokenResponse is the body of a successful POST /{ver}/token.
type tokenResponse struct {
	AccessToken  string      `json:"access_token"`
	RefreshToken string      `json:"refresh_token"`
	ExpiresIn    json.Number `json:"expires_in"`
}

// accessToken returns the access token to send: the cached one until it is
// due for renewal, then a renewed one.
func (c *Client) accessToken(ctx context.Context, op string) (string, error) {
	c.mu.Lock()
	tok := c.tok
	c.mu.Unlock()
	if tok != nil && c.now().Before(tok.refreshAt) {
		return tok.access, nil
	}
	used := ""
	if tok != nil {
		used = tok.access
	}
	return c.renew(ctx, used, false, op)
}

// renew replaces the token that was used (empty for none). Every caller
// renewing at the same moment shares one renewal; a caller whose token was
// already replaced by someone else gets the replacement without a call. login
// forces a password login (the server refused the token); otherwise the
// refresh token is tried first, falling back to a password login, and a
// failed renewal keeps a token that has not expired yet.
func (c *Client) renew(ctx context.Context, used string, login bool, op string) (string, error) {
	ch := c.flight.DoChan("token", func() (any, error) {
		c.mu.Lock()
		cur := c.tok
		c.mu.Unlock()
		if cur != nil && cur.access != used && c.now().Before(cur.refreshAt) {
			return cur.access, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenTimeout)
		defer cancel()
		var (
			tok *token
			err error
		)
		if !login && cur != nil && cur.refresh != "" {
			tok, err = c.grant(fctx, "refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cur.refresh}})
			if err != nil {
				c.log.WarnContext(ctx, "veeam: token refresh failed, logging in again", "err", err)
			}
		}
		if tok == nil {
			tok, err = c.grant(fctx, "log in", url.Values{"grant_type": {"password"}, "username": {c.username}, "password": {c.password}})
		}
		if err != nil {
			if !login && cur != nil && c.now().Before(cur.expires) {
				c.log.WarnContext(ctx, "veeam: token renewal failed, using the current token until it expires", "err", err, "expires", cur.expires)
				return cur.access, nil
			}
			return nil, err
		}
		c.mu.Lock()
		c.tok = tok
		c.mu.Unlock()
		return tok.access, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", upstream.TransportError(service, op, ctx.Err())
	}
}

// grant posts one token request (the form gets disable_antiforgery_token,
// always) and reads the token it answers.
func (c *Client) grant(ctx context.Context, op string, form url.Values) (*token, error) {
	form.Set("disable_antiforgery_token", "true")
	body := form.Encode()
	path := "/" + c.version + "/token"
	attempt := 0
	issued := c.now()
	resp, err := c.retry.Do(ctx, true, func(ctx context.Context) (*http.Response, error) {
		attempt++
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return c.send(ctx, req, path, attempt)
	})
	if err != nil {
		return nil, upstream.TransportError(service, op, err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, c.tokenError(op, resp)
	}
	var tr tokenResponse
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return nil, upstream.TransportError(service, op, err)
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		return nil, &upstream.Error{Service: service, Op: op, Kind: upstream.KindBadResponse, Status: resp.StatusCode,
			Message: "token response does not parse: " + err.Error()}
	}
	if tr.AccessToken == "" {
		return nil, &upstream.Error{Service: service, Op: op, Kind: upstream.KindBadResponse, Status: resp.StatusCode,
			Message: "token response has no access_token"}
	}
	lifetime := defaultLifetime
	if secs, err := tr.ExpiresIn.Float64(); err == nil && secs > 0 {
		lifetime = time.Duration(secs * float64(time.Second))
	}
	return &token{
		access:    tr.AccessToken,
		refresh:   tr.RefreshToken,
		expires:   issued.Add(lifetime),
		refreshAt: issued.Add(lifetime - min(c.refreshBefore, lifetime/2)),
	}, nil
}

// tokenError classifies a failed token request: the server refusing the
// gateway's own credentials is KindAuth; throttling, 5xx and timeouts keep
// their own kinds.
func (c *Client) tokenError(op string, resp *http.Response) *upstream.Error {
	e := c.responseError(op, resp)
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
		e.Kind = upstream.KindAuth
	}
	return e
}

// Logout ends the session on the server (POST /{ver}/token/logout) and forgets
// the token; the next call logs in again. It is best effort: one attempt, and
// nothing to do when not logged in.
func (c *Client) Logout(ctx context.Context) error {
	const op = "log out"
	c.mu.Lock()
	tok := c.tok
	c.tok = nil
	c.mu.Unlock()
	if tok == nil {
		return nil
	}
	cl := call{op: op, method: http.MethodPost, path: "/token/logout"}
	resp, err := c.sender(cl, tok.access)(ctx)
	if err != nil {
		return upstream.TransportError(service, op, err)
	}
	return c.finish(op, resp, nil)
}
