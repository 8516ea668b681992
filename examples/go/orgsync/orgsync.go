// Package orgsync is the Go example's logic (examples/go): start a Veeam
// organization cache sync through syncgate's generated client, with an
// Idempotency-Key so that a rerun never starts a second sync, handle the
// refusals by their problem types, and wait for the sync's outcome.
package orgsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/syncgate/syncgate/examples/go/syncgate"
)

// The problem types this program acts on (urn:syncgate:problem:<slug>, as
// openapi.yaml documents them).
const (
	typeAlreadyRunning = "urn:syncgate:problem:already-running"
	typeCooldown       = "urn:syncgate:problem:cooldown"
	typeNotEligible    = "urn:syncgate:problem:not-eligible"
	typeRateLimited    = "urn:syncgate:problem:rate-limited"
	typeKeyInFlight    = "urn:syncgate:problem:idempotency-key-in-flight"
	typeKeyReused      = "urn:syncgate:problem:idempotency-key-reused"
)

// Options are what one run does.
type Options struct {
	// URL is the gateway's base URL (http://127.0.0.1:8080).
	URL string
	// Token is the bearer token (scopes Organizations.Sync and Organizations.Read).
	Token string
	// Organization is the Veeam organization id, a GUID.
	Organization string
	// Full asks for a full sync (PowerShell -Full).
	Full bool
	// IdempotencyKey identifies this start; a rerun with the same key is
	// answered with the first run's answer and starts nothing. Empty: a new one.
	IdempotencyKey string
	// Timeout bounds the wait for the outcome.
	Timeout time.Duration
	// HTTPClient makes the calls; nil: http.DefaultClient.
	HTTPClient *http.Client
}

// Result is what a run saw.
type Result struct {
	// Started: the start was accepted (202), by this run or, replayed, by an
	// earlier run with the same key.
	Started bool
	// Replayed: the gateway answered with an earlier request's answer
	// (Idempotent-Replayed: true); nothing new was started.
	Replayed bool
	// Refusal is the problem a start was refused with (409, 422, 429).
	Refusal *syncgate.Problem
	// Final is the sync's status when the run ended.
	Final string
	// Reads counts the reads of the sync state: the gateway holds each one
	// until the state changes, so a long sync costs few reads.
	Reads int
}

// Run starts the organization's sync and waits for it to end; it writes
// what happens to out. It returns an error when the start is refused for
// good (422), the sync ends in Error, or the wait times out.
func Run(ctx context.Context, opts Options, out io.Writer) (Result, error) {
	var res Result
	org, err := uuid.Parse(opts.Organization)
	if err != nil {
		return res, fmt.Errorf("organization %q: %w", opts.Organization, err)
	}
	if opts.IdempotencyKey == "" {
		opts.IdempotencyKey = uuid.NewString()
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	doer := opts.HTTPClient
	if doer == nil {
		doer = http.DefaultClient
	}
	client, err := syncgate.NewClientWithResponses(opts.URL, syncgate.WithHTTPClient(doer),
		syncgate.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+opts.Token)
			return nil
		}))
	if err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	fmt.Fprintf(out, "Idempotency-Key: %s (rerun with -key %[1]s: the rerun starts nothing new)\n", opts.IdempotencyKey)
	if err := start(ctx, client, org, opts, &res, out); err != nil {
		return res, err
	}
	return res, wait(ctx, client, org, &res, out)
}

// start asks for the sync until it is started, or refused in a way that
// leaves a sync to wait for (409 already running, 429 cooldown).
func start(ctx context.Context, client *syncgate.ClientWithResponses, org uuid.UUID, opts Options, res *Result, out io.Writer) error {
	body := syncgate.SyncRequest{Full: &opts.Full}
	withKey := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Idempotency-Key", opts.IdempotencyKey)
		return nil
	}
	for {
		resp, err := client.StartOrganizationSyncWithResponse(ctx, org, &syncgate.StartOrganizationSyncParams{}, body, withKey)
		if err != nil {
			return fmt.Errorf("start: %w", err)
		}
		if s := resp.JSON202; s != nil {
			res.Started = true
			res.Replayed = resp.HTTPResponse.Header.Get("Idempotent-Replayed") == "true"
			fmt.Fprintf(out, "202 Accepted: %s sync of %s started (it was %s); request %s\n", s.Type, s.OrganizationId, s.PreviousStatus, s.RequestId)
			if res.Replayed {
				fmt.Fprintln(out, "Idempotent-Replayed: true: an earlier run with this key started it; nothing new was started")
			}
			return nil
		}
		p := problemOf(resp)
		if p == nil {
			return fmt.Errorf("start: %s answered %s", opts.URL, resp.Status())
		}
		res.Refusal = p
		fmt.Fprintf(out, "%d %s: %s\n", p.Status, p.Type, detail(p))
		switch p.Type {
		case typeAlreadyRunning:
			fmt.Fprintln(out, "a sync is already under way: waiting for it")
			return nil
		case typeCooldown:
			fmt.Fprintln(out, "a sync was started moments ago: waiting for its outcome")
			return nil
		case typeRateLimited, typeKeyInFlight:
			// Nothing was started: the same key makes asking again safe.
			delay := retryAfter(resp.HTTPResponse, time.Second)
			fmt.Fprintf(out, "asking again in %s\n", delay)
			if err := sleep(ctx, delay); err != nil {
				return fmt.Errorf("start: %w", err)
			}
		default: // not-eligible, idempotency-key-reused, validation, ...
			return fmt.Errorf("start refused: %s (%s)", detail(p), p.Type)
		}
	}
}

// wait reads the sync state until it is Success or Error. It asks the
// gateway to hold each read until the state changes (RFC 7240 Prefer:
// wait, with If-None-Match), and reads every second when the gateway
// answers at once.
func wait(ctx context.Context, client *syncgate.ClientWithResponses, org uuid.UUID, res *Result, out io.Writer) error {
	prefer := "wait=20"
	var etag string
	for {
		params := &syncgate.GetOrganizationSyncParams{Prefer: &prefer}
		if etag != "" {
			params.IfNoneMatch = &etag
		}
		resp, err := client.GetOrganizationSyncWithResponse(ctx, org, params)
		res.Reads++
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				return fmt.Errorf("the sync is still %s: gave up waiting", orNone(res.Final))
			}
			return fmt.Errorf("read the sync state: %w", err)
		}
		waited := resp.HTTPResponse.Header.Get("Preference-Applied") != ""
		switch {
		case resp.StatusCode() == http.StatusNotModified:
		case resp.JSON200 != nil:
			etag = resp.HTTPResponse.Header.Get("ETag")
			if st := resp.JSON200.Status; st != res.Final {
				res.Final = st
				fmt.Fprintf(out, "sync: %s\n", st)
			}
			switch res.Final {
			case "Success":
				return nil
			case "Error":
				msg := "the sync ended in Error"
				if l := resp.JSON200.Last; l != nil && l.Error != nil {
					msg += ": " + *l.Error
				}
				return errors.New(msg)
			}
		default:
			p := problemOf(resp)
			if p != nil && p.Type == typeRateLimited {
				// Over this caller's rate limit: read again when its quota refills.
				delay := retryAfter(resp.HTTPResponse, time.Second)
				fmt.Fprintf(out, "%d %s: reading again in %s\n", p.Status, p.Type, delay)
				if err := sleep(ctx, delay); err != nil {
					return fmt.Errorf("the sync is still %s: gave up waiting", orNone(res.Final))
				}
				continue
			}
			if p != nil {
				return fmt.Errorf("read the sync state: %s (%s)", detail(p), p.Type)
			}
			return fmt.Errorf("read the sync state: %s", resp.Status())
		}
		if !waited {
			if err := sleep(ctx, time.Second); err != nil {
				return fmt.Errorf("the sync is still %s: gave up waiting", orNone(res.Final))
			}
		}
	}
}

// problemOf decodes the problem+json of an error answer, whatever its status.
func problemOf(resp interface{ StatusCode() int }) *syncgate.Problem {
	var p *syncgate.Problem
	switch r := resp.(type) {
	case *syncgate.StartOrganizationSyncResponse:
		for _, c := range []*syncgate.Problem{r.ApplicationproblemJSON400, r.ApplicationproblemJSON401, r.ApplicationproblemJSON403,
			r.ApplicationproblemJSON404, r.ApplicationproblemJSON409, r.ApplicationproblemJSON422, r.ApplicationproblemJSON429,
			r.ApplicationproblemJSON500, r.ApplicationproblemJSON502, r.ApplicationproblemJSON503, r.ApplicationproblemJSON504} {
			if c != nil {
				p = c
			}
		}
	case *syncgate.GetOrganizationSyncResponse:
		for _, c := range []*syncgate.Problem{r.ApplicationproblemJSON400, r.ApplicationproblemJSON401, r.ApplicationproblemJSON403,
			r.ApplicationproblemJSON404, r.ApplicationproblemJSON429, r.ApplicationproblemJSON500, r.ApplicationproblemJSON502,
			r.ApplicationproblemJSON503, r.ApplicationproblemJSON504} {
			if c != nil {
				p = c
			}
		}
	}
	return p
}

func detail(p *syncgate.Problem) string {
	if p.Detail != nil && *p.Detail != "" {
		return *p.Detail
	}
	return p.Title
}

// retryAfter is the answer's Retry-After in seconds, or def.
func retryAfter(resp *http.Response, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
