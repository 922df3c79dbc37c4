#!/usr/bin/env bash
# A short scripted session of the `gridwork` shell on the sample K city: one store used
# by a worker, with the supervisor's and handler's steps taken through --as-role.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p gridwork-cli
gw() { echo "\$ gridwork $*" >&2; ./target/debug/gridwork "$@"; }
STORE=$(mktemp -d)/store
f() { gw field --store "$STORE" "$@"; }

f init --user li.na --role worker
f import-grid data/kcity-grid.geojson
f import-catalog data/kcity-catalog.json
printf '\xff\xd8\xff\xe0 before' > "$STORE.before.jpg"
printf '\xff\xd8\xff\xe0 after' > "$STORE.after.jpg"
ID=$(f report --category 06010 --lat 31.3012 --lon 120.6031 --text "暴露垃圾: bags of rubbish by the canal" --photo "$STORE.before.jpg")
f report --category 01001 --lat 31.2985 --lon 120.5978 --text "供水井盖缺失: manhole cover missing" --urgent >/dev/null
DEPT=$(python3 -c "import json;print(next(c['department'] for c in json.load(open('data/kcity-catalog.json'))['categories'] if c['code']=='06010'))")
f act "$ID" register --as-role supervisor
f act "$ID" dispatch --to "$DEPT" --as-role supervisor
f act "$ID" handle --note "cleared" --photo "$STORE.after.jpg" --as-role handler
f act "$ID" verify-pass
f act "$ID" close --as-role supervisor
f list
f show "$ID"
f counts
f verify-log
