package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/syncgate/syncgate/internal/upstream"
)

// lookupTimeout bounds one service principal lookup. A lookup is shared by
// every caller waiting for it, so it does not end with the caller that began it.
const lookupTimeout = 30 * time.Second

// StartResult is what Graph answered to a start.
type StartResult struct {
	// RequestID is Graph's request-id for the start call.
	RequestID string
	// ClientRequestID is the client-request-id the call was sent with.
	ClientRequestID string
}

// jobList is a page of GET {root}/jobs.
type jobList struct {
	Value    []Job  `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// Jobs lists an application's synchronization jobs (GET {root}/jobs),
// following @odata.nextLink for at most 50 pages.
func (c *Client) Jobs(ctx context.Context, applicationID string) ([]Job, error) {
	const op = "list jobs"
	ctx = c.correlate(ctx)
	root, err := c.root(ctx, op, applicationID)
	if err != nil {
		return nil, err
	}
	cl := call{op: op, method: http.MethodGet, path: root + "/jobs", idempotent: true}
	jobs := []Job{}
	for page := 1; ; page++ {
		var list jobList
		requestID, err := c.do(ctx, cl, &list)
		if err != nil {
			return nil, c.jobError(applicationID, err)
		}
		for _, j := range list.Value {
			if j.ID == "" {
				return nil, badResponse(op, http.StatusOK, requestID, "a job in the list has no id")
			}
		}
		jobs = append(jobs, list.Value...)
		if list.NextLink == "" {
			return jobs, nil
		}
		if page == maxPages {
			return nil, badResponse(op, http.StatusOK, requestID, fmt.Sprintf("the job list has more than %d pages", maxPages))
		}
		if cl.path, cl.query, err = c.nextPage(list.NextLink); err != nil {
			return nil, badResponse(op, http.StatusOK, requestID, err.Error())
		}
	}
}

// Job reads one synchronization job (GET {root}/jobs/{jobId}).
func (c *Client) Job(ctx context.Context, applicationID, jobID string) (Job, error) {
	const op = "get job"
	ctx = c.correlate(ctx)
	target, path, err := c.jobURL(ctx, op, applicationID, jobID, "")
	if err != nil {
		return Job{}, err
	}
	var w wireJob // decoded in one pass, straight from the body
	requestID, err := c.do(ctx, call{op: op, method: http.MethodGet, target: target, path: path, idempotent: true}, &w)
	if err != nil {
		return Job{}, c.jobError(applicationID, err)
	}
	if w.ID == "" {
		return Job{}, badResponse(op, http.StatusOK, requestID, "the job has no id")
	}
	return w.job(), nil
}

// JobStatus reads a job's status code (GET {root}/jobs/{jobId}), decoding
// nothing else of the job: what a start's precheck needs.
func (c *Client) JobStatus(ctx context.Context, applicationID, jobID string) (string, error) {
	const op = "get job"
	ctx = c.correlate(ctx)
	target, path, err := c.jobURL(ctx, op, applicationID, jobID, "")
	if err != nil {
		return "", err
	}
	var job struct {
		ID     string `json:"id"`
		Status struct {
			Code string `json:"code"`
		} `json:"status"`
	}
	requestID, err := c.do(ctx, call{op: op, method: http.MethodGet, target: target, path: path, idempotent: true}, &job)
	if err != nil {
		return "", c.jobError(applicationID, err)
	}
	if job.ID == "" {
		return "", badResponse(op, http.StatusOK, requestID, "the job has no id")
	}
	return job.Status.Code, nil
}

// StartJob starts a synchronization job (POST {root}/jobs/{jobId}/start, no
// body; Graph answers 204). A start is sent again only when Graph shows it
// did not act on it: the connection failed before the request was written,
// or 429 or 503 came back.
func (c *Client) StartJob(ctx context.Context, applicationID, jobID string) (StartResult, error) {
	return c.act(ctx, "start job", applicationID, jobID, "/start", nil)
}

// PauseJob pauses a synchronization job (POST {root}/jobs/{jobId}/pause, no
// body; Graph answers 204). It is sent again only when Graph shows it did not
// act on it, as StartJob.
func (c *Client) PauseJob(ctx context.Context, applicationID, jobID string) (StartResult, error) {
	return c.act(ctx, "pause job", applicationID, jobID, "/pause", nil)
}

// The reset scopes of a restart (Graph's synchronizationJobRestartScope
// flags): what the job forgets before it runs again.
const (
	ResetWatermark          = "Watermark"
	ResetEscrows            = "Escrows"
	ResetQuarantineState    = "QuarantineState"
	ResetConnectorDataStore = "ConnectorDataStore"
	ResetFull               = "Full"
	ResetNone               = "None"
)

// restartBody is restart's body: the reset scopes as one comma-separated
// string, as Graph's flags enum is written.
type restartBody struct {
	Criteria struct {
		ResetScope string `json:"resetScope"`
	} `json:"criteria"`
}

// RestartJob restarts a synchronization job (POST {root}/jobs/{jobId}/restart
// with {"criteria":{"resetScope":"Watermark, Escrows"}}; Graph answers 204).
// No scopes sends no body: Graph's own default. It is sent again only when
// Graph shows it did not act on it, as StartJob.
func (c *Client) RestartJob(ctx context.Context, applicationID, jobID string, resetScope []string) (StartResult, error) {
	var body []byte
	if len(resetScope) > 0 {
		var rb restartBody
		rb.Criteria.ResetScope = strings.Join(resetScope, ", ")
		var err error
		if body, err = json.Marshal(rb); err != nil {
			return StartResult{}, err
		}
	}
	return c.act(ctx, "restart job", applicationID, jobID, "/restart", body)
}

// act sends one job action (start, pause, restart): a POST that Graph
// answers with 204.
func (c *Client) act(ctx context.Context, op, applicationID, jobID, action string, body []byte) (StartResult, error) {
	ctx = c.correlate(ctx)
	target, path, err := c.jobURL(ctx, op, applicationID, jobID, action)
	if err != nil {
		return StartResult{}, err
	}
	requestID, err := c.do(ctx, call{op: op, method: http.MethodPost, target: target, path: path, body: body}, nil)
	if err != nil {
		return StartResult{}, c.jobError(applicationID, err)
	}
	return StartResult{RequestID: requestID, ClientRequestID: clientRequestIDFrom(ctx)}, nil
}

// jobURL is the URL of {root}/jobs/{jobId}{suffix}, escaped, and its path
// (from the base URL's path on), built in one string: the path is the end of
// the URL.
func (c *Client) jobURL(ctx context.Context, op, applicationID, jobID, suffix string) (target, path string, err error) {
	job, err := upstream.Segment(service, op, "job id", jobID)
	if err != nil {
		return "", "", err
	}
	if !c.spMode { // root's path and the job's, built in one go
		app, err := upstream.Segment(service, op, "application id", applicationID)
		if err != nil {
			return "", "", err
		}
		target = c.origin + c.api + "/applications/" + app + "/synchronization/jobs/" + job + suffix
		return target, target[len(c.origin):], nil
	}
	root, err := c.root(ctx, op, applicationID)
	if err != nil {
		return "", "", err
	}
	target = c.origin + root + "/jobs/" + job + suffix
	return target, target[len(c.origin):], nil
}

// root is the escaped path of the application's synchronization resource.
func (c *Client) root(ctx context.Context, op, applicationID string) (string, error) {
	app, err := upstream.Segment(service, op, "application id", applicationID)
	if err != nil {
		return "", err
	}
	if !c.spMode {
		return c.api + "/applications/" + app + "/synchronization", nil
	}
	sp, err := c.servicePrincipal(ctx, applicationID)
	if err != nil {
		return "", err
	}
	return c.api + "/servicePrincipals/" + url.PathEscape(sp) + "/synchronization", nil
}

// jobError is err, after forgetting the application's service principal when
// Graph did not find what a job call named: a service principal deleted and
// made again has a new id, which the next call looks up.
func (c *Client) jobError(applicationID string, err error) error {
	if c.spMode && upstream.IsKind(err, upstream.KindNotFound) {
		c.principals.mu.Lock()
		delete(c.principals.ids, applicationID)
		c.principals.mu.Unlock()
	}
	return err
}

// servicePrincipal is the object id of the application's service principal:
// remembered, or looked up with GET /{ver}/applications/{id}?$select=appId
// and GET /{ver}/servicePrincipals(appId='{appId}'). Concurrent lookups of
// one application collapse into one; failures are not remembered.
func (c *Client) servicePrincipal(ctx context.Context, applicationID string) (string, error) {
	c.principals.mu.Lock()
	id, ok := c.principals.ids[applicationID]
	c.principals.mu.Unlock()
	if ok {
		return id, nil
	}
	ch := c.principals.flight.DoChan(applicationID, func() (any, error) {
		c.principals.mu.Lock()
		id, ok := c.principals.ids[applicationID]
		c.principals.mu.Unlock()
		if ok {
			return id, nil
		}
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupTimeout)
		defer cancel()
		id, err := c.lookupServicePrincipal(lctx, applicationID)
		if err != nil {
			return nil, err
		}
		c.principals.mu.Lock()
		c.principals.ids[applicationID] = id
		c.principals.mu.Unlock()
		c.log.DebugContext(ctx, "graph: service principal found", "application_id", applicationID, "service_principal_id", id)
		return id, nil
	})
	return upstream.Shared(ctx, ch, service, "get service principal")
}

// lookupServicePrincipal asks Graph for the application's appId, then for the
// service principal of that appId.
func (c *Client) lookupServicePrincipal(ctx context.Context, applicationID string) (string, error) {
	const appOp, spOp = "get application", "get service principal"
	app, err := upstream.Segment(service, appOp, "application id", applicationID)
	if err != nil {
		return "", err
	}
	var application struct {
		AppID string `json:"appId"`
	}
	requestID, err := c.do(ctx, call{op: appOp, method: http.MethodGet, path: c.api + "/applications/" + app, query: "$select=appId", idempotent: true}, &application)
	if err != nil {
		return "", err
	}
	if application.AppID == "" {
		return "", badResponse(appOp, http.StatusOK, requestID, "the application has no appId")
	}
	var principal struct {
		ID string `json:"id"`
	}
	requestID, err = c.do(ctx, call{op: spOp, method: http.MethodGet, path: c.api + "/" + principalByAppID(application.AppID), idempotent: true}, &principal)
	if err != nil {
		return "", err
	}
	if principal.ID == "" {
		return "", badResponse(spOp, http.StatusOK, requestID, "the service principal has no id")
	}
	return principal.ID, nil
}

// principalByAppID is the escaped segment servicePrincipals(appId='{appId}'):
// the appId is an OData string literal (a quote doubled), percent-encoded.
func principalByAppID(appID string) string {
	return "servicePrincipals(appId='" + url.PathEscape(strings.ReplaceAll(appID, "'", "''")) + "')"
}

// nextPage turns an @odata.nextLink into the path and query of the next
// call. The link's path must lie under the API version (behind a proxy with
// a path prefix, a link without the prefix gets it): it is always sent to
// the configured base URL, so the token never goes to a host a response
// names.
func (c *Client) nextPage(link string) (path, query string, err error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", "", fmt.Errorf("@odata.nextLink does not parse: %w", err)
	}
	path = u.EscapedPath()
	if c.prefix != "" && !strings.HasPrefix(path, c.prefix+"/") {
		path = c.prefix + path
	}
	if !strings.HasPrefix(path, c.api+"/") || strings.Contains(path, "/../") || strings.HasSuffix(path, "/..") {
		return "", "", fmt.Errorf("@odata.nextLink %q is not under %s/", u.Redacted(), c.api)
	}
	return path, u.RawQuery, nil
}
