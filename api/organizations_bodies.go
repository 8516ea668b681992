package api

// The bodies the organization routes send and receive, and their conversion
// from the Veeam adapter's types. The handlers are in organizations.go.

import (
	"time"

	"github.com/syncgate/syncgate/internal/veeam"
)

// SyncRequest is the optional body of POST /organizations/{organizationId}/sync.
type SyncRequest struct {
	// Full runs a full synchronization instead of an incremental one (PowerShell -Full).
	Full bool `json:"full,omitempty" example:"false"`
	// Parts limits the synchronization to these parts; omitted means all parts.
	Parts []string `json:"parts,omitempty" validate:"omitempty,max=5,unique,dive,oneof=Users Groups GroupMembers Sites Mailboxes" enums:"Users,Groups,GroupMembers,Sites,Mailboxes" example:"Users,Groups"`
}

// BulkSyncRequest is the body of POST /organizations/sync.
type BulkSyncRequest struct {
	SyncRequest
	// OrganizationIDs are the organizations to synchronize (up to 1000 ids);
	// omitted or empty means every organization.
	OrganizationIDs []string `json:"organizationIds,omitempty" validate:"omitempty,max=1000,unique,dive,guid" format:"uuid" example:"62c4ab35-68fb-4a48-ae4d-8103635b9526"`
}

// Organization is a Veeam organization as syncgate shows it.
type Organization struct {
	ID          string `json:"id" example:"62c4ab35-68fb-4a48-ae4d-8103635b9526"`
	Name        string `json:"name" example:"contoso.onmicrosoft.com"`
	OfficeName  string `json:"officeName,omitempty" example:"Contoso"`
	Description string `json:"description,omitempty"`
	Type        string `json:"type" example:"Office365"`
	Region      string `json:"region,omitempty" example:"Worldwide"`
	IsBackedUp  bool   `json:"isBackedUp"`
	// AppOnlyAuth is true when the organization uses modern app-only authentication.
	AppOnlyAuth bool `json:"appOnlyAuth"`
	// SyncEligible is true when Veeam can synchronize the organization's cache.
	SyncEligible bool `json:"syncEligible"`
}

// OrganizationList is a page of organizations.
type OrganizationList struct {
	Items  []Organization `json:"items"`
	Offset int            `json:"offset" example:"0"`
	Limit  int            `json:"limit" example:"100"`
	// Total is always null: Veeam Backup for Microsoft 365 does not say how many organizations it holds. Page on (offset += limit) until a page has fewer than limit items.
	Total *int `json:"total" extensions:"x-nullable"`
}

// SyncStatus is an organization's cache synchronization state.
type SyncStatus struct {
	OrganizationID string `json:"organizationId" example:"62c4ab35-68fb-4a48-ae4d-8103635b9526"`
	// Status is Queued or Running while a sync is under way, else the last result (Success, Error), or None.
	Status string `json:"status" example:"Running"`
	// Current is the synchronization under way, or null.
	Current *CurrentSync `json:"current" extensions:"x-nullable"`
	// Last is the last finished synchronization, or null if there was none.
	Last *LastSync `json:"last" extensions:"x-nullable"`
	// Parts is the state of each part; null when the Veeam server does not report parts (servers before v8's per-part state).
	Parts *SyncParts `json:"parts" extensions:"x-nullable"`
}

// SyncParts is the synchronization state of each part of an organization; a
// part is null when Veeam reports nothing for it (never synchronized).
type SyncParts struct {
	Users        *PartSync `json:"users" extensions:"x-nullable"`
	Groups       *PartSync `json:"groups" extensions:"x-nullable"`
	GroupMembers *PartSync `json:"groupMembers" extensions:"x-nullable"`
	Sites        *PartSync `json:"sites" extensions:"x-nullable"`
}

// PartSync is the synchronization state of one part.
type PartSync struct {
	// Status is Queued or Running while the part is being synchronized, else its last result (Success, Error), or None.
	Status                 string       `json:"status" example:"Error"`
	LastSuccessfulSyncTime *time.Time   `json:"lastSuccessfulSyncTime" extensions:"x-nullable" format:"date-time"`
	Current                *CurrentSync `json:"current" extensions:"x-nullable"`
	Last                   *LastSync    `json:"last" extensions:"x-nullable"`
}

// SyncStatusList is a page of every organization's synchronization state.
type SyncStatusList struct {
	Items  []SyncStatus `json:"items"`
	Offset int          `json:"offset" example:"0"`
	Limit  int          `json:"limit" example:"100"`
	Total  *int         `json:"total" example:"4"`
}

// CurrentSync is a synchronization under way.
type CurrentSync struct {
	Type          string     `json:"type" example:"Incremental"`
	Status        string     `json:"status" example:"Running"`
	ScheduledTime *time.Time `json:"scheduledTime" extensions:"x-nullable" format:"date-time"`
	StartTime     *time.Time `json:"startTime" extensions:"x-nullable" format:"date-time"`
}

// LastSync is the last finished synchronization.
type LastSync struct {
	Type      string     `json:"type" example:"Full"`
	Result    string     `json:"result" example:"Success"`
	StartTime *time.Time `json:"startTime" extensions:"x-nullable" format:"date-time"`
	EndTime   *time.Time `json:"endTime" extensions:"x-nullable" format:"date-time"`
	Error     string     `json:"error,omitempty"`
}

// SyncStarted answers a started organization sync.
type SyncStarted struct {
	OrganizationID string `json:"organizationId" example:"62c4ab35-68fb-4a48-ae4d-8103635b9526"`
	Type           string `json:"type" enums:"Full,Incremental" example:"Incremental"`
	// Parts are the parts asked for; empty means all parts.
	Parts          []string `json:"parts" enums:"Users,Groups,GroupMembers,Sites,Mailboxes" example:"Users,Groups"`
	PreviousStatus string   `json:"previousStatus" example:"Success"`
	// UpstreamRequestID is the backend's request id of the start, when it sends one; Veeam sends none, so it is absent.
	UpstreamRequestID string `json:"upstreamRequestId,omitempty" format:"uuid" example:"7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f"`
	RequestID         string `json:"requestId" example:"0d5e3a4c-7f1b-4a0e-9c2d-6b8f1e2a3b4c"`
}

// BulkSyncResult is the answer of POST /organizations/sync.
type BulkSyncResult struct {
	Results []OrganizationResult `json:"results"`
}

// OrganizationResult is one organization's outcome in a bulk sync.
type OrganizationResult struct {
	OrganizationID string `json:"organizationId" example:"62c4ab35-68fb-4a48-ae4d-8103635b9526"`
	// Status is what POST /organizations/{organizationId}/sync would have answered.
	Status  int  `json:"status" example:"202"`
	Started bool `json:"started"`
	// WouldStart is set on a dry run.
	WouldStart *bool `json:"wouldStart,omitempty"`
	// Problem is why the organization was not started (or, on a dry run, would not be), or null.
	Problem *Problem `json:"problem" extensions:"x-nullable"`
}

func toOrganization(o veeam.Organization) Organization {
	return Organization{
		ID: o.ID, Name: o.Name, OfficeName: o.OfficeName, Description: o.Description, Type: o.Type,
		Region: o.Region, IsBackedUp: o.IsBackedUp, AppOnlyAuth: o.AppOnlyAuth(), SyncEligible: o.AppOnlyAuth(),
	}
}

func toSyncStatus(s veeam.SyncState) SyncStatus {
	out := SyncStatus{OrganizationID: s.OrganizationID, Status: s.Status()}
	out.Current, out.Last = toCurrent(s.CurrentSyncState), toLast(s.LastSyncState)
	if s.Parts != nil {
		out.Parts = &SyncParts{
			Users: toPart(s.Parts["users"]), Groups: toPart(s.Parts["groups"]),
			GroupMembers: toPart(s.Parts["groupMembers"]), Sites: toPart(s.Parts["sites"]),
		}
	}
	return out
}

func toPart(p *veeam.PartState) *PartSync {
	if p == nil {
		return nil
	}
	return &PartSync{Status: p.Status(), LastSuccessfulSyncTime: p.LastSuccessfulSyncTime,
		Current: toCurrent(p.CurrentSyncState), Last: toLast(p.LastSyncState)}
}

func toCurrent(c *veeam.CurrentSync) *CurrentSync {
	if c == nil {
		return nil
	}
	return &CurrentSync{Type: c.Type, Status: c.Status, ScheduledTime: c.ScheduledTime, StartTime: c.StartTime}
}

func toLast(l *veeam.LastSync) *LastSync {
	if l == nil {
		return nil
	}
	return &LastSync{Type: l.Type, Result: l.Result, StartTime: l.StartTime, EndTime: l.EndTime, Error: l.Error}
}
