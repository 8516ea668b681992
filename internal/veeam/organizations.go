package veeam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/syncgate/syncgate/internal/upstream"
)

// Organization is a Microsoft 365 organization added to Veeam. Enumerations
// (Type, Region) are open strings: unknown values pass through.
type Organization struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	OfficeName  string `json:"officeName"`
	Description string `json:"description"`
	// Type is Office365, OnPremises or Hybrid.
	Type string `json:"type"`
	// Region is Worldwide, Germany, China, USDefence or USGovernment.
	Region                   string           `json:"region"`
	IsBackedUp               bool             `json:"isBackedup"`
	ExchangeOnlineSettings   *ServiceSettings `json:"exchangeOnlineSettings,omitempty"`
	SharePointOnlineSettings *ServiceSettings `json:"sharePointOnlineSettings,omitempty"`
}

// ServiceSettings is how Veeam connects to one Microsoft 365 service of an
// organization.
type ServiceSettings struct {
	// UseApplicationOnlyAuth is true for modern app-only authentication; nil
	// when the server did not say.
	UseApplicationOnlyAuth *bool  `json:"useApplicationOnlyAuth"`
	Account                string `json:"account"`
	ApplicationID          string `json:"applicationId"`
	OfficeOrganizationName string `json:"officeOrganizationName"`
}

// AppOnlyAuth reports whether the organization uses modern app-only
// authentication, which cache synchronization requires: it has at least one
// service settings block and every block it has says useApplicationOnlyAuth
// true.
func (o Organization) AppOnlyAuth() bool {
	blocks := 0
	for _, s := range []*ServiceSettings{o.ExchangeOnlineSettings, o.SharePointOnlineSettings} {
		if s == nil {
			continue
		}
		if s.UseApplicationOnlyAuth == nil || !*s.UseApplicationOnlyAuth {
			return false
		}
		blocks++
	}
	return blocks > 0
}

// OrganizationPage is one page of organizations. Servers before v8 answer a
// bare array: the page then echoes the offset and limit asked for and has no
// SetID.
type OrganizationPage struct {
	Offset  int            `json:"offset"`
	Limit   int            `json:"limit"`
	SetID   string         `json:"setId"`
	Results []Organization `json:"results"`
}

// Organizations lists organizations (GET /{ver}/Organizations?offset=&limit=).
// A limit of 0 leaves the page size to the server (30).
func (c *Client) Organizations(ctx context.Context, offset, limit int) (OrganizationPage, error) {
	const op = "list organizations"
	if offset < 0 || limit < 0 {
		return OrganizationPage{}, invalid(op, fmt.Sprintf("offset %d and limit %d must not be negative", offset, limit))
	}
	q := url.Values{"offset": {strconv.Itoa(offset)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var page pageOrArray[Organization]
	if err := c.do(ctx, call{op: op, method: http.MethodGet, path: "/Organizations", query: q, idempotent: true}, &page); err != nil {
		return OrganizationPage{}, err
	}
	if page.bare {
		return OrganizationPage{Offset: offset, Limit: limit, Results: page.Results}, nil
	}
	return OrganizationPage{Offset: page.Offset, Limit: page.Limit, SetID: page.SetID, Results: page.Results}, nil
}

// Organization reads one organization (GET /{ver}/Organizations/{id}).
func (c *Client) Organization(ctx context.Context, id string) (Organization, error) {
	const op = "get organization"
	seg, err := upstream.Segment(service, op, "organization id", id)
	if err != nil {
		return Organization{}, err
	}
	var org Organization
	if err := c.do(ctx, call{op: op, method: http.MethodGet, path: "/Organizations/" + seg, idempotent: true}, &org); err != nil {
		return Organization{}, err
	}
	return org, nil
}

// pageOrArray decodes a v8 page {"offset","limit","setId","results"} or the
// bare array older servers answer.
type pageOrArray[T any] struct {
	Offset  int    `json:"offset"`
	Limit   int    `json:"limit"`
	SetID   string `json:"setId"`
	Results []T    `json:"results"`
	bare    bool
}

func (p *pageOrArray[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		p.bare = true
		return json.Unmarshal(b, &p.Results)
	}
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("want a page object or an array, got %.20q", b)
	}
	type page pageOrArray[T] // without this method
	return json.Unmarshal(b, (*page)(p))
}
