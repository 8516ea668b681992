package graph

import (
	"encoding/json"
	"fmt"
	"time"
)

// The job status codes Graph documents (status.code). Other values pass
// through as they are.
const (
	StatusNotConfigured = "NotConfigured"
	StatusNotRun        = "NotRun"
	StatusActive        = "Active"
	StatusPaused        = "Paused"
	StatusQuarantine    = "Quarantine"
)

// Job is a synchronization job (Graph's synchronizationJob). Enumerations are
// open strings: values Graph adds later pass through unchanged. Timestamps
// Graph sends as "0001-01-01T00:00:00Z" or "" (never) are nil.
type Job struct {
	ID         string     `json:"id"`
	TemplateID string     `json:"templateId"`
	Schedule   *Schedule  `json:"schedule"`
	Status     Status     `json:"status"`
	Settings   []KeyValue `json:"synchronizationJobSettings"`
}

// Schedule is when a job runs.
type Schedule struct {
	Expiration *time.Time `json:"expiration"`
	Interval   string     `json:"interval"` // ISO 8601 duration, such as PT40M
	State      string     `json:"state"`    // Active, Disabled, Paused
}

// Status is a job's current state and its recent runs.
type Status struct {
	Code                               string      `json:"code"` // one of the Status* constants, or a newer value
	CountSuccessiveCompleteFailures    int64       `json:"countSuccessiveCompleteFailures"`
	EscrowsPruned                      bool        `json:"escrowsPruned"`
	LastExecution                      *Execution  `json:"lastExecution"`
	LastSuccessfulExecution            *Execution  `json:"lastSuccessfulExecution"`
	LastSuccessfulExecutionWithExports *Execution  `json:"lastSuccessfulExecutionWithExports"`
	Progress                           []Progress  `json:"progress"`
	Quarantine                         *Quarantine `json:"quarantine"`
	SteadyStateFirstAchievedTime       *time.Time  `json:"steadyStateFirstAchievedTime"`
	SteadyStateLastAchievedTime        *time.Time  `json:"steadyStateLastAchievedTime"`
	SynchronizedEntryCountByType       []KeyCount  `json:"synchronizedEntryCountByType"`
	TroubleshootingURL                 string      `json:"troubleshootingUrl"`
}

// Execution is one run of a job.
type Execution struct {
	ActivityIdentifier           string          `json:"activityIdentifier"`
	State                        string          `json:"state"` // Succeeded, Failed, EntryLevelErrors
	TimeBegan                    *time.Time      `json:"timeBegan"`
	TimeEnded                    *time.Time      `json:"timeEnded"`
	CountEntitled                int64           `json:"countEntitled"`
	CountEntitledForProvisioning int64           `json:"countEntitledForProvisioning"`
	CountEscrowed                int64           `json:"countEscrowed"`
	CountEscrowedRaw             int64           `json:"countEscrowedRaw"`
	CountExported                int64           `json:"countExported"`
	CountExports                 int64           `json:"countExports"`
	CountImported                int64           `json:"countImported"`
	CountImportedDeltas          int64           `json:"countImportedDeltas"`
	CountImportedReferenceDeltas int64           `json:"countImportedReferenceDeltas"`
	Error                        *ExecutionError `json:"error"`
}

// ExecutionError is an error Graph reports for a run or a quarantine.
type ExecutionError struct {
	Code             string `json:"code"`
	Message          string `json:"message"`
	TenantActionable bool   `json:"tenantActionable"`
}

// Quarantine says why a job is quarantined and when it is tried again.
type Quarantine struct {
	CurrentBegan *time.Time      `json:"currentBegan"`
	NextAttempt  *time.Time      `json:"nextAttempt"`
	Reason       string          `json:"reason"`
	SeriesBegan  *time.Time      `json:"seriesBegan"`
	SeriesCount  int64           `json:"seriesCount"`
	Error        *ExecutionError `json:"error"`
}

// Progress is how far the current run has got.
type Progress struct {
	CompletedUnits              int64      `json:"completedUnits"`
	TotalUnits                  int64      `json:"totalUnits"`
	Units                       string     `json:"units"`
	ProgressObservationDateTime *time.Time `json:"progressObservationDateTime"`
}

// KeyValue is one job setting (Graph's keyValuePair).
type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// KeyCount is the number of synchronized entries of one type (Graph's
// stringKeyLongValuePair).
type KeyCount struct {
	Key   string `json:"key"`
	Value int64  `json:"value"`
}

// The types below read their timestamps with stamp; each decodes the rest of
// its fields through a copy of itself without methods.

// UnmarshalJSON reads a schedule as Graph sends it.
func (s *Schedule) UnmarshalJSON(data []byte) error {
	type plain Schedule
	aux := struct {
		*plain
		Expiration stamp `json:"expiration"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	s.Expiration = aux.Expiration.t
	return nil
}

// UnmarshalJSON reads a job status as Graph sends it.
func (s *Status) UnmarshalJSON(data []byte) error {
	type plain Status
	aux := struct {
		*plain
		SteadyStateFirstAchievedTime stamp `json:"steadyStateFirstAchievedTime"`
		SteadyStateLastAchievedTime  stamp `json:"steadyStateLastAchievedTime"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	s.SteadyStateFirstAchievedTime = aux.SteadyStateFirstAchievedTime.t
	s.SteadyStateLastAchievedTime = aux.SteadyStateLastAchievedTime.t
	return nil
}

// UnmarshalJSON reads an execution as Graph sends it.
func (e *Execution) UnmarshalJSON(data []byte) error {
	type plain Execution
	aux := struct {
		*plain
		TimeBegan stamp `json:"timeBegan"`
		TimeEnded stamp `json:"timeEnded"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	e.TimeBegan, e.TimeEnded = aux.TimeBegan.t, aux.TimeEnded.t
	return nil
}

// UnmarshalJSON reads a quarantine as Graph sends it.
func (q *Quarantine) UnmarshalJSON(data []byte) error {
	type plain Quarantine
	aux := struct {
		*plain
		CurrentBegan stamp `json:"currentBegan"`
		NextAttempt  stamp `json:"nextAttempt"`
		SeriesBegan  stamp `json:"seriesBegan"`
	}{plain: (*plain)(q)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	q.CurrentBegan, q.NextAttempt, q.SeriesBegan = aux.CurrentBegan.t, aux.NextAttempt.t, aux.SeriesBegan.t
	return nil
}

// UnmarshalJSON reads a progress entry as Graph sends it.
func (p *Progress) UnmarshalJSON(data []byte) error {
	type plain Progress
	aux := struct {
		*plain
		ProgressObservationDateTime stamp `json:"progressObservationDateTime"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	p.ProgressObservationDateTime = aux.ProgressObservationDateTime.t
	return nil
}

// stamp is a Graph timestamp: RFC 3339 with up to 7 fractional digits
// (a missing zone is UTC). null, "" and the zero time
// "0001-01-01T00:00:00Z", which Graph uses for "never", leave t nil.
type stamp struct{ t *time.Time }

// noZone is the layout of a timestamp sent without a zone.
const noZone = "2006-01-02T15:04:05.999999999"

func (s *stamp) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var v string
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		var err2 error
		if t, err2 = time.Parse(noZone, v); err2 != nil {
			return fmt.Errorf("timestamp %q: %w", v, err)
		}
	}
	if t.IsZero() {
		return nil
	}
	s.t = &t
	return nil
}
