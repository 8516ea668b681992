package veeam

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStartSyncSendsGoldenBody(t *testing.T) {
	tests := []struct {
		name   string
		req    SyncRequest
		golden string
	}{
		{"defaults: incremental, every part", SyncRequest{}, "sync_incremental.json"},
		{"full", SyncRequest{Full: true}, "sync_full.json"},
		{"full, some parts", SyncRequest{Full: true, Parts: []string{PartUsers, PartGroups, PartGroupMembers}}, "sync_full_parts.json"},
		{"incremental, empty parts list is omitted", SyncRequest{Parts: []string{}}, "sync_incremental.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
			h := newHarness(t, fake, nil)
			if err := h.c.StartSync(context.Background(), orgID, tt.req); err != nil {
				t.Fatalf("StartSync: %v", err)
			}
			calls := fake.apiCalls()
			if len(calls) != 1 {
				t.Fatalf("API calls = %d, want 1", len(calls))
			}
			c := calls[0]
			if c.Method != http.MethodPost || c.URI != "/v8/Organizations/"+orgID+"/Sync" || c.ContentType != "application/json" {
				t.Errorf("request = %s %s (%s), want POST /v8/Organizations/%s/Sync (application/json)", c.Method, c.URI, c.ContentType, orgID)
			}
			golden(t, tt.golden, c.Body)
		})
	}
}

func TestSyncState(t *testing.T) {
	fake := newFake(t, serveFile(t, "sync_state.json"))
	h := newHarness(t, fake, nil)
	got, err := h.c.SyncState(context.Background(), orgID)
	if err != nil {
		t.Fatalf("SyncState: %v", err)
	}
	at := func(s string) *time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	want := SyncState{
		OrganizationID: orgID,
		LastSyncState: &LastSync{Type: "Incremental", Result: "Success",
			StartTime: at("2025-03-03T08:00:01.1234567Z"), EndTime: at("2025-03-03T08:02:30+01:00")},
		CurrentSyncState: &CurrentSync{Type: "Full", Status: "Running", StartTime: at("2025-03-03T08:59:00.5Z")},
		Parts: map[string]*PartState{
			"users": {
				LastSuccessfulSyncTime: at("2025-03-03T08:02:30Z"),
				LastSyncState:          &LastSync{Type: "Incremental", Result: "Success", StartTime: at("2025-03-03T08:00:01Z"), EndTime: at("2025-03-03T08:02:30Z")},
				CurrentSyncState:       &CurrentSync{Type: "Full", Status: "Running", StartTime: at("2025-03-03T08:59:00Z")},
			},
			"groups": {
				LastSyncState: &LastSync{Type: "Incremental", Result: "Error", StartTime: at("2025-03-03T08:00:01Z"),
					EndTime: at("2025-03-03T08:01:00Z"), Error: "Failed to resolve group members."},
			},
			"groupMembers": nil,
			"sites":        nil,
		},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("sync state (-want +got):\n%s", diff)
	}
	if !got.Busy() || got.Status() != "Running" {
		t.Errorf("Busy, Status = %v, %q; want true, Running", got.Busy(), got.Status())
	}
	if calls := fake.apiCalls(); calls[0].Method != http.MethodGet || calls[0].URI != "/v8/Organizations/"+orgID+"/SyncState" {
		t.Errorf("request = %s %s", calls[0].Method, calls[0].URI)
	}
}

func TestSyncStates(t *testing.T) {
	tests := []struct {
		name string
		body http.HandlerFunc
	}{
		{"bare array", serveFile(t, "sync_states.json")},
		{"page", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"offset":0,"limit":30,"results":` + string(fixture(t, "sync_states.json")) + `}`))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, tt.body)
			h := newHarness(t, fake, nil)
			got, err := h.c.SyncStates(context.Background())
			if err != nil {
				t.Fatalf("SyncStates: %v", err)
			}
			type summary struct {
				ID, Status string
				Busy       bool
			}
			var sums []summary
			for _, s := range got {
				sums = append(sums, summary{s.OrganizationID, s.Status(), s.Busy()})
			}
			want := []summary{{orgID, "Queued", true}, {"9b2c7d4e-1a3f-4c5b-8e6d-7f8091a2b3c4", "None", false}}
			if diff := cmp.Diff(want, sums); diff != "" {
				t.Errorf("states (-want +got):\n%s", diff)
			}
			if got[0].LastSyncState.Error != "Connection to Microsoft 365 timed out." || got[0].CurrentSyncState.ScheduledTime == nil {
				t.Errorf("first state = %+v", got[0])
			}
			if calls := fake.apiCalls(); calls[0].URI != "/v8/Organizations/SyncState" {
				t.Errorf("URI = %s", calls[0].URI)
			}
		})
	}
}

func TestSyncStateStatus(t *testing.T) {
	tests := []struct {
		name       string
		json       string
		wantStatus string
		wantBusy   bool
	}{
		{"never synchronized", `{"lastSyncState":null,"currentSyncState":null}`, "None", false},
		{"last succeeded", `{"lastSyncState":{"result":"Success"}}`, "Success", false},
		{"last failed", `{"lastSyncState":{"result":"Error","error":"boom"}}`, "Error", false},
		{"queued after a failure", `{"lastSyncState":{"result":"Error"},"currentSyncState":{"status":"Queued"}}`, "Queued", true},
		{"running", `{"currentSyncState":{"status":"Running"}}`, "Running", true},
		{"running, other case", `{"currentSyncState":{"status":"running"}}`, "running", true},
		{"unknown current status passes through, not busy", `{"currentSyncState":{"status":"Stopping"}}`, "Stopping", false},
		{"empty current status falls back to the last", `{"lastSyncState":{"result":"Success"},"currentSyncState":{"status":""}}`, "Success", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s SyncState
			if err := json.Unmarshal([]byte(tt.json), &s); err != nil {
				t.Fatal(err)
			}
			if s.Status() != tt.wantStatus || s.Busy() != tt.wantBusy {
				t.Errorf("Status, Busy = %q, %v; want %q, %v", s.Status(), s.Busy(), tt.wantStatus, tt.wantBusy)
			}
		})
	}
}

func TestDates(t *testing.T) {
	utc := func(nsec int) time.Time { return time.Date(2025, 3, 3, 8, 0, 1, nsec, time.UTC) }
	tests := []struct {
		in      string
		want    time.Time // zero: no time
		wantErr bool
	}{
		{`"2025-03-03T08:00:01Z"`, utc(0), false},
		{`"2025-03-03T08:00:01.1234567Z"`, utc(123456700), false},
		{`"2025-03-03T09:00:01+01:00"`, utc(0), false},
		{`"2025-03-03T08:00:01"`, utc(0), false},
		{`"2025-03-03T08:00:01.5"`, utc(500000000), false},
		{`"2025-03-03 08:00:01"`, utc(0), false},
		{`"2025-03-03 09:00:01.25+01:00"`, utc(250000000), false},
		{`null`, time.Time{}, false},
		{`""`, time.Time{}, false},
		{`"0001-01-01T00:00:00Z"`, time.Time{}, false},
		{`"0001-01-01T00:00:00"`, time.Time{}, false},
		{`"03/03/2025 08:00:01"`, time.Time{}, true},
		{`1741000000`, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var c CurrentSync
			err := json.Unmarshal([]byte(`{"status":"Queued","startTime":`+tt.in+`}`), &c)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			switch {
			case tt.wantErr:
			case tt.want.IsZero() && c.StartTime != nil:
				t.Errorf("StartTime = %v, want none", c.StartTime)
			case !tt.want.IsZero() && (c.StartTime == nil || !c.StartTime.Equal(tt.want)):
				t.Errorf("StartTime = %v, want %v", c.StartTime, tt.want)
			}
		})
	}
}
