#!/usr/bin/env bash
# Every check and test of the workspace: formatting, clippy and rustdoc with warnings as errors,
# then all tests through cargo-nextest. Installs what the tests need first (scripts/setup.sh).
# Tests that need an external tool (ffmpeg) skip with a printed notice when it is missing,
# unless BACKBEAT_REQUIRE_TOOLS=1 (CI sets it), which makes them mandatory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
. scripts/env.sh
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi
cargo fmt --all -- --check
# The web app: TypeScript's type check and its unit tests (waveform windowing, region lanes,
# the keyboard map) under Node's test runner.
node web/test.mjs
cargo clippy --locked --workspace --all-targets -- -D warnings
# Broken intra-doc links and malformed docs are errors too: ARCHITECTURE.md sends readers there.
RUSTDOCFLAGS="-D warnings" cargo doc --locked --workspace --no-deps
cargo nextest run --locked --workspace --no-fail-fast
