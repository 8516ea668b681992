package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
)

// MaxErrorBody is the most either adapter reads of an error answer, or of
// what is left of a body before closing it.
const MaxErrorBody = 64 << 10

// Drain reads a little of what is left of a body, so the connection can be
// reused, and closes it.
func Drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, MaxErrorBody)
	_ = resp.Body.Close()
}

// Segment escapes one path segment of a call, refusing an id that cannot be
// one ("", ".", ".."): what names the id in the error ("application id").
func Segment(service, op, what, id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", &Error{Service: service, Op: op, Kind: KindInvalid, Message: fmt.Sprintf("invalid %s %q", what, id)}
	}
	return url.PathEscape(id), nil
}

// Shared waits for a singleflight result (a token renewal, a lookup) that
// other callers may share, or for ctx to end: a caller that gives up does not
// cancel the shared work, which the next caller can still use.
func Shared(ctx context.Context, ch <-chan singleflight.Result, service, op string) (string, error) {
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", TransportError(service, op, ctx.Err())
	}
}

// SendFunc sends one attempt of a call: it builds a fresh request from the
// ctx it is given each time it is called (see RetryPolicy.Do).
type SendFunc func(ctx context.Context) (*http.Response, error)

// Bearer sends calls with the adapter's shared token, through the retry
// policy. A backend may refuse a token before it expires (revoked, expired
// early): a 401 renews the token once and the call is sent once more.
type Bearer struct {
	Tokens *Tokens
	Retry  RetryPolicy
	Log    *slog.Logger
	// RequestIDHeader is the backend's request id header, logged with a
	// refusal; "" for none.
	RequestIDHeader string
}

// Do sends op, with the current token, through send(token). A transport
// failure is returned as an *Error; a response, whatever its status, is the
// caller's to read and close (a second 401 included).
func (b Bearer) Do(ctx context.Context, op string, idempotent bool, send func(token string) SendFunc) (*http.Response, error) {
	tok, err := b.Tokens.Get(ctx, op)
	if err != nil {
		return nil, err
	}
	for retried := false; ; retried = true {
		resp, err := b.Retry.Do(ctx, idempotent, send(tok))
		if err != nil {
			return nil, TransportError(b.Tokens.Service, op, err)
		}
		if resp.StatusCode != http.StatusUnauthorized || retried {
			return resp, nil
		}
		Drain(resp)
		attrs := []any{"op", op}
		if b.RequestIDHeader != "" {
			attrs = append(attrs, "upstream_request_id", resp.Header.Get(b.RequestIDHeader))
		}
		b.Log.DebugContext(ctx, b.Tokens.Service+": token refused, renewing it", attrs...)
		if tok, err = b.Tokens.Refused(ctx, tok, op); err != nil {
			return nil, err
		}
	}
}

// DecodeJSON reads a 2xx body of at most limit bytes into out: a body that
// cannot be read is a transport error, one that does not parse a
// KindBadResponse. requestID is the backend's request id, if it sent one.
func DecodeJSON(service, op string, resp *http.Response, limit int64, requestID string, out any) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		e := TransportError(service, op, fmt.Errorf("read response: %w", err))
		e.RequestID = requestID
		return e
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &Error{Service: service, Op: op, Kind: KindBadResponse, Status: resp.StatusCode, RequestID: requestID,
			Message: "response does not parse: " + err.Error()}
	}
	return nil
}

// Timestamp decodes the date formats both backends send: RFC 3339 with or
// without a zone (none means UTC), any number of fractional digits, "T" or a
// space between date and time. null, "" and the zero date ("0001-01-01…",
// which Graph uses for "never") leave T nil.
type Timestamp struct{ T *time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (ts *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: %w", err)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
	}
	for _, layout := range layouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if t.Year() <= 1 {
			return nil
		}
		ts.T = &t
		return nil
	}
	return fmt.Errorf("date %q: not RFC 3339", s)
}
