#!/usr/bin/env bash
# int8 quantisation and patch counts against today's all-patch float32 tags on the dev set,
# and f32 inference speed against the core's FMA peak (bench/tagger_int8.py says how).
#   bench/tagger_int8.sh [--dev DIR] [--core C] [--ghz G] [--simd-floats N]
# --ghz: the core clock for the FMA peak (default: the highest "cpu MHz" in /proc/cpuinfo).
# The FMA peak assumes 2 FMA pipes; --simd-floats is their float32 width: 16 on an Intel core
# with AVX-512 (two 512-bit FMA units on Xeon server parts), else 8 (AVX2, and Zen 4, whose
# AVX-512 runs on 256-bit pipes).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS_DIR="${BACKBEAT_MODELS_DIR:-$HOME/.cache/backbeat/models}/musicnn"
WORK="$HOME/.cache/backbeat/tagger-int8"
DEV="$REPO/../shared/eval/dev"
CORE=1
GHZ=""
SIMD=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dev) DEV="$2"; shift 2 ;;
        --core) CORE="$2"; shift 2 ;;
        --ghz) GHZ="$2"; shift 2 ;;
        --simd-floats) SIMD="$2"; shift 2 ;;
        *) echo "usage: $0 [--dev DIR] [--core C] [--ghz G] [--simd-floats N]" >&2; exit 2 ;;
    esac
done
[ -f "$DEV/labels.csv" ] || { echo "error: dev set not found at $DEV (pass --dev DIR)" >&2; exit 2; }
for m in MTT_musicnn MSD_musicnn; do
    [ -f "$MODELS_DIR/$m.onnx" ] || { echo "error: $MODELS_DIR/$m.onnx missing (run ./scripts/setup.sh)" >&2; exit 2; }
done
if [ -z "$GHZ" ]; then
    GHZ="$(awk -F: '/cpu MHz/ { if ($2 > m) m = $2 } END { printf "%.2f", m / 1000 }' /proc/cpuinfo)"
fi
if [ -z "$SIMD" ]; then
    SIMD=8
    if grep -q GenuineIntel /proc/cpuinfo && grep -qw avx512f /proc/cpuinfo; then SIMD=16; fi
fi
. "$REPO/bench/venv.sh"      # the pinned peers, onnxruntime and onnx among them (sets VENV)
mkdir -p "$WORK"
"$VENV/bin/python" "$REPO/bench/tagger_int8.py" --dev "$DEV" --models-dir "$MODELS_DIR" \
    --work "$WORK" --core "$CORE" --ghz "$GHZ" --simd-floats "$SIMD" --json "$WORK/report.json"
