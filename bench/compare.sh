#!/usr/bin/env bash
# Side-by-side benchmark of backbeat, essentia and librosa (see docs/BENCHMARKS.md).
#   bench/compare.sh [compare.py options]   e.g. --limit 10, --out bench/out/compare.md
# Idempotent: creates the Python venv with pinned peers only when it is missing, builds the
# release binary, then runs bench/compare.py.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"     # ffmpeg (the loudness reference) and the build's system libraries
. "$REPO/scripts/env.sh"      # CARGO_TARGET_DIR outside the clone

. "$REPO/bench/venv.sh"      # the pinned peers (sets VENV)
(cd "$REPO" && cargo build --release -p backbeat)
cd "$REPO"
exec "$VENV/bin/python" "$REPO/bench/compare.py" --backbeat "$CARGO_TARGET_DIR/release/backbeat" "$@"
