#!/usr/bin/env bash
# The issue-13 benchmark harness: prints each figure with its goal and a
# baseline measured in the same run (see bench/main.go). Not part of
# scripts/test.sh beyond bench's round-trip smoke test. Takes ~3 minutes;
# `scripts/bench.sh -quick` is a smoke run of every part.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench "$@"
