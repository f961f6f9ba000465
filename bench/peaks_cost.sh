#!/usr/bin/env bash
# What the waveform peaks cost (issue 16: < 0.05 CPU-s per minute of audio, riding on the
# pipeline's decode): Backbeat's `PeaksBuilder` over the decoded mono signal, the decode itself
# for scale, and the peer — ffmpeg computing the same min/max per 256 samples at 22,050 Hz
# (`astats` per block), which is what a server without its own decoder would run. Inputs: a
# 10-minute 44.1 kHz stereo MP3 (192 kb/s) made by looping a dev recording, in a temporary
# folder deleted on exit. See docs/BENCHMARKS.md ("Waveform peaks").
#   bench/peaks_cost.sh [--minutes N] [--source FILE] [--runs N]
#   Results: bench/out/peaks_cost.txt
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"      # ffmpeg
. "$REPO/scripts/env.sh"       # CARGO_TARGET_DIR outside the clone
MINUTES=10
SOURCE="$REPO/../shared/eval/dev/pyaudioanalysis/salsa_100bpm.mp3"
RUNS=5
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) MINUTES="$2"; shift 2 ;;
        --source) SOURCE="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        *) echo "usage: $0 [--minutes N] [--source FILE] [--runs N]" >&2; exit 2 ;;
    esac
done
[ -f "$SOURCE" ] || { echo "error: source $SOURCE not found (pass --source)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time (GNU time) not installed" >&2; exit 2; }
mkdir -p "$REPO/bench/out"
out="$REPO/bench/out/peaks_cost.txt"

(cd "$REPO" && cargo build --release --locked -p backbeat-bench --bin peaks_cost >&2)
BIN="$CARGO_TARGET_DIR/release/peaks_cost"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/backbeat-peaks-XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
SECS=$(awk -v m="$MINUTES" 'BEGIN { print m * 60 }')
echo "making a ${MINUTES}-min MP3 in $TMP ..." >&2
ffmpeg -nostdin -loglevel error -stream_loop -1 -i "$SOURCE" -t "$SECS" -ac 2 -ar 44100 \
    -c:a libmp3lame -b:a 192k "$TMP/long.mp3"

ours="$("$BIN" --runs "$RUNS" "$TMP/long.mp3" | tail -1)"
# The peer, best of the same number of runs, CPU = user + sys of the process.
best=""
for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%U %S" -o "$TMP/time" ffmpeg -nostdin -v error -i "$TMP/long.mp3" -ac 1 \
        -af "aresample=22050,asetnsamples=n=256:p=0,astats=metadata=1:reset=1:measure_overall=none:measure_perchannel=Min_level+Max_level" \
        -f null - 
    cpu=$(awk '{ print $1 + $2 }' "$TMP/time")
    best=$(awk -v a="${best:-1e9}" -v b="$cpu" 'BEGIN { print (b < a ? b : a) }')
done

{
    echo "### Waveform peaks — $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$(git -C "$REPO" rev-parse --short HEAD)\`, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo
    echo "${MINUTES}-minute 44.1 kHz stereo MP3 (192 kb/s) looped from \`$(basename "$SOURCE")\`; best of $RUNS runs."
    echo
    echo "| | CPU-s | CPU-s per minute of audio | × Backbeat's peaks |"
    echo "|---|---|---|---|"
    echo "$ours" | awk -F'\t' -v peer="$best" '{
        m = $2; dec = $3; pk = $4
        printf "| Backbeat `peaks` job (on the decoded signal, %d pixels) | %.4f | %.5f | 1 |\n", $5, pk, pk / m
        printf "| Backbeat decode to mono 22,050 Hz (paid once, by `downsample`) | %.3f | %.4f | %.0f× |\n", dec, dec / m, dec / pk
        printf "| ffmpeg decode + min/max per 256 samples (`astats`) | %.3f | %.4f | %.0f× |\n", peer, peer / m, peer / pk
    }'
} | tee "$out"
echo "results in $out" >&2
