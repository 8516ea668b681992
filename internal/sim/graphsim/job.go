package graphsim

import (
	"bytes"
	"fmt"
	"time"
)

// Status codes of a synchronization job (status.code).
const (
	StatusNotConfigured = "NotConfigured"
	StatusNotRun        = "NotRun"
	StatusActive        = "Active"
	StatusPaused        = "Paused"
	StatusQuarantine    = "Quarantine"
)

// Schedule states of a synchronization job (schedule.state).
const (
	ScheduleActive   = "Active"
	ScheduleDisabled = "Disabled"
	SchedulePaused   = "Paused"
)

// Application is an Entra application registration with its service
// principal and the synchronization jobs of that service principal.
type Application struct {
	ObjectID           string // the application object id: /applications/{ObjectID}
	AppID              string // the appId (client id): /servicePrincipals(appId='{AppID}')
	ServicePrincipalID string // the service principal object id: /servicePrincipals/{ServicePrincipalID}
	DisplayName        string
	Jobs               []Job
}

// Job is a synchronization job exactly as Graph serializes it.
type Job struct {
	ID         string     `json:"id"`
	TemplateID string     `json:"templateId"`
	Schedule   Schedule   `json:"schedule"`
	Status     JobStatus  `json:"status"`
	Settings   []KeyValue `json:"synchronizationJobSettings"`
}

// Schedule is a job's schedule.
type Schedule struct {
	Expiration *Timestamp `json:"expiration"`
	Interval   string     `json:"interval"`
	State      string     `json:"state"`
}

// JobStatus is a job's status.
type JobStatus struct {
	Code                               string      `json:"code"`
	CountSuccessiveCompleteFailures    int64       `json:"countSuccessiveCompleteFailures"`
	EscrowsPruned                      bool        `json:"escrowsPruned"`
	LastExecution                      *Execution  `json:"lastExecution"`
	LastSuccessfulExecution            *Execution  `json:"lastSuccessfulExecution"`
	LastSuccessfulExecutionWithExports *Execution  `json:"lastSuccessfulExecutionWithExports"`
	Progress                           []Progress  `json:"progress"`
	Quarantine                         *Quarantine `json:"quarantine"`
	SteadyStateFirstAchievedTime       Timestamp   `json:"steadyStateFirstAchievedTime"`
	SteadyStateLastAchievedTime        Timestamp   `json:"steadyStateLastAchievedTime"`
	SynchronizedEntryCountByType       []KeyCount  `json:"synchronizedEntryCountByType"`
	TroubleshootingURL                 string      `json:"troubleshootingUrl"`
}

// Execution is one run of a job (synchronizationTaskExecution).
type Execution struct {
	ActivityIdentifier           string     `json:"activityIdentifier"`
	CountEntitled                int64      `json:"countEntitled"`
	CountEntitledForProvisioning int64      `json:"countEntitledForProvisioning"`
	CountEscrowed                int64      `json:"countEscrowed"`
	CountEscrowedRaw             int64      `json:"countEscrowedRaw"`
	CountExported                int64      `json:"countExported"`
	CountExports                 int64      `json:"countExports"`
	CountImported                int64      `json:"countImported"`
	CountImportedDeltas          int64      `json:"countImportedDeltas"`
	CountImportedReferenceDeltas int64      `json:"countImportedReferenceDeltas"`
	Error                        *SyncError `json:"error"`
	State                        string     `json:"state"`
	TimeBegan                    Timestamp  `json:"timeBegan"`
	TimeEnded                    Timestamp  `json:"timeEnded"`
}

// Progress is one progress observation of a running job.
type Progress struct {
	CompletedUnits              int64     `json:"completedUnits"`
	TotalUnits                  int64     `json:"totalUnits"`
	Units                       string    `json:"units"`
	ProgressObservationDateTime Timestamp `json:"progressObservationDateTime"`
}

// Quarantine describes why and since when a job is in quarantine.
type Quarantine struct {
	CurrentBegan Timestamp `json:"currentBegan"`
	NextAttempt  Timestamp `json:"nextAttempt"`
	Reason       string    `json:"reason"`
	SeriesBegan  Timestamp `json:"seriesBegan"`
	SeriesCount  int64     `json:"seriesCount"`
	Error        SyncError `json:"error"`
}

// SyncError is a synchronization error (synchronizationError).
type SyncError struct {
	Code             string `json:"code"`
	Message          string `json:"message"`
	TenantActionable bool   `json:"tenantActionable"`
}

// KeyValue is a job setting.
type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// KeyCount is an entry count by object type.
type KeyCount struct {
	Key   string `json:"key"`
	Value int64  `json:"value"`
}

// Timestamp is a Graph synchronization timestamp: UTC with seven fractional
// digits, and "0001-01-01T00:00:00Z" for the zero time ("never").
type Timestamp struct{ time.Time }

// timestampLayout is how Graph writes synchronization timestamps.
const timestampLayout = "2006-01-02T15:04:05.0000000Z"

// never is how Graph writes the zero time.
const never = "0001-01-01T00:00:00Z"

// At returns t as a Timestamp.
func At(t time.Time) Timestamp { return Timestamp{t} }

// String returns the timestamp as Graph writes it.
func (t Timestamp) String() string {
	if t.IsZero() {
		return never
	}
	return t.UTC().Format(timestampLayout)
}

// MarshalJSON writes the timestamp as Graph does.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.String() + `"`), nil
}

// UnmarshalJSON reads a timestamp written by Graph (or any RFC 3339 time).
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 || string(b) == "null" || string(b) == never {
		t.Time = time.Time{}
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return fmt.Errorf("graphsim: timestamp %q: %w", b, err)
	}
	t.Time = v
	return nil
}

// clone returns a deep copy of the job, so that callers never share its
// pointers with the simulator's state.
func (j Job) clone() Job {
	c := j
	if j.Schedule.Expiration != nil {
		e := *j.Schedule.Expiration
		c.Schedule.Expiration = &e
	}
	c.Status.LastExecution = j.Status.LastExecution.clone()
	c.Status.LastSuccessfulExecution = j.Status.LastSuccessfulExecution.clone()
	c.Status.LastSuccessfulExecutionWithExports = j.Status.LastSuccessfulExecutionWithExports.clone()
	if j.Status.Quarantine != nil {
		q := *j.Status.Quarantine
		c.Status.Quarantine = &q
	}
	c.Status.Progress = cloneSlice(j.Status.Progress)
	c.Status.SynchronizedEntryCountByType = cloneSlice(j.Status.SynchronizedEntryCountByType)
	c.Settings = cloneSlice(j.Settings)
	return c
}

func (e *Execution) clone() *Execution {
	if e == nil {
		return nil
	}
	c := *e
	if e.Error != nil {
		se := *e.Error
		c.Error = &se
	}
	return &c
}

// cloneSlice copies s, keeping an empty slice empty (it serializes as [])
// and nil nil.
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

// clone returns a deep copy of the application.
func (a Application) clone() Application {
	c := a
	c.Jobs = make([]Job, len(a.Jobs))
	for i, j := range a.Jobs {
		c.Jobs[i] = j.clone()
	}
	return c
}
