#!/bin/sh
# Installs Azurite (the Azure Storage emulator; the tests use its Table
# service) into <repo>/.tools, where internal/azurite finds it.
# Idempotent: does nothing when the pinned version is already there.
# Needs node and npm (any node >= 20; Azurite 3.37 asks for 22 but runs on 20).
set -eu
version=3.37.0
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/.tools
installed=$tools/node_modules/azurite/package.json
if [ -f "$installed" ] && grep -q "\"version\": \"$version\"" "$installed" && [ -e "$tools/node_modules/.bin/azurite-table" ]; then
	echo "azurite $version already installed in $tools"
	exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "install-azurite: npm not found; install Node.js first" >&2; exit 1; }
mkdir -p "$tools"
npm install --prefix "$tools" --no-audit --no-fund --save-exact "azurite@$version"
"$tools/node_modules/.bin/azurite-table" --version >/dev/null
echo "azurite $version installed in $tools"
