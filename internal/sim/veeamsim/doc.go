// Package veeamsim simulates the Veeam Backup for Microsoft 365 REST API v8
// as far as syncgate uses it: authentication, organizations and organization
// cache synchronization. It is written from shared/wire/veeam.md only and is
// strict where those facts are definite. Serve it over TLS with
// sim.CA.StartTLS(veeamsim.New(opts)); move a sim.FakeClock to make tokens
// expire and syncs progress.
//
// # Routes
//
//	POST /v8/token                                      RouteToken: password and refresh_token grants
//	POST /v8/token/logout                               RouteLogout: 204, revokes the token pair
//	GET  /v8/Organizations?limit=&offset=&extendedView= RouteOrganizations: v8 page
//	GET  /v8/Organizations/{organizationId}             RouteOrganization
//	POST /v8/Organizations/{organizationId}/Sync        RouteSync: 204, starts a cache sync
//	GET  /v8/Organizations/{organizationId}/SyncState   RouteSyncState
//	GET  /v8/Organizations/SyncState                    RouteSyncStates: bare array, every organization
//
// Token requests are application/x-www-form-urlencoded or JSON (else 415).
// grant_type=password checks Options.Username/Password (else 400 "Invalid
// username or password.", errorCode null). grant_type=refresh_token needs
// disable_antiforgery_token=true (the simulator has no antiforgery cookie;
// else 400) and a live refresh token, which it rotates. Access tokens live
// Options.TokenLifetime, refresh tokens 14 days, both by Options.Clock.
// Every other route needs "Authorization: Bearer <access token>", else 401
// "Authorization has been denied for this request.".
//
// Paging: limit 1..10000 (default 30), offset >= 0, extendedView true|false;
// anything else is 400 ParameterValidationFailure. An organization id that
// is not a GUID is 400 ParameterValidationFailure; an unknown one is 404
// ResourceNotFound. Paths are case-sensitive, spelt as in the reference.
//
// POST Sync needs Content-Type application/json (else 415) and a JSON object
// body (empty or null: 400; {} starts an Incremental sync of every part).
// "type": Incremental|Full|null; "parts": null or an array of Users, Groups,
// GroupMembers, Sites, Mailboxes (case-insensitive; [] means every part).
// Anything else is 400 ParameterValidationFailure. An organization without
// modern app-only authentication is 400 ParameterValidationFailure with
// MsgAppOnlyRequired. While a sync is Queued or Running the answer is 409
// OperationConflict, or with Options.AcceptWhileBusy 204 keeping the
// existing sync. A started sync is Queued (scheduledTime now), Running after
// Options.QueueDelay (startTime set), and after Options.RunDuration becomes
// lastSyncState with result Success (Error for an organization with FailWith)
// and currentSyncState null. State is derived from the clock when read.
//
// Every error body is RESTExceptionInfo {"message","errorCode","stackTrace"};
// errorCode is null for token and authorization errors; stackTrace is null
// except on 5xx answers, which carry a fake .NET stack trace. Unmatched paths
// answer 404 and wrong methods 405 in the same shape. Faults (sim.Fault) are
// switched per route with Server.Faults and the Route* constants.
//
// # Seed (SeedOrganizations, used when Options.Organizations is nil)
//
//	ContosoID    Office365, app-only, never synced (lastSyncState null)
//	FabrikamID   Office365, app-only, last Full sync Success an hour before New
//	NorthwindID  Office365, basic auth (useApplicationOnlyAuth false): start refused, 400
//	WoodgroveID  Office365, app-only, Full sync Running for ever (Stuck): start is 409
//	TailspinID   Hybrid, app-only, last sync Error; its syncs end in Error (FailWith)
//	LitwareID    OnPremises, online settings null: start refused, 400
//
// Test hooks: SyncStarts, SyncCalls, TokenGrants, LastSyncRequest,
// ExpireAccessTokens, SetSync and SetStuck.
package veeamsim
