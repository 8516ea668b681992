package graph

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/syncgate/syncgate/internal/upstream"
)

func TestConcurrentCallersShareOneToken(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	s.cred.gate = make(chan struct{})
	s.cred.entered = make(chan struct{}, 16)
	const callers = 8
	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			_, err := s.client.Job(context.Background(), appObjectID, jobID)
			errs <- err
		}()
	}
	started.Wait()
	<-s.cred.entered // one caller is getting the token; the others wait for it
	close(s.cred.gate)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := s.cred.calls(); got != 1 {
		t.Errorf("GetToken called %d times, want 1", got)
	}
	for _, r := range s.graph.requests() {
		if r.Auth != "Bearer tok-1" {
			t.Errorf("Authorization = %q, want Bearer tok-1", r.Auth)
		}
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	ctx := context.Background()
	steps := []struct {
		advance  time.Duration
		wantAuth string
	}{
		{0, "Bearer tok-1"},
		{54 * time.Minute, "Bearer tok-1"},          // 6 minutes left
		{time.Minute + time.Second, "Bearer tok-2"}, // under 5 minutes left: renewed
		{time.Minute, "Bearer tok-2"},
	}
	for i, st := range steps {
		s.clock.Add(st.advance)
		if _, err := s.client.Job(ctx, appObjectID, jobID); err != nil {
			t.Fatal(err)
		}
		reqs := s.graph.requests()
		if got := reqs[len(reqs)-1].Auth; got != st.wantAuth {
			t.Errorf("step %d: Authorization = %q, want %q", i, got, st.wantAuth)
		}
	}
	if got := s.cred.calls(); got != 2 {
		t.Errorf("GetToken called %d times, want 2", got)
	}
}

func TestShortTokenRenewedAtHalfLife(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	s.cred.lifetime = 4 * time.Minute
	ctx := context.Background()
	for _, advance := range []time.Duration{0, time.Minute, time.Minute + time.Second} {
		s.clock.Add(advance)
		if _, err := s.client.Job(ctx, appObjectID, jobID); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.cred.calls(); got != 2 {
		t.Errorf("GetToken called %d times, want 2 (renewed past half of a 4-minute lifetime)", got)
	}
}

func TestFailedRenewalKeepsAValidToken(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	ctx := context.Background()
	if _, err := s.client.Job(ctx, appObjectID, jobID); err != nil {
		t.Fatal(err)
	}
	s.cred.setErr(&azidentity.AuthenticationFailedError{})
	s.clock.Add(58 * time.Minute)
	if _, err := s.client.Job(ctx, appObjectID, jobID); err != nil {
		t.Fatalf("with 2 minutes left on the token: %v", err)
	}
	s.clock.Add(2 * time.Minute)
	_, err := s.client.Job(ctx, appObjectID, jobID)
	wantKind(t, err, upstream.KindUnavailable)
	if got := len(s.graph.requests()); got != 2 {
		t.Errorf("sent %d requests, want 2 (none with an expired token)", got)
	}
}

func TestUnauthorizedRenewsTokenOnce(t *testing.T) {
	tests := []struct {
		name       string
		refuse     func(auth string) bool // Graph answers 401 to these tokens
		wantErr    bool
		wantTokens int
		wantSent   []string
	}{
		{"new token accepted", func(a string) bool { return a == "Bearer tok-1" }, false, 2,
			[]string{"Bearer tok-1", "Bearer tok-2"}},
		{"new token refused too", func(string) bool { return true }, true, 2,
			[]string{"Bearer tok-1", "Bearer tok-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if tt.refuse(r.Header.Get("Authorization")) {
					w.Header().Set("WWW-Authenticate", `Bearer realm=""`)
					writeFile(t, w, http.StatusUnauthorized, "errors/invalid_token.json")
					return
				}
				happy(t)(w, r, n)
			}, nil)
			_, err := s.client.StartJob(context.Background(), appObjectID, jobID)
			if tt.wantErr {
				ue := wantKind(t, err, upstream.KindAuth)
				if ue.Status != http.StatusUnauthorized || ue.Code != "InvalidAuthenticationToken" {
					t.Errorf("error = %d %s, want 401 InvalidAuthenticationToken", ue.Status, ue.Code)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := s.cred.calls(); got != tt.wantTokens {
				t.Errorf("GetToken called %d times, want %d", got, tt.wantTokens)
			}
			var sent []string
			for _, r := range s.graph.requests() {
				sent = append(sent, r.Auth)
			}
			if strings.Join(sent, ",") != strings.Join(tt.wantSent, ",") {
				t.Errorf("sent tokens %v, want %v", sent, tt.wantSent)
			}
		})
	}
}

func TestForbiddenIsNotRetried(t *testing.T) {
	s := newSetup(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeFile(t, w, http.StatusForbidden, "errors/authorization.json")
	}, nil)
	_, err := s.client.StartJob(context.Background(), appObjectID, jobID)
	wantKind(t, err, upstream.KindAuth)
	if got, sent := s.cred.calls(), len(s.graph.requests()); got != 1 || sent != 1 {
		t.Errorf("GetToken calls %d, requests %d; want 1 and 1", got, sent)
	}
}

// loginResponse is a response of the login host as azidentity keeps it.
func loginResponse(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
}

func TestCredentialErrors(t *testing.T) {
	const refused = `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215],"trace_id":"5c6d7e8f-0000-4000-8000-000000000001","correlation_id":"x"}`
	tests := []struct {
		name     string
		err      error
		wantKind upstream.Kind
		wantCode string
		wantID   string
		wantRA   time.Duration
	}{
		{"secret refused", &azidentity.AuthenticationFailedError{RawResponse: loginResponse(401, nil, refused)},
			upstream.KindAuth, "invalid_client", "5c6d7e8f-0000-4000-8000-000000000001", 0},
		{"bad request", &azidentity.AuthenticationFailedError{RawResponse: loginResponse(400, http.Header{"X-Ms-Request-Id": {"hdr-id"}}, `{"error":"invalid_scope"}`)},
			upstream.KindAuth, "invalid_scope", "hdr-id", 0},
		{"login host throttles", &azidentity.AuthenticationFailedError{RawResponse: loginResponse(429, http.Header{"Retry-After": {"7"}}, "")},
			upstream.KindThrottled, "", "", 7 * time.Second},
		{"login host fails", &azidentity.AuthenticationFailedError{RawResponse: loginResponse(503, nil, "")},
			upstream.KindUnavailable, "", "", 0},
		{"login host does not answer", &azidentity.AuthenticationFailedError{},
			upstream.KindUnavailable, "", "", 0},
		{"network error", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")},
			upstream.KindUnavailable, "", "", 0},
		{"deadline", context.DeadlineExceeded, upstream.KindTimeout, "", "", 0},
		{"credential unusable here", errTest, upstream.KindAuth, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, happy(t), nil)
			s.cred.setErr(tt.err)
			_, err := s.client.Job(context.Background(), appObjectID, jobID)
			ue := wantKind(t, err, tt.wantKind)
			if ue.Code != tt.wantCode || ue.RequestID != tt.wantID || ue.RetryAfter != tt.wantRA {
				t.Errorf("code %q, request id %q, retry after %s; want %q, %q, %s", ue.Code, ue.RequestID, ue.RetryAfter, tt.wantCode, tt.wantID, tt.wantRA)
			}
			if ue.Op != opToken {
				t.Errorf("Op = %q, want %q", ue.Op, opToken)
			}
			if n := len(s.graph.requests()); n != 0 {
				t.Errorf("sent %d requests to Graph without a token", n)
			}
		})
	}
}

func TestCallerGivingUpWhileTokenIsFetched(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	s.cred.gate = make(chan struct{})
	s.cred.entered = make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() {
		_, err := s.client.Job(ctx, appObjectID, jobID)
		errs <- err
	}()
	<-s.cred.entered
	cancel()
	err := <-errs
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	close(s.cred.gate)
	// The shared token request went on without the caller and is used next.
	if _, err := s.client.Job(context.Background(), appObjectID, jobID); err != nil {
		t.Fatal(err)
	}
	if got := s.cred.calls(); got != 1 {
		t.Errorf("GetToken called %d times, want 1", got)
	}
}
