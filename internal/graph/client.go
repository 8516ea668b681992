// Package graph is the adapter for Microsoft Graph synchronization jobs: it
// gets app-only tokens through an azidentity credential, shares one token
// among all calls, lists an application's jobs, reads one and starts one, by
// the applications path (the cmdlet's) or the servicePrincipals path (the
// documented one). Every failure is an *upstream.Error with Service "graph".
package graph

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	"github.com/syncgate/syncgate/internal/ids"
	"github.com/syncgate/syncgate/internal/upstream"
)

const service = "graph"

// The API versions (the first path segment).
const (
	VersionBeta = "beta" // the default, as the Start-MgBetaApplicationSynchronizationJob cmdlet
	VersionV1   = "v1.0"
)

// The job path modes: which object the synchronization resource hangs off.
const (
	// PathApplications is /{ver}/applications/{applicationObjectId}/synchronization,
	// the path the cmdlet calls (the default).
	PathApplications = "applications"
	// PathServicePrincipals is /{ver}/servicePrincipals/{servicePrincipalObjectId}/synchronization,
	// the path the REST reference documents; the application's service
	// principal is looked up once and remembered.
	PathServicePrincipals = "servicePrincipals"
)

// DefaultBaseURL is the global cloud's Graph host.
const DefaultBaseURL = "https://graph.microsoft.com"

// DefaultRefreshBefore is how long before its expiry the token is renewed
// when Config.RefreshBefore is zero: the margin azidentity's own cache keeps.
const DefaultRefreshBefore = upstream.DefaultRefreshBefore

// Limits on what is read from Graph.
const (
	maxBody  = 16 << 20 // a success body
	maxPages = 50       // pages of a job list followed through @odata.nextLink
)

// Config is how the adapter reaches Graph and gets its tokens.
type Config struct {
	// TenantID and ClientID identify the gateway's app registration; they
	// are only logged (the credential carries what it needs).
	TenantID, ClientID string
	// Credential gets the tokens: one built by NewCredential, or any
	// azcore.TokenCredential. Required.
	Credential azcore.TokenCredential
	// BaseURL is Graph's scheme and host (a proxy may add a path prefix), such
	// as https://graph.microsoft.com; default DefaultBaseURL. The version is
	// added.
	BaseURL string
	// APIVersion is VersionBeta (default) or VersionV1.
	APIVersion string
	// JobPath is PathApplications (default) or PathServicePrincipals.
	JobPath string
	// Scope is the scope tokens are requested for, the cloud's .default scope
	// such as https://graph.microsoft.com/.default. Default: BaseURL's scheme
	// and host followed by /.default.
	Scope string
	// Options are the HTTP client, retry policy, token renewal, call
	// timeout, breaker, clock and observer (see upstream.Options). The
	// credential has its own transport: see CredentialConfig.HTTPClient.
	upstream.Options
}

// Client calls Microsoft Graph. It is safe for concurrent use: all calls
// share one token, concurrent renewals collapse into one, and each
// application's service principal is looked up once.
type Client struct {
	origin     string // scheme://host[:port]
	prefix     string // the base URL's escaped path, no trailing slash: "" unless behind a proxy
	api        string // escaped path up to the version: "/beta", or "/prefix/v1.0" behind a proxy
	spMode     bool   // JobPath is PathServicePrincipals
	http       *http.Client
	now        func() time.Time
	log        *slog.Logger
	backend    upstream.Backend             // observes each call
	bearer     upstream.Bearer              // sends calls with the token they share, renewing it on a 401
	authHeader atomic.Pointer[bearerHeader] // the Authorization header of the last token sent
	principals principals
}

// principals remembers each application's service principal object id
// (successful lookups only).
type principals struct {
	mu     sync.Mutex
	ids    map[string]string // application object id → service principal object id
	flight singleflight.Group
}

// New checks cfg and returns a client. It makes no call: the first call gets
// a token. A plain-http base URL and a transport that skips certificate
// verification are logged as warnings here.
func New(cfg Config, logger *slog.Logger) (*Client, error) {
	if cfg.Credential == nil {
		return nil, errors.New("graph: a credential is required")
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("graph: base URL %q: want scheme://host[:port] with no query, fragment or user", cfg.BaseURL)
	}
	version := cfg.APIVersion
	switch version {
	case "":
		version = VersionBeta
	case VersionBeta, VersionV1:
	default:
		return nil, fmt.Errorf("graph: API version %q: want %q or %q", version, VersionBeta, VersionV1)
	}
	switch cfg.JobPath {
	case "", PathApplications, PathServicePrincipals:
	default:
		return nil, fmt.Errorf("graph: job path %q: want %q or %q", cfg.JobPath, PathApplications, PathServicePrincipals)
	}
	origin := u.Scheme + "://" + u.Host
	prefix := strings.TrimSuffix(u.EscapedPath(), "/")
	scope := cfg.Scope
	if scope == "" {
		scope = origin + "/.default"
	}
	be, err := upstream.NewBackend(upstream.BackendConfig{Service: service, BaseURL: u, Options: cfg.Options}, logger)
	if err != nil {
		return nil, err
	}
	now, logger := be.Now, be.Logger
	logger.Debug("graph: client ready", "url", u.Redacted(), "version", version, "job_path", cmp.Or(cfg.JobPath, PathApplications),
		"scope", scope, "tenant_id", cfg.TenantID, "client_id", cfg.ClientID)
	c := &Client{
		origin:     origin,
		prefix:     prefix,
		api:        prefix + "/" + url.PathEscape(version),
		spMode:     cfg.JobPath == PathServicePrincipals,
		http:       be.HTTP,
		now:        now,
		log:        logger,
		backend:    be,
		principals: principals{ids: map[string]string{}},
	}
	cred := &tokens{cred: cfg.Credential, scope: scope, refreshBefore: be.RefreshBefore, now: now, log: logger}
	c.bearer = be.Bearer(cred.fetch, "request-id")
	return c, nil
}

// call is one REST call.
type call struct {
	op         string // for errors: "list jobs", "start job"
	method     string // GET, POST
	path       string // escaped, from the base URL's path on: "/beta/applications/..."
	target     string // the whole URL, when the caller built it (path its end); "" for origin+path
	query      string // encoded query, without "?"; "" for none
	body       []byte // JSON body; nil for none
	idempotent bool   // safe to send again after an unclear failure
}

// do sends a call with the shared token and decodes a 2xx body into out (when
// out is not nil). It returns Graph's request-id. A 401 renews the token once
// and sends the call once more (see upstream.Bearer).
func (c *Client) do(ctx context.Context, cl call, out any) (_ string, err error) {
	defer func(begin time.Time) { c.backend.Observe(cl.op, begin, err) }(time.Now())
	resp, err := c.bearer.Do(ctx, cl.op, cl.idempotent, func(tok string) upstream.SendFunc { return c.sender(cl, tok) })
	if err != nil {
		return "", err
	}
	return c.finish(cl.op, resp, out)
}

// finish turns a response into the call's result and closes its body.
func (c *Client) finish(op string, resp *http.Response, out any) (string, error) {
	defer upstream.Drain(resp)
	upstream.NoteAnswer(resp, "Request-Id")
	requestID := resp.Header.Get("Request-Id") // canonical: no key made per call
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return requestID, c.responseError(op, resp)
	}
	if out == nil {
		return requestID, nil
	}
	return requestID, upstream.DecodeJSON(service, op, resp, maxBody, requestID, out)
}

// badResponse is a 2xx answer that is not what the call expects.
func badResponse(op string, status int, requestID, msg string) *upstream.Error {
	return &upstream.Error{Service: service, Op: op, Kind: upstream.KindBadResponse, Status: status, RequestID: requestID, Message: msg}
}

// sender builds a send function for the retry policy: each attempt builds a
// fresh request, sends it and logs it.
func (c *Client) sender(cl call, tok string) func(context.Context) (*http.Response, error) {
	s := &sending{c: c, cl: cl, tok: tok, target: cl.target}
	if s.target == "" {
		s.target = c.origin + cl.path
	}
	if cl.query != "" {
		s.target += "?" + cl.query
	}
	return s.send
}

// sending is one call's attempts with one token, in one allocation: its URL,
// token and attempt count.
type sending struct {
	c       *Client
	cl      call
	tok     string
	target  string
	attempt int
}

// send is one attempt.
func (s *sending) send(ctx context.Context) (*http.Response, error) {
	s.attempt++
	cl := &s.cl
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, s.target, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header["Authorization"] = s.c.authorization(s.tok)
	return s.c.send(ctx, req, cl.path, s.attempt)
}

// The values of the headers every call sends, shared by all requests (set
// whole, never appended to or edited): no allocation per call.
var (
	headerAcceptJSON = []string{"application/json"}
	headerUserAgent  = []string{"syncgate"}
	headerTrue       = []string{"true"}
)

// bearerHeader is an Authorization header value made once per token.
type bearerHeader struct {
	token  string
	header []string
}

// authorization is the Authorization header for tok, built once per token.
func (c *Client) authorization(tok string) []string {
	if b := c.authHeader.Load(); b != nil && b.token == tok {
		return b.header
	}
	b := &bearerHeader{token: tok, header: []string{"Bearer " + tok}}
	c.authHeader.Store(b)
	return b.header
}

// roundTrip sends req through the client's transport. Graph's REST calls
// answer without redirects (a 3xx is then an unexpected answer, not followed
// with the gateway's token), and http.Client's redirect bookkeeping — a copy
// of every request's headers and URL — would cost each call for nothing. A
// client with a timeout, a cookie jar or a redirect policy of its own goes
// through Do, which honours them.
func (c *Client) roundTrip(req *http.Request) (*http.Response, error) {
	if c.http.Timeout != 0 || c.http.Jar != nil || c.http.CheckRedirect != nil {
		return c.http.Do(req)
	}
	rt := c.http.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		// As Do reports it, so the retry policy and the error kinds read it
		// the same way.
		op := method[req.Method]
		if op == "" {
			op = req.Method
		}
		return nil, &url.Error{Op: op, URL: req.URL.Redacted(), Err: err}
	}
	return resp, nil
}

// method is the Op of the *url.Error http.Client.Do returns, per method.
var method = map[string]string{http.MethodGet: "Get", http.MethodPost: "Post"}

// send sends one request with the correlation headers and logs it at debug:
// never its Authorization header.
func (c *Client) send(ctx context.Context, req *http.Request, path string, attempt int) (*http.Response, error) {
	clientRequestID := clientRequestIDFrom(ctx)
	h := req.Header
	h["Accept"] = headerAcceptJSON
	h["User-Agent"] = headerUserAgent
	if v := upstream.RequestIDHeader(ctx); len(v) == 1 && v[0] == clientRequestID {
		h["Client-Request-Id"] = v // the request's own: no allocation per call
	} else {
		h["Client-Request-Id"] = []string{clientRequestID}
	}
	h["Return-Client-Request-Id"] = headerTrue
	start := time.Now()
	resp, err := c.roundTrip(req)
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return resp, err
	}
	attrs := []any{"method", req.Method, "path", path, "attempt", attempt, "duration", time.Since(start), "client_request_id", clientRequestID}
	if err != nil {
		c.log.DebugContext(ctx, "graph call", append(attrs, "err", err)...)
		return nil, err
	}
	c.log.DebugContext(ctx, "graph call", append(attrs, "status", resp.StatusCode, "graph_request_id", resp.Header.Get("request-id"))...)
	return resp, nil
}

type clientRequestIDKey struct{}

// correlate picks the client-request-id for one adapter call: the gateway's
// request id when it is a GUID, else a fresh GUID (logged with the request id,
// so the two can be matched). Every Graph call it makes sends the same one.
func (c *Client) correlate(ctx context.Context) context.Context {
	requestID := upstream.RequestID(ctx)
	if ids.IsGUID(requestID) {
		return ctx // clientRequestIDFrom finds it there
	}
	id := uuid.NewString()
	c.log.DebugContext(ctx, "graph: client-request-id for a request id that is not a GUID", "request_id", requestID, "client_request_id", id)
	return context.WithValue(ctx, clientRequestIDKey{}, id)
}

// clientRequestIDFrom is the client-request-id correlate chose for ctx: the
// request id when it is a GUID, the one made for it otherwise; or a fresh GUID.
func clientRequestIDFrom(ctx context.Context) string {
	if id, ok := ctx.Value(clientRequestIDKey{}).(string); ok {
		return id
	}
	if id := upstream.RequestID(ctx); ids.IsGUID(id) {
		return id
	}
	return uuid.NewString()
}
