# b2b-onboarding — the targets the README uses. Everything else is `go`.
GO ?= go

.PHONY: install build package test settings-table test-live

# install: `onboard` into $(go env GOBIN), else $(go env GOPATH)/bin — the
# README's first command, so `onboard dev` and the banner's `try:` lines
# run as written. Says how to put that folder on PATH when it is not.
install:
	$(GO) install ./cmd/onboard
	@bin=$$($(GO) env GOBIN); [ -n "$$bin" ] || bin=$$($(GO) env GOPATH)/bin; \
	echo "installed $$bin/onboard"; \
	case ":$$PATH:" in *":$$bin:"*) ;; *) echo "$$bin is not on your PATH; add it: export PATH=\"$$bin:\$$PATH\"";; esac

# build: the onboard binary for this machine (serve, dev, send, dlq, status, graphsim).
build:
	$(GO) build -o onboard ./cmd/onboard

# package: dist/onboard.zip for Azure Functions — handler (linux/amd64, static),
# host.json and every functions/<Name>/ folder at the root. Needs only Go.
package:
	$(GO) run ./scripts/package -o dist/onboard.zip

# test: the same script the README gives.
test:
	./scripts/test.sh

# settings-table: the README "## Configuration" table, generated from config.Settings.
settings-table:
	$(GO) run ./deploytest/gen

# test-live: tests against a real subscription/tenant (docs/deploy.md, "Live tests").
test-live:
	$(GO) test -tags live -run Live -v -count=1 ./deploytest/
