package graph

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ts(t *testing.T, v string) *time.Time {
	t.Helper()
	p, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestJobParsesGoldenBody(t *testing.T) {
	s := newSetup(t, happy(t), nil)
	got, err := s.client.Job(context.Background(), appObjectID, jobID)
	if err != nil {
		t.Fatal(err)
	}
	jobErr := &ExecutionError{
		Code:             "AzureDirectoryB2BManagementPolicyCheckFailure",
		Message:          "Policy permitting auto-redemption of invitations not configured.",
		TenantActionable: true,
	}
	want := Job{
		ID:         jobID,
		TemplateID: "aWSSingleSignon",
		Schedule:   &Schedule{Interval: "PT40M", State: "Active"},
		Status: Status{
			Code:                            StatusQuarantine,
			CountSuccessiveCompleteFailures: 3,
			LastExecution: &Execution{
				ActivityIdentifier: "7c1f9a52-3d8e-4b6a-9f0e-1a2b3c4d5e6f",
				State:              "Failed",
				TimeBegan:          ts(t, "2021-05-24T21:45:53.6330529Z"),
				TimeEnded:          ts(t, "2021-05-24T21:46:06.1224305Z"),
				CountEntitled:      10, CountEscrowed: 2, CountEscrowedRaw: 2, CountImported: 10,
				Error: jobErr,
			},
			LastSuccessfulExecutionWithExports: &Execution{State: "Succeeded", CountExported: 4},
			Progress: []Progress{{CompletedUnits: 5, TotalUnits: 10, Units: "Entries",
				ProgressObservationDateTime: ts(t, "2021-05-24T21:46:00.0000001Z")}},
			Quarantine: &Quarantine{
				CurrentBegan: ts(t, "2021-05-24T21:46:06.1224305Z"),
				NextAttempt:  ts(t, "2021-05-25T09:46:06.1224305Z"),
				Reason:       "EncounteredQuarantineException",
				SeriesBegan:  ts(t, "2021-05-23T09:46:06.1224305Z"),
				SeriesCount:  3,
				Error:        jobErr,
			},
			SynchronizedEntryCountByType: []KeyCount{{Key: "user to User", Value: 7}},
			TroubleshootingURL:           "https://aka.ms/provisioning-troubleshooting",
		},
		Settings: []KeyValue{{Name: "QuarantineTooManyDeletesThreshold", Value: "500"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("job (-want +got):\n%s", diff)
	}
}

func TestTimestamps(t *testing.T) {
	tests := []struct {
		in      string // JSON
		want    *time.Time
		wantErr bool
	}{
		{`"2021-05-24T21:45:53.6330529Z"`, ptr(time.Date(2021, 5, 24, 21, 45, 53, 633052900, time.UTC)), false},
		{`"2021-05-24T21:45:53Z"`, ptr(time.Date(2021, 5, 24, 21, 45, 53, 0, time.UTC)), false},
		{`"2021-05-24T23:45:53.1+02:00"`, ptr(time.Date(2021, 5, 24, 21, 45, 53, 100000000, time.UTC)), false},
		{`"2021-05-24T21:45:53.6330529"`, ptr(time.Date(2021, 5, 24, 21, 45, 53, 633052900, time.UTC)), false},
		{`"0001-01-01T00:00:00Z"`, nil, false},
		{`"0001-01-01T00:00:00.0000000Z"`, nil, false},
		{`""`, nil, false},
		{`null`, nil, false},
		{`"yesterday"`, nil, true},
		{`1621892753`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var j Job
			err := json.Unmarshal([]byte(`{"id":"j","status":{"lastExecution":{"timeBegan":`+tt.in+`}}}`), &j)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			e := j.Status.LastExecution
			switch {
			case tt.want == nil && e.TimeBegan != nil:
				t.Errorf("TimeBegan = %v, want nil (never)", *e.TimeBegan)
			case tt.want != nil && (e.TimeBegan == nil || !e.TimeBegan.Equal(*tt.want)):
				t.Errorf("TimeBegan = %v, want %v", e.TimeBegan, *tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
