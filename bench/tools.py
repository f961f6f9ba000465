"""Runners for each tool of the comparison: backbeat (child process), essentia and librosa
(in-process), and ffmpeg's ebur128 filter (loudness reference).

CPU time is what is compared, not wall time (the machine is shared): getrusage(RUSAGE_CHILDREN)
user+sys for child processes, time.process_time() around each in-process algorithm call.
"""

import json
import math
import os
import re
import resource
import subprocess
import time

import numpy as np

ESSENTIA_RATE = 44100
LIBROSA_RATE = 22050
KEY_PROFILES = ["krumhansl", "temperley", "edma", "edmm", "bgate", "shaath", "diatonic",
                "tonictriad", "weichai", "faraldo", "noland"]
# Krumhansl & Kessler (1982) probe-tone profiles, C major / C minor.
KS_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KS_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
ESSENTIA_KEYS = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6,
                 "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}


def child_cpu_seconds():
    """User+sys CPU seconds of all waited-for children so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_child(cmd):
    """Run cmd, return (completed process, CPU seconds it used, wall seconds)."""
    cpu0, wall0 = child_cpu_seconds(), time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    return proc, child_cpu_seconds() - cpu0, time.perf_counter() - wall0


class Timer:
    """Accumulates process CPU seconds per component (`with timer("rhythm"): ...`)."""

    def __init__(self):
        self.seconds = {}
        self._name, self._start = None, 0.0

    def __call__(self, name):
        self._name = name
        return self

    def __enter__(self):
        self._start = time.process_time()

    def __exit__(self, *exc):
        self.seconds[self._name] = (self.seconds.get(self._name, 0.0)
                                    + time.process_time() - self._start)
        return False


# --- backbeat -------------------------------------------------------------------------------

def run_backbeat(binary, paths):
    """`backbeat analyze --jobs 1 --format json` over all paths in one child process.

    Returns (estimates by path, CPU seconds, failures {path: reason}).
    """
    # `backbeat analyze` refuses the whole batch when a named path does not exist.
    failures = {p: "file not found" for p in paths if not os.path.exists(p)}
    paths = [p for p in paths if p not in failures]
    if not paths:
        return {}, 0.0, failures
    proc, cpu, _ = run_child([binary, "analyze", "--jobs", "1", "--format", "json", *paths])
    estimates = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        path = rec.get("path")
        if "error" in rec:
            failures[path] = rec["error"].get("message", "error")
            continue
        key = rec.get("key")
        estimates[path] = {
            "bpm": (rec.get("rhythm") or {}).get("bpm"),
            "beats": (rec.get("rhythm") or {}).get("beats") or [],
            "key": (ESSENTIA_KEYS.get(key["tonic"]), key["mode"]) if key else None,
            "lufs": (rec.get("loudness") or {}).get("integrated_lufs"),
            "true_peak": (rec.get("loudness") or {}).get("true_peak_dbtp"),
            "duration": (rec.get("file") or {}).get("duration_secs"),
        }
    if proc.returncode != 0:
        for p in paths:
            if p not in estimates:
                failures.setdefault(p, f"backbeat exited {proc.returncode}: "
                                    + proc.stderr.decode("utf-8", "replace")[-300:])
    return estimates, cpu, failures


# --- ffmpeg reference -------------------------------------------------------------------------

SUMMARY_RE = {
    "I": re.compile(r"^\s*I:\s+(-?[\d.]+|-inf|nan)\s+LUFS", re.M),
    "LRA": re.compile(r"^\s*LRA:\s+(-?[\d.]+|-inf|nan)\s+LU\b", re.M),
    "Peak": re.compile(r"^\s*Peak:\s+(-?[\d.]+|-inf|nan)\s+dBFS", re.M),
}


def ffmpeg_ebur128(path):
    """ffmpeg -af ebur128=peak=true summary values {I, LRA, Peak}, or None when ffmpeg fails."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", path,
           "-af", "ebur128=peak=true", "-f", "null", "-"]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    text = proc.stderr.decode("utf-8", "replace")
    summary = text[text.rfind("Summary:"):] if "Summary:" in text else ""
    if proc.returncode != 0 or not summary:
        return None
    values = {}
    for name, pattern in SUMMARY_RE.items():
        found = pattern.findall(summary)
        value = float(found[-1]) if found else None
        values[name] = value if value is not None and math.isfinite(value) else None
    return values


def ffprobe_duration(path):
    """Container duration in seconds per ffprobe, or None."""
    cmd = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        return float(proc.stdout.strip())
    except ValueError:
        return None


# --- essentia ---------------------------------------------------------------------------------

def essentia_load(es, path, timer):
    """Decode once at the native rate (AudioLoader), resample to 44.1 kHz, downmix to mono."""
    with timer("load"):
        audio, rate, channels = es.AudioLoader(filename=path)()[:3]
        if rate != ESSENTIA_RATE:
            resample = es.Resample(inputSampleRate=rate, outputSampleRate=ESSENTIA_RATE)
            audio = np.stack([resample(np.ascontiguousarray(audio[:, c])) for c in range(2)],
                             axis=1).astype(np.float32)
        mono = np.ascontiguousarray(audio.mean(axis=1), dtype=np.float32)
    # AudioLoader always gives two columns; a mono file has them equal. BS.1770 counts a mono
    # channel once (as ffmpeg does), so loudness gets (x, 0) for mono sources.
    if channels == 1:
        audio = np.stack([audio[:, 0], np.zeros(len(audio), dtype=np.float32)], axis=1)
    return np.ascontiguousarray(audio, dtype=np.float32), mono


def essentia_key(es, mono, profile):
    """(pitch class, mode) from KeyExtractor with one profile, or None."""
    key, scale, _ = es.KeyExtractor(profileType=profile, sampleRate=ESSENTIA_RATE)(mono)
    pc = ESSENTIA_KEYS.get(key)
    return (pc, scale) if pc is not None and scale in ("major", "minor") else None


def essentia_file(es, path, profiles, timer):
    """Every essentia estimate of one file; profiles = key profiles to run (each timed)."""
    stereo, mono = essentia_load(es, path, timer)
    with timer("rhythm"):
        bpm, ticks = es.RhythmExtractor2013(method="multifeature")(mono)[:2]
    keys, key_errors = {}, {}
    for profile in profiles:
        with timer("key:" + profile):
            try:
                keys[profile] = essentia_key(es, mono, profile)
            except RuntimeError as e:
                # `weichai` raises on minor keys, `faraldo` is not in every essentia build:
                # that profile gives no answer for this file, and the reason is reported.
                keys[profile] = None
                key_errors[profile] = str(e).strip().splitlines()[-1][:160]
    with timer("loudness"):
        integrated = float(es.LoudnessEBUR128(sampleRate=ESSENTIA_RATE)(stereo)[2])
    with timer("true peak"):
        detector = es.TruePeakDetector(sampleRate=ESSENTIA_RATE, oversamplingFactor=4)
        peak = max(float(np.max(np.abs(detector(np.ascontiguousarray(stereo[:, c]))[1]),
                                initial=0.0)) for c in range(2))
    return {
        "bpm": float(bpm) if bpm > 0 else None,
        "beats": [float(t) for t in ticks],
        "keys": keys,
        "key_errors": key_errors,
        "lufs": integrated if math.isfinite(integrated) and integrated > -70 else None,
        "true_peak": 20 * math.log10(peak) if peak > 0 else None,
        "duration": len(mono) / ESSENTIA_RATE,
    }


# --- librosa ----------------------------------------------------------------------------------

def librosa_key(librosa, y, rate):
    """Krumhansl-Schmuckler: correlate the mean chroma_cqt with the 24 rotated profiles."""
    chroma = librosa.feature.chroma_cqt(y=y, sr=rate).mean(axis=1)
    if not np.any(chroma > 0):
        return None
    best, best_r = None, -np.inf
    for mode, profile in (("major", KS_MAJOR), ("minor", KS_MINOR)):
        for tonic in range(12):
            r = np.corrcoef(chroma, np.roll(profile, tonic))[0, 1]
            if np.isfinite(r) and r > best_r:
                best, best_r = (tonic, mode), r
    return best


def librosa_file(librosa, path, timer):
    """librosa estimates of one file: load at 22,050 Hz mono, beat_track, chroma_cqt + K-S."""
    with timer("load"):
        y, rate = librosa.load(path, sr=LIBROSA_RATE, mono=True)
    with timer("rhythm"):
        tempo, beats = librosa.beat.beat_track(y=y, sr=rate, units="time")
    with timer("key"):
        key = librosa_key(librosa, y, rate)
    tempo = float(np.atleast_1d(tempo)[0])
    return {"bpm": tempo if tempo > 0 else None, "beats": [float(t) for t in beats], "key": key,
            "duration": len(y) / rate}


def librosa_warm_up(librosa):
    """Run every timed librosa call once on noise, so numba JIT compilation is not timed."""
    y = np.random.default_rng(0).standard_normal(LIBROSA_RATE * 5).astype(np.float32) * 0.1
    librosa.beat.beat_track(y=y, sr=LIBROSA_RATE, units="time")
    librosa.feature.chroma_cqt(y=y, sr=LIBROSA_RATE)
