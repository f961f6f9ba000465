#!/usr/bin/env bash
# Accuracy per source: Backbeat (plain and leave-one-source-out) against essentia's
# KeyExtractor (bgate, and its profile chosen leave-one-source-out) and RhythmExtractor2013,
# on the dev set, one run.
#   bench/per_source.sh
# Accuracy only: the dev build gives the same estimates as the release build (no fast-math).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BACKBEAT_BENCH_VENV:-$HOME/.cache/backbeat/bench-venv}"
"$REPO/scripts/setup.sh"
. "$REPO/scripts/env.sh"

# The same pins as bench/compare.sh.
PINS=(essentia==2.1b6.dev1389 librosa==0.11.0 mir_eval==0.8.2 soundfile==0.14.0 numpy==2.4.6)
if ! "$VENV/bin/python" -c 'import essentia, librosa, mir_eval, soundfile, numpy' 2>/dev/null; then
    echo "creating $VENV with ${PINS[*]}" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
fi
(cd "$REPO" && cargo build -p backbeat)
cd "$REPO"
exec "$VENV/bin/python" "$REPO/bench/per_source.py" --backbeat "$CARGO_TARGET_DIR/debug/backbeat" "$@"
