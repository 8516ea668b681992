# syncgate — see README.md. Everything runs through the Go toolchain; no tool
# is installed by hand.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test docs build lint bench clean

## run: the demo — gateway plus simulators on loopback, nothing to configure
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/syncgate demo

## test: vet, then every test with the race detector
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 8m ./...

## docs: regenerate docs/ (swag's Swagger 2.0) and openapi.yaml (OpenAPI 3)
## from the swag annotations in api/; swag and kin-openapi are pinned in go.mod
docs:
	$(GO) run ./internal/contract/docsgen

## build: bin/syncgate
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/syncgate ./cmd/syncgate

## lint: gofmt, go vet, staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## bench: benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
