#!/bin/sh
# Runs Azurite's Table service in the foreground on 127.0.0.1:10002 (the
# port UseDevelopmentStorage=true points to), keeping data in
# <repo>/.azurite, so `onboard serve` with STATE_STORE=tables and
# AzureWebJobsStorage=UseDevelopmentStorage=true works locally.
# Tests do not need this: they start their own Azurite.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(command -v azurite-table || echo "$root/.tools/node_modules/.bin/azurite-table")
[ -x "$bin" ] || "$root/scripts/install-azurite.sh"
bin=$(command -v azurite-table || echo "$root/.tools/node_modules/.bin/azurite-table")
mkdir -p "$root/.azurite"
exec "$bin" --tableHost 127.0.0.1 --tablePort "${AZURITE_TABLE_PORT:-10002}" \
	--location "$root/.azurite" --skipApiVersionCheck --disableTelemetry "$@"
