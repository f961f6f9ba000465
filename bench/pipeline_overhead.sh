#!/usr/bin/env bash
# Engine overhead of the processing pipeline (issue 4): a diamond of four no-op jobs over N
# tracks (4 N jobs) on the embedded queue (SQLite) and on NATS JetStream, each with chaining on
# (the default: a worker runs ready children itself) and off (every job goes through the
# queue). Each run also times the same job code in a plain loop (the baseline) and prints the
# engine's overhead per job against it. See docs/BENCHMARKS.md ("Processing pipeline").
# The catalog (SQLite file, blobs, scratch) of the four runs is on tmpfs (/dev/shm) when there is
# one, so that the figures are the engine's and the queue's rather than the disk's; a fifth run
# (embedded queue, chaining on) repeats on the disk (the system's temporary folder) to show what
# the local filesystem adds.
# Usage: bench/pipeline_overhead.sh [N=10000] [NATS_URL=nats://127.0.0.1:4222]
#   Without a server at NATS_URL, a private one (apt nats-server, JetStream, temporary store)
#   is started on port 14222 for the run. Results: bench/out/pipeline_overhead.txt
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
. scripts/env.sh
n="${1:-10000}"
nats="${2:-${NATS_URL:-nats://127.0.0.1:4222}}"
cargo build --release --locked -p backbeat -p backbeat-bench --bins
bin="$CARGO_TARGET_DIR/release/overhead"
work="$(mktemp -d)"
nats_started=""
cleanup() {
  [ -n "$nats_started" ] && kill "$nats_started" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p bench/out
out=bench/out/pipeline_overhead.txt
export RUST_LOG=warn

reachable() { # nats://HOST:PORT
  local hp="${1#nats://}"
  (exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}") 2>/dev/null
}
if ! reachable "$nats"; then
  if ! command -v nats-server >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      nats-server >/dev/null
  fi
  nats="nats://127.0.0.1:14222"
  nats-server -a 127.0.0.1 -p 14222 -js -sd "$work/nats" >"$work/nats.log" 2>&1 &
  nats_started=$!
  for _ in $(seq 1 50); do reachable "$nats" && break; sleep 0.1; done
  reachable "$nats" || { echo "nats-server did not start:"; cat "$work/nats.log"; exit 1; }
fi
# The broker's CPU counts too: read it from /proc when the server runs on this machine.
nats_pid="$nats_started"
case "$nats" in
  nats://127.0.0.1:*|nats://localhost:*)
    [ -n "$nats_pid" ] || nats_pid="$(pgrep -x nats-server | head -1 || true)" ;;
esac
broker_cpu() { # user+sys seconds of nats-server, or empty
  [ -n "$nats_pid" ] && [ -r "/proc/$nats_pid/stat" ] || return 0
  awk -v t="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / t }' "/proc/$nats_pid/stat"
}

echo "# bench/pipeline_overhead.sh, $(date -u '+%F %H:%M UTC'), $(nproc) cores, $n tracks x 4 no-op jobs, load before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out"
: > "$work/results"
mem=""; [ -d /dev/shm ] && [ -w /dev/shm ] && mem=/dev/shm
run() { # QUEUE CHAIN DIR(empty: system temporary folder) LABEL
  local b0 b1 broker=""
  b0="$(broker_cpu)"
  "$bin" --tracks "$n" --queue "$1" --chain "$2" ${3:+--dir "$3"} | tee -a "$out" \
    | grep '^RESULT' > "$work/line"
  b1="$(broker_cpu)"
  if [ "$1" != sql ] && [ -n "$b0" ]; then
    broker="broker_cpu_s=$(awk -v a="$b0" -v b="$b1" 'BEGIN { print b - a }')"
  fi
  echo "$(cat "$work/line") $broker fs=$4" >> "$work/results"
}
for queue in sql "$nats"; do
  for chain in on off; do
    run "$queue" "$chain" "$mem" "${mem:+tmpfs}"
  done
done
run sql on "" disk
python3 - "$work/results" <<'PY' | tee -a "$out"
import sys
rows = []
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split()[1:])
    rows.append(kv)
print()
print("| queue | chain | catalog on | jobs | wall s | jobs/s | loop jobs/s | engine / loop "
      "| overhead ms/job | process CPU ms/job | broker CPU ms/job | others' CPU s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    jobs = int(r["jobs"])
    broker = (f"{float(r['broker_cpu_s']) * 1e3 / jobs:.3f}" if "broker_cpu_s" in r else "—")
    broker_s = float(r.get("broker_cpu_s", 0))
    # Busy CPU of the machine during the engine phase that was neither this process nor the
    # broker: other load (should be near 0 on a quiet machine).
    others = float(r["machine_busy_s"]) - float(r["cpu_s"]) - broker_s
    print(f"| {r['queue']} | {r['chain']} | {r.get('fs') or 'disk'} | {jobs:,} "
          f"| {float(r['wall_s']):.1f} "
          f"| {float(r['jobs_per_s']):,.0f} | {float(r['loop_jobs_per_s']):,.0f} "
          f"| {float(r['jobs_per_s']) / float(r['loop_jobs_per_s']):.3f}x "
          f"| {float(r['overhead_ms']):.3f} | {float(r['cpu_ms']):.3f} | {broker} "
          f"| {others:.1f} |")
PY
echo "results in $out"
