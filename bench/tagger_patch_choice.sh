#!/usr/bin/env bash
# Patch choice by what the patches sound like (k-means, novelty) against evenly spread patches,
# as agreement with all-patch tags on the dev set (bench/tagger_patch_choice.py says how).
#   bench/tagger_patch_choice.sh [--dev DIR] [--core C]
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS_DIR="${BACKBEAT_MODELS_DIR:-$HOME/.cache/backbeat/models}/musicnn"
WORK="$HOME/.cache/backbeat/tagger-patch-choice"
DEV="$REPO/../shared/eval/dev"
CORE=1
while [ $# -gt 0 ]; do
    case "$1" in
        --dev) DEV="$2"; shift 2 ;;
        --core) CORE="$2"; shift 2 ;;
        *) echo "usage: $0 [--dev DIR] [--core C]" >&2; exit 2 ;;
    esac
done
[ -f "$DEV/labels.csv" ] || { echo "error: dev set not found at $DEV (pass --dev DIR)" >&2; exit 2; }
for m in MTT_musicnn MSD_musicnn; do
    [ -f "$MODELS_DIR/$m.onnx" ] || { echo "error: $MODELS_DIR/$m.onnx missing (run ./scripts/setup.sh)" >&2; exit 2; }
done
. "$REPO/bench/venv.sh"      # the pinned peers, onnxruntime among them (sets VENV)
mkdir -p "$WORK"
"$VENV/bin/python" "$REPO/bench/tagger_patch_choice.py" --dev "$DEV" --models-dir "$MODELS_DIR" \
    --work "$WORK" --core "$CORE"
