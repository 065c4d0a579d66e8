#!/usr/bin/env bash
# The project's test command: the README gives it, `make test` and .ci/run
# call it. Installs Azurite (npm) for the Table Storage tests, checks
# formatting and vet, then runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-azurite.sh

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
# Tables tests must run against Azurite here, never skip.
ONBOARD_REQUIRE_AZURITE=1 go test -race -count=1 -timeout 30m "$@" ./...
