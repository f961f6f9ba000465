#!/usr/bin/env bash
# Side-by-side benchmark of backbeat, essentia and librosa (see docs/BENCHMARKS.md).
#   bench/compare.sh [compare.py options]   e.g. --limit 10, --out bench/out/compare.md
# Idempotent: creates the Python venv with pinned peers only when it is missing, builds the
# release binary, then runs bench/compare.py.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BACKBEAT_BENCH_VENV:-$HOME/.cache/backbeat/bench-venv}"
"$REPO/scripts/setup.sh"     # ffmpeg (the loudness reference) and the build's system libraries
. "$REPO/scripts/env.sh"      # CARGO_TARGET_DIR outside the clone

# Pinned so that figures are comparable between runs (the versions docs/BENCHMARKS.md quotes).
PINS=(essentia==2.1b6.dev1389 librosa==0.11.0 mir_eval==0.8.2 soundfile==0.14.0 numpy==2.4.6)

if ! "$VENV/bin/python" -c 'import essentia, librosa, mir_eval, soundfile, numpy' 2>/dev/null; then
    echo "creating $VENV with ${PINS[*]}" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
fi
(cd "$REPO" && cargo build --release -p backbeat)
cd "$REPO"
exec "$VENV/bin/python" "$REPO/bench/compare.py" --backbeat "$CARGO_TARGET_DIR/release/backbeat" "$@"
