// Package graphsim simulates the Microsoft Graph synchronization-jobs API and
// the Entra ID login host that issues its app-only tokens, from the wire
// facts in shared/wire/graph.md. Tests, `syncgate demo` and benchmarks run
// the Graph adapter against them; they are strict, so that an adapter that
// gets the wire wrong fails here rather than in production.
//
// # Login host (NewLogin)
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration   LoginRouteOpenIDConfiguration
//	GET  /{tenant}/discovery/v2.0/keys                      LoginRouteKeys (empty: tokens are opaque)
//	POST /{tenant}/oauth2/v2.0/token                        LoginRouteToken
//
// The OpenID configuration points at the host's own base URL (learnt from
// the request, or LoginOptions.BaseURL). This is all MSAL (under azidentity)
// reads when instance discovery is off: the v2.0 configuration, then the
// token endpoint. The token endpoint grants client_credentials only, to a
// registered Client, with client_secret or a client_assertion JWT (PS256 or
// RS256, signed by the client's certificate named by x5t#S256 or x5t, aud
// the token endpoint, iss = sub = client_id, exp within five minutes of
// skew). The scope must be one allowed resource's /.default (MSAL's added
// openid, profile and offline_access are ignored). Errors have Entra's
// shape and AADSTS codes: 90002 unknown tenant, 900144 missing parameter,
// 70003 grant type, 700016 unknown client (400 unauthorized_client),
// 7000215 bad secret, 7000216 no credential, 700027 bad or unknown
// signing key, 700024 assertion time range, 700023 audience, 700021
// issuer/subject (401 invalid_client), 70011/28000/1002012 scope (400
// invalid_scope), 500011 unknown resource (400 invalid_resource).
//
// # Graph (New)
//
//	GET  /{ver}/applications/{id}[?$select=appId]            RouteGetApplication
//	GET  /{ver}/servicePrincipals(appId='{appId}')           RouteServicePrincipalByAppID
//	GET  /{ver}/{root}/{id}/synchronization/jobs             RouteListJobs
//	GET  /{ver}/{root}/{id}/synchronization/jobs/{jobId}     RouteGetJob
//	POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/start    RouteStartJob
//	POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/pause    RoutePauseJob
//	POST /{ver}/{root}/{id}/synchronization/jobs/{jobId}/restart  RouteRestartJob
//
// {ver} is beta or v1.0; {root}/{id} is applications/{application object
// id} or servicePrincipals/{service principal object id}. Each Route*
// constant is one ServeMux pattern covering both versions and both roots,
// so a fault set on it hits the operation however it is addressed.
//
// Every request needs "Authorization: Bearer <token>" from the Login
// sharing its Tokens, issued for the Graph resource (GraphOptions.Audience),
// unexpired by the login's clock; otherwise 401 InvalidAuthenticationToken.
// Reads need Synchronization.Read.All or .ReadWrite.All (applications and
// service principals: Application.Read.All or .ReadWrite.All); start,
// pause and restart need Synchronization.ReadWrite.All; otherwise 403
// Authorization_RequestDenied. Every answer carries request-id,
// client-request-id and x-ms-ags-diagnostic; errors are
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
// A malformed object id is 400 Request_BadRequest, an unknown application or
// service principal 404 Request_ResourceNotFound, an unknown job 404
// ResourceNotFound; a path with an empty, "." or ".." segment (also
// percent-encoded) is 400 BadRequest and never reaches a route; a job id is
// one whole segment decoded once, so "%2F" in it names no other resource.
//
// Start moves Paused, Quarantine and NotRun to Active and clears the
// quarantine; on NotConfigured it is 400 BadRequest; on Active it is 204
// and changes nothing (the real answer is undocumented) but is counted by
// StartsWhileActive. Pause makes a configured job Paused. Restart makes it
// Active, lifting a quarantine only when resetScope has QuarantineState or
// Full. Faults without a code answer 429 TooManyRequests, 503
// serviceNotAvailable, 504 gatewayTimeout (with Retry-After when set).
//
// # Seed (Seed, used when GraphOptions.Applications is nil)
//
// Tenant SeedTenantID; job ids are <templateId>.<32 hex>.<tenant id>.
//
//	application              object id / appId / service principal    job (status)
//	AWS IAM Identity Center  AWSObjectID / AWSAppID / AWSServicePrincipalID                 AWSJobID (Paused)
//	ServiceNow               ServiceNowObjectID / ServiceNowAppID / ServiceNowServicePrincipalID  ServiceNowJobID (Quarantine)
//	Salesforce               SalesforceObjectID / SalesforceAppID / SalesforceServicePrincipalID  SalesforceJobID (NotRun)
//	Slack                    SlackObjectID / SlackAppID / SlackServicePrincipalID           SlackJobID (Active)
//	Dropbox Business         DropboxObjectID / DropboxAppID / DropboxServicePrincipalID     DropboxJobID (NotConfigured)
//	Contoso HR Portal        HRPortalObjectID / HRPortalAppID / HRPortalServicePrincipalID  none
package graphsim
