#!/bin/sh
# Build the lbnet addon with node-gyp against the running Node's own headers (no download),
# incrementally: configure once, then make.
set -e
cd "$(dirname "$0")"
nodedir=$(node -p "require('path').resolve(process.execPath, '../..')")
if [ -f "$nodedir/include/node/node_api.h" ]; then set -- --nodedir="$nodedir"; fi
[ -f build/Makefile ] || node-gyp configure "$@"
node-gyp build
