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
echo "installing azurite $version from npm into $tools (about a minute)"
# Azurite 3.37 and a few of its dependencies declare node >= 22; the Table
# service the tests use runs on node 20, so npm's EBADENGINE warnings (five
# blocks, 25 lines) are replaced by this one note. Anything else npm says
# is shown; on a failure, all of it.
case $(node --version 2>/dev/null) in
v2[01].*) echo "note: node $(node --version) is older than the >= 22 Azurite declares; it runs on it, npm's EBADENGINE warnings are hidden" ;;
esac
log=$(mktemp)
if ! npm install --prefix "$tools" --no-audit --no-fund --save-exact "azurite@$version" >"$log" 2>&1; then
	cat "$log" >&2
	rm -f "$log"
	exit 1
fi
grep -v 'EBADENGINE' "$log" || true
rm -f "$log"
"$tools/node_modules/.bin/azurite-table" --version >/dev/null
echo "azurite $version installed in $tools"
