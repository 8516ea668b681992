package veeamsim

import (
	"net/http"
	"strconv"
	"strings"
)

// Organization types.
const (
	TypeOffice365  = "Office365"
	TypeOnPremises = "OnPremises"
	TypeHybrid     = "Hybrid"
)

// Organization is one organization the server knows, with the state its
// cache synchronization starts in.
type Organization struct {
	ID          string // GUID (any case; served lower-case)
	Name        string
	OfficeName  string
	Description string
	Type        string // TypeOffice365, TypeOnPremises or TypeHybrid
	Region      string // Worldwide, Germany, China, USDefence, USGovernment
	IsBackedup  bool
	Exchange    *OnlineSettings // exchangeOnlineSettings; nil is null
	SharePoint  *OnlineSettings // sharePointOnlineSettings; nil is null

	// InitialSync is the sync state at New: "" (never synced), StatusQueued
	// or StatusRunning (a current sync starting at New), StatusSuccess or
	// StatusError (a last sync that ended an hour before New).
	InitialSync     SyncStatus
	InitialSyncType SyncType // type of that sync; "" = Incremental
	// Stuck keeps the organization's syncs Running for ever (see SetStuck).
	Stuck bool
	// FailWith, when set, makes the organization's syncs end with result
	// Error and this error text.
	FailWith string
}

// OnlineSettings are an organization's Exchange Online or SharePoint Online
// connection settings.
type OnlineSettings struct {
	// UseApplicationOnlyAuth is true for modern app-only authentication;
	// nil is null.
	UseApplicationOnlyAuth *bool
	Account                string // "" is null
	ApplicationID          string // "" is null
	OfficeOrganizationName string // "" is null
}

// AppOnly reports whether cache synchronization is available for the
// organization: its Exchange Online or SharePoint Online settings use modern
// app-only authentication.
func (o Organization) AppOnly() bool {
	for _, st := range []*OnlineSettings{o.Exchange, o.SharePoint} {
		if st != nil && st.UseApplicationOnlyAuth != nil && *st.UseApplicationOnlyAuth {
			return true
		}
	}
	return false
}

// orgJSON is <org> on the wire.
type orgJSON struct {
	ID                       string          `json:"id"`
	Name                     string          `json:"name"`
	OfficeName               string          `json:"officeName"`
	Description              string          `json:"description"`
	Type                     string          `json:"type"`
	Region                   string          `json:"region"`
	IsBackedup               bool            `json:"isBackedup"`
	ExchangeOnlineSettings   *settingsJSON   `json:"exchangeOnlineSettings"`
	SharePointOnlineSettings *settingsJSON   `json:"sharePointOnlineSettings"`
	Links                    map[string]link `json:"_links"`
}

type settingsJSON struct {
	UseApplicationOnlyAuth *bool   `json:"useApplicationOnlyAuth"`
	Account                *string `json:"account"`
	ApplicationID          *string `json:"applicationId"`
	OfficeOrganizationName *string `json:"officeOrganizationName"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func settingsOf(st *OnlineSettings) *settingsJSON {
	if st == nil {
		return nil
	}
	return &settingsJSON{
		UseApplicationOnlyAuth: st.UseApplicationOnlyAuth,
		Account:                nullable(st.Account),
		ApplicationID:          nullable(st.ApplicationID),
		OfficeOrganizationName: nullable(st.OfficeOrganizationName),
	}
}

func (o *org) json(base string) orgJSON {
	self := base + "/v8/Organizations/" + o.key
	return orgJSON{
		ID:                       o.key,
		Name:                     o.Name,
		OfficeName:               o.OfficeName,
		Description:              o.Description,
		Type:                     o.Type,
		Region:                   o.Region,
		IsBackedup:               o.IsBackedup,
		ExchangeOnlineSettings:   settingsOf(o.Exchange),
		SharePointOnlineSettings: settingsOf(o.SharePoint),
		Links: map[string]link{
			"self":      {Href: self},
			"syncState": {Href: self + "/SyncState"},
		},
	}
}

// pageJSON is the v8 page of GET /v8/Organizations.
type pageJSON struct {
	Offset  int             `json:"offset"`
	Limit   int             `json:"limit"`
	SetID   string          `json:"setId"`
	Results []orgJSON       `json:"results"`
	Links   map[string]link `json:"_links"`
}

// Paging bounds of GET /v8/Organizations.
const (
	DefaultLimit = 30
	MaxLimit     = 10000
)

// handleOrganizations serves GET /v8/Organizations?limit=&offset=&extendedView=.
func (s *Server) handleOrganizations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := intParam(q.Get("limit"), DefaultLimit, 1, MaxLimit)
	if !ok {
		writeError(w, http.StatusBadRequest, CodeParameterValidationFailure,
			"The value '"+q.Get("limit")+"' is not valid for limit: it must be an integer from 1 to "+strconv.Itoa(MaxLimit)+".")
		return
	}
	offset, ok := intParam(q.Get("offset"), 0, 0, int(^uint32(0)>>1))
	if !ok {
		writeError(w, http.StatusBadRequest, CodeParameterValidationFailure,
			"The value '"+q.Get("offset")+"' is not valid for offset: it must be a non-negative integer.")
		return
	}
	if ev := q.Get("extendedView"); ev != "" && !strings.EqualFold(ev, "true") && !strings.EqualFold(ev, "false") {
		writeError(w, http.StatusBadRequest, CodeParameterValidationFailure,
			"The value '"+ev+"' is not valid for extendedView.")
		return
	}
	base := baseURL(r)
	s.mu.Lock()
	total := len(s.orgs)
	results := []orgJSON{}
	for i := offset; i < total && i < offset+limit; i++ {
		results = append(results, s.orgs[i].json(base))
	}
	s.mu.Unlock()
	page := func(off int) link {
		return link{Href: base + "/v8/Organizations?offset=" + strconv.Itoa(off) + "&limit=" + strconv.Itoa(limit)}
	}
	links := map[string]link{"self": page(offset)}
	if offset+limit < total {
		links["next"] = page(offset + limit)
	}
	if offset > 0 {
		links["prev"] = page(max(0, offset-limit))
	}
	writeJSON(w, http.StatusOK, pageJSON{Offset: offset, Limit: limit, SetID: s.setID, Results: results, Links: links})
}

// intParam parses an optional integer query parameter within [lo, hi].
func intParam(v string, def, lo, hi int) (int, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// handleOrganization serves GET /v8/Organizations/{organizationId}.
func (s *Server) handleOrganization(w http.ResponseWriter, r *http.Request) {
	o, ok := s.lookup(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	body := o.json(baseURL(r))
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// lookup finds the path's organization, or answers 400 (not a GUID) or 404.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*org, bool) {
	raw := r.PathValue("organizationId")
	id, ok := parseGUID(raw)
	if !ok {
		writeError(w, http.StatusBadRequest, CodeParameterValidationFailure,
			"The value '"+raw+"' is not valid for organizationId: it must be a GUID.")
		return nil, false
	}
	s.mu.Lock()
	o, ok := s.byID[id]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, CodeResourceNotFound, "Organization with ID '"+id+"' was not found.")
		return nil, false
	}
	return o, true
}
