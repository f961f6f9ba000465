#!/usr/bin/env bash
# The vocal detector fitted and judged (bench/vocal_model.py): today's vocal_probability, and
# logistic models on the content features, on the tagger's voice tags and on both, fitted on the
# voice set leave-one-source-out and checked on the dev set; reliability tables and SVG plots.
#   bench/vocal_model.sh [--check LABELS]...   (default: fit on the voice set, check on the dev set)
# Builds the release binary, makes the voice set when missing (bench/voices.sh).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"
. "$REPO/scripts/env.sh"
[ -f "$HOME/.cache/backbeat/voices/labels.csv" ] || "$REPO/bench/voices.sh"
. "$REPO/bench/venv.sh"      # sets VENV
(cd "$REPO" && cargo build --release -p backbeat)
cd "$REPO"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--check "$REPO/../shared/eval/dev/labels.csv")
exec "$VENV/bin/python" "$REPO/bench/vocal_model.py" --backbeat "$CARGO_TARGET_DIR/release/backbeat" \
    --fit "$HOME/.cache/backbeat/voices/labels.csv" "${args[@]}"
