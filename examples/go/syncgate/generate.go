// Package syncgate is a typed client of the syncgate API, generated from
// openapi.yaml by oapi-codegen (client.gen.go; oapi-codegen.yaml configures
// it). Never edit client.gen.go: `make docs` regenerates it with the
// version pinned below, and `make test` fails when it is stale.
package syncgate

//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml ../../../openapi.yaml
