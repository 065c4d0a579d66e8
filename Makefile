# b2b-onboarding — the three targets the README uses. Everything else is `go`.
GO ?= go

.PHONY: build package test settings-table test-live

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
