#!/usr/bin/env bash
# The labelled voice set for the vocal and speech detectors (bench/voices.py): sung melodies,
# rap and speech over the generated corpus's instrumental beds, speech and a cappella singing
# alone; labels.csv in the dev set's format. Audio stays outside the repo.
#   bench/voices.sh [--out DIR] [--alone N]   (see --help; default ~/.cache/backbeat/voices)
# Makes the corpus first when it is missing (bench/corpus.sh), installs espeak-ng when missing,
# and runs in the pinned bench venv (numpy, soundfile).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
. "$REPO/scripts/apt.sh"
apt_install voices "${need[@]}"

[ -f "$HOME/.cache/backbeat/corpus/labels.csv" ] || "$REPO/bench/corpus.sh"
. "$REPO/bench/venv.sh"      # sets VENV
exec "$VENV/bin/python" "$REPO/bench/voices.py" "$@"
