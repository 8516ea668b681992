package graphsim

import "time"

// The seeded tenant and the client id a demo or test usually registers with
// the login host.
const (
	SeedTenantID = "659a124b-fc8f-4243-9003-8e142f39e54f"
	SeedClientID = "981d4be6-21eb-47fe-9ccd-91fcf12076a7"
)

// AWS IAM Identity Center (AWS SSO): one job, Paused.
const (
	AWSObjectID           = "fab5eedc-6d3f-4a3e-8200-b1d41eebf6c3"
	AWSAppID              = "6fe22bd4-779e-4ef2-84ca-7a8fa25a94f9"
	AWSServicePrincipalID = "228677e6-4e7c-456b-96c1-c7aa7c6720ed"
	AWSJobID              = "aWSSingleSignon.e9ff0643b9f2e298af6702760319d135." + SeedTenantID
)

// ServiceNow: one job, in Quarantine (the target rejects the admin credentials).
const (
	ServiceNowObjectID           = "1485d707-04d2-4e47-b855-dacb67cd3a4f"
	ServiceNowAppID              = "7db7078a-78a5-4e38-844a-092df89ec72a"
	ServiceNowServicePrincipalID = "e2466e3b-3926-4bf5-8def-fe9a4ab19549"
	ServiceNowJobID              = "serviceNow.d08fef9d5763c0437d03a6dc7d7d8635." + SeedTenantID
)

// Salesforce: one job, NotRun (configured, never started).
const (
	SalesforceObjectID           = "ae383ed6-bbb4-4d33-8a6b-5e4d498b6937"
	SalesforceAppID              = "5919b2dd-8bf5-4c1e-acbf-2f4c9d425f84"
	SalesforceServicePrincipalID = "e38c2eb6-8d04-4a27-8e60-c327ed4ddbf4"
	SalesforceJobID              = "salesforce.3f2e93e01c0022fc1f7807219a8a9eaf." + SeedTenantID
)

// Slack: one job, Active.
const (
	SlackObjectID           = "6cf4a883-0e07-4115-8fe6-1d273093a045"
	SlackAppID              = "3d2a547c-c5f5-4119-b4b9-6f19459f7842"
	SlackServicePrincipalID = "89df51c0-1387-4cba-bf9c-d3d9a00aaa8c"
	SlackJobID              = "slack.47d61dd2a5dcfbbcdcf7e43ce10f5082." + SeedTenantID
)

// Dropbox Business: one job, NotConfigured (no admin credentials saved).
const (
	DropboxObjectID           = "317ddc48-a55e-46dd-96c8-676b40a7ed4d"
	DropboxAppID              = "7f65dde7-1029-4d5f-a296-7e6e27e9c243"
	DropboxServicePrincipalID = "906f393a-143f-49c3-8401-932cd2b5d9d3"
	DropboxJobID              = "dropboxforbusiness.6c673113eb69fca2dc27a94691196751." + SeedTenantID
)

// HR Portal: an application without provisioning (no jobs).
const (
	HRPortalObjectID           = "a67f6ebd-0bd4-4e20-af3d-fb98cbc2cb35"
	HRPortalAppID              = "54cb4f57-6e2b-4f7f-a4c3-726481e641c1"
	HRPortalServicePrincipalID = "fbf54155-365c-4b1b-8970-f060afc6e4ff"
)

// Seed returns a fresh copy of the seeded applications (see the package
// documentation). Its timestamps are fixed, so bodies are reproducible.
func Seed() []Application {
	at := func(s string) Timestamp {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic("graphsim: bad seed time " + s) // a constant below is wrong
		}
		return Timestamp{t}
	}
	succeeded := func(activity, began, ended string, imported, exported int64) *Execution {
		return &Execution{
			ActivityIdentifier: activity, CountEntitled: imported, CountEntitledForProvisioning: imported,
			CountExported: exported, CountExports: exported, CountImported: imported, CountImportedDeltas: imported,
			State: "Succeeded", TimeBegan: at(began), TimeEnded: at(ended),
		}
	}
	users := func(n, groups int64) []KeyCount {
		return []KeyCount{{Key: "user to User", Value: n}, {Key: "group to Group", Value: groups}}
	}
	settings := func(extra ...KeyValue) []KeyValue {
		return append([]KeyValue{{Name: "Domain", Value: "contoso.com"}}, extra...)
	}
	return []Application{
		{
			ObjectID: AWSObjectID, AppID: AWSAppID, ServicePrincipalID: AWSServicePrincipalID,
			DisplayName: "AWS IAM Identity Center",
			Jobs: []Job{{
				ID: AWSJobID, TemplateID: "aWSSingleSignon",
				Schedule: Schedule{Interval: "PT40M", State: SchedulePaused},
				Status: JobStatus{
					Code:                               StatusPaused,
					LastExecution:                      succeeded("bd1f3b5b-1a2c-4a67-8c1e-52c1a3e0b7d4", "2025-06-02T07:20:11.4168732Z", "2025-06-02T07:21:03.0963315Z", 184, 3),
					LastSuccessfulExecution:            succeeded("bd1f3b5b-1a2c-4a67-8c1e-52c1a3e0b7d4", "2025-06-02T07:20:11.4168732Z", "2025-06-02T07:21:03.0963315Z", 184, 3),
					LastSuccessfulExecutionWithExports: succeeded("bd1f3b5b-1a2c-4a67-8c1e-52c1a3e0b7d4", "2025-06-02T07:20:11.4168732Z", "2025-06-02T07:21:03.0963315Z", 184, 3),
					Progress:                           []Progress{},
					SteadyStateFirstAchievedTime:       at("2025-03-11T14:02:37.3391004Z"),
					SteadyStateLastAchievedTime:        at("2025-06-02T07:21:03.0963315Z"),
					SynchronizedEntryCountByType:       users(184, 12),
				},
				Settings: settings(KeyValue{Name: "QuarantineTooManyDeletesThreshold", Value: "500"}),
			}},
		},
		{
			ObjectID: ServiceNowObjectID, AppID: ServiceNowAppID, ServicePrincipalID: ServiceNowServicePrincipalID,
			DisplayName: "ServiceNow",
			Jobs: []Job{{
				ID: ServiceNowJobID, TemplateID: "serviceNow",
				Schedule: Schedule{Interval: "PT40M", State: ScheduleActive},
				Status: JobStatus{
					Code:                            StatusQuarantine,
					CountSuccessiveCompleteFailures: 3,
					LastExecution: &Execution{
						ActivityIdentifier: "0c4f6c2e-58b8-4d0b-9a9b-7d1c2f3a9e11",
						Error: &SyncError{
							Code:             "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
							Message:          "We are unable to authenticate against ServiceNow: the admin credentials were rejected (HTTP 401).",
							TenantActionable: true,
						},
						State: "Failed", TimeBegan: at("2025-06-02T06:40:02.7710561Z"), TimeEnded: at("2025-06-02T06:40:04.1029874Z"),
					},
					LastSuccessfulExecution:            succeeded("5e0d2b1a-9f7c-4e3d-8b2a-1c0f9e8d7c6b", "2025-05-30T18:00:41.9037712Z", "2025-05-30T18:01:55.2210045Z", 912, 27),
					LastSuccessfulExecutionWithExports: succeeded("5e0d2b1a-9f7c-4e3d-8b2a-1c0f9e8d7c6b", "2025-05-30T18:00:41.9037712Z", "2025-05-30T18:01:55.2210045Z", 912, 27),
					Progress:                           []Progress{},
					Quarantine: &Quarantine{
						CurrentBegan: at("2025-06-01T09:12:30.5512098Z"),
						NextAttempt:  at("2025-06-02T09:12:30.5512098Z"),
						Reason:       "EncounteredQuarantineException",
						SeriesBegan:  at("2025-05-31T21:40:02.0087113Z"),
						SeriesCount:  3,
						Error: SyncError{
							Code:             "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
							Message:          "We are unable to authenticate against ServiceNow: the admin credentials were rejected (HTTP 401).",
							TenantActionable: true,
						},
					},
					SteadyStateFirstAchievedTime: at("2024-11-19T10:31:07.1180362Z"),
					SteadyStateLastAchievedTime:  at("2025-05-30T18:01:55.2210045Z"),
					SynchronizedEntryCountByType: users(912, 40),
				},
				Settings: settings(),
			}},
		},
		{
			ObjectID: SalesforceObjectID, AppID: SalesforceAppID, ServicePrincipalID: SalesforceServicePrincipalID,
			DisplayName: "Salesforce",
			Jobs: []Job{{
				ID: SalesforceJobID, TemplateID: "salesforce",
				Schedule: Schedule{Interval: "PT40M", State: ScheduleDisabled},
				Status: JobStatus{
					Code:                         StatusNotRun,
					Progress:                     []Progress{},
					SynchronizedEntryCountByType: []KeyCount{},
				},
				Settings: settings(),
			}},
		},
		{
			ObjectID: SlackObjectID, AppID: SlackAppID, ServicePrincipalID: SlackServicePrincipalID,
			DisplayName: "Slack",
			Jobs: []Job{{
				ID: SlackJobID, TemplateID: "slack",
				Schedule: Schedule{Interval: "PT40M", State: ScheduleActive},
				Status: JobStatus{
					Code:                               StatusActive,
					LastExecution:                      succeeded("a3b9c1d2-7e6f-4a5b-9c8d-0e1f2a3b4c5d", "2025-06-02T07:55:18.2204417Z", "2025-06-02T07:56:40.8817236Z", 1530, 41),
					LastSuccessfulExecution:            succeeded("a3b9c1d2-7e6f-4a5b-9c8d-0e1f2a3b4c5d", "2025-06-02T07:55:18.2204417Z", "2025-06-02T07:56:40.8817236Z", 1530, 41),
					LastSuccessfulExecutionWithExports: succeeded("a3b9c1d2-7e6f-4a5b-9c8d-0e1f2a3b4c5d", "2025-06-02T07:55:18.2204417Z", "2025-06-02T07:56:40.8817236Z", 1530, 41),
					Progress: []Progress{{
						CompletedUnits: 1530, TotalUnits: 1530, Units: "Entries",
						ProgressObservationDateTime: at("2025-06-02T07:56:40.8817236Z"),
					}},
					SteadyStateFirstAchievedTime: at("2024-08-05T12:14:51.6630529Z"),
					SteadyStateLastAchievedTime:  at("2025-06-02T07:56:40.8817236Z"),
					SynchronizedEntryCountByType: users(1530, 88),
				},
				Settings: settings(),
			}},
		},
		{
			ObjectID: DropboxObjectID, AppID: DropboxAppID, ServicePrincipalID: DropboxServicePrincipalID,
			DisplayName: "Dropbox Business",
			Jobs: []Job{{
				ID: DropboxJobID, TemplateID: "dropboxforbusiness",
				Schedule: Schedule{Interval: "PT40M", State: ScheduleDisabled},
				Status: JobStatus{
					Code:                         StatusNotConfigured,
					Progress:                     []Progress{},
					SynchronizedEntryCountByType: []KeyCount{},
				},
				Settings: []KeyValue{},
			}},
		},
		{
			ObjectID: HRPortalObjectID, AppID: HRPortalAppID, ServicePrincipalID: HRPortalServicePrincipalID,
			DisplayName: "Contoso HR Portal",
			Jobs:        []Job{},
		},
	}
}
