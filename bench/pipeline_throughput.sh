#!/usr/bin/env bash
# Throughput of the processing pipeline on real recordings (issue 4): N tracks whose uploads are
# the files of the labelled dev set repeated, processed by `backbeat backfill --run-workers`
# (downsample + analyze, then probe), against plain `backbeat analyze -j CORES` on the same files
# in the same run (the peer: no queue, no job records, no stored outputs). Prints tracks/s,
# CPU seconds per track, how busy the cores were, the pipeline / direct ratios and the number of
# such cores 5,000,000 tracks a day need. See docs/BENCHMARKS.md ("Processing pipeline").
# Usage: bench/pipeline_throughput.sh [N=1000] [DEV_DIR=../shared/eval/dev]
#   Results: bench/out/pipeline_throughput.txt (+ .json)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
. scripts/env.sh
n="${1:-1000}"
dev="$(cd "${2:-${BACKBEAT_DEV_SET:-$root/../shared/eval/dev}}" && pwd)"
[ -f "$dev/labels.csv" ] || { echo "no labels.csv in $dev (pass the dev set's folder)"; exit 1; }
# One invocation for the binary and the bench programs: one feature resolution, one set of
# artefacts.
cargo build --release --locked -p backbeat -p backbeat-bench --bins
bin="$CARGO_TARGET_DIR/release/backbeat"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p bench/out
out=bench/out/pipeline_throughput.txt
export RUST_LOG=warn

# The dev set's files (never copied into the repository), repeated in order up to N.
python3 - "$dev" "$n" > "$work/files.txt" <<'PY'
import csv, os, sys
dev, n = sys.argv[1], int(sys.argv[2])
paths = [os.path.join(dev, r["path"]) for r in csv.DictReader(open(os.path.join(dev, "labels.csv")))]
for i in range(n):
    print(paths[i % len(paths)])
PY
"$CARGO_TARGET_DIR/release/catalog_from_files" --data-dir "$work/data" \
  --list "$work/files.txt"
# Tracks the probe refused are not in the catalog: compare both sides on the same files.
python3 - "$work/data/catalog.db" "$work/files.txt" <<'PY'
import sqlite3, sys
db, files = sys.argv[1], sys.argv[2]
n = sqlite3.connect(db).execute("SELECT COUNT(*) FROM tracks").fetchone()[0]
lines = open(files).read().splitlines()
if n != len(lines):
    sys.exit(f"catalog has {n} tracks for {len(lines)} files: a file was refused (see above)")
PY
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out"
python3 bench/pipeline_throughput.py --backbeat "$bin" --data "$work/data" \
  --files "$work/files.txt" --work "$work" --jobs "$(nproc)" \
  --out bench/out/pipeline_throughput.json | tee -a "$out"
"$bin" jobs status --data-dir "$work/data" | tee -a "$out"
echo "results in $out"
