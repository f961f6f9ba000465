#!/usr/bin/env bash
# What transcoding one track into the streaming ladder costs (issue 14): the single-process
# ladder against one process per rendition and against Navidrome-style on-the-fly transcoding,
# in CPU seconds, on a 5-minute 44.1 kHz stereo FLAC made from the dev set's recordings (in a
# temporary folder, deleted on exit). See bench/transcode_cost.py, docs/BENCHMARKS.md
# ("Transcoding ladder").
#   bench/transcode_cost.sh [--dev DIR] [--runs N] [--backbeat BIN] [--source FILE]
#   Results: bench/out/transcode_cost.txt
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
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
mkdir -p "$REPO/bench/out"
out="$REPO/bench/out/transcode_cost.txt"
# Backbeat's own row (`backbeat transcode`, what the pipeline's job runs), unless a binary is
# given or BACKBEAT_BENCH_NO_BUILD=1.
backbeat=()
case " $* " in
  *" --backbeat "*) ;;
  *) if [ "${BACKBEAT_BENCH_NO_BUILD:-0}" != 1 ]; then
       (cd "$REPO" && . scripts/env.sh && cargo build --release --locked -p backbeat >&2)
       backbeat=(--backbeat "$(cd "$REPO" && . scripts/env.sh && echo "$CARGO_TARGET_DIR")/release/backbeat")
     fi ;;
esac
python3 "$REPO/bench/transcode_cost.py" --dev "$DEV" "${backbeat[@]}" "$@" | tee "$out"
echo "results in $out" >&2
