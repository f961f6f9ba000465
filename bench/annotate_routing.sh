#!/usr/bin/env bash
# Model routing on the labelled dev set (issue 15): the tagger as the built-in model annotator,
# `workflow::route` with the default settings (accept threshold 0.9) — the share of items whose
# genre / instruments are accepted without people, the accuracy of those accepted labels
# against labels.csv, and the curve over accept thresholds 0.5–0.95.
#   1. `backbeat analyze --tags` (release build, default patch sampling, --no-beats) on every
#      dev file with a genre or instruments label;
#   2. labels.csv → JSON (genre cells split on ';', instruments on ';');
#   3. bench/src/bin/annotate_routing.rs: the stored-output shape (the summary job's tag rows)
#      → BuiltinModel (genre ← tags:genre with the documented aliases, instruments ←
#      tags:instrument) → workflow::route.
# Usage: bench/annotate_routing.sh [--dev DIR] [--reuse]   (--reuse: keep step 1's output)
# Results: bench/out/annotate_routing.txt (+ .json)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. scripts/env.sh
DEV=""; REUSE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dev) DEV="$2"; shift 2 ;;
    --reuse) REUSE=1; shift ;;
    *) echo "usage: $0 [--dev DIR] [--reuse]" >&2; exit 2 ;;
  esac
done
if [ -z "$DEV" ]; then
  DEV="$root/../shared/eval/dev"
  [ -f "$DEV/labels.csv" ] || DEV="$(cd "$(git rev-parse --git-common-dir)/.." && pwd)/../shared/eval/dev"
fi
[ -f "$DEV/labels.csv" ] || { echo "dev set not found (pass --dev DIR)" >&2; exit 2; }
DEV="$(cd "$DEV" && pwd)"
cargo build --release --locked -p backbeat -p backbeat-bench --bin backbeat --bin annotate_routing
bin="$CARGO_TARGET_DIR/release/backbeat"
cache="$HOME/.cache/backbeat/annotate-routing"
mkdir -p "$cache" bench/out
python3 - "$DEV/labels.csv" "$cache/labels.json" "$cache/files.txt" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
split = lambda s: [x.strip() for x in s.split(";") if x.strip()]
out = [{"path": r["path"], "genre": split(r["genre"]), "instruments": split(r["instruments"])}
       for r in rows if r["genre"].strip() or r["instruments"].strip()]
json.dump(out, open(sys.argv[2], "w"))
open(sys.argv[3], "w").write("".join(o["path"] + "\n" for o in out))
PY
if [ "$REUSE" = 0 ] || [ ! -s "$cache/tags.jsonl" ]; then
  mapfile -t files < <(sed "s|^|$DEV/|" "$cache/files.txt")
  echo "analyze --tags on ${#files[@]} labelled dev files" >&2
  start=$(date +%s)
  "$bin" analyze --tags --no-beats --format json --out "$cache/tags.jsonl.tmp" "${files[@]}" \
    2>"$cache/analyze.log" || { tail -5 "$cache/analyze.log" >&2; exit 1; }
  mv "$cache/tags.jsonl.tmp" "$cache/tags.jsonl"
  echo "analyze: $(( $(date +%s) - start )) s" >&2
fi
out=bench/out/annotate_routing.txt
{
  echo "# annotate_routing $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD)"
  "$CARGO_TARGET_DIR/release/annotate_routing" --tags "$cache/tags.jsonl" \
    --labels "$cache/labels.json" --json bench/out/annotate_routing.json
} | tee "$out"
