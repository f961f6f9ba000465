#!/usr/bin/env bash
# Proves the browser harness on a ladder made here, without Backbeat: ffmpeg encodes a 20 s stereo
# signal into two AAC-LC and two Opus renditions (fMP4, 6 s segments) as an HLS master playlist
# with CODECS on every variant and as a DASH MPD (SegmentTemplate + SegmentTimeline, one
# AdaptationSet per codec), a CORS-enabled static server serves them on one 127.0.0.1 port under a
# Backbeat-like path (/blobs/~TOKEN/derived/...), and play.mjs plays both from another origin.
#
#     tests/browser/selftest.sh [--out DIR]    # exits with play.mjs's status
#
# Needs ffmpeg, node, /usr/bin/chromium and node_modules (scripts/setup.sh installs all four).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

ladder="blobs/~5.1767000000.SELFTEST/derived/selftest/transcode/v1/ladder"
dir="$work/root/$ladder"
mkdir -p "$dir"

# Two tones stepping every second, different per channel: stereo, never silent, 48 kHz.
src=(-f lavfi -i "aevalsrc=0.3*sin(2*PI*(220+110*floor(t))*t)|0.3*sin(2*PI*(330+55*floor(t))*t):s=48000:d=20")
rungs=(-map 0:a -map 0:a -map 0:a -map 0:a
  -c:a:0 aac -b:a:0 96k -c:a:1 aac -b:a:1 160k
  -c:a:2 libopus -b:a:2 64k -c:a:3 libopus -b:a:3 96k)

# HLS: one media playlist per rendition with an EXT-X-MAP init segment.
( cd "$dir" && ffmpeg -nostdin -hide_banner -loglevel error "${src[@]}" "${rungs[@]}" \
    -f hls -hls_time 6 -hls_segment_type fmp4 -hls_playlist_type vod \
    -var_stream_map "a:0,name:aac96 a:1,name:aac160 a:2,name:opus64 a:3,name:opus96" \
    -hls_fmp4_init_filename 'hls_%v_init.mp4' -hls_segment_filename 'hls_%v_%03d.m4s' \
    -master_pl_name ffmpeg-master.m3u8 'hls_%v.m3u8' )
# ffmpeg writes no CODECS for Opus variants; Backbeat's master carries CODECS on every variant
# (and EXT-X-INDEPENDENT-SEGMENTS), so rewrite it that way, keeping ffmpeg's BANDWIDTH figures.
awk '
  /^#EXTM3U/ { print; next }
  /^#EXT-X-VERSION/ { print; print "#EXT-X-INDEPENDENT-SEGMENTS"; next }
  /^#EXT-X-STREAM-INF/ { inf = $0; sub(/,CODECS="[^"]*"/, "", inf); next }
  /\.m3u8$/ { codec = ($0 ~ /opus/) ? "opus" : "mp4a.40.2"; print inf ",CODECS=\"" codec "\""; print; next }
' "$dir/ffmpeg-master.m3u8" > "$dir/g1-master.m3u8"
rm "$dir/ffmpeg-master.m3u8"

# DASH: fMP4 for Opus too (-dash_segment_type mp4; ffmpeg would pick WebM otherwise).
( cd "$dir" && ffmpeg -nostdin -hide_banner -loglevel error "${src[@]}" "${rungs[@]}" \
    -f dash -dash_segment_type mp4 -seg_duration 6 -use_template 1 -use_timeline 1 \
    -adaptation_sets "id=0,streams=0,1 id=1,streams=2,3" \
    -init_seg_name 'dash_$RepresentationID$_init.mp4' \
    -media_seg_name 'dash_$RepresentationID$_$Number%03d$.m4s' g1-manifest.mpd )

# The stream server: its own port, so the page (served by play.mjs) is another origin.
node "$here/static-server.mjs" --root "$work/root" --cors > "$work/server.out" &
server_pid=$!
origin=""
for _ in $(seq 100); do
  origin="$(head -n1 "$work/server.out")"
  [ -n "$origin" ] && break
  sleep 0.1
done
[ -n "$origin" ] || { echo "selftest: the static server did not start" >&2; exit 2; }

echo "selftest: serving $origin/$ladder/" >&2
status=0
node "$here/play.mjs" --hls "$origin/$ladder/g1-master.m3u8" --dash "$origin/$ladder/g1-manifest.mpd" "$@" || status=$?
exit "$status"
