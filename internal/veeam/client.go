// Package veeam is the adapter for the Veeam Backup for Microsoft 365 REST
// API (v8): it logs in with the gateway's own service account, keeps one
// token for all requests, lists organizations, starts an organization's cache
// synchronization and reads its state. Every failure is an *upstream.Error
// with Service "veeam".
package veeam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/syncgate/syncgate/internal/upstream"
)

const service = "veeam"

// DefaultRefreshBefore is how long before its expiry the token is renewed
// when Config.RefreshBefore is zero.
const DefaultRefreshBefore = upstream.DefaultRefreshBefore

// Limits on what is read from the backend.
const (
	maxBody = 32 << 20 // a success body (the organization list can be long)
)

// Config is how the adapter reaches and logs in to the Veeam REST API.
type Config struct {
	// BaseURL is the server's scheme, host and port: https://host:4443.
	BaseURL string
	// APIVersion is the first path segment; default "v8".
	APIVersion string
	// Username and Password are the gateway's service account (password grant).
	Username, Password string
	// Options are the HTTP client, retry policy, token renewal, call
	// timeout, breaker, clock and observer (see upstream.Options).
	upstream.Options
}

// Client calls the Veeam REST API. It is safe for concurrent use: all calls
// share one token, and concurrent renewals collapse into one.
type Client struct {
	base          string // scheme://host[:port][/prefix], no trailing slash
	version       string // escaped API version segment
	username      string
	password      string
	http          *http.Client
	retry         upstream.RetryPolicy
	refreshBefore time.Duration
	now           func() time.Time
	log           *slog.Logger
	backend       upstream.Backend // observes each call
	bearer        upstream.Bearer  // sends calls with the login they share, logging in again on a 401
}

// New checks cfg and returns a client. It makes no call: the first call logs
// in. A client whose transport skips certificate verification is logged as a
// warning here.
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, errors.New("veeam: base URL does not parse") // its text may hold a password
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("veeam: base URL %q: want scheme://host[:port] with no query, fragment or user", u.Redacted())
	}
	if cfg.Username == "" || cfg.Password == "" {
		return nil, errors.New("veeam: username and password are required")
	}
	version := cfg.APIVersion
	if version == "" {
		version = "v8"
	}
	be, err := upstream.NewBackend(upstream.BackendConfig{Service: service, BaseURL: u, Options: cfg.Options}, logger)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:          strings.TrimSuffix(u.String(), "/"),
		version:       url.PathEscape(version),
		username:      cfg.Username,
		password:      cfg.Password,
		http:          be.HTTP,
		retry:         be.Retry,
		refreshBefore: be.RefreshBefore,
		now:           be.Now,
		log:           be.Logger,
		backend:       be,
	}
	c.bearer = be.Bearer(c.fetch, "")
	return c, nil
}

// call is one REST call below /{version}.
type call struct {
	op         string     // for errors: "list organizations", "start sync"
	method     string     // GET, POST
	path       string     // already escaped, starting with "/"
	query      url.Values // nil for none
	body       []byte     // JSON; nil for none
	idempotent bool       // safe to send again after an unclear failure
}

// do sends a call with the current token and decodes a 2xx body into out
// (when out is not nil). A 401 renews the login once and sends the call once
// more (see upstream.Bearer).
func (c *Client) do(ctx context.Context, cl call, out any) (err error) {
	defer func(begin time.Time) { c.backend.Observe(cl.op, begin, err) }(time.Now())
	resp, err := c.bearer.Do(ctx, cl.op, cl.idempotent, func(tok string) upstream.SendFunc { return c.sender(cl, tok) })
	if err != nil {
		return err
	}
	return c.finish(cl.op, resp, out)
}

// finish turns a response into the call's result and closes its body.
func (c *Client) finish(op string, resp *http.Response, out any) error {
	defer upstream.Drain(resp)
	upstream.NoteAnswer(resp, "")
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.responseError(op, resp)
	}
	if out == nil {
		return nil
	}
	return upstream.DecodeJSON(service, op, resp, maxBody, "", out)
}

// sender builds a send function for the retry policy: each attempt builds a
// fresh request, sends it and logs it.
func (c *Client) sender(cl call, tok string) func(context.Context) (*http.Response, error) {
	path := "/" + c.version + cl.path
	target := c.base + path
	if len(cl.query) > 0 {
		target += "?" + cl.query.Encode()
	}
	attempt := 0
	return func(ctx context.Context) (*http.Response, error) {
		attempt++
		var body io.Reader
		if cl.body != nil {
			body = bytes.NewReader(cl.body)
		}
		req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
		if err != nil {
			return nil, fmt.Errorf("build request: %w", err)
		}
		if cl.body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		return c.send(ctx, req, path, attempt)
	}
}

// send sends one request and logs it at debug: never its headers or body.
func (c *Client) send(ctx context.Context, req *http.Request, path string, attempt int) (*http.Response, error) {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "syncgate")
	if id := upstream.RequestID(ctx); id != "" {
		req.Header.Set("X-Request-ID", id)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	attrs := []any{"method", req.Method, "path", path, "attempt", attempt, "duration", time.Since(start)}
	if err != nil {
		c.log.DebugContext(ctx, "veeam call", append(attrs, "err", err)...)
		return nil, err
	}
	c.log.DebugContext(ctx, "veeam call", append(attrs, "status", resp.StatusCode)...)
	return resp, nil
}
