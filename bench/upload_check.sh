#!/usr/bin/env bash
# The upload check's cost on issue 13's hostile file: 2.9 h of silence in 8 channels at
# 192 kHz as FLAC (within every byte limit). Prints the full decode the check used to do, and
# the sampled check with the default limits (refused by max_decoded_samples from the header)
# and with the limits raised (accepted after sampling the start and the end).
# Needs ffmpeg. Usage: bench/upload_check.sh [seconds=10440]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
seconds="${1:-10440}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
ffmpeg -nostdin -loglevel error -f lavfi -i "anullsrc=r=192000:cl=7.1" -t "$seconds" \
    -c:a flac -compression_level 0 -y "$dir/hostile.flac"
ls -l "$dir/hostile.flac"
cargo run -q -p backbeat-catalog --example upload_check_cost -- "$dir/hostile.flac"
