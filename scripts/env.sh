# Sourced by the scripts: one build directory outside the clone, so a reused machine builds
# incrementally and a fresh clone does not start from nothing.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/backbeat/target}"
