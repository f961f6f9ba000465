#!/usr/bin/env bash
# Accuracy per source: Backbeat (plain and leave-one-source-out) against essentia's
# KeyExtractor (bgate, and its profile chosen leave-one-source-out) and RhythmExtractor2013,
# on the dev set, one run.
#   bench/per_source.sh
# Accuracy only: the dev build gives the same estimates as the release build (no fast-math).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"
. "$REPO/scripts/env.sh"

. "$REPO/bench/venv.sh"      # the pinned peers (sets VENV)
(cd "$REPO" && cargo build -p backbeat)
cd "$REPO"
exec "$VENV/bin/python" "$REPO/bench/per_source.py" --backbeat "$CARGO_TARGET_DIR/debug/backbeat" "$@"
