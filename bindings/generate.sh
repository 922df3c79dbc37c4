#!/usr/bin/env bash
# Builds the gridwork_ffi cdylib and generates its Kotlin, Swift and Python bindings with
# the workspace's own uniffi-bindgen, in library mode (the interface is read from the
# built library's metadata; bindings/uniffi.toml sets the Kotlin package and the Swift
# C-module name).
#
# usage: bindings/generate.sh [OUT_DIR]        (default: target/bindings)
#   OUT_DIR/kotlin/org/gridwork/ffi/gridwork.kt
#   OUT_DIR/swift/{gridwork.swift, GridworkFFI.h, GridworkFFI.modulemap}
#   OUT_DIR/python/gridwork.py
# Env: PROFILE=release builds and reads the release library (default debug).
#      CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/bindings}
profile=${PROFILE:-debug}
target_dir=${CARGO_TARGET_DIR:-target}

# The generator (feature cli; it rebuilds the library with that feature), then the library
# without it, as shipped: the one built last is left at target/<profile>/.
# Library mode reads only the library's metadata, so the two builds need not match features.
cargo build -q -p gridwork-ffi --features cli --bin uniffi-bindgen
if [ "$profile" = release ]; then
    cargo build -q -p gridwork-ffi --lib --release
else
    cargo build -q -p gridwork-ffi --lib
fi
lib="$target_dir/$profile/libgridwork_ffi.so"
[ -f "$lib" ] || lib="$target_dir/$profile/libgridwork_ffi.dylib"
[ -f "$lib" ] || { echo "generate.sh: no cdylib under $target_dir/$profile" >&2; exit 1; }

for lang in kotlin swift python; do
    rm -rf "${out:?}/$lang"
    # --no-format: ktlint / swift-format are not installed on CI machines.
    "$target_dir/debug/uniffi-bindgen" generate --no-format --library "$lib" \
        --language "$lang" --out-dir "$out/$lang"
done
echo "bindings for $lib in $out/{kotlin,swift,python}"
