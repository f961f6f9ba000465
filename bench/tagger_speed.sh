#!/usr/bin/env bash
# What tagging costs: CPU seconds for a 4-minute track on one core (default sampling and all
# patches, each minus a plain `backbeat analyze` of the same file), x real time per core,
# tract against single-threaded ONNX Runtime on the same ONNX files, and peak memory on a
# 60-minute FLAC, and CPU per track when one process analyses ten copies (models loaded
# once, as in a worker). See bench/tagger_speed.py for the method.
#   bench/tagger_speed.sh [--dev DIR] [--runs N] [--core C] [--minutes-long M]
#   BACKBEAT_BIN=/path/to/backbeat bench/tagger_speed.sh
# The test files (a 4-minute 44.1 kHz stereo WAV of GTZAN clips back to back, the same looped
# into a 60-minute FLAC, about 350 MB) are made in a temporary folder and deleted on exit.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BACKBEAT_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/backbeat/target}/release/backbeat}"
MODELS_DIR="${BACKBEAT_MODELS_DIR:-$HOME/.cache/backbeat/models}/musicnn"
VENV="${BACKBEAT_MUSICNN_REF_VENV:-$HOME/.cache/backbeat/musicnn-ref-venv}"
OUT="$HOME/.cache/backbeat/tagger-eval/speed.json"
DEV=""
RUNS=3
CORE=1
LONG_MIN=60
usage="usage: $0 [--dev DIR] [--runs N] [--core C] [--minutes-long M]"
while [ $# -gt 0 ]; do
    case "$1" in
        --dev) DEV="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --core) CORE="$2"; shift 2 ;;
        --minutes-long) LONG_MIN="$2"; shift 2 ;;
        *) echo "$usage" >&2; exit 2 ;;
    esac
done

die() { echo "error: $*" >&2; exit 2; }
# The dev set lives next to the main checkout; from a git worktree, next to its repository.
if [ -z "$DEV" ]; then
    DEV="$REPO/../shared/eval/dev"
    if [ ! -f "$DEV/labels.csv" ]; then
        DEV="$(cd "$REPO" && cd "$(git rev-parse --git-common-dir)/.." && pwd)/../shared/eval/dev"
    fi
fi
[ -f "$DEV/labels.csv" ] || die "dev set not found at $DEV (pass --dev DIR)"
command -v ffmpeg >/dev/null || die "ffmpeg not installed (run ./scripts/setup.sh)"
command -v taskset >/dev/null || die "taskset (util-linux) not installed"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) not installed (apt-get install time)"
for m in MTT_musicnn MSD_musicnn; do
    [ -f "$MODELS_DIR/$m.onnx" ] || die "model $MODELS_DIR/$m.onnx missing (run ./scripts/setup.sh)"
done
[ -x "$BIN" ] || die "backbeat binary $BIN not found" \
    "(cargo build --release -p backbeat, or set BACKBEAT_BIN)"
"$BIN" analyze --help | grep -q -- '--tagger-backend' || die "$BIN has no 'analyze --tagger-backend' (too old a build?)"
[ -f "${BACKBEAT_ORT_LIBRARY:-$HOME/.cache/backbeat/onnxruntime/libonnxruntime.so}" ] \
    || die "no ONNX Runtime library (run ./scripts/setup.sh)"
# The ONNX Runtime peer runs in the reference venv (onnxruntime, librosa); create it if needed.
if ! "$VENV/bin/python" -c 'import onnxruntime, librosa' 2>/dev/null; then
    "$REPO/bench/musicnn_reference.sh" --help >/dev/null
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/backbeat-tagspeed-XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# GTZAN clips (22.05 kHz mono WAV, all the same format, so the concat demuxer can join them),
# resampled to a typical 44.1 kHz stereo track: Backbeat's resampling to 16 kHz for the tagger
# is part of what tagging costs.
python3 -c 'import csv, os, sys
q = chr(39)  # the concat list quotes paths with single quotes
for r in csv.DictReader(open(sys.argv[1], newline="")):
    if r["source"] == "gtzan":
        path = os.path.join(os.path.dirname(sys.argv[1]), r["path"])
        print("file " + q + path.replace(q, q + "\\" + q + q) + q)' \
    "$DEV/labels.csv" >"$TMP/concat.txt"
echo "making a 4-minute WAV and a ${LONG_MIN}-minute FLAC in $TMP ..." >&2
ffmpeg -nostdin -loglevel error -f concat -safe 0 -i "$TMP/concat.txt" -t 240 \
    -af aresample=44100:resampler=soxr -ac 2 -c:a pcm_s16le "$TMP/track4.wav"
ffmpeg -nostdin -loglevel error -stream_loop -1 -i "$TMP/track4.wav" -t $((LONG_MIN * 60)) \
    -c:a flac "$TMP/long.flac"
ffmpeg -nostdin -loglevel error -i "$TMP/track4.wav" -t 1 -c:a pcm_s16le "$TMP/short.wav"

# Pinned to one core; the ORT peer pins itself to the same core.
"$VENV/bin/python" "$REPO/bench/tagger_speed.py" --bin "$BIN" --track "$TMP/track4.wav" \
    --long "$TMP/long.flac" --short "$TMP/short.wav" --models-dir "$MODELS_DIR" --runs "$RUNS" --core "$CORE" --json "$OUT"
