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
	// defaultLifetime is assumed when the server sends no usable expires_in
	// (the server's own default is 60 minutes).
	defaultLifetime = time.Hour
)

// tokenResponse is the body of a successful POST /{ver}/token.
type tokenResponse struct {
	AccessToken  string      `json:"access_token"`
	RefreshToken string      `json:"refresh_token"`
	ExpiresIn    json.Number `json:"expires_in"`
}

// fetch gets a new token for upstream.Tokens: with the refresh token when
// there is one and the server did not refuse the current token, else (or
// when the refresh fails) by a password login.
func (c *Client) fetch(ctx context.Context, cur *upstream.Token, refused string) (*upstream.Token, error) {
	if refused == "" && cur != nil && cur.Refresh != "" {
		tok, err := c.grant(ctx, "refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cur.Refresh}})
		if err == nil {
			return tok, nil
		}
		c.log.WarnContext(ctx, "veeam: token refresh failed, logging in again", "err", err)
	}
	return c.grant(ctx, "log in", url.Values{"grant_type": {"password"}, "username": {c.username}, "password": {c.password}})
}

// grant posts one token request (the form gets disable_antiforgery_token,
// always) and reads the token it answers.
func (c *Client) grant(ctx context.Context, op string, form url.Values) (*upstream.Token, error) {
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
	defer upstream.Drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, c.tokenError(op, resp)
	}
	var tr tokenResponse
	data, err := io.ReadAll(io.LimitReader(resp.Body, upstream.MaxErrorBody))
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
	return &upstream.Token{
		Value:     tr.AccessToken,
		Refresh:   tr.RefreshToken,
		Expires:   issued.Add(lifetime),
		RefreshAt: issued.Add(lifetime - min(c.refreshBefore, lifetime/2)),
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
	tok := c.bearer.Tokens.Forget()
	if tok == nil {
		return nil
	}
	cl := call{op: op, method: http.MethodPost, path: "/token/logout"}
	resp, err := c.sender(cl, tok.Value)(ctx)
	if err != nil {
		return upstream.TransportError(service, op, err)
	}
	return c.finish(op, resp, nil)
}
