#!/usr/bin/env bash
# The main job on the embedded default: the whole product on this machine. `backbeat demo`
# serves a demo catalog (SQLite, local files, in-process queue, the web app built into the
# binary) and, the first time, fills it through the public API: the sample recordings
# (../shared/eval/dev beside the project when present, else the repository's fixtures) go
# through the real pipeline with progress bars, an account is made for each role, and an
# annotation project gets the model's pre-annotations and some escalated items. It then prints
# the URL and the logins. Extra arguments go to `backbeat demo` (`--reset`, `--limit 0` for
# every recording, `--bind 0.0.0.0:8080`, `--samples DIR`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
. scripts/env.sh
cargo build --release --locked -p backbeat
exec "$CARGO_TARGET_DIR/release/backbeat" demo "$@"
