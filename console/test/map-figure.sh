#!/bin/sh
# The console map figure (docs/benchmarks.md): seeds one server database with CASES
# cases over the sample city (default 100,000) and one with none, starts `gridwork
# serve` on each, and measures in headless Chromium the time from navigation to the
# map drawn (console/test/map-figure.mjs), the empty database being the baseline of the
# same run. DB=postgres://… seeds and serves the 100,000 from that PostgreSQL database
# (an empty one: drop it after) instead of a SQLite file. Release build (PROFILE=debug
# for a debug one, PROFILE=bench-fast for the workspace's optimised profile without
# LTO, or any other cargo profile);
# CARGO_TARGET_DIR is honoured. KEEP=DIR keeps the seeded database (DIR/big.db, or
# DB's) and its photos in DIR and, run again with the same KEEP (and DB), measures
# them again without seeding (seeding is most of a run: minutes, half an hour on
# PostgreSQL under load). Needs node with console/node_modules (npm ci) and
# /usr/bin/chromium.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cases=${1:-100000}
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
cd "$root"
profile=${PROFILE:-release}
case "$profile" in
  debug | dev) profile=debug; flag= ;;
  *) flag="--profile $profile" ;;
esac
cargo build $flag -q -p gridwork-cli
cargo build $flag -q -p gridwork-server --example seed_cases
seed="$target/$profile/examples/seed_cases"
gw="$target/$profile/gridwork"
keep=${KEEP:-$work}
mkdir -p "$keep"
big=${DB:-$keep/big.db}
"$seed" --db "$work/empty.db" --blobs "$work/empty.blobs" --cases 0
if [ -f "$keep/seeded" ]; then
  echo "reusing the seeded database $big ($(cat "$keep/seeded"))"
else
  "$seed" --db "$big" --blobs "$keep/big.blobs" --cases "$cases"
  echo "$cases cases" >"$keep/seeded"
fi
"$gw" serve --db "$work/empty.db" --blobs "$work/empty.blobs" --listen 127.0.0.1:58731 >"$work/empty.log" 2>&1 &
pids="$pids $!"
"$gw" serve --db "$big" --blobs "$keep/big.blobs" --listen 127.0.0.1:58732 >"$work/big.log" 2>&1 &
pids="$pids $!"
for port in 58731 58732; do
  i=0
  until curl -sf "http://127.0.0.1:$port/console" >/dev/null; do
    i=$((i + 1)); [ $i -lt 300 ] || { echo "server on $port did not start" >&2; exit 1; }
    sleep 0.2
  done
done
echo "build: $profile; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
GRIDWORK_FIGURE_SERVERS="empty=http://127.0.0.1:58731,$cases-cases=http://127.0.0.1:58732" \
GRIDWORK_USER=wang GRIDWORK_PASSWORD=seed-pass-wang \
  node "$here/map-figure.mjs"
