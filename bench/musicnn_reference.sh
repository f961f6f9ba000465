#!/usr/bin/env bash
# Reference implementation of the musicnn auto-tagger, for benchmarks and golden fixtures only
# (never used by the product): the real `musicnn` package (TensorFlow graph, its own
# checkpoints) with its float16 log-mel overflow fixed. See bench/musicnn_reference.py.
#   bench/musicnn_reference.sh [musicnn_reference.py options] FILE...
#   e.g. bench/musicnn_reference.sh --out bench/out/ref.jsonl a.wav b.wav
# Idempotent: creates the venv only when it is missing or its pins changed.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BACKBEAT_MUSICNN_REF_VENV:-$HOME/.cache/backbeat/musicnn-ref-venv}"

# tensorflow-cpu 2.15 is the last release with Keras 2 built in: musicnn's graph is written with
# tf.compat.v1.layers, which under Keras 3 (TF >= 2.16) needs the separate tf_keras package.
# TF 2.15 needs numpy < 2. musicnn goes in with --no-deps: it pins tensorflow<1.15 and
# librosa 0.7, which have no wheels for Python 3.11.
PINS=(tensorflow-cpu==2.15.1 numpy==1.26.4 librosa==0.11.0 soundfile==0.13.1
      onnxruntime==1.22.1)
MUSICNN_PIN=musicnn==0.1.0
STAMP="$VENV/.backbeat-pins"
WANT="${PINS[*]} $MUSICNN_PIN"

if [[ ! -x "$VENV/bin/python" || "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]]; then
    echo "musicnn_reference: creating $VENV" >&2
    python3 -m venv "$VENV"
    echo "musicnn_reference: installing ${PINS[*]}" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
    echo "musicnn_reference: installing $MUSICNN_PIN --no-deps" >&2
    "$VENV/bin/python" -m pip install --quiet --no-deps "$MUSICNN_PIN"
    echo "$WANT" >"$STAMP"
    "$VENV/bin/python" -m pip freeze >&2
fi

# CPU only, quiet TF start-up logs; results must not depend on thread scheduling.
export CUDA_VISIBLE_DEVICES="" TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
exec "$VENV/bin/python" "$REPO/bench/musicnn_reference.py" "$@"
