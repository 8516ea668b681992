package veeam

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/syncgate/syncgate/internal/upstream"
)

func ptr[T any](v T) *T { return &v }

// contoso is what organization.json holds.
func contoso() Organization {
	return Organization{
		ID:          orgID,
		Name:        "contoso.onmicrosoft.com",
		OfficeName:  "Contoso",
		Description: "Production tenant",
		Type:        "Office365",
		Region:      "Worldwide",
		IsBackedUp:  true,
		ExchangeOnlineSettings: &ServiceSettings{UseApplicationOnlyAuth: ptr(true),
			ApplicationID: "8f3a1c2e-52b1-4d7a-9a0e-3b6c1d2e4f50", OfficeOrganizationName: "contoso.onmicrosoft.com"},
		SharePointOnlineSettings: &ServiceSettings{UseApplicationOnlyAuth: ptr(true),
			ApplicationID: "8f3a1c2e-52b1-4d7a-9a0e-3b6c1d2e4f50", OfficeOrganizationName: "contoso.onmicrosoft.com"},
	}
}

func TestOrganizations(t *testing.T) {
	tests := []struct {
		name          string
		file          string
		offset, limit int
		wantURI       string
		want          OrganizationPage
	}{
		{"v8 page", "organizations_page.json", 0, 0, "/v8/Organizations?offset=0",
			OrganizationPage{Offset: 0, Limit: 30, SetID: "7f1c3a52-2d4e-4b8e-9c61-0c2f5b9e7a11", Results: []Organization{
				contoso(),
				{ID: "9b2c7d4e-1a3f-4c5b-8e6d-7f8091a2b3c4", Name: "fabrikam.onmicrosoft.com", OfficeName: "Fabrikam",
					Type: "Office365", Region: "Germany",
					ExchangeOnlineSettings: &ServiceSettings{UseApplicationOnlyAuth: ptr(false),
						Account: "backup-admin@fabrikam.onmicrosoft.com", OfficeOrganizationName: "fabrikam.onmicrosoft.com"}},
				{ID: "c0ffee00-1234-4abc-9def-00000000abcd", Name: "tailspin.onmicrosoft.us", OfficeName: "Tailspin Toys",
					Type: "Hybrid", Region: "USGovernment", IsBackedUp: true,
					ExchangeOnlineSettings: &ServiceSettings{OfficeOrganizationName: "tailspin.onmicrosoft.us"}},
			}}},
		{"bare array from an older server echoes the paging asked for", "organizations_array.json", 100, 50, "/v8/Organizations?limit=50&offset=100",
			OrganizationPage{Offset: 100, Limit: 50, Results: []Organization{{
				ID: orgID, Name: "contoso.onmicrosoft.com", OfficeName: "Contoso", Type: "Office365", Region: "Worldwide", IsBackedUp: true,
				ExchangeOnlineSettings: &ServiceSettings{UseApplicationOnlyAuth: ptr(true),
					ApplicationID: "8f3a1c2e-52b1-4d7a-9a0e-3b6c1d2e4f50", OfficeOrganizationName: "contoso.onmicrosoft.com"},
			}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, serveFile(t, tt.file))
			h := newHarness(t, fake, nil)
			got, err := h.c.Organizations(context.Background(), tt.offset, tt.limit)
			if err != nil {
				t.Fatalf("Organizations: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			calls := fake.apiCalls()
			if len(calls) != 1 || calls[0].Method != "GET" || calls[0].URI != tt.wantURI {
				t.Errorf("requests = %+v, want one GET %s", calls, tt.wantURI)
			}
		})
	}
}

func TestOrganizationsRefusesNegativePaging(t *testing.T) {
	fake := newFake(t, serveFile(t, "organizations_page.json"))
	h := newHarness(t, fake, nil)
	_, err := h.c.Organizations(context.Background(), -1, 10)
	wantKind(t, err, upstream.KindInvalid)
	if n := len(fake.apiCalls()); n != 0 {
		t.Errorf("API calls = %d, want none", n)
	}
}

func TestOrganization(t *testing.T) {
	fake := newFake(t, serveFile(t, "organization.json"))
	h := newHarness(t, fake, nil)
	got, err := h.c.Organization(context.Background(), orgID)
	if err != nil {
		t.Fatalf("Organization: %v", err)
	}
	if diff := cmp.Diff(contoso(), got); diff != "" {
		t.Errorf("organization (-want +got):\n%s", diff)
	}
	if calls := fake.apiCalls(); calls[0].URI != "/v8/Organizations/"+orgID {
		t.Errorf("URI = %s", calls[0].URI)
	}
}

func TestAppOnlyAuth(t *testing.T) {
	appOnly := &ServiceSettings{UseApplicationOnlyAuth: ptr(true)}
	basic := &ServiceSettings{UseApplicationOnlyAuth: ptr(false)}
	unknown := &ServiceSettings{}
	tests := []struct {
		name       string
		exchange   *ServiceSettings
		sharePoint *ServiceSettings
		want       bool
	}{
		{"both app-only", appOnly, appOnly, true},
		{"Exchange only, app-only", appOnly, nil, true},
		{"SharePoint only, app-only", nil, appOnly, true},
		{"no settings at all", nil, nil, false},
		{"one basic", appOnly, basic, false},
		{"both basic", basic, basic, false},
		{"one unknown", appOnly, unknown, false},
		{"only unknown", unknown, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Organization{ExchangeOnlineSettings: tt.exchange, SharePointOnlineSettings: tt.sharePoint}
			if got := o.AppOnlyAuth(); got != tt.want {
				t.Errorf("AppOnlyAuth = %v, want %v", got, tt.want)
			}
		})
	}
}
