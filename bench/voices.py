#!/usr/bin/env python3
"""A labelled voice set for the vocal and speech detectors, built on the generated corpus.

Every instrumental render of the corpus (`bench/corpus.sh`) gets one voiced version, the kind
balanced over the pieces:

- **sung**: the piece's own melody (re-derived from its seed) sung by a synthetic voice: a
  glottal source with a −6 dB/octave tilt through vowel formants (a, e, i, o, u; female or male
  values), one vowel per note, portamento, delayed vibrato (5–6.5 Hz, 0.2–0.6 semitone), pitch
  drift, breath noise, consonant bursts at syllable onsets, a small room; mixed −2 … +6 dB
  against the bed. `vocal=yes`, `speech=no`.
- **rap**: espeak-ng words placed on the piece's eighth-note grid (from its exact beats), fast
  and flat, over the bed. `vocal=yes`, `speech=no` (rap is a vocal, not speech: the detector
  must not call it speech).
- **speech over music**: espeak-ng sentences (several voices and languages) with the bed ducked
  under them, as in a podcast or a radio spot. `vocal=no`, `speech=mixed`, with a `.segments`
  file of the exact spans.

and, alone: **speech** (espeak-ng sentences, `speech=yes`) and **a cappella** singing
(`vocal=yes`). The beds themselves are listed too (`vocal=no`, `speech=no`), by relative path
into the corpus, so one labels file holds both classes. The source column is `voice-<soundfont>`,
so a leave-one-source-out evaluation holds out one soundfont's beds and everything built on them.

Output: `~/.cache/backbeat/voices/` (labels.csv in the dev set's format, FLAC files, segments).
Deterministic for a seed; reruns skip files that exist. Needs numpy, soundfile (the bench venv)
and espeak-ng. Run through bench/voices.sh.
"""

import argparse
import csv
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402  (the corpus's pieces, re-derived from their seed)

RATE = 44100
# Bump when the synthesis changes: files made by another version are made again.
VERSION = 1
SOUNDFONTS = ["fluidr3", "musescore", "timgm6mb"]
KINDS = ["sung", "sung", "rap", "speech-over"]

# Formants (Hz) F1–F4 and bandwidths, after Peterson & Barney (1952) and Sundberg's singers.
VOWELS = {
    "male": {
        "a": ([730, 1090, 2440, 3300], [90, 110, 160, 250]),
        "e": ([530, 1840, 2480, 3300], [70, 100, 150, 250]),
        "i": ([290, 2250, 3000, 3500], [60, 100, 150, 250]),
        "o": ([570, 840, 2410, 3300], [80, 100, 150, 250]),
        "u": ([320, 870, 2240, 3300], [70, 90, 150, 250]),
    },
    "female": {
        "a": ([850, 1220, 2810, 3900], [100, 120, 170, 280]),
        "e": ([610, 2330, 2990, 4000], [80, 110, 160, 280]),
        "i": ([310, 2790, 3310, 4200], [70, 110, 160, 280]),
        "o": ([590, 920, 2710, 3900], [90, 110, 160, 280]),
        "u": ([370, 950, 2670, 3900], [80, 100, 160, 280]),
    },
}
RANGE = {"female": (57, 77), "male": (45, 67)}

SENTENCES = [
    "Welcome back to the show. Today we talk about the music that shaped a whole decade.",
    "The next track was recorded live in a small club, with only two microphones in the room.",
    "If you enjoyed this episode, tell a friend, and we will see you again next week.",
    "Our guest started playing the guitar at nine, and has not stopped since.",
    "The weather tomorrow is mild and dry, with a light wind from the west in the afternoon.",
    "This programme is supported by listeners like you. Thank you for being here.",
    "In the second half of the hour we look at how a catalogue of songs finds its audience.",
    "The band wrote most of the album in one long winter, far away from the city.",
    "Bienvenue a toutes et a tous, voici les nouvelles de la musique cette semaine.",
    "Heute sprechen wir ueber die Geschichte des Jazz in den grossen Staedten.",
    "Buenas tardes, en el programa de hoy escuchamos canciones de todo el mundo.",
]
LANG_OF = {8: "fr", 9: "de", 10: "es"}
RAP_WORDS = (
    "yeah we rolling through the city lights never stop the beat is right hands up to the sky "
    "every day we rise again count it up from one to ten money time and rhyme and flow all the "
    "people in the show keep it moving keep it real tell me now the way you feel"
).split()
VOICE_VARIANTS = ["m1", "m3", "m5", "f1", "f2", "f4"]


def espeak(text, voice, speed, pitch, path):
    """espeak-ng to a WAV; returns mono float32 at RATE."""
    r = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path, text],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise RuntimeError("espeak-ng failed: %s" % r.stderr.strip())
    x, sr = sf.read(path, dtype="float32", always_2d=True)
    return resample(x.mean(axis=1), sr)


def resample(x, sr):
    if sr == RATE or len(x) == 0:
        return x.astype(np.float32)
    n = int(round(len(x) * RATE / sr))
    return np.interp(np.arange(n) * sr / RATE, np.arange(len(x)), x).astype(np.float32)


def room(x, rng, rt=None, wet=None):
    """A small room: exponentially decaying noise impulse response, mixed in."""
    rt = rt or rng.uniform(0.25, 0.7)
    wet = wet if wet is not None else rng.uniform(0.08, 0.2)
    n = int(rt * RATE)
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    ir = nrng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n)
    ir /= np.sqrt(np.sum(ir ** 2))
    size = 1 << int(math.ceil(math.log2(len(x) + n)))
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(ir, size), size)[: len(x)]
    return ((1 - wet) * x + wet * y).astype(np.float32)


def melody_notes(piece):
    """(start s, end s, MIDI pitch) of the piece's melody, or [] when it has none."""
    tm = piece["tempo_map"]
    notes = []
    for part in piece["parts"]:
        if part.role == "melody":
            for tick, dur, pitch, _vel in part.notes:
                notes.append((tm.seconds(tick), tm.seconds(tick + dur), pitch))
    return sorted(notes)


def sing(notes, duration, rng):
    """A synthetic singer on `notes` ((start, end, MIDI pitch)); mono float32 at RATE."""
    gender = rng.choice(["female", "male"])
    lo, hi = RANGE[gender]
    median = sorted(p for _, _, p in notes)[len(notes) // 2]
    shift = 12 * round(((lo + hi) / 2 - median) / 12)
    n = int(duration * RATE)
    hop = 128
    frames = n // hop + 2
    t = np.arange(frames) * hop / RATE
    pitch = np.full(frames, np.nan)
    amp = np.zeros(frames)
    vowel_f = np.zeros((frames, 4))
    vowel_b = np.ones((frames, 4)) * 100
    onsets = []
    vib_rate, vib_depth = rng.uniform(5.0, 6.5), rng.uniform(0.2, 0.6)
    prev_pitch = None
    for k, (s, e, p) in enumerate(notes):
        if s >= duration:
            break
        e = min(e, duration)
        i0, i1 = int(s * RATE / hop), max(int(e * RATE / hop), int(s * RATE / hop) + 2)
        target = p + shift
        seg_t = t[i0:i1] - s
        # portamento from the previous note when legato, else a small scoop from below
        start = prev_pitch if prev_pitch is not None and s - prev_end < 0.08 else target - 0.7
        glide = start + (target - start) * (1 - np.exp(-seg_t / 0.035))
        vib = vib_depth * np.clip((seg_t - 0.12) / 0.15, 0, 1) * np.sin(2 * np.pi * vib_rate * seg_t)
        pitch[i0:i1] = glide + vib
        env = np.minimum(1.0, seg_t / 0.04) * np.minimum(1.0, np.maximum(0.0, (e - s - seg_t)) / 0.06)
        amp[i0:i1] = np.maximum(amp[i0:i1], env)
        vowel = rng.choice("aeiou")
        f, b = VOWELS[gender][vowel]
        vowel_f[i0:i1] = f
        vowel_b[i0:i1] = b
        onsets.append(s)
        prev_pitch, prev_end = target, e
    # slow pitch drift, ±0.1 semitone
    drift_rng = np.random.default_rng(rng.randrange(1 << 30))
    drift = np.cumsum(drift_rng.standard_normal(frames)) * 0.004
    drift -= np.convolve(drift, np.ones(400) / 400, mode="same")
    voiced = ~np.isnan(pitch)
    pitch = np.where(voiced, pitch + np.clip(drift, -0.1, 0.1), 60.0)
    # smooth formant moves between vowels (about 50 ms)
    kernel = np.ones(17) / 17
    for j in range(4):
        vowel_f[:, j] = np.convolve(np.where(vowel_f[:, j] > 0, vowel_f[:, j], 500.0), kernel, mode="same")
    amp = np.convolve(amp, np.ones(5) / 5, mode="same") * voiced
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    # per-sample f0 and phase
    ts = np.arange(n) / RATE
    f0_s = np.interp(ts, t, f0)
    phase = 2 * np.pi * np.cumsum(f0_s) / RATE
    amp_s = np.interp(ts, t, amp)
    out = np.zeros(n)
    shimmer = 1 + 0.05 * np.interp(ts, t, drift_rng.standard_normal(frames))
    # Klatt's cascade: the product of the four formant resonators (unit gain at 0 Hz) on a
    # source falling 6 dB per octave (glottal pulse and lip radiation together), which gives
    # formant peaks some 20 dB over the valleys, as in sung vowels.
    top = int(7000 / f0[voiced].min()) + 1 if voiced.any() else 1
    for h in range(1, top):
        fh = h * f0  # per frame
        gain = np.ones(frames)
        for j in range(4):
            fj, bj = vowel_f[:, j], vowel_b[:, j]
            gain *= fj ** 2 / np.sqrt((fj ** 2 - fh ** 2) ** 2 + (fh * bj) ** 2)
        # Klatt's higher-pole correction: the formants above F4 lift the top octave back.
        gain *= 1 + (fh / 4500.0) ** 2
        gain = gain / h * (fh < 0.45 * RATE)
        out += np.interp(ts, t, gain) * np.sin(h * phase)
    out *= amp_s * shimmer
    # breath: noise shaped like the voice's envelope, and consonant bursts at syllable onsets
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    noise = nrng.standard_normal(n)
    hiss = noise - np.convolve(noise, np.ones(8) / 8, mode="same")  # high-passed
    out += 0.04 * np.std(out) / max(np.std(hiss), 1e-9) * hiss * amp_s
    for s in onsets:
        if rng.random() < 0.6:
            i0 = int(s * RATE)
            m = int(rng.uniform(0.02, 0.06) * RATE)
            if i0 + m < n:
                burst = hiss[i0:i0 + m] * np.hanning(m) * 0.5 * np.std(out)
                out[max(0, i0 - m):i0] += burst[: i0 - max(0, i0 - m)]
    out /= max(np.max(np.abs(out)), 1e-9)
    return room(out.astype(np.float32), rng), gender


def speech_track(duration, rng, tmp, alone):
    """Sentences with pauses up to `duration`: (mono signal, [(start, end)] of speech)."""
    n = int(duration * RATE)
    out = np.zeros(n, dtype=np.float32)
    spans = []
    pos = rng.uniform(0.3, 1.5) if alone else rng.uniform(2.0, 5.0)
    variant = rng.choice(VOICE_VARIANTS)
    speed, pitch = rng.randint(145, 185), rng.randint(30, 70)
    while pos < duration - 2.0:
        k = rng.randrange(len(SENTENCES))
        voice = LANG_OF.get(k, rng.choice(["en-us", "en-gb"])) + "+" + variant
        x = espeak(SENTENCES[k], voice, speed, pitch, os.path.join(tmp, "s.wav"))
        x = trim(x)
        i0 = int(pos * RATE)
        m = min(len(x), n - i0)
        if m < RATE // 2:
            break
        out[i0:i0 + m] += x[:m]
        spans.append((pos, pos + m / RATE))
        pos += m / RATE + rng.uniform(0.4, 1.2 if alone else 4.0)
    return room(out, rng, wet=0.05), spans


def trim(x, threshold=1e-3):
    idx = np.flatnonzero(np.abs(x) > threshold)
    return x[idx[0]: idx[-1] + 1] if len(idx) else x[:0]


def rap_track(beats, duration, rng, tmp):
    """espeak-ng words on the eighth-note grid of `beats` (times, s): mono signal."""
    n = int(duration * RATE)
    out = np.zeros(n, dtype=np.float32)
    variant = rng.choice(VOICE_VARIANTS)
    voice = rng.choice(["en-us", "en-gb"]) + "+" + variant
    speed, pitch = rng.randint(200, 260), rng.randint(25, 45)
    cache = {}
    grid = []
    for a, b in zip(beats, beats[1:]):
        grid += [a, (a + b) / 2]
    start = rng.uniform(0.0, min(4.0, duration / 4))
    w = 0
    for i, (s, e) in enumerate(zip(grid, grid[1:])):
        if s < start or s >= duration - 0.5 or (i // 16) % 4 == 3 or rng.random() < 0.15:
            continue  # a bar's rest every four, and some gaps
        word = RAP_WORDS[w % len(RAP_WORDS)]
        w += 1
        if word not in cache:
            cache[word] = trim(espeak(word, voice, speed, pitch, os.path.join(tmp, "w.wav")))
        x = cache[word]
        slot = int((e - s) * RATE * 1.6)  # words may run into the next slot a little
        x = x[:slot] * np.minimum(1.0, np.arange(min(len(x), slot))[::-1] / (0.01 * RATE) + 1e-9)
        i0 = int(s * RATE)
        m = min(len(x), n - i0)
        out[i0:i0 + m] += x[:m]
    return room(out, rng, wet=0.06)


def rms(x):
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def write(path, x, row):
    """The FLAC, then its labels row beside it (`made` reads it back on a rerun)."""
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak > 0.89:  # about −1 dBFS
        x = x * (0.89 / peak)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path + ".part.flac", x, RATE, subtype="PCM_16")
    os.replace(path + ".part.flac", path)
    with open(path[:-5] + ".json.part", "w") as f:
        json.dump(dict(row=row, version=VERSION), f)
    os.replace(path[:-5] + ".json.part", path[:-5] + ".json")


def made(path):
    """The labels row of a file an earlier run made with this version, or None."""
    try:
        with open(path[:-5] + ".json") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    return meta["row"] if meta.get("version") == VERSION and os.path.exists(path) else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=os.path.expanduser("~/.cache/backbeat/corpus"))
    ap.add_argument("--out", default=os.path.expanduser("~/.cache/backbeat/voices"))
    ap.add_argument("--pieces", type=int, default=40)
    ap.add_argument("--seed", default="1", help="the corpus's seed")
    ap.add_argument("--alone", type=int, default=20, help="files of speech alone and of a cappella singing, each")
    args = ap.parse_args()
    out = args.out
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="backbeat-voices-") as tmp:
        return make(args, out, tmp)


def make(args, out, tmp):
    rows = []
    pieces = [corpus.make_piece(args.seed, i, (30.0, 60.0)) for i in range(args.pieces)]
    total = len(pieces) * len(SOUNDFONTS) + 2 * args.alone
    done = 0
    for p in pieces:
        for sf_index, sf_name in enumerate(SOUNDFONTS):
            done += 1
            source = "voice-" + sf_name
            bed_rel = "gen-%s/%s.flac" % (sf_name, p["name"])
            bed_path = os.path.join(args.corpus, bed_rel)
            if not os.path.exists(bed_path):
                sys.exit("voices: %s is missing: run bench/corpus.sh first" % bed_path)
            rel_to_corpus = os.path.relpath(bed_path, out)
            rows.append(dict(path=rel_to_corpus, source=source, vocal="no", speech="no",
                             duration_s="%.3f" % sf.info(bed_path).duration,
                             notes="instrumental bed: corpus %s" % bed_rel))
            rng = random.Random("backbeat-voices:%s:%d:%s" % (args.seed, p["index"], sf_name))
            kind = corpus.balanced(args.seed, "voice-kind", KINDS, p["index"] * 3 + sf_index)
            notes = melody_notes(p)
            if kind == "sung" and len(notes) < 8:
                kind = "rap" if p["drums"] else "speech-over"
            rel = "%s/%s_%s.flac" % (source, p["name"], kind)
            path = os.path.join(out, rel)
            row = made(path)
            if row is not None:
                rows.append(row)
                print("[%d/%d] %s  (made before)" % (done, total, rel), flush=True)
                continue
            bed, _ = sf.read(bed_path, dtype="float32", always_2d=True)
            duration = len(bed) / RATE
            mono_bed = bed.mean(axis=1)
            row = dict(path=rel, source=source)
            if kind == "sung":
                voice, gender = sing(notes, duration, rng)
                gain_db = rng.uniform(-2.0, 6.0)
                row.update(vocal="yes", speech="no",
                           notes="sung (synthetic %s voice on the piece's melody) over corpus %s at %+.1f dB" % (
                               gender, bed_rel, gain_db))
            elif kind == "rap":
                voice = rap_track([b for b, _ in p["beats"]], duration, rng, tmp)
                gain_db = rng.uniform(-2.0, 4.0)
                row.update(vocal="yes", speech="no",
                           notes="rap (espeak-ng words on the eighth-note grid) over corpus %s at %+.1f dB" % (
                               bed_rel, gain_db))
            else:
                voice, spans = speech_track(duration, rng, tmp, alone=False)
                gain_db = rng.uniform(6.0, 12.0)
                duck = np.ones(len(mono_bed), dtype=np.float32)
                for s, e in spans:
                    i0, i1 = int(max(0, s - 0.3) * RATE), int(min(duration, e + 0.3) * RATE)
                    duck[i0:i1] = 10 ** (-rng.uniform(12, 18) / 20)
                duck = np.convolve(duck, np.ones(4410) / 4410, mode="same").astype(np.float32)
                bed = bed * duck[:, None]
                seg_rel = rel[:-5] + ".segments"
                write_segments(os.path.join(out, seg_rel), spans, duration)
                row.update(vocal="no", speech="mixed",
                           notes="speech (espeak-ng) over corpus %s ducked under it, speech %+.1f dB ; annotations=%s" % (
                               bed_rel, gain_db, seg_rel))
            voice = np.pad(voice, (0, max(0, len(bed) - len(voice))))[: len(bed)]
            scale = 10 ** (gain_db / 20) * rms(mono_bed) / max(rms(voice[voice != 0]), 1e-9)
            row["duration_s"] = "%.3f" % duration
            write(path, bed + (scale * voice)[:, None], row)
            rows.append(row)
            print("[%d/%d] %s" % (done, total, rel), flush=True)
    for i in range(args.alone):
        rng = random.Random("backbeat-voices:%s:alone:%d" % (args.seed, i))
        for kind in ("speech", "acappella"):
            done += 1
            rel = "voice-alone/%s_%03d.flac" % (kind, i)
            path = os.path.join(out, rel)
            row = made(path)
            if row is not None:
                rows.append(row)
                print("[%d/%d] %s  (made before)" % (done, total, rel), flush=True)
                continue
            duration = rng.uniform(15.0, 40.0)
            if kind == "speech":
                x, _ = speech_track(duration, rng, tmp, alone=True)
                row = dict(vocal="no", speech="yes", notes="speech alone (espeak-ng)")
            else:
                p = pieces[i % len(pieces)]
                notes = melody_notes(p) or melody_notes(pieces[(i + 1) % len(pieces)])
                duration = min(duration, notes[-1][1] + 1.0)
                x, gender = sing(notes, duration, rng)
                row = dict(vocal="yes", speech="no",
                           notes="a cappella (synthetic %s voice on the melody of %s)" % (gender, p["name"]))
            row.update(path=rel, source="voice-alone", duration_s="%.3f" % duration)
            write(path, np.stack([x, x], axis=1), row)
            rows.append(row)
            print("[%d/%d] %s" % (done, total, rel), flush=True)
    header = ["path", "source", "duration_s", "bpm", "beats", "key", "genre", "mood", "instruments",
              "vocal", "speech", "lufs", "true_peak_db", "notes"]
    with open(os.path.join(out, "labels.csv.part"), "w", newline="") as f:
        w = csv.DictWriter(f, header, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in header})
    os.replace(os.path.join(out, "labels.csv.part"), os.path.join(out, "labels.csv"))
    counts = {}
    for r in rows:
        counts[(r["vocal"], r["speech"])] = counts.get((r["vocal"], r["speech"]), 0) + 1
    print("wrote %s/labels.csv: %d files; (vocal, speech): %s" % (out, len(rows), counts))
    return 0


def write_segments(path, spans, duration):
    """Speech spans as `start end label` lines, music between them."""
    lines, pos = [], 0.0
    for s, e in spans:
        if s > pos:
            lines.append("%.3f\t%.3f\tmusic" % (pos, s))
        lines.append("%.3f\t%.3f\tspeech_over_music" % (s, e))
        pos = e
    if pos < duration:
        lines.append("%.3f\t%.3f\tmusic" % (pos, duration))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
