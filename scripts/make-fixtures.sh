#!/usr/bin/env bash
# Regenerates the small checked-in decoder fixtures (one per format) from one synthetic signal:
# a C-major chord struck every 0.5 s (120 BPM) for 2 s, stereo, 44.1 kHz. Needs ffmpeg.
# The fixtures are committed; run this only to change them.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/testdata/formats"
mkdir -p "$out"
env='exp(-6*mod(t\,0.5))'
chord="0.25*(sin(2*PI*261.63*t)+sin(2*PI*329.63*t)+sin(2*PI*392.00*t))*$env"
src="aevalsrc=${chord}|${chord}*0.8:s=44100:d=2"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "$src" "$@"; }
ff -c:a pcm_s16le "$out/chord_s16.wav"
ff -c:a pcm_s24le "$out/chord_s24.wav"
ff -c:a pcm_f32le "$out/chord_f32.wav"
ff -c:a flac -sample_fmt s16 "$out/chord.flac"
ff -c:a libmp3lame -b:a 128k "$out/chord.mp3"
ff -c:a libvorbis -q:a 3 "$out/chord.ogg"
ff -c:a libopus -b:a 64k "$out/chord.opus"
ff -c:a aac -b:a 128k "$out/chord_aac.m4a"
ff -c:a alac "$out/chord_alac.m4a"
# 8 kHz mono: the telephone-band edge case.
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "$src" -ac 1 -ar 8000 -c:a pcm_s16le "$out/chord_8k_mono.wav"
ls -l "$out"
