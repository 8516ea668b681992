package veeamsim

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/syncgate/syncgate/internal/sim"
)

// Route patterns, as registered on the server's mux: the keys of Faults.
const (
	RouteToken         = "POST /v8/token"
	RouteLogout        = "POST /v8/token/logout"
	RouteOrganizations = "GET /v8/Organizations"
	RouteOrganization  = "GET /v8/Organizations/{organizationId}"
	RouteSync          = "POST /v8/Organizations/{organizationId}/Sync"
	RouteSyncState     = "GET /v8/Organizations/{organizationId}/SyncState"
	RouteSyncStates    = "GET /v8/Organizations/SyncState"
)

// Veeam errorCode values the simulator answers with.
const (
	CodeParameterValidationFailure = "ParameterValidationFailure"
	CodeResourceNotFound           = "ResourceNotFound"
	CodeOperationConflict          = "OperationConflict"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultUsername      = "admin"
	DefaultPassword      = "veeam"
	DefaultTokenLifetime = 60 * time.Minute
	DefaultQueueDelay    = 2 * time.Second
	DefaultRunDuration   = 6 * time.Second
	// RefreshTokenLifetime is how long a refresh token stays valid.
	RefreshTokenLifetime = 14 * 24 * time.Hour
)

// Messages of the errors that callers may want to recognise.
const (
	MsgUnauthorized    = "Authorization has been denied for this request."
	MsgInvalidLogin    = "Invalid username or password."
	MsgAntiforgery     = "The antiforgery token is missing or invalid: send disable_antiforgery_token=true or the antiforgery cookie."
	MsgAppOnlyRequired = "Organization cache synchronization is only available for organizations that use modern app-only authentication."
	MsgSyncInProgress  = "Organization synchronization is already in progress."
)

// fakeStackTrace is the stackTrace of 5xx fault bodies: something a gateway
// must never pass on.
const fakeStackTrace = "   at Veeam.Archiver.REST.Controllers.OrganizationsController.Sync(Guid organizationId)\r\n" +
	"   at System.Web.Http.Controllers.ApiControllerActionInvoker.InvokeActionAsyncCore()"

// Options configure a Server. Zero fields take the documented defaults.
type Options struct {
	Clock         sim.Clock     // time source; nil = sim.SystemClock{}
	Username      string        // password-grant user; "" = "admin"
	Password      string        // password-grant password; "" = "veeam"
	TokenLifetime time.Duration // access token lifetime; 0 = 60m
	// QueueDelay is how long a new sync stays Queued before Running;
	// 0 = 2s, negative = starts Running at once.
	QueueDelay time.Duration
	// RunDuration is how long a sync stays Running before it ends;
	// 0 = 6s, negative = ends as soon as it starts.
	RunDuration time.Duration
	// Organizations are the organizations served, in listing order;
	// nil = SeedOrganizations().
	Organizations []Organization
	// AcceptWhileBusy makes a start while a sync is Queued or Running answer
	// 204 and keep the existing sync, instead of 409 OperationConflict.
	AcceptWhileBusy bool
	// NoParts makes SyncState answers leave out "parts", as servers that
	// predate the per-part state do.
	NoParts bool
	Logger  *slog.Logger // nil = discard
}

// Server simulates the Veeam Backup for Microsoft 365 REST API v8. It is an
// http.Handler serving /v8/...; it is safe for concurrent use.
type Server struct {
	// Faults are the faults injected per route pattern (Route* constants).
	Faults *sim.Faults

	clock   sim.Clock
	opts    Options
	log     *slog.Logger
	handler http.Handler
	setID   string

	mu       sync.Mutex
	access   map[string]accessToken
	refresh  map[string]refreshToken
	orgs     []*org
	byID     map[string]*org
	starts   map[string]int
	calls    map[string]int
	grants   map[string]int
	requests map[string]SyncRequest
	// stateReads counts GET SyncState calls per organization.
	stateReads map[string]int
}

// New returns a Server with opts, defaults filled in and the organizations
// seeded. It panics on an Organization whose id is not a unique GUID or whose
// InitialSync or InitialSyncType is unknown: a mistake in the test's setup.
func New(opts Options) *Server {
	if opts.Clock == nil {
		opts.Clock = sim.SystemClock{}
	}
	if opts.Username == "" {
		opts.Username = DefaultUsername
	}
	if opts.Password == "" {
		opts.Password = DefaultPassword
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = DefaultTokenLifetime
	}
	opts.QueueDelay = orDefault(opts.QueueDelay, DefaultQueueDelay)
	opts.RunDuration = orDefault(opts.RunDuration, DefaultRunDuration)
	if opts.Organizations == nil {
		opts.Organizations = SeedOrganizations()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		Faults:   &sim.Faults{},
		clock:    opts.Clock,
		opts:     opts,
		log:      opts.Logger,
		setID:    newGUID(),
		access:   map[string]accessToken{},
		refresh:  map[string]refreshToken{},
		byID:     map[string]*org{},
		starts:   map[string]int{},
		calls:    map[string]int{},
		grants:   map[string]int{},
		requests: map[string]SyncRequest{},

		stateReads: map[string]int{},
	}
	now := s.clock.Now()
	for _, o := range opts.Organizations {
		st := newOrg(o)
		if _, ok := parseGUID(o.ID); !ok || s.byID[st.key] != nil {
			panic(fmt.Sprintf("veeamsim: new: organization id %q is not a GUID or is not unique", o.ID))
		}
		at := now
		if o.InitialSync == StatusSuccess || o.InitialSync == StatusError {
			at = now.Add(-time.Hour)
		}
		if err := s.place(st, o.InitialSyncType, o.InitialSync, at); err != nil {
			panic(fmt.Sprintf("veeamsim: new: organization %s: %v", o.ID, err))
		}
		s.orgs = append(s.orgs, st)
		s.byID[st.key] = st
	}
	s.handler = s.routes()
	return s
}

func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

func (s *Server) routes() http.Handler {
	mux := sim.NewMux(s.Faults, writeFault)
	mux.Handle(RouteToken, s.handleToken)
	mux.Handle(RouteLogout, s.authorized(s.handleLogout))
	mux.Handle(RouteOrganizations, s.authorized(s.handleOrganizations))
	mux.Handle(RouteOrganization, s.authorized(s.handleOrganization))
	mux.Handle(RouteSyncStates, s.authorized(s.handleSyncStates))
	mux.Handle(RouteSyncState, s.authorized(s.handleSyncState))
	mux.Handle(RouteSync, s.handleSync) // counts every call, then authorizes
	return mux
}

// ServeHTTP serves the /v8 API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// SyncStarts reports how many POST Sync calls for the organization were
// accepted with 204.
func (s *Server) SyncStarts(orgID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts[strings.ToLower(orgID)]
}

// SyncCalls reports how many POST Sync calls for the organization reached
// the handler (not cut off by a fault), whatever they were answered.
func (s *Server) SyncCalls(orgID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[strings.ToLower(orgID)]
}

// SyncStateReads reports how many GET SyncState calls for the organization
// were answered 200.
func (s *Server) SyncStateReads(orgID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stateReads[strings.ToLower(orgID)]
}

// TokenGrants reports how many tokens were granted for a grant_type
// ("password", "refresh_token").
func (s *Server) TokenGrants(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants[grantType]
}

// LastSyncRequest returns the body of the last POST Sync accepted for the
// organization, as the server understood it.
func (s *Server) LastSyncRequest(orgID string) (SyncRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[strings.ToLower(orgID)]
	return req, ok
}

// restError is RESTExceptionInfo, Veeam's one error body.
type restError struct {
	Message    string  `json:"message"`
	ErrorCode  *string `json:"errorCode"`
	StackTrace *string `json:"stackTrace"`
}

// writeError answers status with a RESTExceptionInfo body; code "" is null.
func writeError(w http.ResponseWriter, status int, code, message string) {
	body := restError{Message: message}
	if code != "" {
		body.ErrorCode = &code
	}
	if status >= 500 {
		st := fakeStackTrace
		body.StackTrace = &st
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	writeJSON(w, status, body)
}

// writeFault is the sim.ErrorWriter for injected faults and unmatched routes.
func writeFault(w http.ResponseWriter, _ *http.Request, status int, code, message string) {
	if message == "" {
		message = http.StatusText(status)
	}
	writeError(w, status, code, message)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "veeamsim: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// newToken returns a random opaque token.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// newGUID returns a random version 4 GUID.
func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// parseGUID checks the 8-4-4-4-12 hexadecimal form (any case) and returns
// it lower-cased.
func parseGUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}

// dateTime formats t as the server writes date-times: UTC, seven fractional
// digits, as .NET does.
func dateTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

// baseURL is the scheme and host the request came to, for _links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type link struct {
	Href string `json:"href"`
}
