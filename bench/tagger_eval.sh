#!/usr/bin/env bash
# Quality of Backbeat's musicnn tagger on the labelled dev set, against the reference musicnn
# (bench/musicnn_reference.sh): agreement of the 100 tag probabilities, GTZAN genre top-1,
# instrument ROC-AUC on the generated pieces, and what patch sampling changes.
#   bench/tagger_eval.sh [--dev DIR] [--patches "4 8 16"] [--jobs N] [--reference-only]
#   BACKBEAT_BIN=/path/to/backbeat bench/tagger_eval.sh
# --reference-only: steps 1, 2 and the reference's genre/instrument figures, no backbeat.
# Steps (all idempotent; caches under ~/.cache/backbeat/tagger-eval/):
#   1. every dev file -> 16 kHz mono float32 WAV (ffmpeg, sox when ffmpeg's demuxer refuses the
#      file), so both implementations read identical samples and the comparison measures front
#      end + model, not resampling (backbeat analyze --tags resamples from the decoded source,
#      which for these 16 kHz mono files is no resampling at all);
#   2. the reference harness on those WAVs (its JSONL cached by file list + harness source);
#   3. backbeat analyze --tags with --tag-patches all, the default sampling and each N;
#   4. bench/tagger_eval.py: markdown report on stdout, JSON in tagger-eval/report.json.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$HOME/.cache/backbeat/tagger-eval"
BIN="${BACKBEAT_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/backbeat/target}/release/backbeat}"
MODELS_DIR="${BACKBEAT_MODELS_DIR:-$HOME/.cache/backbeat/models}/musicnn"
PATCHES="4 8 16"
JOBS=""
DEV=""
REF_ONLY=0
while [ $# -gt 0 ]; do
    case "$1" in
        --dev) DEV="$2"; shift 2 ;;
        --patches) PATCHES="$2"; shift 2 ;;
        --jobs|-j) JOBS="$2"; shift 2 ;;
        --reference-only) REF_ONLY=1; shift ;;
        *) echo "usage: $0 [--dev DIR] [--patches \"4 8 16\"] [--jobs N] [--reference-only]" >&2
           exit 2 ;;
    esac
done

die() { echo "error: $*" >&2; exit 2; }
# The dev set lives next to the main checkout (../shared/eval/dev); from a git worktree, next
# to the repository the worktree belongs to.
if [ -z "$DEV" ]; then
    DEV="$REPO/../shared/eval/dev"
    if [ ! -f "$DEV/labels.csv" ]; then
        DEV="$(cd "$REPO" && cd "$(git rev-parse --git-common-dir)/.." && pwd)/../shared/eval/dev"
    fi
fi
[ -f "$DEV/labels.csv" ] || die "dev set not found at $DEV (pass --dev DIR)"
DEV="$(cd "$DEV" && pwd)"
command -v ffmpeg >/dev/null || die "ffmpeg not installed (run ./scripts/setup.sh)"
command -v sox >/dev/null || die "sox not installed (run ./scripts/setup.sh)"
for m in MTT_musicnn MSD_musicnn; do
    [ -f "$MODELS_DIR/$m.onnx" ] || die "model $MODELS_DIR/$m.onnx missing (run ./scripts/setup.sh)"
done
if [ "$REF_ONLY" = 0 ]; then
    [ -x "$BIN" ] || die "backbeat binary $BIN not found" \
        "(cargo build --release -p backbeat, or set BACKBEAT_BIN)"
    "$BIN" analyze --help | grep -q -- '--tags' \
        || die "$BIN has no 'analyze --tags' (too old a build?)"
fi

# 1. 16 kHz mono float WAVs, same relative layout as the dev set: gtzan/blues.00000.wav.
WAV="$CACHE/wav16"
mkdir -p "$WAV" "$CACHE/runs"
LIST="$CACHE/runs/wavs.txt"
: >"$LIST"
converted=0
while IFS= read -r rel; do
    out="$WAV/${rel%.*}.wav"
    if [ ! -s "$out" ]; then
        mkdir -p "$(dirname "$out")"
        # soxr: the best resampler ffmpeg has; float output so nothing clips or is dithered.
        if ! ffmpeg -nostdin -loglevel error -y -i "$DEV/$rel" -ac 1 \
                -af aresample=16000:resampler=soxr -c:a pcm_f32le -f wav "$out.tmp" \
                2>/dev/null; then
            echo "ffmpeg refused $rel; converting with sox" >&2
            sox -q "$DEV/$rel" -r 16000 -c 1 -e floating-point -b 32 -t wav "$out.tmp"
        fi
        mv "$out.tmp" "$out"
        converted=$((converted + 1))
    fi
    echo "$out" >>"$LIST"
done < <(python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")): print(r["path"])' "$DEV/labels.csv")
echo "wav16: $(wc -l <"$LIST") files in $WAV ($converted converted now)" >&2

# 2. Reference harness, cached by the file list and the harness source.
key="$(cat "$LIST" "$REPO/bench/musicnn_reference.py" "$REPO/bench/musicnn_reference.sh" \
       | sha256sum | cut -c1-16)"
REF="$CACHE/ref-$key.jsonl"
if [ ! -s "$REF" ]; then
    echo "reference: running musicnn on $(wc -l <"$LIST") files -> $REF" >&2
    "$REPO/bench/musicnn_reference.sh" --list "$LIST" --out "$REF.tmp" 2>"$CACHE/runs/ref.log" \
        || { tail -20 "$CACHE/runs/ref.log" >&2
             die "reference harness failed (log: $CACHE/runs/ref.log)"; }
    mv "$REF.tmp" "$REF"
else
    echo "reference: cached $REF" >&2
fi

# 3. Backbeat with each sampling. Outputs are not cached: the binary changes between runs.
run_backbeat() {  # name, extra flags...
    local name="$1"; shift
    local out="$CACHE/runs/backbeat-$name.jsonl"
    echo "backbeat: --tags $* -> $out" >&2
    local jobs=(); [ -z "$JOBS" ] || jobs=(-j "$JOBS")
    "$BIN" analyze --tags "$@" "${jobs[@]}" --no-beats --format json --out "$out" "${WAVS[@]}" \
        2>"$CACHE/runs/backbeat-$name.log" \
        || { tail -5 "$CACHE/runs/backbeat-$name.log" >&2; die "backbeat --tags $* failed"; }
    tail -1 "$CACHE/runs/backbeat-$name.log" >&2
    RUNS+=(--run "$name=$out")
}
RUNS=()
mapfile -t WAVS <"$LIST"
if [ "$REF_ONLY" = 0 ]; then
    run_backbeat all --tag-patches all
    run_backbeat default
    for n in $PATCHES; do
        run_backbeat "n$n" --tag-patches "$n"
    done
fi

# 4. Report (the analysis needs only the Python standard library).
python3 "$REPO/bench/tagger_eval.py" --labels "$DEV/labels.csv" --wav-dir "$WAV" --ref "$REF" \
    ${RUNS[@]+"${RUNS[@]}"} --json "$CACHE/report.json" --binary "$BIN"
