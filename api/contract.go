package api

import (
	"io/fs"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	swaggerFiles "github.com/swaggo/files/v2"
	httpSwagger "github.com/swaggo/http-swagger/v2"

	"github.com/syncgate/syncgate"
)

// The general information of the OpenAPI contract. swag reads it from this
// file; `make docs` turns it and the annotations on the handlers and types
// of this package into docs/ and openapi.yaml.
//
//	@title			syncgate
//	@version		1.0
//	@description	syncgate starts directory synchronizations safely, without PowerShell and without holding backend credentials:
//	@description	Veeam Backup for Microsoft 365 organization cache syncs (`Start-VBOOrganizationSynchronization`) and
//	@description	Microsoft Graph / Entra ID provisioning jobs (`Start-MgBetaApplicationSynchronizationJob`).
//	@description
//	@description	**Authentication.** Every call except health and documentation needs a JWT bearer token carrying the
//	@description	call's scope (`scp`, `scope` or `roles` claim); the scope names shown are the defaults, which an operator can
//	@description	rename (`SYNCGATE_SCOPE_*`). In `syncgate demo`, choose **Authorize** and paste the printed token; the examples
//	@description	are the demo's seeded organizations and jobs.
//	@description
//	@description	**Starts are guarded.** Before starting, syncgate reads the target's state: a sync or job already running is
//	@description	refused (409, unless `force=true`), a target that cannot be synchronized is refused (422), and a second start
//	@description	within the cooldown is refused (429 with `Retry-After`). `dryRun=true` (PowerShell `-WhatIf`) answers what a
//	@description	start would do without starting anything.
//	@description
//	@description	**Errors** are RFC 9457 `application/problem+json` bodies whose `type` is `urn:syncgate:problem:<slug>`.
//	@description	Every answer carries `X-Request-ID` (the caller's, when it is 1 to 128 printable characters, otherwise a new one).
//	@BasePath		/
//
//	@tag.name			organizations
//	@tag.description	Veeam Backup for Microsoft 365 organizations and their organization cache synchronization.
//	@tag.name			jobs
//	@tag.description	Microsoft Graph synchronization (provisioning) jobs of Entra ID applications.
//	@tag.name			health
//	@tag.description	Liveness and readiness probes.
//	@tag.name			contract
//	@tag.description	This contract and Swagger UI.
//
//	@securityDefinitions.apikey	bearer
//	@in							header
//	@name						Authorization
//	@description				A JWT access token, sent as `Authorization: Bearer <token>`.

// handleOpenAPI answers GET /openapi.yaml: the OpenAPI 3 contract, byte for
// byte as committed.
//
//	@Summary		The OpenAPI 3 contract
//	@ID			getOpenAPI
//	@Description	This document: the OpenAPI 3 description of every route, generated from the gateway's source. Portals
//	@Description	generate clients from it.
//	@Tags			contract
//	@Produce		application/yaml
//	@Success		200	{object}	object	"The contract, as YAML"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/openapi.yaml [get]
func (s *server) handleOpenAPI() http.HandlerFunc {
	doc := syncgate.OpenAPI()
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(doc)
	}
}

// handleSwaggerRedirect answers GET /swagger: Swagger UI lives at /swagger/.
//
//	@Summary	Swagger UI (redirect)
//	@ID			swaggerRedirect
//	@Tags		contract
//	@Success	301	"Swagger UI is at /swagger/"
//	@Header		301	{string}	Location		"/swagger/"
//	@Header		all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router		/swagger [get]
func (s *server) handleSwaggerRedirect() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/swagger/", http.StatusMovedPermanently)
	}
}

// handleSwaggerUI answers GET /swagger/: Swagger UI, showing /openapi.yaml.
//
//	@Summary		Swagger UI
//	@ID			swaggerUI
//	@Description	Explore and try the API in the browser. Every asset is served by the gateway, so it works offline;
//	@Description	**Authorize** takes a bearer token.
//	@Tags			contract
//	@Produce		html
//	@Success		200	{string}	string	"Swagger UI's page"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/swagger/ [get]
func (s *server) handleSwaggerUI() http.HandlerFunc {
	ui := swaggerUI()
	return func(w http.ResponseWriter, r *http.Request) {
		// http-swagger finds the file in RequestURI; the page is served at
		// /swagger/ as at /swagger/index.html.
		r = r.Clone(r.Context())
		r.RequestURI = "/swagger/index.html"
		ui(w, r)
	}
}

// handleSwaggerFile answers GET /swagger/{file}: Swagger UI's files,
// embedded in the binary.
//
//	@Summary		Swagger UI's files
//	@ID			swaggerFile
//	@Description	Swagger UI's page (`index.html`), scripts, style sheets and images, embedded in the gateway.
//	@Tags			contract
//	@Produce		html,application/javascript,text/css,image/png
//	@Param			file	path		string	true	"A file of Swagger UI"	extensions(x-example=swagger-ui-bundle.js)
//	@Success		200		{string}	string	"The file"
//	@Failure		404		{object}	Problem	"No such file (route-not-found)"
//	@Header			all		{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/swagger/{file} [get]
func (s *server) handleSwaggerFile() http.HandlerFunc {
	ui := swaggerUI()
	return func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "file")
		if _, err := fs.Stat(swaggerFiles.FS, name); err != nil {
			s.fail(w, r, newProblem(kindRouteNotFound, "Swagger UI has no file "+strconv.Quote(name)))
			return
		}
		// http-swagger finds the file in RequestURI (a query would confuse
		// it) and rewrites the request's URL: give it a copy, so the access
		// log keeps the path that was asked for.
		r = r.Clone(r.Context())
		r.RequestURI = "/swagger/" + name
		ui(w, r)
	}
}

// swaggerUI is http-swagger's handler, its page pointed at /openapi.yaml.
func swaggerUI() http.HandlerFunc {
	return httpSwagger.Handler(httpSwagger.URL("/openapi.yaml"))
}
