# Sourced by the benchmark scripts: the Python venv of the peers, pinned so that figures are
# comparable between runs (the versions docs/BENCHMARKS.md quotes). Creates it only when it is
# missing or incomplete; sets VENV.
VENV="${BACKBEAT_BENCH_VENV:-$HOME/.cache/backbeat/bench-venv}"
PINS=(essentia==2.1b6.dev1389 librosa==0.11.0 mir_eval==0.8.2 soundfile==0.14.0 numpy==2.4.6
      onnxruntime==1.24.4 onnx==1.23.2 scikit-learn==1.9.1)
if ! "$VENV/bin/python" -c 'import essentia, librosa, mir_eval, soundfile, numpy, onnxruntime, onnx, sklearn' 2>/dev/null; then
    echo "creating $VENV with ${PINS[*]}" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
fi
