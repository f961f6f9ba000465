"""What transcoding a track into the streaming ladder costs (issue 14), in CPU seconds.

Run through bench/transcode_cost.sh (it finds the dev set). In ONE run, on one source (by
default a 5-minute 44.1 kHz stereo 16-bit FLAC made here from three real recordings of the dev
set, joined end to end), it measures:

- ladder: the single-process ladder, one decode, `aresample=48000,asplit=6`, six encoders, six
  fMP4 HLS outputs (6.08 s segments): the way Backbeat transcodes, with the chosen settings
  (LADDER), and the same with the issue's reference settings, with ffmpeg's defaults and with
  the cheapest settings measured (a floor, at a quality cost);
- naive: one ffmpeg process per rendition, each decoding and resampling the source itself, same
  outputs: with the chosen settings, and with AAC `fast` + Opus default (the issue's ~18 CPU-s);
- navidrome: one rendition on the fly as Navidrome does it
  (`ffmpeg -i SRC -ss 0 -map 0:a:0 -b:a 192k -v 0 -f mp3 -`, output discarded);
- backbeat (with --backbeat BIN): `BIN transcode SRC --out DIR`, children included (its
  outputs are not checked here; a non-zero exit is reported as a failed row).

CPU = user+sys of the child and everything it waited for (getrusage(RUSAGE_CHILDREN) deltas;
the commands run one at a time). CPU time, not wall time: the machine is shared with other
builds. With --runs N, the variants run interleaved N times and the median is kept. Each ladder
run is checked (six playlists, the expected number of segments) so that a failing command cannot
pass for a cheap one.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RATE = 48000
SEGMENT_SECONDS = "6.08"  # 285 AAC frames (1024 samples) = 304 Opus frames (20 ms) at 48 kHz
SOURCE_SECONDS = 300
SOURCE_RATE = 44100
# Real recordings of the dev set (jazz, orchestral, salsa) joined into the 5-minute source.
SOURCE_PARTS = ["librosa/kevin_macleod_vibe_ace.ogg",
                "debian-wesnoth-1.16-music/wesnoth_battle-epic.ogg",
                "pyaudioanalysis/salsa_100bpm.mp3"]

# The ladder's encoder arguments: THE one place they are written. Chosen by bench/encoders.py
# (docs/BENCHMARKS.md, "Transcoding ladder"): (rendition id, ffmpeg output-stream arguments).
# AAC: the fast coder without intensity stereo (which costs the fast coder most of its quality
# at 160 and 256 kb/s) and without PNS; Opus: complexity 5, the lowest that keeps CELT's pitch
# pre-filter, about 0.6x the CPU of the default 10 at the same measured distance.
AAC_CHOSEN = ["-c:a", "aac", "-aac_coder", "fast", "-aac_is", "0", "-aac_pns", "0"]
OPUS_CHOSEN = ["-c:a", "libopus", "-compression_level", "5"]
LADDER = [
    ("aac-96", [*AAC_CHOSEN, "-b:a", "96k"]),
    ("aac-160", [*AAC_CHOSEN, "-b:a", "160k"]),
    ("aac-256", [*AAC_CHOSEN, "-b:a", "256k"]),
    ("opus-64", [*OPUS_CHOSEN, "-b:a", "64k"]),
    ("opus-96", [*OPUS_CHOSEN, "-b:a", "96k"]),
    ("opus-160", [*OPUS_CHOSEN, "-b:a", "160k"]),
]
# The reference: AAC `fast`, Opus at libopus's default (compression_level 10).
REFERENCE = [(rid, ["-c:a", "aac", "-aac_coder", "fast", "-b:a", f"{kbps}k"]
              if rid.startswith("aac") else ["-c:a", "libopus", "-b:a", f"{kbps}k"])
             for rid, kbps in (("aac-96", 96), ("aac-160", 160), ("aac-256", 256),
                               ("opus-64", 64), ("opus-96", 96), ("opus-160", 160))]
# The cheapest settings measured (quality cost in docs/BENCHMARKS.md): a floor, not a choice.
CHEAPEST = [(rid, ["-c:a", "aac", "-aac_coder", "fast", "-aac_is", "0", "-aac_ms", "0",
                   "-aac_pns", "0", "-aac_tns", "0", "-b:a", f"{kbps}k"]
             if rid.startswith("aac") else
             ["-c:a", "libopus", "-compression_level", "0", "-b:a", f"{kbps}k"])
            for rid, kbps in (("aac-96", 96), ("aac-160", 160), ("aac-256", 256),
                              ("opus-64", 64), ("opus-96", 96), ("opus-160", 160))]
# ffmpeg's defaults for both encoders (AAC twoloop coder, libopus compression_level 10).
DEFAULTS = [(rid, [a for a in args if a not in ("-aac_coder", "fast")])
            for rid, args in REFERENCE]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def ffmpeg_base():
    return ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"]


def hls_output(out_dir, rid):
    """fMP4 HLS muxer arguments writing rendition rid into out_dir/rid/."""
    d = os.path.join(out_dir, rid)
    os.makedirs(d, exist_ok=True)
    return ["-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", SEGMENT_SECONDS,
            "-hls_playlist_type", "vod", "-hls_fmp4_init_filename", f"{rid}-init.mp4",
            "-hls_segment_filename", os.path.join(d, f"{rid}-%05d.m4s"),
            os.path.join(d, f"{rid}.m3u8")]


def ladder_command(src, out_dir, ladder=LADDER):
    """The single-process ladder: one decode, resample once to 48 kHz, split to one encoder per
    rendition, one fMP4 HLS output each. Takes the encoder arguments from `ladder` only."""
    labels = "".join(f"[a{i}]" for i in range(len(ladder)))
    cmd = [*ffmpeg_base(), "-i", src, "-filter_complex",
           f"[0:a]aresample={RATE},asplit={len(ladder)}{labels}"]
    for i, (rid, args) in enumerate(ladder):
        cmd += ["-map", f"[a{i}]", *args, *hls_output(out_dir, rid)]
    return cmd


def naive_commands(src, out_dir, ladder=LADDER):
    """One ffmpeg per rendition, each decoding and resampling the source on its own."""
    return [[*ffmpeg_base(), "-i", src, "-map", "0:a:0", "-af", f"aresample={RATE}", *args,
             *hls_output(out_dir, rid)] for rid, args in ladder]


def navidrome_command(src):
    """Navidrome's default transcoding command for one on-the-fly stream (output discarded)."""
    return ["ffmpeg", "-nostdin", "-i", src, "-ss", "0", "-map", "0:a:0", "-b:a", "192k",
            "-v", "0", "-f", "mp3", "-"]


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmds):
    """Run the commands one after another; (CPU seconds, wall seconds). Raises on failure."""
    cpu0, wall0 = child_cpu(), time.perf_counter()
    for cmd in cmds:
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:6])} ... exited {proc.returncode}: "
                               + proc.stderr.decode("utf-8", "replace")[-400:])
    return child_cpu() - cpu0, time.perf_counter() - wall0


def check_ladder(out_dir, ladder, duration):
    """Every rendition has its playlist, init segment and all its media segments; returns
    {rid: bytes written} (init + segments)."""
    expected = int(-(-duration // float(SEGMENT_SECONDS)))
    sizes = {}
    for rid, _ in ladder:
        d = Path(out_dir) / rid
        segs = sorted(d.glob(f"{rid}-*.m4s"))
        if not (d / f"{rid}.m3u8").is_file() or not (d / f"{rid}-init.mp4").is_file():
            raise RuntimeError(f"{rid}: no playlist or init segment in {d}")
        if abs(len(segs) - expected) > 1:
            raise RuntimeError(f"{rid}: {len(segs)} segments, expected {expected}")
        sizes[rid] = sum(p.stat().st_size for p in segs) + (d / f"{rid}-init.mp4").stat().st_size
    return sizes


def make_source(dev, path):
    """A SOURCE_SECONDS 44.1 kHz stereo 16-bit FLAC of SOURCE_PARTS joined end to end."""
    cmd = ffmpeg_base()
    chains = []
    for i, rel in enumerate(SOURCE_PARTS):
        cmd += ["-i", os.path.join(dev, rel)]
        chains.append(f"[{i}:a]aresample={SOURCE_RATE},"
                      f"aformat=sample_fmts=s16:channel_layouts=stereo[p{i}]")
    joined = "".join(f"[p{i}]" for i in range(len(SOURCE_PARTS)))
    graph = ";".join(chains) + (f";{joined}concat=n={len(SOURCE_PARTS)}:v=0:a=1,"
                                f"atrim=end_sample={SOURCE_SECONDS * SOURCE_RATE}[out]")
    run([[*cmd, "-filter_complex", graph, "-map", "[out]", "-c:a", "flac", path]])


def duration_of(path):
    cmd = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path]
    return float(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dev", type=Path, help="the dev set's folder (to make the source)")
    p.add_argument("--source", help="measure on this file instead of the 5-minute source")
    p.add_argument("--runs", type=int, default=3, help="interleaved runs, median kept")
    p.add_argument("--backbeat", help="also measure `BIN transcode SRC --out DIR`")
    p.add_argument("--target", type=float, default=10.0,
                   help="CPU-s target for the whole ladder on a 5-minute track (issue 14)")
    a = p.parse_args()
    if not a.source and not a.dev:
        p.error("give --dev (to make the 5-minute source) or --source")

    with tempfile.TemporaryDirectory(prefix="backbeat-transcode-") as tmp:
        src = a.source
        if not src:
            src = os.path.join(tmp, "source.flac")
            make_source(str(a.dev), src)
        duration = duration_of(src)
        minutes = duration / 60
        log(f"source {src}: {duration:.2f} s")

        def out_dir():
            d = tempfile.mkdtemp(dir=tmp, prefix="out-")
            return d

        def ladder_variant(ladder):
            def go():
                d = out_dir()
                cpu, wall = run([ladder_command(src, d, ladder)])
                sizes = check_ladder(d, ladder, duration)
                shutil.rmtree(d)
                return cpu, wall, sizes
            return go

        def naive_variant(ladder):
            def go():
                d = out_dir()
                cpu, wall = run(naive_commands(src, d, ladder))
                sizes = check_ladder(d, ladder, duration)
                shutil.rmtree(d)
                return cpu, wall, sizes
            return go

        def navidrome():
            cpu, wall = run([navidrome_command(src)])
            return cpu, wall, None

        def backbeat():
            d = out_dir()
            cpu, wall = run([[a.backbeat, "transcode", src, "--out", d]])
            shutil.rmtree(d)
            return cpu, wall, None

        variants = {
            "ladder, one process, chosen settings": ladder_variant(LADDER),
            "ladder, one process, AAC fast + Opus default": ladder_variant(REFERENCE),
            "ladder, one process, ffmpeg defaults": ladder_variant(DEFAULTS),
            "ladder, one process, cheapest measured": ladder_variant(CHEAPEST),
            "naive, 6 processes, chosen settings": naive_variant(LADDER),
            "naive, 6 processes, AAC fast + Opus default": naive_variant(REFERENCE),
            "navidrome, one 192k MP3 on the fly": navidrome,
        }
        if a.backbeat:
            variants[f"backbeat transcode ({a.backbeat})"] = backbeat
        else:
            log("no --backbeat BIN given: the `backbeat transcode` row is skipped")
        log("load before the runs: " + open("/proc/loadavg").read().strip())
        results = {name: [] for name in variants}
        failed = {}
        sizes = {}
        for r in range(max(a.runs, 1)):
            for name, go in variants.items():
                try:
                    cpu, wall, sz = go()
                except RuntimeError as e:
                    if go is not backbeat:
                        raise
                    # Backbeat's own command is new: its failure is reported, not fatal.
                    log(f"run {r + 1}: {name} failed: {e}")
                    failed[name] = str(e)
                    continue
                results[name].append((cpu, wall))
                if sz:
                    sizes[name] = sz
                log(f"run {r + 1}: {name}: {cpu:.2f} CPU-s, {wall:.1f} s wall")
        log("load after the runs: " + open("/proc/loadavg").read().strip())

    cpu = {n: statistics.median(c for c, _ in rs) for n, rs in results.items() if rs}
    single = cpu["ladder, one process, chosen settings"]
    nav = cpu["navidrome, one 192k MP3 on the fly"]
    what = a.source or "5-minute 44.1 kHz stereo FLAC from the dev set"
    print(f"source: {duration:.1f} s ({what}), median of {max(a.runs, 1)} interleaved runs, "
          "CPU = user+sys")
    print()
    print("| variant | CPU-s | CPU-s per minute of audio | × chosen ladder | × Navidrome stream |")
    print("|---|---|---|---|---|")
    for name in variants:
        if name not in cpu:
            print(f"| {name} | failed: {failed.get(name, '?')[:120]} | | | |")
            continue
        print(f"| {name} | {cpu[name]:.2f} | {cpu[name] / minutes:.3f} | "
              f"{cpu[name] / single:.2f} | {cpu[name] / nav:.2f} |")
    print()
    print("Chosen ladder arguments:")
    for rid, args in LADDER:
        print(f"  {rid}: {' '.join(args)}")
    print("Bytes written per rendition by the chosen ladder (init + segments), as kb/s:")
    for rid, size in sizes.get("ladder, one process, chosen settings", {}).items():
        print(f"  {rid}: {size * 8 / duration / 1000:.1f} kb/s")
    verdict = "meets" if single <= a.target * minutes / 5 else "misses"
    print(f"\nTarget: whole ladder <= {a.target:g} CPU-s for a 5-minute track; the chosen ladder "
          f"takes {single / minutes * 5:.2f} CPU-s per 5 minutes: it {verdict} the target.")


if __name__ == "__main__":
    main()
