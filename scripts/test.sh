#!/usr/bin/env bash
# The project's test command: the README gives it, `make test` and .ci/run
# call it. Installs Azurite (npm) for the Table Storage tests, checks
# formatting and vet, builds with the race detector, then runs every test.
#
# Each phase prints a line when it starts and one with its time when it
# ends, and a long phase says every minute that it is still running: the
# first run on a machine with an empty Go build cache spends ~10 of its
# ~16 minutes compiling msgraph-sdk-go with -race, which prints nothing
# by itself. Arguments are passed to `go test` (e.g. -run, -short).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
ticker=
trap '[ -z "$ticker" ] || kill "$ticker" 2>/dev/null || true' EXIT

# phase NAME HINT COMMAND...: runs COMMAND as one announced, timed phase.
phase() {
	local name=$1 hint=$2 t0 rc=0
	shift 2
	t0=$(date +%s)
	echo "==> $name${hint:+ ($hint)}"
	# sleep gets /dev/null, not our stdout: killing the loop leaves it
	# running for up to a minute, and it must not hold a pipe open (e.g.
	# ./scripts/test.sh | tee log would wait for it).
	(while sleep 60 </dev/null >/dev/null 2>&1; do echo "    ... $name still running ($(($(date +%s) - t0))s)"; done) &
	ticker=$!
	"$@" || rc=$?
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	ticker=
	if [ "$rc" -ne 0 ]; then
		echo "==> $name FAILED after $(($(date +%s) - t0))s (exit $rc)" >&2
		exit "$rc"
	fi
	echo "==> $name done in $(($(date +%s) - t0))s"
}

# fmt_vet: gofmt must change nothing, go vet must find nothing.
fmt_vet() {
	local unformatted
	unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*'))
	if [ -n "$unformatted" ]; then
		echo "gofmt would change:" >&2
		echo "$unformatted" >&2
		return 1
	fi
	go vet ./...
}

phase "install Azurite" "npm, into .tools/; skipped when present" ./scripts/install-azurite.sh
phase "gofmt, go vet" "" fmt_vet
# Compiling every package with -race before running anything keeps the
# long, silent part of a cold run in one announced phase; the test phase
# reuses the build cache and compiles only the test files.
phase "build" "go build -race ./...: ~10-15 min with a cold Go build cache (msgraph-sdk-go), seconds when warm" \
	go build -race ./...
# Tables tests must run against Azurite here, never skip.
phase "test" "go test -race ./...; links one binary per package, then prints a line per package" \
	env ONBOARD_REQUIRE_AZURITE=1 go test -race -count=1 -timeout 30m "$@" ./...
echo "==> all phases passed in $(($(date +%s) - started))s"
