#!/usr/bin/env bash
# The annotation engine under load (issue 15, "Figures to reach"), on SQLite (a file) and on
# PostgreSQL, through the store (`SqlCatalog`, the pools the server uses) — no HTTP:
#   1. 1,000,000 tracks written straight into the catalog tables (server-side generated rows);
#   2. a project and `add_selected` of every track in one statement (target < 60 s);
#   3. 200 annotators (tokio tasks, one annotator row each, overlap 2) claiming and submitting
#      for DURATION s with the real `workflow::decide`; 2 % of claims are abandoned so leases
#      expire under load (lease LEASE_MS; ended leases returned once a second, as the service does):
#      claim p50/p90/p99/max (target p99 < 20 ms), claims/s, submit latency, expiry cost;
#   4. after the run, SQL checks: no item with more open-stage assignments than overlap +
#      extra, taken <= needed, no annotator answering an item twice, no expired lease left.
# Phases per backend, one after the other on the same project: `saturated` (no think time: every annotator claims again as soon as
# it submitted — the engine's capacity), then `paced` at each THINK_MS (comma-separated) of think time per item, ±50 %.
# PostgreSQL: BACKBEAT_BENCH_PG (default postgres://postgres@127.0.0.1:5432, trust auth); the
# run creates and drops its own database. Set BACKENDS="sqlite" to skip it.
# Usage: bench/annotate_load.sh [TRACKS] [ANNOTATORS] [DURATION_S] [THINK_MS]
#        (defaults: 1000000 200 60 1000,10000; LEASE_MS=20000)          Results: bench/out/annotate_load.txt
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/env.sh
tracks="${1:-1000000}"
annotators="${2:-200}"
dur="${3:-60}"
think="${4:-1000,10000}"
# Longer than the longest think time (±50 %), short enough that abandoned leases expire
# during a phase.
lease="${LEASE_MS:-20000}"
pg="${BACKBEAT_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
backends="${BACKENDS:-sqlite postgres}"
# Built with -p backbeat too: the same feature set as the other scripts, so nothing rebuilds.
cargo build --release --locked -p backbeat -p backbeat-bench --bin annotate_load
load="$CARGO_TARGET_DIR/release/annotate_load"
mkdir -p bench/out
out=bench/out/annotate_load.txt
{
  echo "# annotate_load $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD)"
  echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
for backend in $backends; do
  echo "## $backend: phase 1 saturated (think 0 ms), phase 2 paced (think ${think} ms)" | tee -a "$out"
  "$load" --backend "$backend" --tracks "$tracks" --annotators "$annotators" \
    --duration "$dur" --think-ms "0,$think" --lease-ms "$lease" --pg "$pg" | tee -a "$out"
done
echo "results: $out"
