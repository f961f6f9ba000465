#!/usr/bin/env bash
# Encoder settings for the streaming ladder, chosen by measurement (issue 14): CPU seconds,
# bitrate reached and distance from the source of every candidate AAC / Opus setting on the dev
# set's full-length music. See bench/encoders.py for the method, docs/BENCHMARKS.md
# ("Transcoding ladder") for the results.
#   bench/encoders.sh [--dev DIR] [encoders.py options: --runs N, --only SUBSTR,..., --files ...]
#   Results: bench/out/encoders.md (+ .json)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BACKBEAT_ENCODERS_VENV:-$HOME/.cache/backbeat/encoders-venv}"
DEV=""
if [ "${1:-}" = "--dev" ]; then DEV="$2"; shift 2; fi
# The dev set lives next to the main checkout; from a git worktree, next to its repository.
if [ -z "$DEV" ]; then
    DEV="$REPO/../shared/eval/dev"
    if [ ! -f "$DEV/labels.csv" ]; then
        DEV="$(cd "$REPO" && cd "$(git rev-parse --git-common-dir)/.." && pwd)/../shared/eval/dev"
    fi
fi
[ -f "$DEV/labels.csv" ] || { echo "error: dev set not found at $DEV (pass --dev DIR)" >&2; exit 2; }
command -v ffmpeg >/dev/null || { echo "error: ffmpeg not installed (run ./scripts/setup.sh)" >&2; exit 2; }
if ! "$VENV/bin/python" -c 'import numpy' 2>/dev/null; then
    echo "creating $VENV with numpy" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet numpy==2.4.6
fi
mkdir -p "$REPO/bench/out"
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec "$VENV/bin/python" "$REPO/bench/encoders.py" --dev "$DEV" \
    --json "$REPO/bench/out/encoders.json" --out "$REPO/bench/out/encoders.md" "$@"
