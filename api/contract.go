package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strconv"

	"github.com/go-chi/chi/v5"
	swaggerFiles "github.com/swaggo/files/v2"
	"gopkg.in/yaml.v3"

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
//	@x-ms-visibility	"internal"
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
//	@Summary	Redirect to Swagger UI
//	@Description	Redirects (301) to /swagger/, where Swagger UI is.
//	@ID			swaggerRedirect
//	@x-ms-visibility	"internal"
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

// handleSwaggerUI answers GET /swagger/: Swagger UI, showing the contract.
//
//	@Summary		Swagger UI
//	@ID			swaggerUI
//	@x-ms-visibility	"internal"
//	@Description	Explore and try the API in the browser. Every asset is served by the gateway, so it works offline, and
//	@Description	the contract comes inline with the page, so the operations show as soon as the page has loaded;
//	@Description	**Authorize** takes a bearer token.
//	@Tags			contract
//	@Produce		html
//	@Success		200	{string}	string	"Swagger UI's page"
//	@Header			all	{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/swagger/ [get]
func (s *server) handleSwaggerUI() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeSwaggerFile(w, "index.html", []byte(swaggerPage))
	}
}

// handleSwaggerFile answers GET /swagger/{file}: Swagger UI's files,
// embedded in the binary.
//
//	@Summary		Swagger UI's files
//	@ID			swaggerFile
//	@x-ms-visibility	"internal"
//	@Description	Swagger UI's page (`index.html`), scripts, style sheets and images, embedded in the gateway;
//	@Description	`swagger-initializer.js` starts Swagger UI with this contract inline.
//	@Tags			contract
//	@Produce		html,application/javascript,text/css,image/png
//	@Param			file	path		string	true	"A file of Swagger UI"	extensions(x-example=swagger-ui-bundle.js)
//	@Success		200		{string}	string	"The file"
//	@Failure		404		{object}	Problem	"No such file (route-not-found)"
//	@Header			all		{string}	X-Request-ID	"The request id: the caller's X-Request-ID when acceptable, otherwise a new one"
//	@Router			/swagger/{file} [get]
func (s *server) handleSwaggerFile() http.HandlerFunc {
	initializer, initErr := swaggerInitializer(syncgate.OpenAPI())
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		name := chi.URLParam(r, "file")
		switch name {
		case "index.html":
			writeSwaggerFile(w, name, []byte(swaggerPage))
			return nil
		case "swagger-initializer.js":
			if initErr != nil {
				return initErr
			}
			writeSwaggerFile(w, name, initializer)
			return nil
		}
		data, err := fs.ReadFile(swaggerFiles.FS, name)
		if err != nil {
			return newProblem(kindRouteNotFound, "Swagger UI has no file "+strconv.Quote(name))
		}
		writeSwaggerFile(w, name, data)
		return nil
	})
}

// swaggerTypes are the content types of Swagger UI's files.
var swaggerTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "application/javascript",
	".css":  "text/css; charset=utf-8",
	".png":  "image/png",
	".map":  "application/json",
}

func writeSwaggerFile(w http.ResponseWriter, name string, data []byte) {
	ct, ok := swaggerTypes[path.Ext(name)]
	if !ok {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(data)
}

// swaggerPage is Swagger UI's page. Its scripts load in order, before
// anything else, and swagger-initializer.js carries the contract inline, so
// Swagger UI renders the operations as soon as the scripts have run: it
// fetches nothing and waits for nothing (no window.onload).
const swaggerPage = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>syncgate — Swagger UI</title>
  <link rel="stylesheet" type="text/css" href="./swagger-ui.css">
  <link rel="icon" type="image/png" href="./favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="./favicon-16x16.png" sizes="16x16">
  <style>body { margin: 0; background: #fafafa; }</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="./swagger-ui-bundle.js"></script>
<script src="./swagger-initializer.js"></script>
</body>
</html>
`

// swaggerInitializer is the script that starts Swagger UI with the contract
// (openapi.yaml, as JSON in the same key order) inline.
func swaggerInitializer(openapiYAML []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		return nil, fmt.Errorf("api: read openapi.yaml: %w", err)
	}
	var spec bytes.Buffer
	if err := writeJSON(&spec, &doc); err != nil {
		return nil, fmt.Errorf("api: openapi.yaml as JSON: %w", err)
	}
	return fmt.Appendf(nil, `// Starts Swagger UI with syncgate's contract, the same as /openapi.yaml.
window.ui = SwaggerUIBundle({
  spec: %s,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
`, spec.Bytes()), nil
}

// writeJSON writes a YAML node as JSON, keeping the order of mapping keys.
// encoding/json escapes <, > and &, so the result is safe inside a script.
func writeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("a document of %d nodes", len(n.Content))
		}
		return writeJSON(b, n.Content[0])
	case yaml.AliasNode:
		return writeJSON(b, n.Alias)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(n.Content[i].Value)
			b.Write(key)
			b.WriteByte(':')
			if err := writeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, c); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(data)
	default:
		return fmt.Errorf("unexpected YAML node kind %d", n.Kind)
	}
	return nil
}
