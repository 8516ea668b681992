package graph

import (
	"encoding/json"
	"time"

	"github.com/syncgate/syncgate/internal/upstream"
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

// The types below read their timestamps with upstream.Timestamp; each decodes the rest of
// its fields through a copy of itself without methods.

// UnmarshalJSON reads a schedule as Graph sends it.
func (s *Schedule) UnmarshalJSON(data []byte) error {
	type plain Schedule
	aux := struct {
		*plain
		Expiration upstream.Timestamp `json:"expiration"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	s.Expiration = aux.Expiration.T
	return nil
}

// UnmarshalJSON reads a job status as Graph sends it.
func (s *Status) UnmarshalJSON(data []byte) error {
	type plain Status
	aux := struct {
		*plain
		SteadyStateFirstAchievedTime upstream.Timestamp `json:"steadyStateFirstAchievedTime"`
		SteadyStateLastAchievedTime  upstream.Timestamp `json:"steadyStateLastAchievedTime"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	s.SteadyStateFirstAchievedTime = aux.SteadyStateFirstAchievedTime.T
	s.SteadyStateLastAchievedTime = aux.SteadyStateLastAchievedTime.T
	return nil
}

// UnmarshalJSON reads an execution as Graph sends it.
func (e *Execution) UnmarshalJSON(data []byte) error {
	type plain Execution
	aux := struct {
		*plain
		TimeBegan upstream.Timestamp `json:"timeBegan"`
		TimeEnded upstream.Timestamp `json:"timeEnded"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	e.TimeBegan, e.TimeEnded = aux.TimeBegan.T, aux.TimeEnded.T
	return nil
}

// UnmarshalJSON reads a quarantine as Graph sends it.
func (q *Quarantine) UnmarshalJSON(data []byte) error {
	type plain Quarantine
	aux := struct {
		*plain
		CurrentBegan upstream.Timestamp `json:"currentBegan"`
		NextAttempt  upstream.Timestamp `json:"nextAttempt"`
		SeriesBegan  upstream.Timestamp `json:"seriesBegan"`
	}{plain: (*plain)(q)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	q.CurrentBegan, q.NextAttempt, q.SeriesBegan = aux.CurrentBegan.T, aux.NextAttempt.T, aux.SeriesBegan.T
	return nil
}

// UnmarshalJSON reads a progress entry as Graph sends it.
func (p *Progress) UnmarshalJSON(data []byte) error {
	type plain Progress
	aux := struct {
		*plain
		ProgressObservationDateTime upstream.Timestamp `json:"progressObservationDateTime"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	p.ProgressObservationDateTime = aux.ProgressObservationDateTime.T
	return nil
}
