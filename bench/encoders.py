"""Encoder settings for the streaming ladder, chosen by measurement (issue 14).

Run through bench/encoders.sh (it makes the venv with numpy and finds the dev set). For every
candidate setting (AAC: ffmpeg's native encoder, default `twoloop` coder against `-aac_coder fast`
with coding tools switched off; Opus: libopus at several `-compression_level`s, 40 ms frames,
constrained VBR) and every file, it measures:

- CPU seconds: user+sys of the ffmpeg child (getrusage(RUSAGE_CHILDREN) delta, tools.run_child)
  for `ffmpeg -i SRC -vn -af aresample=48000 -c:a ... out.mp4`, that is decode + resample +
  encode, the way the ladder does it. Decode + resample alone (`-f null`) is measured on the same
  file, so the encoder's own share is the difference. CPU time, not wall time: the machine is
  shared. With --runs N each figure is the median of N runs (runs of all settings interleaved).
- Bitrate reached: sum of the encoded packets' sizes (ffprobe, so no container overhead) * 8 /
  source duration.
- Distance from the source, on both channels at 48 kHz: the source and the encoded file are
  each decoded by ffmpeg to 48 kHz float (`aresample=48000`, ffmpeg's default swr resampler, the
  one the ladder uses: resampling is not counted as coding error), the encoded one is aligned to
  the source by the lag (within +-4096 samples) that maximises the phase-transform weighted
  cross-correlation (GCC-PHAT, 20 Hz-16 kHz) of the mono mixes, then both are cut into 2048-sample Hann frames, hop 1024. Frames where the source is
  quieter than -60 dBFS RMS are left out. Two figures:
  * LSD, log-spectral distance in dB: per frame and channel, the RMS over FFT bins from 20 Hz to
    16 kHz of 10*log10(P_source / P_encoded), each power clamped from below at the frame's
    strongest source bin - 60 dB (so differences far below what is playing are not counted, and
    zeroed bins above the encoder's low-pass count as at most that), averaged over frames.
    Phase-blind: it sees bandwidth loss, holes and band-energy errors, not noise under them.
  * NMR, a noise-to-mask ratio estimate in dB: noise = |X_source - X_encoded|^2 summed per
    critical band (Zwicker's band edges, 20 Hz-16 kHz, 25 bands); mask = the source's band
    energies spread over bands with Schroeder's spreading function, lowered by PEAQ's offset
    (3 dB below 12 Bark, 0.25*z dB above), and not below the threshold in quiet (Terhardt,
    taking a 0 dBFS sine as 96 dB SPL). NMR = 10*log10 of the mean over frames, channels and
    bands of noise/mask. Waveform-based: it penalises parametric tools whose output is
    perceptually fine but not the same waveform (AAC PNS, Opus/CELT band folding), so compare
    settings of one codec with each other, not AAC with Opus.
  Neither is a listening test; they rank settings of one encoder against its own default.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tools import run_child  # noqa: E402

RATE = 48000
N_FFT, HOP = 2048, 1024
F_LO, F_HI = 20.0, 16000.0
SILENCE_DBFS = -60.0
LSD_RANGE_DB = 60.0
MAX_LAG = 4096
# Zwicker's critical-band edges (Hz) up to 15.5 kHz, closed at 16 kHz.
BARK_EDGES = [20, 100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320,
              2700, 3150, 3700, 4400, 5300, 6400, 7700, 9500, 12000, 15500, 16000]
SPL_OF_FULL_SCALE = 96.0

# The dev set's full-length music (real recordings, several genres); paths relative to it.
DEFAULT_FILES = [
    "pyaudioanalysis/salsa_100bpm.mp3",                     # salsa, 44.1 kHz MP3 128k
    "librosa/kevin_macleod_vibe_ace.ogg",                   # jazz, Vorbis 224k
    "debian-wesnoth-1.16-music/wesnoth_battle-epic.ogg",    # orchestral, Vorbis 160k
    "debian-wesnoth-1.16-music/wesnoth_elvish-theme.ogg",   # orchestral / folk, Vorbis 112k
    "debian-singularity-music/singularity_Awakening.ogg",   # ambient electronic, 48 kHz Vorbis
    "debian-warzone2100-music/warzone2100_menu.opus",       # electronic, Opus
    "debian-asc-music/asc_machine_wars.mp3",                # rock / electronic, 22 kHz MP3
    "debian-hyperrogue-music/hyperrogue_hr3-caves.ogg",     # ambient, Vorbis ~500k
]


def aac(coder=None, **tools):
    args = ["-c:a", "aac"]
    if coder:
        args += ["-aac_coder", coder]
    for name, value in tools.items():
        args += ["-" + name, str(value)]
    return args


def opus(level, *extra):
    return ["-c:a", "libopus", "-compression_level", str(level), *extra]


# name -> (codec, ffmpeg encoder arguments without the bitrate, the default it is compared with)
CANDIDATES = {
    "aac twoloop (default)": ("aac", aac(), None),
    "aac fast": ("aac", aac("fast"), "aac twoloop (default)"),
    "aac fast tns0": ("aac", aac("fast", aac_tns=0), "aac twoloop (default)"),
    "aac fast pns0": ("aac", aac("fast", aac_pns=0), "aac twoloop (default)"),
    "aac fast is0 ms0": ("aac", aac("fast", aac_is=0, aac_ms=0), "aac twoloop (default)"),
    "aac fast is0": ("aac", aac("fast", aac_is=0), "aac twoloop (default)"),
    "aac fast is0 pns0": ("aac", aac("fast", aac_is=0, aac_pns=0), "aac twoloop (default)"),
    "aac fast is0 pns0 tns0": ("aac", aac("fast", aac_is=0, aac_pns=0, aac_tns=0),
                               "aac twoloop (default)"),
    "aac fast pns0 tns0": ("aac", aac("fast", aac_pns=0, aac_tns=0), "aac twoloop (default)"),
    "aac fast all0": ("aac", aac("fast", aac_pns=0, aac_tns=0, aac_is=0, aac_ms=0),
                      "aac twoloop (default)"),
    "opus cl10 (default)": ("opus", opus(10), None),
    "opus cl8": ("opus", opus(8), "opus cl10 (default)"),
    "opus cl5": ("opus", opus(5), "opus cl10 (default)"),
    "opus cl3": ("opus", opus(3), "opus cl10 (default)"),
    "opus cl0": ("opus", opus(0), "opus cl10 (default)"),
    "opus cl10 fd40": ("opus", opus(10, "-frame_duration", "40"), "opus cl10 (default)"),
    "opus cl5 fd40": ("opus", opus(5, "-frame_duration", "40"), "opus cl10 (default)"),
    "opus cl10 cvbr": ("opus", opus(10, "-vbr", "constrained"), "opus cl10 (default)"),
}
BITRATES = {"aac": [96, 160, 256], "opus": [64, 96, 160]}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def ffmpeg(*args):
    return ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *args]


def decode_48k(path):
    """The file decoded by ffmpeg to 48 kHz stereo float32, shape (samples, 2)."""
    cmd = ffmpeg("-i", path, "-vn", "-af", f"aresample={RATE}", "-ac", "2", "-f", "f32le", "-")
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"decoding {path}: {proc.stderr.decode('utf-8', 'replace')[-300:]}")
    return np.frombuffer(proc.stdout, dtype="<f4").reshape(-1, 2)


def payload_bytes(path):
    """Sum of the audio packets' sizes (ffprobe), the bitstream without container overhead."""
    cmd = ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=size",
           "-of", "csv=p=0", path]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return sum(int(line.strip().rstrip(",")) for line in out.splitlines() if line.strip())


def find_lag(ref, test):
    """Lag (samples) such that test[n + lag] best matches ref[n], within +-MAX_LAG."""
    common = min(len(ref), len(test))
    r, t = ref[:common].mean(axis=1), test[:common].mean(axis=1)
    # A 20 s stretch from the loudest part of the first minutes is enough and keeps it cheap.
    n = min(len(r), len(t), 20 * RATE)
    start = 0
    if len(r) > n + 2 * MAX_LAG:
        blocks = [(float(np.sum(r[i:i + n] ** 2)), i)
                  for i in range(MAX_LAG, len(r) - n - MAX_LAG, 5 * RATE)]
        start = max(blocks)[1] if blocks else 0
    a = r[start:start + n]
    b = t[max(start - MAX_LAG, 0):start + n + MAX_LAG]
    offset = start - max(start - MAX_LAG, 0)
    size = 1 << int(np.ceil(np.log2(len(a) + len(b))))
    # GCC-PHAT: every frequency weighs the same. A plain cross-correlation is ruled by the bass,
    # whose broad peak put an Opus encoding of a bass-heavy track one sample off (and the high
    # bands' error then read as noise).
    cross = np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size))
    freqs = np.fft.rfftfreq(size, 1.0 / RATE)
    mag = np.abs(cross)
    keep = (freqs >= F_LO) & (freqs <= F_HI) & (mag > mag.max() * 1e-9)
    corr = np.fft.irfft(np.where(keep, cross / np.maximum(mag, 1e-30), 0), size)
    lags = np.arange(-MAX_LAG, MAX_LAG + 1)
    idx = (lags + offset) % size
    return int(lags[int(np.argmax(corr[idx]))])


class Analysis:
    """Frame-domain constants shared by every comparison."""

    def __init__(self):
        self.window = np.hanning(N_FFT + 1)[:-1].astype(np.float64)
        # Power spectrum scaled so that a full-scale sine peaks at 0 dB.
        self.scale = (2.0 / self.window.sum()) ** 2
        freqs = np.fft.rfftfreq(N_FFT, 1.0 / RATE)
        self.band_bins = (freqs >= F_LO) & (freqs <= F_HI)
        edges = np.array(BARK_EDGES, dtype=float)
        self.band_of_bin = np.searchsorted(edges, freqs, side="right") - 1
        self.band_of_bin[(freqs < edges[0]) | (freqs >= edges[-1])] = -1
        n_bands = len(edges) - 1
        centres = np.sqrt(edges[:-1] * edges[1:])
        z = 13 * np.arctan(0.00076 * centres) + 3.5 * np.arctan((centres / 7500) ** 2)
        dz = z[:, None] - z[None, :]  # masker j -> maskee i: dz = z_i - z_j
        spread_db = 15.81 + 7.5 * (dz + 0.474) - 17.5 * np.sqrt(1 + (dz + 0.474) ** 2)
        offset_db = np.where(z <= 12, 3.0, 0.25 * z)
        self.spread = 10 ** ((spread_db - offset_db[:, None]) / 10)  # (maskee, masker)
        # Threshold in quiet (Terhardt), per band at its centre, as power re full scale; the
        # band's energy is summed over its bins, so the threshold is per bin times bins.
        f = centres / 1000
        ath_spl = 3.64 * f ** -0.8 - 6.5 * np.exp(-0.6 * (f - 3.3) ** 2) + 1e-3 * f ** 4
        bins_per_band = np.array([np.sum(self.band_of_bin == b) for b in range(n_bands)])
        self.ath = 10 ** ((ath_spl - SPL_OF_FULL_SCALE) / 10) * np.maximum(bins_per_band, 1)
        self.n_bands = n_bands

    def band_sum(self, power):
        """(frames, bins) -> (frames, bands) sums over each critical band's bins."""
        out = np.zeros((power.shape[0], self.n_bands))
        for b in range(self.n_bands):
            out[:, b] = power[:, self.band_of_bin == b].sum(axis=1)
        return out

    def frames(self, x):
        n = 1 + (len(x) - N_FFT) // HOP
        if n <= 0:
            return np.zeros((0, N_FFT))
        idx = np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]
        return x[idx] * self.window

    def compare(self, ref, test):
        """(LSD dB, NMR dB, frames used) of test against ref, both (samples, 2) and aligned."""
        lsd_sum, nmr_sum, count = 0.0, 0.0, 0
        block = 1024 * HOP
        floor_db = SILENCE_DBFS
        for ch in range(ref.shape[1]):
            for start in range(0, len(ref) - N_FFT + 1, block):
                seg_r = ref[start:start + block + N_FFT - HOP, ch].astype(np.float64)
                seg_t = test[start:start + block + N_FFT - HOP, ch].astype(np.float64)
                fr, ft = self.frames(seg_r), self.frames(seg_t)
                if len(fr) == 0:
                    continue
                loud = 10 * np.log10(np.mean((seg_r[self._idx(len(fr))]) ** 2, axis=1)
                                     + 1e-20) > floor_db
                if not np.any(loud):
                    continue
                xr, xt = np.fft.rfft(fr[loud], axis=1), np.fft.rfft(ft[loud], axis=1)
                pr = (np.abs(xr) ** 2) * self.scale
                pt = (np.abs(xt) ** 2) * self.scale
                # LSD over 20 Hz-16 kHz, each frame floored LSD_RANGE_DB under its peak.
                br, bt = pr[:, self.band_bins], pt[:, self.band_bins]
                floor = br.max(axis=1, keepdims=True) * 10 ** (-LSD_RANGE_DB / 10) + 1e-30
                d = 10 * np.log10(np.maximum(br, floor) / np.maximum(bt, floor))
                lsd_sum += float(np.sum(np.sqrt(np.mean(d ** 2, axis=1))))
                # NMR proxy per critical band.
                noise = self.band_sum((np.abs(xr - xt) ** 2) * self.scale)
                energy = self.band_sum(pr)
                mask = np.maximum(energy @ self.spread.T, self.ath[None, :])
                nmr_sum += float(np.sum(np.mean(noise / mask, axis=1)))
                count += int(np.sum(loud))
        if count == 0:
            return None, None, 0
        return lsd_sum / count, 10 * np.log10(nmr_sum / count + 1e-30), count

    def _idx(self, n):
        return np.arange(N_FFT)[None, :] + HOP * np.arange(n)[:, None]


def measure_cpu(src, args, out_path):
    """CPU seconds of one `ffmpeg -i SRC -af aresample=48000 ARGS OUT` (decode + resample +
    encode), or raise when ffmpeg fails."""
    proc, cpu, _ = run_child(ffmpeg("-i", src, "-vn", "-af", f"aresample={RATE}", *args,
                                    out_path))
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg {' '.join(args)}: "
                           + proc.stderr.decode("utf-8", "replace")[-300:])
    return cpu


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dev", type=Path, required=True, help="the labelled dev set's folder")
    p.add_argument("--files", nargs="*", default=DEFAULT_FILES,
                   help="files relative to --dev (default: 8 full-length music recordings)")
    p.add_argument("--only", default="", help="comma-separated candidate names (exact)")
    p.add_argument("--report", type=Path, nargs="*",
                   help="print the tables from these --json files (merged) and exit")
    p.add_argument("--runs", type=int, default=1, help="CPU runs per setting (median kept)")
    p.add_argument("--json", type=Path, help="write every per-file measurement here")
    p.add_argument("--out", type=Path, help="also write the Markdown tables here")
    a = p.parse_args()

    if a.report:
        rows = [r for path in a.report for r in json.loads(path.read_text())]
        present = {r["setting"] for r in rows}
        print(report(rows, [n for n in CANDIDATES if n in present]))
        return
    only = [s.strip() for s in a.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in CANDIDATES]
    if unknown:
        p.error(f"unknown candidates {unknown}; known: {list(CANDIDATES)}")
    names = [n for n in CANDIDATES if not only or n in only]
    settings = [(n, kbps) for n in names for kbps in BITRATES[CANDIDATES[n][0]]]
    analysis = Analysis()
    rows = []  # one per (file, setting, bitrate)
    with tempfile.TemporaryDirectory(prefix="backbeat-encoders-") as tmp:
        for fi, rel in enumerate(a.files):
            src = str(a.dev / rel)
            ref = decode_48k(src)
            duration = len(ref) / RATE
            base = statistics.median(
                measure_cpu(src, ["-f", "null"], "-") for _ in range(max(a.runs, 1)))
            log(f"{rel}: {duration:.1f} s, decode+resample {base:.2f} CPU-s")
            cpus = {s: [] for s in settings}
            for _ in range(max(a.runs, 1)):
                for name, kbps in settings:
                    _, args, _ = CANDIDATES[name]
                    out = os.path.join(tmp, f"{fi}-{settings.index((name, kbps))}.mp4")
                    cpus[(name, kbps)].append(
                        measure_cpu(src, [*args, "-b:a", f"{kbps}k", "-f", "mp4"], out))
            for i, (name, kbps) in enumerate(settings):
                out = os.path.join(tmp, f"{fi}-{i}.mp4")
                test = decode_48k(out)
                lag = find_lag(ref, test)
                if lag >= 0:
                    t = test[lag:]
                    r = ref[:len(t)]
                else:
                    r = ref[-lag:]
                    t = test
                n = min(len(r), len(t))
                lsd, nmr, frames = analysis.compare(r[:n], t[:n])
                cpu = statistics.median(cpus[(name, kbps)])
                row = {"file": rel, "setting": name, "kbps": kbps, "duration": duration,
                       "cpu": cpu, "decode_cpu": base, "encode_cpu": cpu - base,
                       "reached_kbps": payload_bytes(out) * 8 / duration / 1000,
                       "lag": lag, "lsd_db": lsd, "nmr_db": nmr, "frames": frames}
                rows.append(row)
                os.remove(out)
                log(f"  {name:22s} {kbps:3d}k cpu {cpu:5.2f} reached {row['reached_kbps']:6.1f}"
                    f" lag {lag:5d} LSD {lsd:5.2f} NMR {nmr:6.2f}")
            if a.json:  # after every file, so that an interrupted run keeps what it measured
                a.json.parent.mkdir(parents=True, exist_ok=True)
                a.json.write_text(json.dumps(rows, indent=1))
    text = report(rows, names)
    print(text)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text)


def report(rows, names):
    """Markdown tables per codec and bitrate. Settings measured on different sets of files (runs
    with --only / --files merged by --report) get one table per set of files, and each is
    compared with its default on the same files only."""
    by = {}
    for r in rows:
        by.setdefault((r["setting"], r["kbps"]), []).append(r)
    file_sets = {}
    for n in names:
        fs = frozenset(r["file"] for r in rows if r["setting"] == n)
        file_sets.setdefault(fs, []).append(n)
    lines = []
    for fs, fs_names in sorted(file_sets.items(), key=lambda kv: -len(kv[0])):
        durations = {r["file"]: r["duration"] for r in rows if r["file"] in fs}
        decodes = {r["file"]: r["decode_cpu"] for r in rows if r["file"] in fs}
        minutes = sum(durations.values()) / 60
        lines += [f"On {len(fs)} files, {minutes:.1f} min of audio ({', '.join(sorted(fs))}); "
                  f"decode + resample to 48 kHz alone: {sum(decodes.values()) / minutes:.3f} "
                  "CPU-s per minute of audio.", ""]
        for codec in ("aac", "opus"):
            # Every setting measured on (at least) these files, so the table is complete.
            codec_names = [n for n in names if CANDIDATES[n][0] == codec
                           and fs <= {r["file"] for r in rows if r["setting"] == n}]
            if not any(n in fs_names for n in codec_names):
                continue
            lines += [f"| {codec} setting | kb/s | CPU-s/min (total) | CPU-s/min (encoder) | "
                      "encoder vs default | reached kb/s | LSD dB | NMR dB | ΔLSD | ΔNMR |",
                      "|---|---|---|---|---|---|---|---|---|---|"]
            for kbps in BITRATES[codec]:
                for name in codec_names:
                    rs = [r for r in by.get((name, kbps), []) if r["file"] in fs]
                    if len(rs) != len(fs):
                        continue
                    agg = aggregate(rs)
                    default = CANDIDATES[name][2]
                    ref = None
                    if default:
                        drs = [r for r in by.get((default, kbps), []) if r["file"] in fs]
                        ref = aggregate(drs) if len(drs) == len(fs) else None
                    ratio = (f"{agg['enc'] / ref['enc']:.2f}×" if ref
                             else "1" if default is None else "")
                    dl = f"{agg['lsd'] - ref['lsd']:+.2f}" if ref else ""
                    dn = f"{agg['nmr'] - ref['nmr']:+.2f}" if ref else ""
                    lines.append(f"| {name} | {kbps} | {agg['cpu']:.3f} | {agg['enc']:.3f} | "
                                 f"{ratio} | {agg['kbps']:.1f} | {agg['lsd']:.2f} | "
                                 f"{agg['nmr']:.2f} | {dl} | {dn} |")
            lines.append("")
    return "\n".join(lines)


def aggregate(rs):
    """CPU per minute over all files (sums), bitrate and distances as means over files."""
    minutes = sum(r["duration"] for r in rs) / 60
    return {"cpu": sum(r["cpu"] for r in rs) / minutes,
            "enc": sum(r["encode_cpu"] for r in rs) / minutes,
            "kbps": statistics.mean(r["reached_kbps"] for r in rs),
            "lsd": statistics.mean(r["lsd_db"] for r in rs),
            "nmr": statistics.mean(r["nmr_db"] for r in rs)}


if __name__ == "__main__":
    main()
