#!/bin/sh
# Reinstalls the pinned packages (npm ci, from package-lock.json), runs the unit tests,
# rebuilds the bundle into a temporary folder and fails if it differs from the committed
# console/dist/ — the bytes the server embeds. Run after changing anything in src/.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
node --test --test-reporter=dot test/unit/
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node build.mjs "$tmp/dist" >/dev/null
if ! diff -r dist "$tmp/dist"; then
  echo "console/dist is not what console/build.mjs makes from src/: run 'node console/build.mjs' and commit dist/" >&2
  exit 1
fi
echo "console: bundle matches the sources"
