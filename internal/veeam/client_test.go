package veeam

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/syncgate/syncgate/internal/upstream"
)

func TestNewChecksConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"complete", Config{BaseURL: "https://veeam.contoso.com:4443", Username: "u", Password: "p"}, false},
		{"trailing slash", Config{BaseURL: "https://veeam.contoso.com:4443/", Username: "u", Password: "p"}, false},
		{"no base URL", Config{Username: "u", Password: "p"}, true},
		{"no scheme", Config{BaseURL: "veeam.contoso.com:4443", Username: "u", Password: "p"}, true},
		{"other scheme", Config{BaseURL: "ftp://veeam.contoso.com", Username: "u", Password: "p"}, true},
		{"query", Config{BaseURL: "https://veeam.contoso.com:4443?x=1", Username: "u", Password: "p"}, true},
		{"credentials in the URL", Config{BaseURL: "https://u:s3cret@veeam.contoso.com:4443", Username: "u", Password: "p"}, true},
		{"no username", Config{BaseURL: "https://veeam.contoso.com:4443", Password: "p"}, true},
		{"no password", Config{BaseURL: "https://veeam.contoso.com:4443", Username: "u"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the URL's password: %v", err)
			}
		})
	}
}

func TestNewWarnsWhenVerificationIsSkipped(t *testing.T) {
	insecure, err := upstream.NewHTTPClient(upstream.HTTPConfig{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		client   *http.Client
		wantWarn bool
	}{
		{"verification skipped", insecure, true},
		{"default client", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			_, err := New(Config{BaseURL: "https://veeam.contoso.com:4443", Username: "u", Password: "p", Options: upstream.Options{HTTPClient: tt.client}},
				slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "DISABLED"); got != tt.wantWarn {
				t.Errorf("warned = %v, want %v; logs:\n%s", got, tt.wantWarn, logs.String())
			}
		})
	}
}

func TestPathSegmentsArePercentEncoded(t *testing.T) {
	tests := []struct {
		id      string
		wantURI string
	}{
		{"a/b", "/v8/Organizations/a%2Fb/SyncState"},
		{"x y", "/v8/Organizations/x%20y/SyncState"},
		{"100%", "/v8/Organizations/100%25/SyncState"},
		{"q?x=1#f", "/v8/Organizations/q%3Fx=1%23f/SyncState"},
		{"../token", "/v8/Organizations/..%2Ftoken/SyncState"},
		{"é", "/v8/Organizations/%C3%A9/SyncState"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			fake := newFake(t, serveFile(t, "sync_state.json"))
			h := newHarness(t, fake, nil)
			if _, err := h.c.SyncState(context.Background(), tt.id); err != nil {
				t.Fatalf("SyncState: %v", err)
			}
			if err := h.c.StartSync(context.Background(), tt.id, SyncRequest{}); err != nil {
				t.Fatalf("StartSync: %v", err)
			}
			_, _ = h.c.Organization(context.Background(), tt.id) // the body does not matter here
			var got []string
			for _, c := range fake.apiCalls() {
				got = append(got, c.URI)
			}
			want := []string{tt.wantURI, strings.TrimSuffix(tt.wantURI, "State"), strings.TrimSuffix(tt.wantURI, "/SyncState")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request URIs (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("ids that cannot be a segment are refused", func(t *testing.T) {
		fake := newFake(t, serveFile(t, "sync_state.json"))
		h := newHarness(t, fake, nil)
		for _, id := range []string{"", ".", ".."} {
			_, err := h.c.SyncState(context.Background(), id)
			wantKind(t, err, upstream.KindInvalid)
		}
		if n := len(fake.apiCalls()) + len(fake.grantTypes()); n != 0 {
			t.Errorf("requests = %d, want none", n)
		}
	})
}

func TestRequestIDIsSentUpstream(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil)
	ctx := upstream.WithRequestID(context.Background(), "req-42")
	if _, err := h.c.Organization(ctx, orgID); err != nil {
		t.Fatal(err)
	}
	if got := fake.apiCalls()[0].RequestID; got != "req-42" {
		t.Errorf("X-Request-ID = %q, want req-42", got)
	}
}

func TestRetries(t *testing.T) {
	type answer struct {
		status     int
		retryAfter string
	}
	tests := []struct {
		name           string
		start          bool
		answers        []answer // the last one repeats
		wantKind       *upstream.Kind
		wantCalls      int
		wantSleeps     []time.Duration // nil: not checked beyond count
		wantRetryAfter time.Duration
	}{
		{"read retries a 503", false, []answer{{503, ""}, {200, ""}}, nil, 2, nil, 0},
		{"read retries 502 up to the limit", false, []answer{{502, ""}}, ptr(upstream.KindInternal), 3, nil, 0},
		{"read retries a 504", false, []answer{{504, ""}, {200, ""}}, nil, 2, nil, 0},
		{"read waits out a Retry-After inside the budget", false, []answer{{429, "1"}, {200, ""}}, nil, 2, []time.Duration{time.Second}, 0},
		{"read returns a Retry-After beyond the budget", false, []answer{{429, "5"}, {200, ""}}, ptr(upstream.KindThrottled), 1, []time.Duration{}, 5 * time.Second},
		{"start is not retried after a 502", true, []answer{{502, ""}, {204, ""}}, ptr(upstream.KindInternal), 1, []time.Duration{}, 0},
		{"start is not retried after a 504", true, []answer{{504, ""}, {204, ""}}, ptr(upstream.KindTimeout), 1, []time.Duration{}, 0},
		{"start is not retried after a 500", true, []answer{{500, ""}, {204, ""}}, ptr(upstream.KindInternal), 1, []time.Duration{}, 0},
		{"start is retried after a 503", true, []answer{{503, ""}, {204, ""}}, nil, 2, nil, 0},
		{"start waits out a 429's Retry-After", true, []answer{{429, "2"}, {204, ""}}, nil, 2, []time.Duration{2 * time.Second}, 0},
		{"start returns a 503 Retry-After beyond the budget", true, []answer{{503, "3"}, {204, ""}}, ptr(upstream.KindThrottled), 1, []time.Duration{}, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			fake := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				a := tt.answers[min(int(n.Add(1))-1, len(tt.answers)-1)]
				if a.retryAfter != "" {
					w.Header().Set("Retry-After", a.retryAfter)
				}
				if a.status == 200 {
					serveFile(t, "sync_state.json")(w, r)
					return
				}
				writeException(w, a.status, "", "status "+http.StatusText(a.status))
			})
			h := newHarness(t, fake, nil)
			var err error
			if tt.start {
				err = h.c.StartSync(context.Background(), orgID, SyncRequest{Full: true})
			} else {
				_, err = h.c.SyncState(context.Background(), orgID)
			}
			if tt.wantKind == nil && err != nil {
				t.Fatalf("call: %v", err)
			}
			if tt.wantKind != nil {
				if ue := wantKind(t, err, *tt.wantKind); ue.RetryAfter != tt.wantRetryAfter {
					t.Errorf("RetryAfter = %v, want %v", ue.RetryAfter, tt.wantRetryAfter)
				}
			}
			calls := fake.apiCalls()
			if len(calls) != tt.wantCalls {
				t.Errorf("API calls = %d, want %d", len(calls), tt.wantCalls)
			}
			for _, c := range calls[1:] {
				if c.Body != calls[0].Body {
					t.Errorf("retried body %q, first %q", c.Body, calls[0].Body)
				}
			}
			got := h.sleeps.got()
			if tt.wantSleeps != nil {
				if diff := cmp.Diff(tt.wantSleeps, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			} else if len(got) != tt.wantCalls-1 {
				t.Errorf("waits = %v, want %d", got, tt.wantCalls-1)
			}
		})
	}
}

// refusing is a transport that refuses dials while refuse is set (once per
// set) and otherwise dials for real.
type refusing struct {
	refuse atomic.Bool
	dials  atomic.Int32
}

func (r *refusing) client() *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			r.dials.Add(1)
			if r.refuse.Swap(false) {
				return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestStartSyncIsRetriedWhenTheConnectionWasRefused(t *testing.T) {
	fake := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			serveFile(t, "sync_states.json")(w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	var tr refusing
	client := tr.client()
	h := newHarness(t, fake, func(c *Config) { c.HTTPClient = client })
	ctx := context.Background()
	if _, err := h.c.SyncStates(ctx); err != nil { // logs in
		t.Fatal(err)
	}
	client.CloseIdleConnections()
	tr.refuse.Store(true)
	if err := h.c.StartSync(ctx, orgID, SyncRequest{}); err != nil {
		t.Fatalf("StartSync: %v", err)
	}
	var starts int
	for _, c := range fake.apiCalls() {
		if c.Method == http.MethodPost {
			starts++
		}
	}
	if starts != 1 || tr.dials.Load() != 3 {
		t.Errorf("starts received = %d, dials = %d; want 1 start after 1 refused and 1 good dial (plus the first)", starts, tr.dials.Load())
	}
}

func TestStartSyncIsNotRetriedWhenTheConnectionDroppedAfterSending(t *testing.T) {
	var drop atomic.Bool
	fake := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && drop.Load() {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		serveFile(t, "sync_state.json")(w, r)
	})
	h := newHarness(t, fake, nil)
	drop.Store(true)
	err := h.c.StartSync(context.Background(), orgID, SyncRequest{})
	wantKind(t, err, upstream.KindUnavailable)
	if n := len(fake.apiCalls()); n != 1 {
		t.Errorf("starts received = %d, want 1", n)
	}
	// A read in the same situation is retried.
	drop.Store(false)
	if _, err := h.c.SyncState(context.Background(), orgID); err != nil {
		t.Fatal(err)
	}
}

func TestTransportFailures(t *testing.T) {
	t.Run("server gone", func(t *testing.T) {
		fake := newFake(t, serveFile(t, "organization.json"))
		h := newHarness(t, fake, nil)
		fake.srv.Close()
		_, err := h.c.Organization(context.Background(), orgID)
		ue := wantKind(t, err, upstream.KindUnavailable)
		if ue.Status != 0 || ue.Err == nil {
			t.Errorf("Status = %d, Err = %v; want 0 and the transport error", ue.Status, ue.Err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		fake := newFake(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		h := newHarness(t, fake, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := h.c.Organization(ctx, orgID)
		wantKind(t, err, upstream.KindTimeout)
	})
	t.Run("caller cancelled", func(t *testing.T) {
		arrived := make(chan struct{})
		var once sync.Once
		fake := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			once.Do(func() { close(arrived) })
			<-r.Context().Done()
		})
		h := newHarness(t, fake, nil)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-arrived
			cancel()
		}()
		_, err := h.c.Organization(ctx, orgID)
		wantKind(t, err, upstream.KindUnavailable)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want it to carry context.Canceled", err)
		}
	})
}

func TestCAFileIsTrusted(t *testing.T) {
	fake := &fakeVeeam{t: t, expiresIn: 3600, valid: map[string]bool{}, refresh: map[string]bool{}, api: serveFile(t, "organization.json")}
	fake.srv = httptest.NewUnstartedServer(fake)
	fake.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	fake.srv.StartTLS()
	defer fake.srv.Close()
	caFile := filepath.Join(t.TempDir(), "veeam-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fake.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     upstream.HTTPConfig
		wantErr bool
	}{
		{"with the CA file", upstream.HTTPConfig{CAFile: caFile}, false},
		{"system roots only", upstream.HTTPConfig{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := upstream.NewHTTPClient(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, fake, func(c *Config) { c.HTTPClient = client })
			_, err = h.c.Organization(context.Background(), orgID)
			if tt.wantErr {
				wantKind(t, err, upstream.KindUnavailable)
			} else if err != nil {
				t.Fatalf("Organization: %v", err)
			}
		})
	}
}

func TestCallsAreLoggedAtDebugWithoutSecrets(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil) // the harness fails the test on any secret in the logs
	if _, err := h.c.Organization(context.Background(), orgID); err != nil {
		t.Fatal(err)
	}
	logs := h.logs.String()
	for _, want := range []string{
		"level=DEBUG msg=\"veeam call\" service=veeam method=POST path=/v8/token attempt=1 duration=",
		"level=DEBUG msg=\"veeam call\" service=veeam method=GET path=/v8/Organizations/" + orgID + " attempt=1 duration=",
		"status=200",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}
