#!/usr/bin/env bash
# Creates the tagger's model files from the musicnn PyPI package (ISC licence), without
# TensorFlow: downloads the package (checkpoints inside), reads its tensor bundles and writes
# ONNX models with every weight checked (scripts/import_musicnn.py). Idempotent: does nothing
# when the models for this musicnn version and this importer are already in place.
#
# Output: ${BACKBEAT_MODELS_DIR:-~/.cache/backbeat/models}/musicnn/{MTT,MSD}_musicnn.onnx
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
MUSICNN_VERSION=0.1.0
models_dir="${BACKBEAT_MODELS_DIR:-$HOME/.cache/backbeat/models}"
out="$models_dir/musicnn"
venv="$HOME/.cache/backbeat/models-venv"
# The stamp ties the models to the package version and the importer's content.
stamp="musicnn $MUSICNN_VERSION importer $(sha256sum "$root/scripts/import_musicnn.py" | cut -c1-16)"
if [ -f "$out/MTT_musicnn.onnx" ] && [ -f "$out/MSD_musicnn.onnx" ] \
  && [ "$(cat "$out/STAMP" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
echo "install-models: building the musicnn tagger models into $out" >&2
if ! "$venv/bin/python" -c 'import numpy, onnx' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "numpy>=1.24,<3" "onnx>=1.15,<2"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$venv/bin/pip" download -q --disable-pip-version-check --no-deps \
  "musicnn==$MUSICNN_VERSION" -d "$work"
"$venv/bin/python" -m zipfile -e "$work"/musicnn-"$MUSICNN_VERSION"-*.whl "$work/pkg"
mkdir -p "$out"
"$venv/bin/python" "$root/scripts/import_musicnn.py" "$work/pkg/musicnn" "$out"
echo "$stamp" >"$out/STAMP"
