#!/usr/bin/env bash
# Builds GridworkFFI.xcframework (the Rust core as a static library for iOS devices and the
# simulator) and writes the uniffi-generated Swift into Sources/GridworkKit/Generated.
# Runs on macOS with Xcode and the Rust targets:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
# usage: ios-shell/build-xcframework.sh   (the workspace's `mobile` profile: release,
#                                         optimised for size; PROFILE=release or debug)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PROFILE=${PROFILE:-mobile}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
flag="--profile $PROFILE"
[ "$PROFILE" = debug ] && flag=
# cargo names the debug profile's folder "debug" and every other profile's after itself.
export IPHONEOS_DEPLOYMENT_TARGET=15.0

cd "$ROOT"
# --no-default-features: no built-in HTTP client; the app's URLSessionTransport syncs.
for t in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
    cargo build $flag -p gridwork-ffi --lib --no-default-features --target "$t"
done

# Swift bindings, header and module map, from the host build of the same crate.
cargo build $flag -p gridwork-ffi --lib --no-default-features
cargo build -p gridwork-ffi --features cli --bin uniffi-bindgen
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
"$TARGET_DIR/debug/uniffi-bindgen" generate --no-format \
    --library "$TARGET_DIR/$PROFILE/libgridwork_ffi.dylib" --language swift --out-dir "$gen"
mkdir -p "$HERE/Sources/GridworkKit/Generated"
cp "$gen/gridwork.swift" "$HERE/Sources/GridworkKit/Generated/"

# Headers for the xcframework: the C header plus a module map named module.modulemap.
headers="$gen/headers"
mkdir -p "$headers"
cp "$gen/GridworkFFI.h" "$headers/"
cp "$gen/GridworkFFI.modulemap" "$headers/module.modulemap"

# One fat simulator library (arm64 + x86_64); the device library as is.
sim="$TARGET_DIR/ios-sim-universal/$PROFILE"
mkdir -p "$sim"
lipo -create \
    "$TARGET_DIR/aarch64-apple-ios-sim/$PROFILE/libgridwork_ffi.a" \
    "$TARGET_DIR/x86_64-apple-ios/$PROFILE/libgridwork_ffi.a" \
    -output "$sim/libgridwork_ffi.a"

rm -rf "$HERE/GridworkFFI.xcframework"
xcodebuild -create-xcframework \
    -library "$TARGET_DIR/aarch64-apple-ios/$PROFILE/libgridwork_ffi.a" -headers "$headers" \
    -library "$sim/libgridwork_ffi.a" -headers "$headers" \
    -output "$HERE/GridworkFFI.xcframework"
echo "built $HERE/GridworkFFI.xcframework and Sources/GridworkKit/Generated/gridwork.swift"
