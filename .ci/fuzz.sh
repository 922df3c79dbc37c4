#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for a bounded time on a copy of
# its seed corpus (fuzz/seeds/TARGET). A crash, a panic or a failed assertion in a target
# fails the script; libFuzzer leaves the input in fuzz/artifacts/TARGET/.
#
#   .ci/fuzz.sh            # every target, FUZZ_SECONDS (default 20) each
#   FUZZ_SECONDS=3600 .ci/fuzz.sh push_body   # the long run of one target
#   FUZZ_BUILD=--dev .ci/fuzz.sh              # unoptimised build (what .ci/run does)
#
# FUZZ_BUILD picks cargo-fuzz's build: `--release` (the default: tens of thousands of
# inputs a second, a build of about ten minutes here) or `--dev` (about four minutes,
# some forty times fewer inputs: the bounded smoke run that keeps .ci/run in its time).
#
# cargo-fuzz is installed from crates.io into /var/cache/gridwork-ci/cargo-fuzz when it
# is missing; the nightly toolchain must be there (rustup toolchain install nightly).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
build="${FUZZ_BUILD:---release}"
root=/var/cache/gridwork-ci/cargo-fuzz
if ! command -v cargo-fuzz >/dev/null; then
  if [ ! -x "$root/bin/cargo-fuzz" ]; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked --root "$root" >/dev/null
  fi
  export PATH="$root/bin:$PATH"
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
  exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir fuzz)
fi
cargo +nightly fuzz build "$build" --fuzz-dir fuzz
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  # The sample city's own files seed the importers too (not copied into fuzz/seeds).
  case "$t" in
    grid_geojson) cp data/kcity-grid.geojson "$work/$t/" ;;
    catalog_json) cp data/kcity-catalog.json "$work/$t/" ;;
  esac
  echo "fuzz: $t for ${seconds}s"
  # The run's corpus is a scratch folder; the committed seeds are read, never written.
  # TMPDIR: the pull_page target keeps its store there.
  if ! TMPDIR="$work" cargo +nightly fuzz run "$build" --fuzz-dir fuzz "$t" "$work/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$work/$t.log" 2>&1; then
    tail -n 40 "$work/$t.log"
    echo "fuzz: $t FAILED (the input is in fuzz/artifacts/$t/)"
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$work/$t.log" | sed "s/^/fuzz: $t /"
done
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a crash"
