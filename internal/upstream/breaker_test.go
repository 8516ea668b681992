package upstream

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// backendFor is a Bearer over srv with a fixed token, retry waits skipped,
// the call deadline timeout and breaker b.
func backendFor(t *testing.T, timeout time.Duration, b *Breaker) Backend {
	t.Helper()
	u, _ := url.Parse("http://127.0.0.1")
	be, err := NewBackend(BackendConfig{Service: "test", BaseURL: u, Options: Options{Timeout: timeout, Breaker: b,
		Retry: RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return be
}

func fixedToken(context.Context, *Token, string) (*Token, error) {
	return &Token{Value: "t", Expires: time.Now().Add(time.Hour), RefreshAt: time.Now().Add(time.Hour)}, nil
}

// call sends one idempotent GET of target through bearer and reads the whole
// answer, returning its status or the call's error.
func call(ctx context.Context, bearer Bearer, target string) (int, error) {
	resp, err := bearer.Do(ctx, "read", true, func(string) SendFunc {
		return func(ctx context.Context) (*http.Response, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
			if err != nil {
				return nil, err
			}
			return http.DefaultClient.Do(req)
		}
	})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err != nil {
		return resp.StatusCode, TransportError("test", "read", err)
	}
	return resp.StatusCode, nil
}

// hanging answers the first len(first) requests with those statuses at
// once, and then holds every request until the client gives up.
func hanging(t *testing.T, first ...int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(first) {
			w.WriteHeader(first[i])
			return
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestCallDeadlineIncludesRetries: SYNCGATE_*_TIMEOUT bounds the whole call.
// A backend that never answers ends the call at the deadline as
// KindTimeout, with no attempt after it; two quick 503s and then silence
// still end at the one deadline (the retries spent part of it), not at a
// deadline per attempt.
func TestCallDeadlineIncludesRetries(t *testing.T) {
	for _, tt := range []struct {
		name      string
		first     []int
		wantCalls int32
	}{
		{"backend silent", nil, 1},
		{"two 503s, then silent", []int{503, 503}, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := hanging(t, tt.first...)
			bearer := backendFor(t, 300*time.Millisecond, nil).Bearer(fixedToken, "")
			status, err := call(context.Background(), bearer, srv.URL)
			if !IsKind(err, KindTimeout) {
				t.Fatalf("status %d, err %v, want KindTimeout", status, err)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("backend got %d calls, want %d (none after the deadline)", got, tt.wantCalls)
			}
		})
	}
}

// TestCallDeadlineCoversTheBody: the deadline runs until the answer is read:
// a backend that sends its headers and then stalls fails the read.
func TestCallDeadlineCoversTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"items":[`))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	bearer := backendFor(t, 300*time.Millisecond, nil).Bearer(fixedToken, "")
	status, err := call(context.Background(), bearer, srv.URL)
	if status != http.StatusOK || !IsKind(err, KindTimeout) {
		t.Fatalf("status %d, err %v; want 200 then a KindTimeout reading the body", status, err)
	}
}

// TestCallDeadlineNeverPastCaller: the caller's shorter deadline ends the
// call, and says nothing of the backend: the breaker does not count it.
func TestCallDeadlineNeverPastCaller(t *testing.T) {
	srv, calls := hanging(t)
	b := NewBreaker("test", BreakerConfig{Failures: 1, Open: time.Hour}, nil)
	bearer := backendFor(t, time.Hour, b).Bearer(fixedToken, "")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := call(ctx, bearer, srv.URL); !IsKind(err, KindTimeout) {
		t.Fatalf("err %v, want KindTimeout at the caller's deadline", err)
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("backend got %d calls, want 1", got)
	}
	if s := b.State(); s != "closed" {
		t.Errorf("breaker %s after the caller's own deadline; want closed", s)
	}
}

// transitions records a breaker's changes of state.
type transitions struct {
	mu sync.Mutex
	s  []string
}

func (tr *transitions) record(_, from, to string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.s = append(tr.s, from+">"+to)
}

func (tr *transitions) got() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.s)
}

// waitState polls until b is in state (the open period is wall-clock time
// inside gobreaker).
func waitState(t *testing.T, b *Breaker, state string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.State() != state {
		if time.Now().After(deadline) {
			t.Fatalf("breaker still %s, want %s", b.State(), state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBreakerOpensOnARunOf5xx: three calls answered 500 in a row open a
// breaker of three failures; the next call is refused at once as
// KindCircuitOpen with a Retry-After within the open period, and reaches no
// backend. Once the open period is over one probe goes through: a failing
// probe opens it again, a good one closes it, and calls flow again.
func TestBreakerOpensOnARunOf5xx(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusInternalServerError)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(srv.Close)
	var tr transitions
	b := NewBreaker("test", BreakerConfig{Failures: 3, Open: time.Second, OnStateChange: tr.record}, nil)
	bearer := backendFor(t, 5*time.Second, b).Bearer(fixedToken, "")
	bearer.Retry.MaxAttempts = 1 // one request per call, to count them

	for i := range 3 {
		if got, err := call(context.Background(), bearer, srv.URL); err != nil || got != 500 {
			t.Fatalf("call %d: %d %v; want the backend's 500", i+1, got, err)
		}
	}
	_, err := call(context.Background(), bearer, srv.URL)
	ue, ok := As(err)
	if !ok || ue.Kind != KindCircuitOpen || ue.RetryAfter <= 0 || ue.RetryAfter > 2*time.Second {
		t.Fatalf("call 4: %v; want KindCircuitOpen with a Retry-After within the open period", err)
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("backend got %d calls, want 3: an open breaker sends nothing", got)
	}

	waitState(t, b, "half-open")
	if got, err := call(context.Background(), bearer, srv.URL); err != nil || got != 500 {
		t.Fatalf("failing probe: %d %v; want the backend's 500", got, err)
	}
	if s := b.State(); s != "open" {
		t.Fatalf("after a failing probe the breaker is %s, want open", s)
	}
	status.Store(http.StatusOK)
	waitState(t, b, "half-open")
	for i := range 3 {
		if got, err := call(context.Background(), bearer, srv.URL); err != nil || got != 200 {
			t.Fatalf("call %d after recovery: %d %v; want 200", i+1, got, err)
		}
	}
	if got := calls.Load(); got != 3+1+3 {
		t.Errorf("backend got %d calls, want 7", got)
	}
	want := []string{"closed>open", "open>half-open", "half-open>open", "open>half-open", "half-open>closed"}
	if got := tr.got(); !slices.Equal(got, want) {
		t.Errorf("state changes %v, want %v", got, want)
	}
}

// TestBreakerCountsWhatFails: refused connections and timeouts count as
// failures; 4xx answers (the backend works) and cancelled callers do not, so
// a run of them leaves the breaker closed.
func TestBreakerCountsWhatFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	notFound := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(notFound.Close)
	silent, _ := hanging(t)

	for _, tt := range []struct {
		name     string
		target   string
		cancel   bool
		wantOpen bool
	}{
		{"connection refused", refused, false, true},
		{"timeout", silent.URL, false, true},
		{"404", notFound.URL, false, false},
		{"caller cancelled", silent.URL, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBreaker("test", BreakerConfig{Failures: 3, Open: time.Hour}, nil)
			bearer := backendFor(t, 200*time.Millisecond, b).Bearer(fixedToken, "")
			bearer.Retry.MaxAttempts = 1
			for range 3 {
				ctx, cancel := context.WithCancel(context.Background())
				if tt.cancel {
					time.AfterFunc(50*time.Millisecond, cancel)
				}
				_, _ = call(ctx, bearer, tt.target)
				cancel()
			}
			if open := b.State() == "open"; open != tt.wantOpen {
				t.Errorf("after 3 calls the breaker is %s; want open %v", b.State(), tt.wantOpen)
			}
		})
	}
}

// TestBreakerCountsTokenFailures: a token endpoint failing with 5xx fails
// the call before it is sent, and counts; one refusing the credentials (4xx)
// does not.
func TestBreakerCountsTokenFailures(t *testing.T) {
	for _, tt := range []struct {
		status   int
		wantOpen bool
	}{{http.StatusServiceUnavailable, true}, {http.StatusBadRequest, false}} {
		b := NewBreaker("test", BreakerConfig{Failures: 2, Open: time.Hour}, nil)
		bearer := backendFor(t, time.Second, b).Bearer(func(context.Context, *Token, string) (*Token, error) {
			return nil, &Error{Service: "test", Op: "log in", Kind: KindForStatus(tt.status, false), Status: tt.status}
		}, "")
		for range 2 {
			if _, err := call(context.Background(), bearer, "http://127.0.0.1:1"); err == nil {
				t.Fatal("call succeeded without a token")
			}
		}
		if open := b.State() == "open"; open != tt.wantOpen {
			t.Errorf("token endpoint %d twice: breaker %s; want open %v", tt.status, b.State(), tt.wantOpen)
		}
	}
}

// TestBreakerOff: a negative Failures builds no breaker, and a nil breaker
// lets every call through.
func TestBreakerOff(t *testing.T) {
	if b := NewBreaker("test", BreakerConfig{Failures: -1}, nil); b != nil {
		t.Fatal("a breaker was built with Failures -1")
	}
	srv, calls := scripted(t, answer{status: 500})
	bearer := backendFor(t, time.Second, nil).Bearer(fixedToken, "")
	bearer.Retry.MaxAttempts = 1
	for range 10 {
		if _, err := call(context.Background(), bearer, srv.URL); errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	}
	if got := calls.Load(); got != 10 {
		t.Errorf("backend got %d calls, want 10", got)
	}
}
