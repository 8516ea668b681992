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
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/sync/singleflight"
)

// MaxErrorBody is the most either adapter reads of an error answer, or of
// what is left of a body before closing it.
const MaxErrorBody = 64 << 10

// Drain reads a little of what is left of a body, so the connection can be
// reused, and closes it.
func Drain(resp *http.Response) {
	if resp.Body == http.NoBody {
		return // nothing sent, or read to its end and closed by DecodeJSON
	}
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
// policy, under the call's deadline and the backend's circuit breaker. A
// backend may refuse a token before it expires (revoked, expired early): a
// 401 renews the token once and the call is sent once more.
type Bearer struct {
	Tokens *Tokens
	Retry  RetryPolicy
	// Timeout is the deadline of one call (see Options.Timeout); zero:
	// none but the caller's.
	Timeout time.Duration
	// Breaker is the backend's circuit breaker; nil: none.
	Breaker *Breaker
	Log     *slog.Logger
	// RequestIDHeader is the backend's request id header, logged with a
	// refusal; "" for none.
	RequestIDHeader string
}

// Do sends op, with the current token, through send(token), within the
// call's deadline: getting the token, every attempt and every wait between
// attempts included, and the reading of the answer's body too, since the
// deadline ends only when the body is closed. An open breaker refuses the
// call at once with KindCircuitOpen. A transport failure is returned as an
// *Error; a response, whatever its status, is the caller's to read and close
// (a second 401 included).
func (b Bearer) Do(ctx context.Context, op string, idempotent bool, send func(token string) SendFunc) (*http.Response, error) {
	done, err := b.Breaker.allow(op)
	if err != nil {
		return nil, err
	}
	parent := ctx
	cancel := context.CancelFunc(func() {})
	if b.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, b.Timeout)
	}
	resp, err := b.do(ctx, op, idempotent, send)
	done(outcome(parent, resp, err))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

func (b Bearer) do(ctx context.Context, op string, idempotent bool, send func(token string) SendFunc) (*http.Response, error) {
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

// cancelOnClose ends a call's deadline when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// DecodeJSON reads a 2xx body of at most limit bytes into out: a body that
// cannot be read is a transport error, one that does not parse a
// KindBadResponse. requestID is the backend's request id, if it sent one.
func DecodeJSON(service, op string, resp *http.Response, limit int64, requestID string, out any) error {
	body, buf, err := readBody(resp, limit)
	if err != nil {
		e := TransportError(service, op, fmt.Errorf("read response: %w", err))
		e.RequestID = requestID
		return e
	}
	if err := UnmarshalJSON(body, out); err != nil {
		return &Error{Service: service, Op: op, Kind: KindBadResponse, Status: resp.StatusCode, RequestID: requestID,
			Message: "response does not parse: " + err.Error()}
	}
	if buf != nil {
		// Decoded: out holds copies of what it keeps (strings, numbers,
		// times), nothing of the buffer, which serves the next call.
		bodyBufs.Put(buf)
	}
	return nil
}

// pooledBody is the largest announced body read into a pooled buffer: a
// job, a status, a token answer (a few hundred bytes); a larger one gets its
// own. 4 KiB per call in flight at most.
const pooledBody = 4 << 10

// bodyBufs holds the buffers of the bodies DecodeJSON has decoded.
var bodyBufs = sync.Pool{New: func() any { return new([pooledBody]byte) }}

// readBody reads a body, at most limit bytes of it: into a pooled buffer (also
// returned, for DecodeJSON to give back) or one allocation of the right size
// when its length is announced, after which the body, read to its end, is
// closed and replaced by http.NoBody (Drain then has nothing to do).
func readBody(resp *http.Response, limit int64) ([]byte, *[pooledBody]byte, error) {
	n := resp.ContentLength
	if n < 0 || n > limit {
		b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
		return b, nil, err
	}
	var (
		b   []byte
		buf *[pooledBody]byte
	)
	if n <= pooledBody {
		buf = bodyBufs.Get().(*[pooledBody]byte)
		b = buf[:n]
	} else {
		b = make([]byte, n)
	}
	if _, err := io.ReadFull(resp.Body, b); err != nil {
		if buf != nil {
			bodyBufs.Put(buf)
		}
		return nil, nil, err
	}
	_ = resp.Body.Close()
	resp.Body = http.NoBody
	return b, buf, nil
}

// UnmarshalJSON decodes a backend's JSON with json v2 (the Go team's
// encoding/json/v2, as a module until the standard library's leaves its
// experiment): half the time and allocations of encoding/json for a Graph
// job. Member names still match case-insensitively, as encoding/json did; a
// duplicate name or invalid UTF-8 is refused rather than guessed at.
func UnmarshalJSON(data []byte, out any) error {
	return jsonv2.Unmarshal(data, out, jsonv2.MatchCaseInsensitiveNames(true))
}

// Timestamp decodes the date formats both backends send: RFC 3339 with or
// without a zone (none means UTC), any number of fractional digits, "T" or a
// space between date and time. null, "" and the zero date ("0001-01-01…",
// which Graph uses for "never") leave T nil.
type Timestamp struct {
	T *time.Time
	// t holds the time T points to: a Timestamp decoded inside a struct
	// that is already on the heap costs no allocation of its own.
	t time.Time
}

// UnmarshalJSONFrom reads a timestamp for json v2 from the decoder's buffer
// (UnmarshalJSON would be handed a copy).
func (ts *Timestamp) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	return ts.UnmarshalJSON(v) // keeps nothing of v
}

// UnmarshalJSON implements json.Unmarshaler.
func (ts *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if n := len(b); n >= 2 && b[0] == '"' && b[n-1] == '"' {
		if t, ok := parseUTC(b[1 : n-1]); ok {
			// The shape Graph sends, read without making a string.
			if t.Year() > 1 {
				ts.t = t
				ts.T = &ts.t
			}
			return nil
		}
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
		ts.t = t
		ts.T = &ts.t
		return nil
	}
	return fmt.Errorf("date %q: not RFC 3339", s)
}

// parseUTC reads a timestamp of the shape Graph sends,
// 2021-05-24T21:45:53.6330529Z (no to nine fractional digits, UTC), as
// time.Parse(time.RFC3339Nano) would. It reports false for anything else,
// which is then left to time.Parse.
func parseUTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || len(b) > 30 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	ok := true
	num := func(from, to int) int {
		n := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				ok = false
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	nsec := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		nsec = num(20, len(b)-1)
		for range 10 - len(frac) {
			nsec *= 10
		}
	}
	if !ok || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // February 30th and the like
		return time.Time{}, false
	}
	return t, true
}
