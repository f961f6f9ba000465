#!/usr/bin/env bash
# Installs the ONNX Runtime shared library the tagger's ORT backend loads at run time
# (crates/backbeat-tagger/src/backend.rs): the `libonnxruntime.so` inside the PyPI
# `onnxruntime` wheel, pinned, unpacked into ~/.cache/backbeat/onnxruntime/ (the wheel's Python
# parts are not installed). `ort`'s own build would download binaries, which fails offline; the
# Python registry is reachable. Without this library the tagger runs on tract after a notice.
# Idempotent: does nothing when the pinned version is in place.
#   scripts/install-onnxruntime.sh [--dir DIR]
set -euo pipefail

ORT_VERSION=1.24.4
DIR="$HOME/.cache/backbeat/onnxruntime"
if [ "${1:-}" = "--dir" ]; then DIR="$2"; fi
LIB="$DIR/libonnxruntime.so"

if [ -f "$LIB.$ORT_VERSION" ] && [ "$(readlink "$LIB")" = "libonnxruntime.so.$ORT_VERSION" ]; then
  exit 0
fi
case "$(uname -sm)" in
  "Linux x86_64"|"Linux aarch64") ;;
  *) echo "install-onnxruntime: no $(uname -sm) wheel is pinned; the tagger will use tract" >&2; exit 0 ;;
esac

echo "setup: installing ONNX Runtime $ORT_VERSION (shared library from the PyPI wheel) into $DIR" >&2
mkdir -p "$DIR"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/backbeat-ort-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# A private venv for pip: Debian's python3 may have no pip of its own.
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary :all: \
  -d "$tmp" "onnxruntime==$ORT_VERSION"
wheel="$(ls "$tmp"/onnxruntime-"$ORT_VERSION"-*.whl)"
python3 - "$wheel" "$ORT_VERSION" "$DIR" <<'PY'
import sys, zipfile
wheel, version, out = sys.argv[1:]
name = f"onnxruntime/capi/libonnxruntime.so.{version}"
with zipfile.ZipFile(wheel) as z, open(f"{out}/libonnxruntime.so.{version}.part", "wb") as f:
    f.write(z.read(name))
PY
mv "$DIR/libonnxruntime.so.$ORT_VERSION.part" "$DIR/libonnxruntime.so.$ORT_VERSION"
ln -sfn "libonnxruntime.so.$ORT_VERSION" "$LIB"
echo "setup: ONNX Runtime $ORT_VERSION -> $LIB" >&2
