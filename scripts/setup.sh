#!/usr/bin/env bash
# Installs what Backbeat needs on a fresh Debian/Ubuntu machine, only what is missing, without
# asking: ffmpeg and sox (reference tools used by tests and benchmarks), libopus (the Opus
# decoder) and pkg-config (to find it), chromium and node/npm (the web app is built with npm
# packages; the real-browser tests in tests/browser drive chromium). Safe to run any number of times.
set -euo pipefail

need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v sox >/dev/null 2>&1 || need+=(sox)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists opus 2>/dev/null || need+=(libopus-dev)
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# Debian's own build: Playwright's browser download needs the internet, this does not.
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)

. "$(dirname "${BASH_SOURCE[0]}")/apt.sh"
apt_install setup "${need[@]}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo (Rust toolchain) is required: https://rustup.rs" >&2; exit 1
fi

# schemathesis (the API test suite runs it against a live server), pinned, in its own venv.
SCHEMATHESIS_VERSION=4.32.5
api_venv="$HOME/.cache/backbeat/api-venv"
if ! "$api_venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "setup: installing schemathesis $SCHEMATHESIS_VERSION into $api_venv" >&2
  python3 -m venv "$api_venv"
  "$api_venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# npm packages pinned by lock files, installed again when a lock file is newer than its
# node_modules: the web app's build (esbuild, TypeScript, Preact, hls.js; crates/backbeat-server's
# build.rs runs it, so `cargo build` embeds the app) and the browser tests' (playwright-core,
# hls.js, shaka-player, axe-core). Playwright drives /usr/bin/chromium and must not try to
# download browsers of its own.
for dir in web tests/browser; do
  pkg="$(dirname "$0")/../$dir"
  if [ ! -d "$pkg/node_modules" ] || [ "$pkg/package-lock.json" -nt "$pkg/node_modules" ]; then
    echo "setup: npm ci in $dir" >&2
    (cd "$pkg" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$pkg/node_modules"
  fi
done

# The auto-tagger's models, converted from the musicnn PyPI package (no TensorFlow), and the
# ONNX Runtime library its faster backend loads at run time (from the PyPI wheel).
"$(dirname "$0")/install-models.sh"
"$(dirname "$0")/install-onnxruntime.sh"
