#!/usr/bin/env bash
# Opening an annotation item in the web app (issue 16: p95 < 300 ms on loopback, for a
# 4-minute and a 2-hour track, without and with the built-in model's beat grid drawn on it):
# the release `backbeat serve` with the app built in, a 4-minute
# and a 2-hour MP3 (looped from a dev recording) processed by the real pipeline, and Chromium
# (Playwright) opening each item `--runs` times from the claim to a drawn waveform and playable
# audio (the HLS ladder). The peer is how Label Studio's wavesurfer.js draws a waveform: fetch
# the whole file and decode it, in the same browser. See docs/BENCHMARKS.md ("Web app").
#   bench/webapp_open.sh [--runs N] [--source FILE] [--hours H]
#   Results: bench/out/webapp_open.txt
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$REPO/scripts/setup.sh"      # ffmpeg, chromium, node and the browser tests' packages
. "$REPO/scripts/env.sh"
RUNS=20
HOURS=2
SOURCE="$REPO/../shared/eval/dev/pyaudioanalysis/salsa_100bpm.mp3"
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --source) SOURCE="$2"; shift 2 ;;
        --hours) HOURS="$2"; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--source FILE] [--hours H]" >&2; exit 2 ;;
    esac
done
[ -f "$SOURCE" ] || { echo "error: source $SOURCE not found (pass --source)" >&2; exit 2; }
mkdir -p "$REPO/bench/out"
out="$REPO/bench/out/webapp_open.txt"
(cd "$REPO" && cargo build --release --locked -p backbeat >&2)
BIN="$CARGO_TARGET_DIR/release/backbeat"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/backbeat-open-XXXXXX")"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$TMP"' EXIT

LONG_S=$(awk -v h="$HOURS" 'BEGIN { print h * 3600 }')
echo "making a 4-minute and a ${HOURS}-hour MP3 in $TMP ..." >&2
ffmpeg -nostdin -loglevel error -stream_loop -1 -i "$SOURCE" -t 240 -ac 2 -ar 44100 -c:a libmp3lame -b:a 128k "$TMP/four-minutes.mp3"
ffmpeg -nostdin -loglevel error -stream_loop -1 -i "$SOURCE" -t "$LONG_S" -ac 2 -ar 44100 -c:a libmp3lame -b:a 128k "$TMP/long.mp3"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "bench-admin-password" | "$BIN" user create --data-dir "$TMP/data" --email admin@bench.backbeat --role admin --password-stdin >&2
RUST_LOG=warn "$BIN" serve --data-dir "$TMP/data" --bind "127.0.0.1:$PORT" --max-duration-s 14400 >"$TMP/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
echo "processing both tracks and opening each item $RUNS times ..." >&2
node "$REPO/bench/webapp_open.mjs" --base "http://127.0.0.1:$PORT" --admin admin@bench.backbeat:bench-admin-password \
    --runs "$RUNS" --track "4 min=$TMP/four-minutes.mp3" --track "${HOURS} h=$TMP/long.mp3" > "$TMP/results.jsonl"

{
    echo "### Web app: opening an item — $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$(git -C "$REPO" rev-parse --short HEAD)\`, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo
    echo "Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}') on loopback; release \`backbeat serve\`; 128 kb/s MP3s looped from \`$(basename "$SOURCE")\`. From the claim to a drawn waveform and playable audio (HLS \`canplay\`), $RUNS opens per track after one warm-up. Peer: the whole file fetched and decoded in the page (wavesurfer.js, Label Studio), median of 5."
    echo
    echo "| track | p50 ms | p95 ms | max ms | of which the claim (p50 ms, bytes) | waveform bytes fetched | peer ms | peer bytes | peer ÷ Backbeat (p50) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    python3 - "$TMP/results.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    claim = f"{r['claimP50']:.0f} ms, {r['claimBytes']:,} B"
    if r.get("peerP50") is None:
        # The same track with the model's beat grid: the peer ran once, on the row above.
        print(f"| {r['label']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | {claim} | {r['peaksBytes']:,} | (above) | | |")
        continue
    peer = f"{r['peerP50']:.0f}" if not r.get("peerFailed") else f"failed after {r['peerP50']:.0f} ms: {r['peerFailed']}"
    ratio = f"{r['peerP50'] / r['p50']:.1f}" if not r.get("peerFailed") else "—"
    print(f"| {r['label']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | {claim} | {r['peaksBytes']:,} | {peer} | {r['peerBytes']:,} | {ratio} |")
PY
} | tee "$out"
