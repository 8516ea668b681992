package veeam

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/syncgate/syncgate/internal/upstream"
)

// Synchronization types, as the wire spells them.
const (
	SyncIncremental = "Incremental"
	SyncFull        = "Full"
)

// Synchronization parts a start may name (newer servers; none means all).
const (
	PartUsers        = "Users"
	PartGroups       = "Groups"
	PartGroupMembers = "GroupMembers"
	PartSites        = "Sites"
	PartMailboxes    = "Mailboxes"
)

// SyncRequest is what to synchronize: Full is PowerShell's -Full; Parts
// limits the synchronization to those parts (empty: all).
type SyncRequest struct {
	Full  bool
	Parts []string
}

// Type is the synchronization type the request asks for: SyncFull or
// SyncIncremental.
func (r SyncRequest) Type() string {
	if r.Full {
		return SyncFull
	}
	return SyncIncremental
}

// syncBody is the wire body of a start.
type syncBody struct {
	Type  string   `json:"type"`
	Parts []string `json:"parts,omitempty"`
}

// StartSync starts the synchronization of an organization's cache (POST
// /{ver}/Organizations/{id}/Sync, 204). The server queues the work and
// returns no id: its progress is read with SyncState. A start is sent again
// only when the server cannot have acted on it (the connection failed before
// the request was written, or 429/503 came back).
func (c *Client) StartSync(ctx context.Context, id string, req SyncRequest) error {
	const op = "start sync"
	seg, err := upstream.Segment(service, op, "organization id", id)
	if err != nil {
		return err
	}
	body, err := json.Marshal(syncBody{Type: req.Type(), Parts: req.Parts})
	if err != nil {
		return invalid(op, err.Error())
	}
	return c.do(ctx, call{op: op, method: http.MethodPost, path: "/Organizations/" + seg + "/Sync", body: body}, nil)
}

// SyncState reads an organization's synchronization state (GET
// /{ver}/Organizations/{id}/SyncState).
func (c *Client) SyncState(ctx context.Context, id string) (SyncState, error) {
	const op = "get sync state"
	seg, err := upstream.Segment(service, op, "organization id", id)
	if err != nil {
		return SyncState{}, err
	}
	var s SyncState
	if err := c.do(ctx, call{op: op, method: http.MethodGet, path: "/Organizations/" + seg + "/SyncState", idempotent: true}, &s); err != nil {
		return SyncState{}, err
	}
	return s, nil
}

// SyncStates reads every organization's synchronization state (GET
// /{ver}/Organizations/SyncState, a bare array; a page is accepted too).
func (c *Client) SyncStates(ctx context.Context) ([]SyncState, error) {
	const op = "list sync states"
	var page pageOrArray[SyncState]
	if err := c.do(ctx, call{op: op, method: http.MethodGet, path: "/Organizations/SyncState", idempotent: true}, &page); err != nil {
		return nil, err
	}
	return page.Results, nil
}

// SyncState is an organization's cache synchronization state. Enumerations
// are open strings: unknown values pass through.
type SyncState struct {
	OrganizationID string `json:"organizationId"`
	// LastSyncState is the last finished synchronization; nil if none ran.
	LastSyncState *LastSync `json:"lastSyncState"`
	// CurrentSyncState is the synchronization queued or running; nil if none.
	CurrentSyncState *CurrentSync `json:"currentSyncState"`
	// Parts is the state per part, keyed as the wire names them ("users",
	// "groups", "groupMembers", "sites"); nil on older servers.
	Parts map[string]*PartState `json:"parts,omitempty"`
}

// LastSync is a finished synchronization.
type LastSync struct {
	Type      string     `json:"type"`   // Incremental or Full
	Result    string     `json:"result"` // Success or Error
	StartTime *time.Time `json:"startTime"`
	EndTime   *time.Time `json:"endTime"`
	Error     string     `json:"error,omitempty"`
}

// CurrentSync is a synchronization that is queued or running.
type CurrentSync struct {
	Type          string     `json:"type"`   // Incremental or Full
	Status        string     `json:"status"` // Queued or Running
	ScheduledTime *time.Time `json:"scheduledTime"`
	StartTime     *time.Time `json:"startTime"`
}

// PartState is the synchronization state of one part.
type PartState struct {
	LastSuccessfulSyncTime *time.Time   `json:"lastSuccessfulSyncTime"`
	LastSyncState          *LastSync    `json:"lastSyncState"`
	CurrentSyncState       *CurrentSync `json:"currentSyncState"`
}

// Busy reports whether a synchronization is queued or running.
func (s SyncState) Busy() bool {
	if s.CurrentSyncState == nil {
		return false
	}
	st := s.CurrentSyncState.Status
	return strings.EqualFold(st, "Queued") || strings.EqualFold(st, "Running")
}

// Status is the state in one word: the current synchronization's status when
// one is queued or running, else the last one's result ("Success", "Error"),
// else "None" — PowerShell's SyncStatus, extended with the current status.
func (s SyncState) Status() string { return status(s.CurrentSyncState, s.LastSyncState) }

// Status is the part's state in one word, as SyncState.Status.
func (p PartState) Status() string { return status(p.CurrentSyncState, p.LastSyncState) }

func status(current *CurrentSync, last *LastSync) string {
	if current != nil && current.Status != "" {
		return current.Status
	}
	if last != nil && last.Result != "" {
		return last.Result
	}
	return "None"
}

// UnmarshalJSON reads a LastSync with tolerant dates.
func (l *LastSync) UnmarshalJSON(b []byte) error {
	var w struct {
		Type      string             `json:"type"`
		Result    string             `json:"result"`
		StartTime upstream.Timestamp `json:"startTime"`
		EndTime   upstream.Timestamp `json:"endTime"`
		Error     string             `json:"error"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*l = LastSync{Type: w.Type, Result: w.Result, StartTime: w.StartTime.T, EndTime: w.EndTime.T, Error: w.Error}
	return nil
}

// UnmarshalJSON reads a CurrentSync with tolerant dates.
func (cs *CurrentSync) UnmarshalJSON(b []byte) error {
	var w struct {
		Type          string             `json:"type"`
		Status        string             `json:"status"`
		ScheduledTime upstream.Timestamp `json:"scheduledTime"`
		StartTime     upstream.Timestamp `json:"startTime"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*cs = CurrentSync{Type: w.Type, Status: w.Status, ScheduledTime: w.ScheduledTime.T, StartTime: w.StartTime.T}
	return nil
}

// UnmarshalJSON reads a PartState with tolerant dates.
func (p *PartState) UnmarshalJSON(b []byte) error {
	var w struct {
		LastSuccessfulSyncTime upstream.Timestamp `json:"lastSuccessfulSyncTime"`
		LastSyncState          *LastSync          `json:"lastSyncState"`
		CurrentSyncState       *CurrentSync       `json:"currentSyncState"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = PartState{LastSuccessfulSyncTime: w.LastSuccessfulSyncTime.T, LastSyncState: w.LastSyncState, CurrentSyncState: w.CurrentSyncState}
	return nil
}

func invalid(op, msg string) *upstream.Error {
	return &upstream.Error{Service: service, Op: op, Kind: upstream.KindInvalid, Message: msg}
}
