package api

import "github.com/go-chi/chi/v5"

// addRoutes lists every route of the gateway.
func addRoutes(r chi.Router, s *server) {
	r.Get("/healthz", s.handleHealthz())
	r.Get("/readyz", s.handleReadyz())
	r.Get("/metrics", s.handleMetrics())
	r.Get("/openapi.yaml", s.handleOpenAPI())
	r.Get("/swagger", s.handleSwaggerRedirect())
	r.Get("/swagger/", s.handleSwaggerUI())
	r.Get("/swagger/{file}", s.handleSwaggerFile())

	r.Group(func(r chi.Router) {
		r.Use(s.Auth.Authenticate(s.fail))

		r.With(s.scope(s.Scopes.OrganizationsRead)).Get("/organizations", s.handleListOrganizations())
		r.With(s.scope(s.Scopes.OrganizationsSync)).Post("/organizations/sync", s.handleBulkSync())
		r.With(s.scope(s.Scopes.OrganizationsRead)).Get("/organizations/sync", s.handleListSyncStates())
		r.With(s.scope(s.Scopes.OrganizationsRead)).Get("/organizations/{organizationId}", s.handleGetOrganization())
		r.With(s.scope(s.Scopes.OrganizationsSync)).Post("/organizations/{organizationId}/sync", s.handleStartSync())
		r.With(s.scope(s.Scopes.OrganizationsRead)).Get("/organizations/{organizationId}/sync", s.handleGetSync())

		r.With(s.scope(s.Scopes.SyncJobsRead)).Get("/applications/{applicationId}/jobs", s.handleListJobs())
		r.With(s.scope(s.Scopes.SyncJobsRead)).Get("/applications/{applicationId}/jobs/{jobId}", s.handleGetJob())
		r.With(s.scope(s.Scopes.SyncJobsStart)).Post("/applications/{applicationId}/jobs/{jobId}/start", s.handleStartJob())
		r.With(s.scope(s.Scopes.SyncJobsManage)).Post("/applications/{applicationId}/jobs/{jobId}/pause", s.handlePauseJob())
		r.With(s.scope(s.Scopes.SyncJobsManage)).Post("/applications/{applicationId}/jobs/{jobId}/restart", s.handleRestartJob())
	})
}
