#!/usr/bin/env bash
# Start-of-playback figures for the streaming ladder (issue 14), against a release build on
# this machine, loopback:
#   1. HLS start: master playlist + first media playlist + init segment + first media segment,
#      summed per player, 200 concurrent players each starting ROUNDS tracks with a think time
#      of 0..THINK_MS between them (target p99 < 50 ms);
#   2. the progressive trackUrl's first byte, same players;
#   3. on-demand MP3 first byte, 200 players on 20 tracks all at once (target < 300 ms), and
#      how many ffmpeg processes that started (target <= 20: one per track).
# The load is bench/src/bin/playback_load.rs (Rust, reqwest; one connection pool). Rate limits
# are off (one client address would be limited by design) and the per-user on-demand limit is
# raised (every player uses one token).
# Usage: bench/playback_load.sh [PLAYERS] [ROUNDS] [THINK_MS...]   (defaults: 200 5 2000 200)
# Results: bench/out/playback_load.txt
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
. scripts/env.sh
players="${1:-200}"
rounds="${2:-5}"
thinks=("${@:3}")
[ ${#thinks[@]} -gt 0 ] || thinks=(2000 200)
tracks_n=20
cargo build --release --locked -p backbeat -p backbeat-bench --bin backbeat --bin playback_load
bin="$CARGO_TARGET_DIR/release/backbeat"
load="$CARGO_TARGET_DIR/release/playback_load"
work="$(mktemp -d)"
port=18432
base="http://127.0.0.1:$port"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p bench/out
out=bench/out/playback_load.txt
: > "$out"
export RUST_LOG=warn
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

data="$work/data"
mkdir -p "$data"
cat > "$data/backbeat.toml" <<TOML
[media]
on_demand_max_per_user = 100000
on_demand_max_transcodes = 64
TOML
echo 'benchmark-password' | "$bin" user create --data-dir "$data" --email bench@backbeat.invalid \
  --role admin --password-stdin >/dev/null
"$bin" serve --data-dir "$data" --bind "127.0.0.1:$port" --public-url "$base" \
  --rate-limits-enabled false >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
token=$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"bench@backbeat.invalid","password":"benchmark-password"}' \
  "$base/api/v1/auth/login" | json "['accessToken']")
auth=(-H "authorization: Bearer $token")
artist=$(curl -sf "${auth[@]}" -H 'content-type: application/json' -d '{"name":"Bench"}' \
  "$base/api/v1/artists" | json "['id']")
album=$(curl -sf "${auth[@]}" -H 'content-type: application/json' \
  -d "{\"artistId\":\"$artist\",\"title\":\"Playback\"}" "$base/api/v1/albums" | json "['id']")
ids=()
echo "making $tracks_n tracks of 60 s and their ladders..." >&2
for i in $(seq 1 $tracks_n); do
  f="$work/t$i.flac"
  ffmpeg -v error -y -filter_complex \
    "sine=f=$((110 + i * 23)):d=60[a];anoisesrc=d=60:a=0.05[n];[a][n]amix=2,aformat=channel_layouts=stereo" \
    -ar 44100 "$f"
  slot=$(curl -sf "${auth[@]}" "$base/api/v1/tracks/upload-url")
  up=$(echo "$slot" | json "['uploadUrl']"); url=$(echo "$slot" | json "['trackUrl']")
  curl -sf -X PUT --data-binary @"$f" "$up" >/dev/null
  ids+=("$(curl -sf "${auth[@]}" -H 'content-type: application/json' \
    -d "{\"albumId\":\"$album\",\"title\":\"T$i\",\"trackUrl\":\"$url\"}" "$base/api/v1/tracks" | json "['id']")")
done
for id in "${ids[@]}"; do
  for _ in $(seq 1 600); do
    state=$(curl -sf "${auth[@]}" "$base/api/v1/tracks/$id/jobs" |
      python3 -c "import json,sys; print([j['state'] for j in json.load(sys.stdin)['jobs'] if j['job']=='transcode'][0])")
    [ "$state" = done ] && break
    [ "$state" = failed ] || [ "$state" = dead ] && { echo "transcode $state for $id"; cat "$work/server.log"; exit 1; }
    sleep 0.5
  done
done
started() { curl -sf "$base/metrics" | awk '$1=="ondemand_transcodes_started" {print $2}'; }

echo "# bench/playback_load.sh, $(date -u +%F), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $players players, $tracks_n tracks of 60 s" | tee -a "$out"
for think in "${thinks[@]}"; do
  echo "## $rounds rounds per player, think time 0-$think ms" | tee -a "$out"
  "$load" hls "$base" "$token" "$players" "$rounds" "$think" "${ids[@]}" | tee -a "$out"
  "$load" progressive "$base" "$token" "$players" "$rounds" "$think" "${ids[@]}" | tee -a "$out"
done
echo "## on demand: one player, one track, cold cache (nothing else running)" | tee -a "$out"
PLAYBACK_BITRATE=192 "$load" ondemand "$base" "$token" 1 1 0 "${ids[0]}" | tee -a "$out"
echo "## on demand: every player at once, one round, cold cache" | tee -a "$out"
before=$(started)
"$load" ondemand "$base" "$token" "$players" 1 0 "${ids[@]}" | tee -a "$out"
after=$(started)
echo "ffmpeg processes started for $players players on $tracks_n tracks: $((after - before))" | tee -a "$out"
echo "## on demand again: from the cache" | tee -a "$out"
"$load" ondemand "$base" "$token" "$players" 1 0 "${ids[@]}" | tee -a "$out"
echo "ffmpeg processes started by the second round: $(( $(started) - after ))" | tee -a "$out"
