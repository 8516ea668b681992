package upstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sleeps records the waits a policy asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ds = append(s.ds, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// answer is one scripted backend response.
type answer struct {
	status     int
	retryAfter string
}

// scripted serves answers in order (the last one repeats) and counts requests.
func scripted(t *testing.T, answers ...answer) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		a := answers[min(i, len(answers)-1)]
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// sender returns a send function for p.Do that POSTs body to url.
func sender(client *http.Client, url string, body []byte) func(ctx context.Context) (*http.Response, error) {
	return func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		return client.Do(req)
	}
}

func closeBody(t *testing.T, resp *http.Response) {
	t.Helper()
	if resp != nil {
		_ = resp.Body.Close()
	}
}

func TestDoRetriesByStatus(t *testing.T) {
	tests := []struct {
		name        string
		idempotent  bool
		maxAttempts int
		answers     []answer
		wantCalls   int32
		wantStatus  int
	}{
		{"read succeeds at once", true, 0, []answer{{200, ""}}, 1, 200},
		{"read retries 503 until success", true, 0, []answer{{503, ""}, {503, ""}, {200, ""}}, 3, 200},
		{"read retries 502", true, 0, []answer{{502, ""}, {200, ""}}, 2, 200},
		{"read retries 429", true, 0, []answer{{429, ""}, {200, ""}}, 2, 200},
		{"read gives up after max attempts with the last answer", true, 0, []answer{{504, ""}}, 3, 504},
		{"read does not retry 500", true, 0, []answer{{500, ""}, {200, ""}}, 1, 500},
		{"read does not retry 404", true, 0, []answer{{404, ""}, {200, ""}}, 1, 404},
		{"one attempt disables retries", true, 1, []answer{{503, ""}, {200, ""}}, 1, 503},
		{"start does not retry 502", false, 0, []answer{{502, ""}, {204, ""}}, 1, 502},
		{"start does not retry 504", false, 0, []answer{{504, ""}, {204, ""}}, 1, 504},
		{"start retries 503", false, 0, []answer{{503, ""}, {204, ""}}, 2, 204},
		{"start retries 429", false, 0, []answer{{429, ""}, {204, ""}}, 2, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := scripted(t, tt.answers...)
			var s sleeps
			p := RetryPolicy{MaxAttempts: tt.maxAttempts, Sleep: s.sleep}
			resp, err := p.Do(context.Background(), tt.idempotent, sender(srv.Client(), srv.URL, nil))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			defer closeBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("backend calls = %d, want %d", got, tt.wantCalls)
			}
			if got := len(s.got()); got != int(tt.wantCalls)-1 {
				t.Errorf("waits = %d, want %d", got, tt.wantCalls-1)
			}
		})
	}
}

func TestDoRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	inOneSecond := now.Add(time.Second).Format(http.TimeFormat)
	tests := []struct {
		name       string
		budget     time.Duration
		attempts   int
		answers    []answer
		wantCalls  int32
		wantStatus int
		wantSleeps []time.Duration
	}{
		{"seconds within budget are waited out", DefaultRetryAfterBudget, 0,
			[]answer{{429, "1"}, {200, ""}}, 2, 200, []time.Duration{time.Second}},
		{"HTTP-date within budget is waited out", DefaultRetryAfterBudget, 0,
			[]answer{{503, inOneSecond}, {200, ""}}, 2, 200, []time.Duration{time.Second}},
		{"beyond budget returns the throttled answer at once", DefaultRetryAfterBudget, 0,
			[]answer{{429, "5"}, {200, ""}}, 1, 429, nil},
		{"budget is spent across retries", 2 * time.Second, 5,
			[]answer{{503, "1"}, {503, "1"}, {503, "1"}, {200, ""}}, 3, 503, []time.Duration{time.Second, time.Second}},
		{"negative budget never waits", -1, 0,
			[]answer{{429, "1"}, {200, ""}}, 1, 429, nil},
		{"zero budget never waits, as SYNCGATE_RETRY_AFTER_BUDGET=0 says", 0, 0,
			[]answer{{429, "1"}, {200, ""}}, 1, 429, nil},
		{"zero Retry-After retries at once", 0, 0,
			[]answer{{429, "0"}, {200, ""}}, 2, 200, []time.Duration{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := scripted(t, tt.answers...)
			var s sleeps
			p := RetryPolicy{MaxAttempts: tt.attempts, RetryAfterBudget: tt.budget, Sleep: s.sleep, Now: func() time.Time { return now }}
			resp, err := p.Do(context.Background(), true, sender(srv.Client(), srv.URL, nil))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			defer closeBody(t, resp)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("backend calls = %d, want %d", got, tt.wantCalls)
			}
			if diff := cmp.Diff(tt.wantSleeps, s.got()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if tt.wantStatus == 429 || tt.wantStatus == 503 {
				if resp.Header.Get("Retry-After") == "" {
					t.Error("returned answer lost its Retry-After")
				}
			}
		})
	}
}

func TestDoNeverWaitsPastDeadline(t *testing.T) {
	tests := []struct {
		name    string
		answers []answer
	}{
		{"Retry-After past the deadline", []answer{{429, "20"}, {200, ""}}},
		{"backoff past the deadline", []answer{{503, ""}, {200, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := scripted(t, tt.answers...)
			var s sleeps
			p := RetryPolicy{RetryAfterBudget: time.Minute, BaseDelay: time.Minute, MaxDelay: time.Minute, Sleep: s.sleep}
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(10*time.Second))
			defer cancel()
			if tt.answers[0].retryAfter == "" {
				// Backoff is random and may be 0: a clock already at the
				// deadline makes any wait run past it.
				p.Now = func() time.Time { return time.Now().Add(10 * time.Second) }
			}
			resp, err := p.Do(ctx, true, sender(srv.Client(), srv.URL, nil))
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			defer closeBody(t, resp)
			if resp.StatusCode != tt.answers[0].status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.answers[0].status)
			}
			if calls.Load() != 1 || len(s.got()) != 0 {
				t.Errorf("calls = %d, waits = %v; want 1 call and no wait", calls.Load(), s.got())
			}
		})
	}
}

func TestDoBackoffIsCappedJitter(t *testing.T) {
	srv, _ := scripted(t, answer{503, ""})
	var s sleeps
	p := RetryPolicy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 300 * time.Millisecond, Sleep: s.sleep}
	resp, err := p.Do(context.Background(), true, sender(srv.Client(), srv.URL, nil))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	closeBody(t, resp)
	caps := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond}
	got := s.got()
	if len(got) != len(caps) {
		t.Fatalf("waits = %v, want %d of them", got, len(caps))
	}
	for i, d := range got {
		if d < 0 || d > caps[i] {
			t.Errorf("wait %d = %v, want within [0, %v]", i+1, d, caps[i])
		}
	}
}

func TestDoReplaysBody(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	var s sleeps
	resp, err := RetryPolicy{Sleep: s.sleep}.Do(context.Background(), false, sender(srv.Client(), srv.URL, []byte(`{"type":"Full"}`)))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	closeBody(t, resp)
	if diff := cmp.Diff([]string{`{"type":"Full"}`, `{"type":"Full"}`}, bodies); diff != "" {
		t.Errorf("bodies received (-want +got):\n%s", diff)
	}
}

// refusingOnce is a transport whose first dial is refused.
func refusingOnce() *http.Client {
	var dialed atomic.Bool
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if !dialed.Swap(true) {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestDoTransportErrors(t *testing.T) {
	// dropFirst answers 204, except the first request, whose connection is
	// closed after the request was read: the backend may have acted.
	dropFirst := func(t *testing.T) (*httptest.Server, *atomic.Int32) {
		t.Helper()
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Errorf("hijack: %v", err)
					return
				}
				_ = conn.Close()
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(srv.Close)
		return srv, &n
	}
	ok := func(t *testing.T) (*httptest.Server, *atomic.Int32) {
		t.Helper()
		return scripted(t, answer{204, ""})
	}
	tests := []struct {
		name       string
		idempotent bool
		server     func(t *testing.T) (*httptest.Server, *atomic.Int32)
		client     func(srv *httptest.Server) *http.Client
		wantErr    bool
		wantCalls  int32
	}{
		{"start retried after a refused connection", false, ok,
			func(*httptest.Server) *http.Client { return refusingOnce() }, false, 1},
		{"read retried after a refused connection", true, ok,
			func(*httptest.Server) *http.Client { return refusingOnce() }, false, 1},
		{"start not retried after the connection dropped once sent", false, dropFirst,
			func(srv *httptest.Server) *http.Client { return srv.Client() }, true, 1},
		{"read retried after the connection dropped once sent", true, dropFirst,
			func(srv *httptest.Server) *http.Client { return srv.Client() }, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := tt.server(t)
			var s sleeps
			resp, err := RetryPolicy{Sleep: s.sleep}.Do(context.Background(), tt.idempotent, sender(tt.client(srv), srv.URL, []byte("{}")))
			closeBody(t, resp)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Do error = %v, want error %v", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("requests that reached the backend = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestDoStopsOnRealRefusalAfterAttempts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	_ = ln.Close()
	var s sleeps
	var sends int
	send := sender(http.DefaultClient, url, nil)
	resp, err := RetryPolicy{Sleep: s.sleep}.Do(context.Background(), false, func(ctx context.Context) (*http.Response, error) {
		sends++
		return send(ctx)
	})
	closeBody(t, resp)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Do error = %v, want connection refused", err)
	}
	if sends != DefaultMaxAttempts {
		t.Errorf("sends = %d, want %d", sends, DefaultMaxAttempts)
	}
}

func TestDoDoesNotRetryUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var sends int
	send := sender(&http.Client{}, srv.URL, nil)
	var s sleeps
	resp, err := RetryPolicy{Sleep: s.sleep}.Do(context.Background(), true, func(ctx context.Context) (*http.Response, error) {
		sends++
		return send(ctx)
	})
	closeBody(t, resp)
	if err == nil || sends != 1 {
		t.Errorf("err = %v, sends = %d; want a certificate error after 1 send", err, sends)
	}
}

func TestDoStopsWhenContextEnds(t *testing.T) {
	t.Run("during a wait", func(t *testing.T) {
		srv, calls := scripted(t, answer{503, ""})
		ctx, cancel := context.WithCancel(context.Background())
		p := RetryPolicy{Sleep: func(context.Context, time.Duration) error { cancel(); return context.Canceled }}
		resp, err := p.Do(ctx, true, sender(srv.Client(), srv.URL, nil))
		if resp != nil || !errors.Is(err, context.Canceled) {
			t.Errorf("Do = %v, %v; want no response and context.Canceled", resp, err)
		}
		if calls.Load() != 1 {
			t.Errorf("backend calls = %d, want 1", calls.Load())
		}
	})
	t.Run("after a failed send", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var sends int
		var s sleeps
		_, err := RetryPolicy{Sleep: s.sleep}.Do(ctx, true, func(ctx context.Context) (*http.Response, error) {
			sends++
			cancel()
			return nil, ctx.Err()
		})
		if !errors.Is(err, context.Canceled) || sends != 1 {
			t.Errorf("err = %v, sends = %d; want context.Canceled after 1 send", err, sends)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"120", 2 * time.Minute, true},
		{" 3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"Sat, 01 Mar 2025 12:00:30 GMT", 30 * time.Second, true},
		{"Saturday, 01-Mar-25 12:01:00 GMT", time.Minute, true},
		{"Sat Mar  1 12:00:05 2025", 5 * time.Second, true},
		{"Sat, 01 Mar 2025 11:00:00 GMT", 0, true},
		{"99999999999999999999999", MaxRetryAfter, true},
		{"99999999999999999999", MaxRetryAfter, true},
		{"9223372036", MaxRetryAfter, true},
		{"86401", MaxRetryAfter, true},
		{"86400", 24 * time.Hour, true},
		{"Fri, 31 Dec 9999 23:59:59 GMT", MaxRetryAfter, true},
		{"", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"10s", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
