#!/usr/bin/env bash
# Memory and speed on one long high-resolution file: a 60-minute 96 kHz 24-bit stereo WAV and
# the same as FLAC, made by looping a dev recording (music, not silence), analysed with
# `/usr/bin/time -v backbeat analyze --jobs 1`. Prints peak RSS and x real time; the temporary
# files (about 2 GB) are deleted on exit.
#   bench/long_file.sh [--minutes N] [--source FILE] [--out FILE]
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"     # ffmpeg and sox make the long file
. "$REPO/scripts/env.sh"      # CARGO_TARGET_DIR outside the clone
MINUTES=60
SOURCE="$REPO/../shared/eval/dev/pyaudioanalysis/salsa_100bpm.mp3"
OUT=""
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) MINUTES="$2"; shift 2 ;;
        --source) SOURCE="$2"; shift 2 ;;
        --out) OUT="$2"; shift 2 ;;
        *) echo "usage: $0 [--minutes N] [--source FILE] [--out FILE]" >&2; exit 2 ;;
    esac
done
[ -f "$SOURCE" ] || { echo "error: source $SOURCE not found (pass --source)" >&2; exit 2; }
[ -z "$OUT" ] || mkdir -p "$(dirname "$OUT")"
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time (GNU time) not installed" >&2; exit 2; }

(cd "$REPO" && cargo build --release -p backbeat)
BIN="$CARGO_TARGET_DIR/release/backbeat"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/backbeat-long-XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

SECS=$(awk -v m="$MINUTES" 'BEGIN { print m * 60 }')
echo "generating ${MINUTES}-min 96 kHz 24-bit stereo WAV and FLAC in $TMP ..." >&2
ffmpeg -nostdin -loglevel error -stream_loop -1 -i "$SOURCE" -t "$SECS" \
    -af aresample=96000:resampler=soxr -ac 2 -c:a pcm_s24le -rf64 auto "$TMP/long.wav"
ffmpeg -nostdin -loglevel error -i "$TMP/long.wav" -c:a flac -compression_level 5 "$TMP/long.flac"

report() {
    local kind="$1" file="$2" log="$TMP/$1.time"
    /usr/bin/time -v "$BIN" analyze --jobs 1 --format json --no-beats "$file" \
        >"$TMP/$kind.json" 2>"$log" || { echo "| $kind | failed: $(tail -1 "$log") |"; return; }
    local rss user sys wall decoded
    # The decoded duration proves the whole file was read, not just a prefix.
    decoded=$(grep -o '"duration_secs":[0-9.]*' "$TMP/$kind.json" | head -1 | cut -d: -f2)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    user=$(awk -F': ' '/User time/ {print $2}' "$log")
    sys=$(awk -F': ' '/System time/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
    awk -v k="$kind" -v b="$(stat -c %s "$file")" -v r="$rss" -v u="$user" -v s="$sys" \
        -v w="$wall" -v d="$SECS" -v dec="${decoded:-0}" 'BEGIN {
        cpu = u + s
        printf "| %s | %.0f MB | %.1f s | %.0f MiB | %.1f s | %s | %.0f× |\n", k, b / 1e6, dec,
               r / 1024, cpu, w, (cpu > 0 ? d / cpu : 0)
    }'
}

{
    echo "### Long file — $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$(git -C "$REPO" rev-parse --short HEAD)\`"
    echo
    echo "${MINUTES} min, 96 kHz, 24-bit, stereo; \`backbeat analyze --jobs 1 --no-beats\` under \`/usr/bin/time -v\`."
    echo
    echo "| file | size | decoded | peak RSS | CPU (user+sys) | wall | × real time per core |"
    echo "|---|---|---|---|---|---|---|"
    report wav "$TMP/long.wav"
    report flac "$TMP/long.flac"
} | tee "${OUT:-/dev/null}"
