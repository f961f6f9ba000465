#!/usr/bin/env bash
# Load figures for the catalog and streaming API (issue 3), against a release build on this
# machine, with wrk as the load generator on the same machine:
#   1. GET /api/v1/tracks/:id             (target >= 20,000 req/s, p99 < 10 ms)
#   2. GET /api/v1/tracks/:id/stream      (target p99 < 20 ms)
#   3. signed-URL byte serving, 10 MB blob (target >= 1 GB/s on loopback)
#   4. search on a generated 100,000-track catalog (target p99 < 20 ms; indexing < 60 s)
# Rate limits are turned off for the runs (one client IP would be limited by design) and the
# access log is silenced; everything else is the default configuration (SQLite, local blobs).
# Peer: nginx (apt nginx-light, sendfile on, access log off) serves the same 10 MB file and the
# same track JSON as static files with the same wrk settings, as the ceiling a static server
# reaches on this machine; the ratios are Backbeat / nginx.
# Usage: bench/api_load.sh [DURATION_S]   Results: bench/out/api_load.txt
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
. scripts/env.sh
dur="${1:-10}"
need=""
command -v wrk >/dev/null 2>&1 || need="$need wrk"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need="$need nginx-light"
if [ -n "$need" ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
cargo build --release --locked -p backbeat
bin="$CARGO_TARGET_DIR/release/backbeat"
work="$(mktemp -d)"
port=18431
base="http://127.0.0.1:$port"
pid=""
nginx_pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p bench/out
out=bench/out/api_load.txt
: > "$out"
export RUST_LOG=warn

start_server() { # DATA_DIR
  "$bin" serve --data-dir "$1" --bind "127.0.0.1:$port" --public-url "$base" \
    --rate-limits-enabled false >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "server did not start:"; cat "$work/server.log"; exit 1
}
stop_server() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
report() { # NAME WRK_OUTPUT_FILE
  local rps p50 p99 tps
  rps=$(awk '/Requests\/sec/ {print $2}' "$2")
  p50=$(awk '$1=="50%" {print $2}' "$2")
  p99=$(awk '$1=="99%" {print $2}' "$2")
  tps=$(awk '/Transfer\/sec/ {print $2}' "$2")
  printf '%-34s %12s req/s   p50 %8s   p99 %8s   %10s/s\n' "$1" "$rps" "$p50" "$p99" "$tps" | tee -a "$out"
}

# --- catalog with one track and one 10 MB track -------------------------------------------
data="$work/data"
echo 'benchmark-password' | "$bin" user create --data-dir "$data" --email bench@backbeat.invalid \
  --role admin --password-stdin >/dev/null
start_server "$data"
token=$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"bench@backbeat.invalid","password":"benchmark-password"}' \
  "$base/api/v1/auth/login" | json "['accessToken']")
auth=(-H "authorization: Bearer $token")
artist=$(curl -sf "${auth[@]}" -H 'content-type: application/json' -d '{"name":"Bench"}' \
  "$base/api/v1/artists" | json "['id']")
album=$(curl -sf "${auth[@]}" -H 'content-type: application/json' \
  -d "{\"artistId\":\"$artist\",\"title\":\"Load\"}" "$base/api/v1/albums" | json "['id']")
make_track() { # FILE TITLE -> track id
  local slot up url
  slot=$(curl -sf "${auth[@]}" "$base/api/v1/tracks/upload-url")
  up=$(echo "$slot" | json "['uploadUrl']"); url=$(echo "$slot" | json "['trackUrl']")
  curl -sf -X PUT --data-binary @"$1" "$up" >/dev/null
  curl -sf "${auth[@]}" -H 'content-type: application/json' \
    -d "{\"albumId\":\"$album\",\"title\":\"$2\",\"trackUrl\":\"$url\"}" "$base/api/v1/tracks" | json "['id']"
}
track=$(make_track testdata/formats/chord.mp3 "Chord")
ffmpeg -v error -f lavfi -i "sine=frequency=440:duration=57" -ac 2 -ar 44100 -c:a pcm_s16le -y "$work/ten_mb.wav"
big=$(make_track "$work/ten_mb.wav" "Ten megabytes")
echo "# bench/api_load.sh, $(date -u +%F), $(nproc) cores, wrk -t1 -c64 -d${dur}s, rate limits off" | tee -a "$out"
wrk -t1 -c64 -d"${dur}s" --latency "${auth[@]}" "$base/api/v1/tracks/$track" > "$work/w1"
report "GET /tracks/:id" "$work/w1"
wrk -t1 -c64 -d"${dur}s" --latency "${auth[@]}" "$base/api/v1/tracks/$track/stream" > "$work/w2"
report "GET /tracks/:id/stream" "$work/w2"
blob=$(curl -sf "${auth[@]}" "$base/api/v1/tracks/$big/stream" | json "['trackUrl']")
size=$(stat -c %s "$work/ten_mb.wav")
wrk -t1 -c4 -d"${dur}s" --latency "$blob" > "$work/w3"
report "GET signed blob ($size bytes)" "$work/w3"
mkdir -p "$work/www"
chmod 755 "$work" "$work/www" # nginx's workers run unprivileged
curl -sf "${auth[@]}" "$base/api/v1/tracks/$track" > "$work/www/track.json"
cp "$work/ten_mb.wav" "$work/www/ten_mb.wav"
stop_server

# --- peer: nginx serving the same bytes as static files ---------------------------------------
cat > "$work/nginx.conf" <<NGINX
daemon off;
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  types { application/json json; audio/wav wav; }
  client_body_temp_path $work/nginx-body;
  proxy_temp_path $work/nginx-proxy;
  fastcgi_temp_path $work/nginx-fastcgi;
  uwsgi_temp_path $work/nginx-uwsgi;
  scgi_temp_path $work/nginx-scgi;
  server { listen 127.0.0.1:$((port + 1)); root $work/www; }
}
NGINX
"$nginx_bin" -p "$work" -c "$work/nginx.conf" &
nginx_pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$((port + 1))/track.json" >/dev/null && break; sleep 0.1; done
# Both files must come back whole (a 403 from nginx's unprivileged workers would be "fast").
cmp -s <(curl -sf "http://127.0.0.1:$((port + 1))/ten_mb.wav") "$work/www/ten_mb.wav" \
  || { echo "nginx does not serve the test file:"; cat "$work/nginx.err"; exit 1; }
wrk -t1 -c64 -d"${dur}s" --latency "http://127.0.0.1:$((port + 1))/track.json" > "$work/n1"
report "nginx: static track JSON" "$work/n1"
wrk -t1 -c4 -d"${dur}s" --latency "http://127.0.0.1:$((port + 1))/ten_mb.wav" > "$work/n3"
report "nginx: static file ($size bytes)" "$work/n3"
kill "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""
ratio() { # NAME BACKBEAT_WRK NGINX_WRK
  python3 - "$1" "$2" "$3" <<'PY' | tee -a "$out"
import re, sys
def rps(path):
    return float(re.search(r"Requests/sec:\s+([0-9.]+)", open(path).read()).group(1))
name, ours, peer = sys.argv[1], rps(sys.argv[2]), rps(sys.argv[3])
print(f"{name:<34} Backbeat / nginx = {ours / peer:.2f}x")
PY
}
ratio "ratio: GET /tracks/:id vs static" "$work/w1" "$work/n1"
ratio "ratio: signed blob vs static file" "$work/w3" "$work/n3"

# --- 100,000-track generated catalog: indexing and search ----------------------------------
big_data="$work/big"
"$bin" seed --data-dir "$big_data" --tracks 100000 2>&1 | tee -a "$out"
t0=$(date +%s.%N)
"$bin" reindex --data-dir "$big_data" 2>&1 | tail -1
t1=$(date +%s.%N)
printf 'reindex (100,000 tracks + albums + artists): %.1f s\n' "$(echo "$t1 - $t0" | bc)" | tee -a "$out"
echo 'bench-password-2' | "$bin" user create --data-dir "$big_data" --email b2@backbeat.invalid \
  --role listener --password-stdin >/dev/null
start_server "$big_data"
token=$(curl -sf -H 'content-type: application/json' \
  -d '{"email":"b2@backbeat.invalid","password":"bench-password-2"}' \
  "$base/api/v1/auth/login" | json "['accessToken']")
cat > "$work/search.lua" <<'LUA'
-- Queries mixing whole words, prefixes and one-letter typos of the seed's syllable words.
local q = {"lamo", "ventro", "kalin", "samer", "belnia", "quinzor", "phadel", "gristo",
           "velan", "corly", "mira", "sontel", "brigo", "nefal", "ush", "la", "ven",
           "kalni", "smaer", "belnai", "tro bel", "mo ri ta", "velan corly", "zorpha", "deli"}
local i = 0
request = function()
  i = i + 1
  local path = "/api/v1/search?q=" .. q[(i % #q) + 1]:gsub(" ", "%%20") .. "&limit=20"
  return wrk.format("GET", path)
end
LUA
wrk -t1 -c16 -d"${dur}s" --latency -H "authorization: Bearer $token" -s "$work/search.lua" "$base" > "$work/w4"
report "GET /search (100k catalog)" "$work/w4"
stop_server
echo "results in $out"
