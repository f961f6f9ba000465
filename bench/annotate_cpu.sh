#!/usr/bin/env bash
# CPU per item of the annotation workflow's pure rules (issue 15: agreement and routing for an
# item < 1 ms): workflow::decide on the submission that completes an item of 8 question kinds
# (5 of each by default: 40 questions; 3 answers, each with 200 beat markers and 20 regions
# per markers/regions question), agreement alone, and workflow::route with and without the
# built-in model's prediction. Single thread, release build.
# Usage: bench/annotate_cpu.sh [PER_KIND...]   (default: 1 5)   Results: bench/out/annotate_cpu.txt
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/env.sh
kinds=("$@"); [ ${#kinds[@]} -gt 0 ] || kinds=(1 5)
cargo build --release --locked -p backbeat -p backbeat-bench --bin annotate_cpu
mkdir -p bench/out
out=bench/out/annotate_cpu.txt
{
  echo "# annotate_cpu $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD); load $(cut -d' ' -f1-3 /proc/loadavg)"
  for k in "${kinds[@]}"; do
    "$CARGO_TARGET_DIR/release/annotate_cpu" --per-kind "$k"
  done
} | tee "$out"
