#!/usr/bin/env bash
# Runs every fuzz target briefly: scripts/fuzz.sh [seconds-per-target] (default 60).
# Not part of scripts/test.sh. Installs cargo-fuzz if missing; needs the nightly toolchain.
# Crashes land in fuzz/artifacts/<target>/; see fuzz/README.md for turning one into a test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
secs="${1:-60}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/backbeat/fuzz-target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
cd "$root/fuzz"
# Seed corpora from the checked-in fixtures (libFuzzer truncates seeds to -max_len).
formats="$root/testdata/formats"
mkdir -p corpus/{sniff,decode,mp4,adts,range,signing,jobs_file,fmp4}
cp -n "$formats"/* corpus/decode/
cp -n "$formats"/*.m4a corpus/mp4/
cp -n "$formats"/chord.aac corpus/adts/
for f in "$formats"/*; do head -c 16 "$f" >"corpus/sniff/$(basename "$f")"; done
printf 'bytes=0-99' >corpus/range/seed-1
printf '\x00\x10\x00\x00\x00\x00\x00\x00bytes=-5' >corpus/range/seed-2
printf 'derived/t/a?exp=1767000000&max=100&sig=%s' "$(printf 'A%.0s' {1..43})" >corpus/signing/seed-1
printf '~2.1767000000.%s/derived/t/hls/seg.m4s' "$(printf 'A%.0s' {1..43})" >corpus/signing/seed-2
cat >corpus/jobs_file/seed-1 <<'TOML'
[[job]]
name = "tempo-research"
version = 1
inputs = ["downsample.audio.wav"]
outputs = ["tempo.json"]
command = ["python3", "research/tempo.py", "{input:downsample.audio.wav}", "{output:tempo.json}"]
timeout_secs = 300
class = "cpu"
TOML
# CMAF seeds: init and media segments as the transcode job writes them (AAC, Opus, FLAC).
if command -v ffmpeg >/dev/null && [ -z "$(ls corpus/fmp4)" ]; then
  for c in "aac -b:a 96k" "libopus -b:a 64k" "flac -strict -2"; do
    n="${c%% *}"
    # shellcheck disable=SC2086
    ffmpeg -v error -f lavfi -i sine=d=3 -ar 48000 -c:a $c -f hls -hls_segment_type fmp4 \
      -hls_time 1.28 -hls_fmp4_init_filename "$n-init.mp4" \
      -hls_segment_filename "corpus/fmp4/$n-%d.m4s" "corpus/fmp4/$n.m3u8"
  done
  rm -f corpus/fmp4/*.m3u8
fi
cargo +nightly fuzz build
status=0
for target in sniff decode mp4 adts range signing jobs_file fmp4; do
  echo "== $target ($secs s)"
  cargo +nightly fuzz run "$target" "corpus/$target" -- \
    -rss_limit_mb=2048 -max_len=65536 -timeout=20 -max_total_time="$secs" || status=1
done
exit "$status"
