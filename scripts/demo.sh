#!/usr/bin/env bash
# The main job on the embedded default: analyse the sample recordings and show the table.
# Uses the labelled development set beside the project (../shared/eval/dev) when present,
# otherwise the small fixtures shipped in the repository. Extra arguments go to `analyze`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
. scripts/env.sh
cargo build --release --locked -p backbeat
samples="$root/../shared/eval/dev"
[ -d "$samples" ] || samples="$root/testdata/formats"
exec "$CARGO_TARGET_DIR/release/backbeat" analyze --format table "$samples" "$@"
