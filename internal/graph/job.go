package graph

import (
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

// Graph's timestamps need upstream.Timestamp's reading ("" and the zero date
// mean never; a missing zone is UTC). The wire types below mirror the
// exported ones with Timestamp fields that shadow the *time.Time ones (a
// field of the outer struct wins over the embedded struct's of the same
// name), so that a job decodes in one pass: no UnmarshalJSON method re-parses
// a nested object.

// UnmarshalJSON reads a job as Graph sends it.
func (j *Job) UnmarshalJSON(data []byte) error {
	var w wireJob
	if err := upstream.UnmarshalJSON(data, &w); err != nil {
		return err
	}
	*j = w.job()
	return nil
}

type wireJob struct {
	ID         string        `json:"id"`
	TemplateID string        `json:"templateId"`
	Schedule   *wireSchedule `json:"schedule"`
	Status     wireStatus    `json:"status"`
	Settings   []KeyValue    `json:"synchronizationJobSettings"`
}

func (w *wireJob) job() Job {
	j := Job{ID: w.ID, TemplateID: w.TemplateID, Status: w.Status.status(), Settings: w.Settings}
	if w.Schedule != nil {
		j.Schedule = &w.Schedule.Schedule
		j.Schedule.Expiration = w.Schedule.Expiration.T
	}
	return j
}

type wireSchedule struct {
	Schedule
	Expiration upstream.Timestamp `json:"expiration"`
}

type wireStatus struct {
	Status
	LastExecution                      *wireExecution     `json:"lastExecution"`
	LastSuccessfulExecution            *wireExecution     `json:"lastSuccessfulExecution"`
	LastSuccessfulExecutionWithExports *wireExecution     `json:"lastSuccessfulExecutionWithExports"`
	Progress                           []wireProgress     `json:"progress"`
	Quarantine                         *wireQuarantine    `json:"quarantine"`
	SteadyStateFirstAchievedTime       upstream.Timestamp `json:"steadyStateFirstAchievedTime"`
	SteadyStateLastAchievedTime        upstream.Timestamp `json:"steadyStateLastAchievedTime"`
}

func (w *wireStatus) status() Status {
	s := w.Status
	s.LastExecution = w.LastExecution.execution()
	s.LastSuccessfulExecution = w.LastSuccessfulExecution.execution()
	s.LastSuccessfulExecutionWithExports = w.LastSuccessfulExecutionWithExports.execution()
	s.Progress = nil
	if w.Progress != nil {
		s.Progress = make([]Progress, len(w.Progress))
		for i, p := range w.Progress {
			s.Progress[i] = p.Progress
			s.Progress[i].ProgressObservationDateTime = p.ProgressObservationDateTime.T
		}
	}
	s.Quarantine = nil
	if q := w.Quarantine; q != nil {
		s.Quarantine = &q.Quarantine
		s.Quarantine.CurrentBegan, s.Quarantine.NextAttempt, s.Quarantine.SeriesBegan = q.CurrentBegan.T, q.NextAttempt.T, q.SeriesBegan.T
	}
	s.SteadyStateFirstAchievedTime = w.SteadyStateFirstAchievedTime.T
	s.SteadyStateLastAchievedTime = w.SteadyStateLastAchievedTime.T
	return s
}

type wireExecution struct {
	Execution
	TimeBegan upstream.Timestamp `json:"timeBegan"`
	TimeEnded upstream.Timestamp `json:"timeEnded"`
}

func (w *wireExecution) execution() *Execution {
	if w == nil {
		return nil
	}
	e := &w.Execution
	e.TimeBegan, e.TimeEnded = w.TimeBegan.T, w.TimeEnded.T
	return e
}

type wireQuarantine struct {
	Quarantine
	CurrentBegan upstream.Timestamp `json:"currentBegan"`
	NextAttempt  upstream.Timestamp `json:"nextAttempt"`
	SeriesBegan  upstream.Timestamp `json:"seriesBegan"`
}

type wireProgress struct {
	Progress
	ProgressObservationDateTime upstream.Timestamp `json:"progressObservationDateTime"`
}
