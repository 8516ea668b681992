# syncgate — see README.md. Everything runs through the Go toolchain; no tool
# is installed by hand.
GO      ?= go
# The version stamped into binaries and images: the semantic version tag
# (vX.Y.Z) on the commit, or the nearest one with the commits since and the
# commit (v0.1.0-3-gabc1234), -dirty for uncommitted changes; v0.0.0-0-g<commit>
# before the first tag.
VERSION ?= $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null || \
             (c=$$(git describe --always --dirty 2>/dev/null) && echo v0.0.0-0-g$$c) || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Release binaries: static, no local paths, no symbol table or debug information.
RELEASE_PLATFORMS := linux/amd64 linux/arm64
RELEASE_DIR       := bin/release
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test docs build lint bench clean image release fuzz examples-test

## run: the demo — gateway plus simulators on loopback, nothing to configure
run:
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/syncgate demo

## test: vet, then every test with the race detector; then the deploy module
## (deploy/go.mod, in a workspace with the gateway's module: the image and Helm
## chart tests, which keep the Kubernetes API types, and helm, pinned in
## deploy/tools/go.mod, out of the gateway's go.mod). Those tests only run
## commands and decode their output, so they run without the race detector,
## which would compile the Kubernetes libraries again.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 8m ./...
	cd deploy && $(GO) vet ./...
	cd deploy && $(GO) test -count=1 -timeout 8m ./...

## examples-test: the client examples of examples/ against a demo, each with
## its real tool (cmd/syncgate's TestExamples, build tag examples): the
## TypeScript portal script (npm ci from package-lock.json, types generated
## from openapi.yaml, type-checked, run with Node as a page on an allowed
## origin would, CORS included), the Go example with go run, and the Ansible
## playbook (ansible-playbook, run twice: the rerun changes nothing); then the
## generated Go client is regenerated and compared. Needs node, npm and
## ansible-playbook (.ci/run installs Debian's nodejs, npm and ansible-core).
examples-test:
	$(GO) vet -tags examples ./cmd/syncgate
	$(GO) test -count=1 -timeout 10m -tags examples -run '^TestExamples$$' ./cmd/syncgate
	$(GO) test -count=1 -run '^TestClientIsFresh$$' ./examples/go/syncgate

## fuzz: every native fuzz target for FUZZTIME each (default 30s; FUZZTIME=10m
## for a long run). A crash is written to the package's testdata/fuzz, where
## it stays as a regression case that `make test` runs.
FUZZTIME ?= 30s
FUZZ_TARGETS := ./api:FuzzBody ./api:FuzzQuery ./api:FuzzPathIDs ./api:FuzzProblem \
	./internal/auth:FuzzClaims ./internal/upstream:FuzzParseRetryAfter
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

## docs: regenerate docs/ (swag's Swagger 2.0) and openapi.yaml (OpenAPI 3)
## from the swag annotations in api/ (swag and kin-openapi are pinned in
## go.mod), then the Go client generated from openapi.yaml
## (examples/go/syncgate, oapi-codegen pinned in its generate.go)
docs:
	$(GO) run ./internal/contract/docsgen
	$(GO) generate ./examples/go/syncgate

## build: bin/syncgate
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/syncgate ./cmd/syncgate

## image: the container image (Containerfile) built with buildah, no registry
## needed, saved as bin/syncgate-$(VERSION).oci.tar; see deploy/image/build.sh
image:
	VERSION=$(VERSION) GO=$(GO) ./deploy/image/build.sh

## release: static binaries for each of RELEASE_PLATFORMS, each in a .tar.gz
## with LICENSE, README.md and CHANGELOG.md, the Helm chart packaged at the
## same version, and SHA256SUMS, in bin/release/$(VERSION)/; see deploy/release.sh
release:
	VERSION=$(VERSION) GO=$(GO) PLATFORMS="$(RELEASE_PLATFORMS)" OUT=$(RELEASE_DIR)/$(VERSION) ./deploy/release.sh

## lint: gofmt, go vet, staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## bench: the Go benchmarks of the hot path (-benchmem), then the load run
## (bench/run): backend, syncgate and the baseline proxy driven with wrk,
## interleaved and repeated; writes BENCHMARKS.md and bench/results/ (about
## 8 minutes). Installs Debian's wrk when it is missing. BENCHFLAGS passes
## flags to the runner (go run ./bench/run -h), such as
## BENCHFLAGS="-duration 5s -rounds 1" for a quick check.
BENCHFLAGS ?=
bench:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ]; then \
	    echo "installing Debian's wrk"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; \
	  else echo "wrk is missing and this user cannot install it: apt-get install wrk" >&2; exit 1; fi; }
	$(GO) run ./bench/run $(BENCHFLAGS)

clean:
	rm -rf bin
