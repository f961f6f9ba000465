#!/usr/bin/env bash
# Benchmark corpus generator: a synthetic, labelled corpus for tuning and validating tempo, beat,
# tempo-curve and key estimation. bench/corpus.py writes MIDI pieces (seeded: styles, meters,
# keys, tempo shapes) and renders each with FluidSynth through every General MIDI soundfont
# found; labels.csv follows the dev set's format, so `backbeat eval <out>/labels.csv` uses it
# directly (one source per soundfont, for leave-one-source-out). Audio stays outside the repo.
#   bench/corpus.sh [--out DIR] [--pieces N] [--seed S] [--seconds MIN MAX]   (see --help)
#   Default output: ~/.cache/backbeat/corpus (reruns only render what changed).
# Installs what is missing, without asking: fluidsynth, ffmpeg, and the soundfonts
# fluid-soundfont-gm (FluidR3), timgm6mb-soundfont and musescore-general-soundfont.
# Renders one file at a time (light on CPU); needs only the system python3's standard library.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need=()
command -v fluidsynth >/dev/null 2>&1 || need+=(fluidsynth)
{ command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; } || need+=(ffmpeg)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || need+=(fluid-soundfont-gm)
[ -f /usr/share/sounds/sf2/TimGM6mb.sf2 ] || need+=(timgm6mb-soundfont)
dpkg -s musescore-general-soundfont >/dev/null 2>&1 || need+=(musescore-general-soundfont)

. "$REPO/scripts/apt.sh"
apt_install corpus "${need[@]}"

# The soundfonts, as corpus.py's --soundfont NAME=PATH (short name = the labels' source gen-NAME).
sf_args=()
add_sf() {  # add_sf NAME PATH...: the first existing path
    local name="$1" p; shift
    for p in "$@"; do
        if [ -n "$p" ] && [ -f "$p" ]; then sf_args+=(--soundfont "$name=$p"); return; fi
    done
    echo "corpus: warning: no soundfont file for $name" >&2
}
add_sf fluidr3 /usr/share/sounds/sf2/FluidR3_GM.sf2
add_sf timgm6mb /usr/share/sounds/sf2/TimGM6mb.sf2
# The package's own file list: its file name and path have changed between releases.
musescore_sf="$(dpkg -L musescore-general-soundfont 2>/dev/null | grep -E '\.sf[23]$' \
                | sort | head -n 1 || true)"
add_sf musescore "$musescore_sf"

cd "$REPO"
exec python3 "$REPO/bench/corpus.py" "${sf_args[@]}" "$@"
