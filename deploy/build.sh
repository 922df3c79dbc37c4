#!/bin/sh
# Builds the `gridwork` binary exactly as deploy/Containerfile does: the locked
# dependencies, the release profile, only the CLI crate. .ci/run runs it to smoke-test
# the image recipe where no container engine is available. Usage: deploy/build.sh [PROFILE]
set -eu
profile="${1:-release}"
cargo build --locked --profile "$profile" -p gridwork-cli --bin gridwork
