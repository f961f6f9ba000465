#!/usr/bin/env bash
# Refreshes the screenshots in docs/screenshots: runs the real-browser web app test (the demo
# in Chromium, every role's work) and keeps the pictures it takes at 360 and 1440 px.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/setup.sh
. scripts/env.sh
BACKBEAT_REQUIRE_TOOLS=1 BACKBEAT_DOCS_SCREENSHOTS="$root/docs/screenshots" \
  cargo nextest run --locked -p backbeat -E 'test(/every_role_does_its_work/)'
