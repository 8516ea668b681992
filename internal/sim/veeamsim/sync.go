package veeamsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// SyncType is an organization sync's type.
type SyncType string

// Sync types.
const (
	Incremental SyncType = "Incremental"
	Full        SyncType = "Full"
)

// SyncStatus is where an organization's sync stands: a current sync's status
// (Queued, Running) or a last sync's result (Success, Error).
type SyncStatus string

// Sync statuses; StatusNone means never synchronized.
const (
	StatusNone    SyncStatus = ""
	StatusQueued  SyncStatus = "Queued"
	StatusRunning SyncStatus = "Running"
	StatusSuccess SyncStatus = "Success"
	StatusError   SyncStatus = "Error"
)

// Sync parts, as named in the POST Sync body.
const (
	PartUsers        = "Users"
	PartGroups       = "Groups"
	PartGroupMembers = "GroupMembers"
	PartSites        = "Sites"
	PartMailboxes    = "Mailboxes"
)

// partKey returns a part's key in SyncState's "parts": "" for Mailboxes,
// which has none there.
func partKey(part string) string {
	switch part {
	case PartUsers:
		return "users"
	case PartGroups:
		return "groups"
	case PartGroupMembers:
		return "groupMembers"
	case PartSites:
		return "sites"
	}
	return ""
}

// allParts are the parts synchronized when the body names none.
func allParts() []string { return []string{PartUsers, PartGroups, PartGroupMembers, PartSites} }

// defaultSyncError is the error text of a sync set to Error without FailWith.
const defaultSyncError = "Synchronization failed."

// SyncRequest is a POST Sync body as the server understood it.
type SyncRequest struct {
	Type  SyncType // the type run: Incremental when omitted or null
	Parts []string // the parts named, canonical casing; nil when omitted or null
	Body  []byte   // the body as received
}

// org is an Organization with its sync state. Guarded by Server.mu.
type org struct {
	Organization
	key     string // lower-case id
	current *run
	last    *result
	parts   map[string]*partState // by SyncState parts key
}

// run is a sync in progress: Queued before start, Running until end.
type run struct {
	typ       SyncType
	parts     map[string]bool // SyncState parts keys it covers
	scheduled time.Time
	start     time.Time
	end       time.Time // zero: never ends (stuck)
	failWith  string
}

type result struct {
	typ        SyncType
	start, end time.Time
	err        string // "" = Success
}

type partState struct {
	lastSuccess time.Time // zero = never
	last        *result
}

func newOrg(o Organization) *org {
	key := strings.ToLower(o.ID)
	o.ID = key
	return &org{Organization: o, key: key, parts: map[string]*partState{}}
}

// settle ends the current sync when its end has passed.
func (o *org) settle(now time.Time) {
	c := o.current
	if c == nil || c.end.IsZero() || now.Before(c.end) {
		return
	}
	o.finish(&result{typ: c.typ, start: c.start, end: c.end, err: c.failWith}, c.parts)
	o.current = nil
}

// finish records res as the last sync of the organization and of the parts.
func (o *org) finish(res *result, parts map[string]bool) {
	o.last = res
	for key := range parts {
		p := o.parts[key]
		if p == nil {
			p = &partState{}
			o.parts[key] = p
		}
		p.last = res
		if res.err == "" {
			p.lastSuccess = res.end
		}
	}
}

// newRun makes a sync scheduled at at, per the server's timings.
func (s *Server) newRun(o *org, typ SyncType, parts []string, scheduled time.Time) *run {
	if typ == "" {
		typ = Incremental
	}
	if len(parts) == 0 {
		parts = allParts()
	}
	r := &run{typ: typ, parts: map[string]bool{}, scheduled: scheduled, start: scheduled.Add(s.opts.QueueDelay), failWith: o.FailWith}
	for _, p := range parts {
		if key := partKey(p); key != "" {
			r.parts[key] = true
		}
	}
	if !o.Stuck {
		r.end = r.start.Add(s.opts.RunDuration)
	}
	return r
}

// place puts o into status, reached at at. Callers hold s.mu (or own o).
func (s *Server) place(o *org, typ SyncType, status SyncStatus, at time.Time) error {
	if typ == "" {
		typ = Incremental
	}
	if typ != Incremental && typ != Full {
		return fmt.Errorf("veeamsim: unknown sync type %q", typ)
	}
	switch status {
	case StatusNone:
		o.current, o.last = nil, nil
		clear(o.parts)
	case StatusQueued:
		o.current = s.newRun(o, typ, nil, at)
	case StatusRunning:
		o.current = s.newRun(o, typ, nil, at.Add(-s.opts.QueueDelay))
	case StatusSuccess, StatusError:
		res := &result{typ: typ, start: at.Add(-s.opts.RunDuration), end: at}
		if status == StatusError {
			res.err = o.FailWith
			if res.err == "" {
				res.err = defaultSyncError
			}
		}
		o.current = nil
		all := map[string]bool{}
		for _, p := range allParts() {
			all[partKey(p)] = true
		}
		o.finish(res, all)
	default:
		return fmt.Errorf("veeamsim: unknown sync status %q", status)
	}
	return nil
}

// SetSync puts an organization's sync into status now: StatusQueued or
// StatusRunning start a sync that then progresses as a started one does
// (unless the organization is stuck); StatusSuccess or StatusError record a
// last sync that ended now, with no current one; StatusNone forgets every
// sync.
func (s *Server) SetSync(orgID string, typ SyncType, status SyncStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byID[strings.ToLower(orgID)]
	if !ok {
		return fmt.Errorf("veeamsim: set sync: unknown organization %s", orgID)
	}
	if err := s.place(o, typ, status, s.clock.Now()); err != nil {
		return fmt.Errorf("veeamsim: set sync %s: %w", orgID, err)
	}
	return nil
}

// SetStuck makes an organization's syncs never finish (stuck) or lets them
// finish again: a released sync that has run its RunDuration ends now.
func (s *Server) SetStuck(orgID string, stuck bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byID[strings.ToLower(orgID)]
	if !ok {
		return fmt.Errorf("veeamsim: set stuck: unknown organization %s", orgID)
	}
	now := s.clock.Now()
	o.settle(now)
	o.Stuck = stuck
	if c := o.current; c != nil {
		if stuck {
			c.end = time.Time{}
		} else if c.end.IsZero() {
			c.end = c.start.Add(s.opts.RunDuration)
			if c.end.Before(now) {
				c.end = now
			}
		}
	}
	return nil
}

// handleSync serves POST /v8/Organizations/{organizationId}/Sync.
func (s *Server) handleSync(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls[strings.ToLower(r.PathValue("organizationId"))]++
	s.mu.Unlock()
	if _, ok := s.bearer(r); !ok {
		writeError(w, http.StatusUnauthorized, "", MsgUnauthorized)
		return
	}
	raw := r.PathValue("organizationId")
	if _, ok := parseGUID(raw); !ok {
		writeError(w, http.StatusBadRequest, CodeParameterValidationFailure,
			"The value '"+raw+"' is not valid for organizationId: it must be a GUID.")
		return
	}
	req, msg := readSyncRequest(w, r)
	if msg != "" {
		status := http.StatusBadRequest
		if msg == msgMediaType {
			status = http.StatusUnsupportedMediaType
		}
		writeError(w, status, CodeParameterValidationFailure, msg)
		return
	}
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	if !o.AppOnly() {
		writeError(w, http.StatusBadRequest, CodeParameterValidationFailure, MsgAppOnlyRequired)
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	o.settle(now)
	busy := o.current != nil
	if busy && !s.opts.AcceptWhileBusy {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, CodeOperationConflict, MsgSyncInProgress)
		return
	}
	if !busy {
		o.current = s.newRun(o, req.Type, req.Parts, now)
	}
	s.starts[o.key]++
	s.requests[o.key] = req
	s.mu.Unlock()
	s.log.Info("veeamsim: sync accepted", "organization", o.key, "type", req.Type, "parts", req.Parts, "kept_existing", busy)
	w.WriteHeader(http.StatusNoContent)
}

const msgMediaType = "The request body must be application/json."

// readSyncRequest reads and validates a POST Sync body; a non-empty message
// is the validation failure.
func readSyncRequest(w http.ResponseWriter, r *http.Request) (SyncRequest, string) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return SyncRequest{}, msgMediaType
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return SyncRequest{}, "The request body could not be read."
	}
	req := SyncRequest{Type: Incremental, Body: body}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, "The request body is required."
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return req, "The request body is not a valid JSON object."
	}
	if fields == nil {
		return req, "The request body is required."
	}
	if raw, ok := fields["type"]; ok && string(raw) != "null" {
		var t string
		if err := json.Unmarshal(raw, &t); err != nil {
			return req, "The type field must be Incremental or Full."
		}
		switch {
		case strings.EqualFold(t, string(Incremental)):
			req.Type = Incremental
		case strings.EqualFold(t, string(Full)):
			req.Type = Full
		default:
			return req, "The value '" + t + "' is not valid for type: it must be Incremental or Full."
		}
	}
	if raw, ok := fields["parts"]; ok && string(raw) != "null" {
		var parts []string
		if err := json.Unmarshal(raw, &parts); err != nil {
			return req, "The parts field must be an array of Users, Groups, GroupMembers, Sites or Mailboxes."
		}
		req.Parts = []string{}
		for _, p := range parts {
			name, ok := canonicalPart(p)
			if !ok {
				return req, "The value '" + p + "' is not valid for parts: it must be Users, Groups, GroupMembers, Sites or Mailboxes."
			}
			req.Parts = append(req.Parts, name)
		}
	}
	return req, ""
}

func canonicalPart(p string) (string, bool) {
	for _, name := range append(allParts(), PartMailboxes) {
		if strings.EqualFold(p, name) {
			return name, true
		}
	}
	return "", false
}

// syncStateJSON is the SyncState of one organization on the wire.
type syncStateJSON struct {
	OrganizationID   string          `json:"organizationId"`
	LastSyncState    *lastJSON       `json:"lastSyncState"`
	CurrentSyncState *currentJSON    `json:"currentSyncState"`
	Parts            *partsJSON      `json:"parts,omitempty"` // nil: Options.NoParts
	Links            map[string]link `json:"_links"`
}

type lastJSON struct {
	Type      SyncType `json:"type"`
	Result    string   `json:"result"`
	StartTime string   `json:"startTime"`
	EndTime   string   `json:"endTime"`
	Error     *string  `json:"error"`
}

type currentJSON struct {
	Type          SyncType `json:"type"`
	Status        string   `json:"status"`
	ScheduledTime *string  `json:"scheduledTime"`
	StartTime     *string  `json:"startTime"`
}

type partsJSON struct {
	Users        *partJSON `json:"users"`
	Groups       *partJSON `json:"groups"`
	GroupMembers *partJSON `json:"groupMembers"`
	Sites        *partJSON `json:"sites"`
}

type partJSON struct {
	LastSuccessfulSyncTime *string      `json:"lastSuccessfulSyncTime"`
	LastSyncState          *lastJSON    `json:"lastSyncState"`
	CurrentSyncState       *currentJSON `json:"currentSyncState"`
}

func (res *result) json() *lastJSON {
	if res == nil {
		return nil
	}
	l := &lastJSON{Type: res.typ, Result: string(StatusSuccess), StartTime: dateTime(res.start), EndTime: dateTime(res.end)}
	if res.err != "" {
		l.Result = string(StatusError)
		l.Error = &res.err
	}
	return l
}

func (c *run) json(now time.Time) *currentJSON {
	if c == nil {
		return nil
	}
	sched := dateTime(c.scheduled)
	cur := &currentJSON{Type: c.typ, Status: string(StatusQueued), ScheduledTime: &sched}
	if !now.Before(c.start) {
		start := dateTime(c.start)
		cur.Status, cur.StartTime = string(StatusRunning), &start
	}
	return cur
}

// state returns o's SyncState at now, settling it first. Callers hold s.mu.
func (o *org) state(now time.Time, base string) syncStateJSON {
	o.settle(now)
	self := base + "/v8/Organizations/" + o.key
	part := func(key string) *partJSON {
		p := o.parts[key]
		var cur *currentJSON
		if o.current != nil && o.current.parts[key] {
			cur = o.current.json(now)
		}
		if p == nil && cur == nil {
			return nil
		}
		pj := &partJSON{CurrentSyncState: cur}
		if p != nil {
			pj.LastSyncState = p.last.json()
			if !p.lastSuccess.IsZero() {
				t := dateTime(p.lastSuccess)
				pj.LastSuccessfulSyncTime = &t
			}
		}
		return pj
	}
	return syncStateJSON{
		OrganizationID:   o.key,
		LastSyncState:    o.last.json(),
		CurrentSyncState: o.current.json(now),
		Parts: &partsJSON{
			Users: part("users"), Groups: part("groups"), GroupMembers: part("groupMembers"), Sites: part("sites"),
		},
		Links: map[string]link{
			"self":         {Href: self + "/SyncState"},
			"organization": {Href: self},
		},
	}
}

// state is o's SyncState as this server writes it: without parts when
// Options.NoParts says it predates them. Callers hold s.mu.
func (s *Server) state(o *org, now time.Time, base string) syncStateJSON {
	st := o.state(now, base)
	if s.opts.NoParts {
		st.Parts = nil
	}
	return st
}

// handleSyncState serves GET /v8/Organizations/{organizationId}/SyncState.
func (s *Server) handleSyncState(w http.ResponseWriter, r *http.Request) {
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	now := s.clock.Now()
	s.mu.Lock()
	s.stateReads[o.key]++
	body := s.state(o, now, baseURL(r))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// handleSyncStates serves GET /v8/Organizations/SyncState: a bare array.
func (s *Server) handleSyncStates(w http.ResponseWriter, r *http.Request) {
	now := s.clock.Now()
	base := baseURL(r)
	s.mu.Lock()
	body := make([]syncStateJSON, 0, len(s.orgs))
	for _, o := range s.orgs {
		body = append(body, s.state(o, now, base))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}
