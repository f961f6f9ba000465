#!/usr/bin/env python3
"""Benchmark corpus generator: synthetic, musically varied pieces with exact labels.

Writes Standard MIDI Files (standard library only), renders each piece through every General
MIDI soundfont given (FluidSynth, one file at a time), and writes a labels.csv in the dev set's
format (../shared/eval/dev/README.md), so that `backbeat eval OUT/labels.csv` scores tempo,
beats and key on it; `source` = gen-<soundfont> for leave-one-source-out by soundfont.

Each piece draws (seeded, deterministic): a style (chorale, pop, waltz, swing, march, ballad,
rock, folk), its meter (4/4, 3/4, or 6/8 whose annotated beat is the dotted quarter), a key
(12 tonics, major or minor), GM programs, a chord progression that starts and ends on the tonic
(the minor V has the raised leading tone), and a tempo shape: steady (about half), step,
accelerando, ritardando or drift. The tempo map is written as MIDI set-tempo events and the
beat times are computed from the very same integer tempo values, so labels are exact.

Per rendered file OUT/gen-<sf>/<style>_<NNN>.flac:
  .beats  beat time (s) and beat-in-bar (1-based), tab-separated: every beat from the first
          note (t = 0) to the final chord's downbeat;
  .tempo  time (s) and the local tempo (BPM of the annotated beat, the MIDI tempo in effect), every
          0.5 s, tab-separated, no header;
  .json   render cache: MIDI hash and measurements (a rerun skips files whose MIDI, soundfont
          and level are unchanged).
The MIDI files are kept in OUT/midi/. labels.csv is always rewritten.

  bench/corpus.sh [--out DIR] [--pieces N] [--seed S] [--seconds MIN MAX]
"""

import argparse
import array
import hashlib
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
from collections import Counter

PPQ = 1920  # ticks per quarter note: divisible by 3 (triplets, swing, 6/8) and by 16
SAMPLE_RATE = 44100
TAIL_S = 1.5  # release/reverb kept after the final chord's note-off
RENDER_VERSION = 2  # bump when the rendering or the trimming changes: forces re-rendering
HEADER = ["path", "source", "duration_s", "bpm", "beats", "key", "genre", "mood", "instruments",
          "vocal", "speech", "lufs", "true_peak_db", "notes"]
PITCH_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]  # as the eval code
MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]
HARMONIC_MINOR = [0, 2, 3, 5, 7, 8, 11]
MIN_BPM, MAX_BPM = 50.0, 200.0      # the dominant (labelled) tempo
LOCAL_MIN, LOCAL_MAX = 44.0, 215.0  # any local tempo of a shaped piece

GM = [
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet", "Celesta", "Glockenspiel",
    "Music Box", "Vibraphone", "Marimba", "Xylophone", "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion",
    "Harmonica", "Tango Accordion", "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)",
    "Electric Guitar (jazz)", "Electric Guitar (clean)", "Electric Guitar (muted)",
    "Overdriven Guitar", "Distortion Guitar", "Guitar Harmonics", "Acoustic Bass",
    "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass", "Slap Bass 1",
    "Slap Bass 2", "Synth Bass 1", "Synth Bass 2", "Violin", "Viola", "Cello", "Contrabass",
    "Tremolo Strings", "Pizzicato Strings", "Orchestral Harp", "Timpani", "String Ensemble 1",
    "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs", "Voice Oohs",
    "Synth Choir", "Orchestra Hit", "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn",
    "Brass Section", "Synth Brass 1", "Synth Brass 2", "Soprano Sax", "Alto Sax", "Tenor Sax",
    "Baritone Sax", "Oboe", "English Horn", "Bassoon", "Clarinet", "Piccolo", "Flute", "Recorder",
    "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle", "Ocarina", "Lead 1 (square)",
    "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)", "Lead 5 (charang)",
    "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)", "Pad 1 (new age)",
    "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)", "Pad 6 (metallic)",
    "Pad 7 (halo)", "Pad 8 (sweep)", "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)",
    "FX 4 (atmosphere)", "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai", "Tinkle Bell",
    "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom", "Synth Drum",
    "Reverse Cymbal", "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet",
    "Telephone Ring", "Helicopter", "Applause", "Gunshot",
]
DRUMS = "Drums"  # instruments-column name of the GM kit (channel 10)
KICK, SNARE, SIDESTICK, CLOSED_HH, PEDAL_HH, OPEN_HH = 36, 38, 37, 42, 44, 46
CRASH, RIDE, TAMBOURINE, LOW_TOM, MID_TOM, HIGH_TOM, FLOOR_TOM = 49, 51, 54, 45, 47, 50, 41

# Styles: meters (name, weight), dominant-tempo range (annotated beat), drums (probability).
STYLES = {
    "chorale": dict(meters=[("4/4", 0.7), ("3/4", 0.3)], bpm=(56, 100), drums=0.0),
    "pop": dict(meters=[("4/4", 1.0)], bpm=(80, 132), drums=1.0),
    "waltz": dict(meters=[("3/4", 1.0)], bpm=(84, 184), drums=0.0),
    "swing": dict(meters=[("4/4", 1.0)], bpm=(100, 200), drums=1.0),
    "march": dict(meters=[("4/4", 1.0)], bpm=(96, 132), drums=1.0),
    "ballad": dict(meters=[("4/4", 0.75), ("3/4", 0.25)], bpm=(50, 78), drums=0.0),
    "rock": dict(meters=[("4/4", 1.0)], bpm=(108, 176), drums=1.0),
    "folk": dict(meters=[("6/8", 1.0)], bpm=(56, 116), drums=0.5),
}
# Balanced draws, in shuffled blocks so that piece i does not depend on --pieces.
STYLE_BLOCK = ["pop", "pop", "rock", "swing", "march", "ballad", "chorale", "waltz", "folk", "folk"]
SHAPE_BLOCK = ["steady"] * 4 + ["step", "accelerando", "ritardando", "drift"]
# beats per bar, ticks per annotated beat, MIDI time signature (nn, dd as a power of 2, cc)
METERS = {
    "4/4": (4, PPQ, (4, 2, 24)),
    "3/4": (3, PPQ, (3, 2, 24)),
    "6/8": (2, PPQ * 3 // 2, (6, 3, 36)),
}
PROGRESSIONS = {  # scale degrees (0 = tonic), 4 chords per cycle, all starting on the tonic
    "major": [[0, 3, 4, 0], [0, 5, 3, 4], [0, 4, 5, 3], [0, 1, 4, 0], [0, 3, 0, 4],
              [0, 5, 1, 4], [0, 2, 3, 4], [0, 3, 1, 4]],
    "minor": [[0, 3, 4, 0], [0, 5, 2, 6], [0, 6, 5, 4], [0, 3, 6, 2], [0, 5, 3, 4],
              [0, 3, 0, 4], [0, 6, 5, 6]],
}
SWING_PROGRESSIONS = {"major": [[0, 5, 1, 4], [0, 3, 1, 4], [0, 0, 1, 4], [0, 2, 5, 1]],
                      "minor": [[0, 5, 1, 4], [0, 3, 1, 4], [0, 0, 1, 4], [0, 6, 5, 4]]}
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII"]


# ---------------------------------------------------------------------------------------------
# Tempo maps

def usec_for(bpm, tpb):
    """MIDI tempo (microseconds per quarter) for `bpm` annotated beats of `tpb` ticks."""
    return int(round(60e6 * PPQ / (bpm * tpb)))


def bpm_of(usec, tpb):
    return 60e6 * PPQ / (usec * tpb)


class TempoMap:
    """Piecewise-constant tempo: [(tick, usec per quarter)], first at tick 0. Times follow the
    SMF definition exactly (seconds = ticks * usec / PPQ / 1e6 within a segment)."""

    def __init__(self, segs, tpb):
        self.segs, self.tpb = segs, tpb
        self.starts = [0.0]
        for (t0, u0), (t1, _) in zip(segs, segs[1:]):
            self.starts.append(self.starts[-1] + (t1 - t0) * u0 / (PPQ * 1e6))

    def seconds(self, tick):
        i = self._seg_at_tick(tick)
        t0, u0 = self.segs[i]
        return self.starts[i] + (tick - t0) * u0 / (PPQ * 1e6)

    def _seg_at_tick(self, tick):
        lo, hi = 0, len(self.segs) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.segs[mid][0] <= tick:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def bpm_at_time(self, t):
        lo, hi = 0, len(self.segs) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= t:
                lo = mid
            else:
                hi = mid - 1
        return bpm_of(self.segs[lo][1], self.tpb)

    def spans(self, end_tick):
        """[(seconds, bpm)] of each segment up to end_tick."""
        out = []
        for i, (tick, u) in enumerate(self.segs):
            nxt = self.segs[i + 1][0] if i + 1 < len(self.segs) else end_tick
            nxt = min(nxt, end_tick)
            if nxt > tick:
                out.append(((nxt - tick) * u / (PPQ * 1e6), bpm_of(u, self.tpb)))
        return out


def weighted_median(spans):
    spans = sorted(spans, key=lambda s: s[1])
    half, acc = sum(d for d, _ in spans) / 2, 0.0
    for d, b in spans:
        acc += d
        if acc >= half:
            return b
    return spans[-1][1]


def build_tempo(rng, shape, base, bpb, tpb, t_body):
    """Tempo map of the body (the bars before the final chord): (segments, n_bars, info)."""
    bar = bpb * tpb
    info = {"shape": shape}
    if shape == "steady":
        n_bars = max(4, int(round(t_body / (bpb * 60.0 / base))))
        info["desc"] = "steady %.1f" % base
        return [(0, usec_for(base, tpb))], n_bars, info
    if shape == "step":
        ratio = rng.uniform(1.15, 1.5)
        up = rng.random() < 0.5
        if base * ratio > LOCAL_MAX:
            up = False
        if base / ratio < LOCAL_MIN:
            up = True
        other = base * ratio if up else base / ratio
        long_first = rng.random() < 0.5
        share = rng.uniform(0.62, 0.75)
        t_a, t_b = (base, other) if long_first else (other, base)
        bar_a, bar_b = bpb * 60.0 / t_a, bpb * 60.0 / t_b
        first_share = share if long_first else 1 - share
        n1 = max(2, int(round(first_share * t_body / bar_a)))
        n2 = max(2, int(round((1 - first_share) * t_body / bar_b)))
        for _ in range(64):  # the longer section must hold at least 60 % of the time
            long_t = n1 * bar_a if long_first else n2 * bar_b
            if long_t / (n1 * bar_a + n2 * bar_b) >= 0.6:
                break
            if long_first:
                n1 += 1
                n2 = max(2, n2 - 1) if n2 > 2 else n2
            else:
                n2 += 1
                n1 = max(2, n1 - 1) if n1 > 2 else n1
        info["desc"] = "step %.1f->%.1f at bar %d, %.2f s (x%.3f, %s section longer)" % (
            t_a, t_b, n1 + 1, n1 * bar_a, t_b / t_a, "first" if long_first else "second")
        info["change_bar"] = n1
        return [(0, usec_for(t_a, tpb)), (n1 * bar, usec_for(t_b, tpb))], n1 + n2, info
    if shape == "accelerando":
        pre, ramp, gain = rng.uniform(0.12, 0.22), rng.uniform(0.20, 0.30), rng.uniform(0.15, 0.40)
        start = base / (1 + gain)

        def curve(u):
            if u < pre:
                return start
            if u < pre + ramp:
                return start * (1 + gain * (u - pre) / ramp)
            return base
        info["desc"] = ("accelerando %.1f, ramp +%d%% over %d%% of the piece from %d%%, "
                        "then %.1f" % (start, round(gain * 100), round(ramp * 100),
                                       round(pre * 100), base))
    elif shape == "ritardando":
        last, slow = rng.uniform(0.20, 0.25), rng.uniform(0.20, 0.40)

        def curve(u):
            if u < 1 - last:
                return base
            return base * (1 - slow * min(1.0, (u - (1 - last)) / last))
        info["desc"] = "ritardando %.1f, the last %d%% slows by %d%%" % (
            base, round(last * 100), round(slow * 100))
    elif shape == "drift":
        amp = rng.uniform(0.10, 0.20)
        if rng.random() < 0.6:
            cycles, phase = rng.uniform(0.5, 1.5), rng.uniform(0, 2 * math.pi)

            def curve(u):
                return base * (1 + amp * math.sin(2 * math.pi * cycles * u + phase))
            info["desc"] = "drift sinusoidal +-%d%% around %.1f, %.2f cycles" % (
                round(amp * 100), base, cycles)
        else:
            sign = rng.choice([-1, 1])

            def curve(u):
                return base * (1 + sign * amp * (2 * u - 1))
            info["desc"] = "drift linear %s +-%d%% around %.1f" % (
                "up" if sign > 0 else "down", round(amp * 100), base)
    else:
        raise ValueError(shape)
    # Ramps: a set-tempo event every quarter of a beat, the tempo taken at the step's start.
    step = tpb // 4
    segs, t, tick = [], 0.0, 0
    while True:
        if tick > 0 and tick % bar == 0:
            bar_s = bpb * 60.0 / curve(min(1.0, t / t_body))
            if t + bar_s / 2 >= t_body:
                break
        u = usec_for(curve(min(1.0, t / t_body)), tpb)
        if not segs or segs[-1][1] != u:
            segs.append((tick, u))
        t += step * u / (PPQ * 1e6)
        tick += step
    info["desc"] += "; %.1f at the start, %.1f at the final chord" % (
        bpm_of(segs[0][1], tpb), bpm_of(segs[-1][1], tpb))
    return segs, tick // bar, info


def tempo_range_ok(segs, tpb):
    bpms = [bpm_of(u, tpb) for _, u in segs]
    return min(bpms) >= LOCAL_MIN - 1e-6 and max(bpms) <= LOCAL_MAX + 1e-6


# ---------------------------------------------------------------------------------------------
# Harmony and composition

def chord_pcs(tonic, mode, degree, seventh=False):
    scale = MAJOR if mode == "major" else (HARMONIC_MINOR if degree == 4 else MINOR)
    n = 4 if seventh else 3
    return [(tonic + scale[(degree + 2 * k) % 7]) % 12 for k in range(n)]


def chord_name(mode, degree):
    r = ROMAN[degree]
    if mode == "major":
        return r if degree in (0, 3, 4) else r.lower()
    return r.lower() if degree in (0, 1, 3) else r  # minor: i ii(dim) III iv V VI VII


def melody_scale(tonic, mode, degree):
    scale = MAJOR if mode == "major" else (HARMONIC_MINOR if degree == 4 else MINOR)
    return {(tonic + s) % 12 for s in scale}


def pitches_in(pcs, lo, hi):
    return [p for p in range(lo, hi + 1) if p % 12 in pcs]


def nearest_pitch(pc, target, lo, hi):
    cands = pitches_in({pc}, lo, hi)
    return min(cands, key=lambda p: (abs(p - target), p))


def voicings(pcs, lo, hi):
    """Close-position voicings of the pitch classes, each once, ascending, within [lo, hi]."""
    out = []
    for inv in range(len(pcs)):
        order = pcs[inv:] + pcs[:inv]
        for base in pitches_in({order[0]}, lo, hi):
            notes = [base]
            for pc in order[1:]:
                p = notes[-1] + 1
                while p % 12 != pc:
                    p += 1
                notes.append(p)
            if notes[-1] <= hi:
                out.append(notes)
    return out


def nearest_voicing(pcs, prev, lo, hi, rng=None, avoid=None):
    vs = voicings(pcs, lo, hi)
    if avoid is not None and len(vs) > 1:
        vs = [v for v in vs if v != avoid] or vs
    if prev is None:
        centre = (lo + hi) / 2
        return min(vs, key=lambda v: abs(sum(v) / len(v) - centre))

    def cost(v):
        if len(v) == len(prev):
            return sum(abs(a - b) for a, b in zip(v, prev))
        return abs(sum(v) / len(v) - sum(prev) / len(prev)) * len(v)
    best = min(cost(v) for v in vs)
    near = [v for v in vs if cost(v) <= best + (2 if rng else 0)]
    return rng.choice(near) if rng else near[0]


class Part:
    def __init__(self, role, program, name=None, volume=100, pan=64, reverb=40, chorus=0):
        self.role, self.program = role, program
        self.name = name or (DRUMS if program is None else GM[program])
        self.volume, self.pan, self.reverb, self.chorus = volume, pan, reverb, chorus
        self.notes = []  # (tick, duration ticks, pitch, velocity)
        self.channel = None
        self.last = None  # last pitch / voicing, for the final chord

    def add(self, tick, dur, pitch, vel):
        self.notes.append((int(tick), max(1, int(dur)), int(pitch), max(1, min(127, int(vel)))))


class Ctx:
    """Everything a style needs to write its parts."""

    def __init__(self, rng, style, meter, tonic, mode, n_bars, cpb, seventh, progs):
        self.rng, self.style, self.meter, self.tonic, self.mode = rng, style, meter, tonic, mode
        self.bpb, self.tpb, _ = METERS[meter]
        self.bar = self.bpb * self.tpb
        self.n_bars, self.final = n_bars, n_bars * self.bpb * self.tpb
        self.seventh = seventh
        self.chords = self._timeline(progs, cpb)

    def _timeline(self, progs, cpb):
        rng = self.rng
        a = rng.choice(progs)
        b = rng.choice([p for p in progs if p != a] or progs)
        slots = self.n_bars * cpb
        order = [a, a, b, a]
        degrees = []
        i = 0
        while len(degrees) < slots:
            degrees.extend(order[i % len(order)])
            i += 1
        degrees = degrees[:slots]
        degrees[0] = 0
        if slots >= 3:  # cadence: predominant, dominant, then the tonic on the final downbeat
            degrees[-2] = 3 if self.mode == "minor" or rng.random() < 0.6 else 1
            degrees[-1] = 4
        slot_len = self.bar // cpb
        return [(k * slot_len, (k + 1) * slot_len, d) for k, d in enumerate(degrees)]

    def chord_at(self, tick):
        k = min(len(self.chords) - 1, max(0, tick // (self.chords[0][1] - self.chords[0][0])))
        return self.chords[k]

    def pcs(self, degree, seventh=None):
        seventh = self.seventh if seventh is None else seventh
        return chord_pcs(self.tonic, self.mode, degree, seventh)

    def vel(self, tick, base, spread=4):
        """Velocity with metric accents: downbeat, other beats, off-beats."""
        pos = tick % self.bar
        if pos == 0:
            v = base + 14
        elif pos % self.tpb == 0:
            v = base + (7 if self.bpb == 4 and pos == 2 * self.tpb else 2)
        else:
            v = base - 9
        return v + self.rng.randint(-spread, spread)

    def ticks(self, beats):
        return int(round(beats * self.tpb))

    def progression_text(self):
        seen = []
        for _, _, d in self.chords:
            seen.append(chord_name(self.mode, d))
        # the first two cycles are enough to name the progression
        return "-".join(seen[:8]) + ("-..." if len(seen) > 8 else "") + "|" + "-".join(
            seen[-2:]) + "-" + chord_name(self.mode, 0)


def swing_beats(x):
    """Swung eighths 2:1: an off-beat eighth at .5 moves to 2/3 of the beat."""
    whole = math.floor(x + 1e-9)
    frac = x - whole
    return whole + (2.0 / 3.0 if abs(frac - 0.5) < 1e-9 else frac)


def add_melody(ctx, part, patterns, lo, hi, start_bar=0, swing=False, legato=0.92,
               rest_prob=0.06, base_vel=82, repeat_prob=0.5):
    """Melody from the scale: chord tones on beats, steps in between; rhythm by the bar."""
    rng = ctx.rng
    p = nearest_pitch(ctx.tonic, (lo + hi) // 2, lo, hi)
    chosen = []
    for bar in range(start_bar, ctx.n_bars):
        if len(chosen) >= 4 and rng.random() < repeat_prob:
            pattern = chosen[-4]  # phrase-level rhythmic repetition
        else:
            pattern = rng.choice(patterns)
        chosen.append(pattern)
        for pos, dur in pattern:
            if swing:
                start, end = swing_beats(pos), swing_beats(pos + dur)
            else:
                start, end = pos, pos + dur
            tick = bar * ctx.bar + ctx.ticks(start)
            length = ctx.ticks(end - start)
            _, _, degree = ctx.chord_at(tick)
            on_beat = abs(pos - round(pos)) < 1e-9
            if not on_beat and rng.random() < rest_prob:
                continue
            if on_beat:
                tones = pitches_in(set(ctx.pcs(degree, False)), lo, hi)
                target = p + rng.choice([-4, -2, -1, 0, 1, 2, 4])
                if p > hi - 4:
                    target -= 3
                if p < lo + 4:
                    target += 3
                p = min(tones, key=lambda q: (abs(q - target), rng.random()))
            else:
                scale = sorted(pitches_in(melody_scale(ctx.tonic, ctx.mode, degree), lo, hi))
                i = min(range(len(scale)), key=lambda k: abs(scale[k] - p))
                step = rng.choice([-2, -1, -1, 1, 1, 2])
                if p > hi - 4:
                    step = -abs(step)
                if p < lo + 4:
                    step = abs(step)
                p = scale[max(0, min(len(scale) - 1, i + step))]
            part.add(tick, min(length * legato, ctx.final - tick), p, ctx.vel(tick, base_vel))
    part.last = p


def add_block_chords(ctx, part, onsets, lo, hi, length=None, base_vel=70, swing=False,
                     seventh=None):
    """Chords struck at `onsets` (beats in the bar), held `length` beats (default: to the next)."""
    prev = None
    for bar in range(ctx.n_bars):
        for k, pos in enumerate(onsets):
            nxt = onsets[k + 1] if k + 1 < len(onsets) else ctx.bpb
            start = swing_beats(pos) if swing else pos
            end = swing_beats(nxt) if swing else nxt
            tick = bar * ctx.bar + ctx.ticks(start)
            _, slot_end, degree = ctx.chord_at(tick)
            dur = ctx.ticks(length) if length else ctx.ticks(end - start) - ctx.tpb // 16
            dur = min(dur, slot_end - tick)
            prev = nearest_voicing(ctx.pcs(degree, seventh), prev, lo, hi)
            v = ctx.vel(tick, base_vel)
            for n in prev:
                part.add(tick, dur, n, v)
    part.last = prev


def bass_note(ctx, degree, prev, lo, hi, fifth=False):
    pcs = ctx.pcs(degree, False)
    pc = pcs[2] if fifth else pcs[0]
    return nearest_pitch(pc, prev if prev is not None else (lo + hi) // 2, lo, hi)


def add_bass(ctx, part, pattern, lo, hi, base_vel=88, legato=0.9, swing=False):
    """Bass on chord roots: pattern of (beat, beats, 'r' root | 'f' fifth | 'o' octave)."""
    prev = None
    for bar in range(ctx.n_bars):
        for pos, dur, what in pattern:
            start, end = (swing_beats(pos), swing_beats(pos + dur)) if swing else (pos, pos + dur)
            tick = bar * ctx.bar + ctx.ticks(start)
            _, slot_end, degree = ctx.chord_at(tick)
            if what == "o" and prev is not None and prev + 12 <= hi:
                root = bass_note(ctx, degree, prev, lo, hi)
                n = root + 12 if root + 12 <= hi else root
            else:
                n = bass_note(ctx, degree, prev, lo, hi, fifth=(what == "f"))
                if what == "r":
                    prev = n
            dur_t = min(ctx.ticks(end - start) * legato, slot_end - tick)
            part.add(tick, dur_t, n, ctx.vel(tick, base_vel))
    part.last = prev


def drum(part, ctx, tick, note, vel, spread=5):
    if tick < ctx.final:
        part.add(tick, ctx.tpb // 8, note, vel + ctx.rng.randint(-spread, spread))


# ---- styles: each returns its parts (drums last, if any) ----

MEL_44 = [
    [(0, 1), (1, 0.5), (1.5, 0.5), (2, 1.5), (3.5, 0.5)],
    [(0, 0.5), (0.5, 0.5), (1, 1), (2, 0.5), (2.5, 0.5), (3, 1)],
    [(0, 2), (2, 1), (3, 1)],
    [(0, 1), (1, 1), (2, 1), (3, 1)],
    [(0, 1.5), (1.5, 0.5), (2, 2)],
    [(0, 0.75), (0.75, 0.25), (1, 1), (2, 0.75), (2.75, 0.25), (3, 1)],
    [(0, 1), (1, 0.5), (1.5, 1), (2.5, 0.5), (3, 1)],
]
MEL_34 = [[(0, 2), (2, 1)], [(0, 1), (1, 1), (2, 1)], [(0, 1.5), (1.5, 0.5), (2, 1)], [(0, 3)],
          [(0, 1), (1, 0.5), (1.5, 0.5), (2, 1)]]
MEL_BALLAD_44 = [[(0, 2), (2, 1), (3, 1)], [(0, 3), (3, 1)], [(0, 1), (1, 1), (2, 2)],
                 [(0, 1.5), (1.5, 0.5), (2, 2)], [(0, 4)], [(0, 1), (1, 0.5), (1.5, 0.5), (2, 2)]]
MEL_68 = [  # in dotted-quarter beats: an eighth is 1/3
    [(0, 1 / 3), (1 / 3, 1 / 3), (2 / 3, 1 / 3), (1, 1 / 3), (4 / 3, 1 / 3), (5 / 3, 1 / 3)],
    [(0, 2 / 3), (2 / 3, 1 / 3), (1, 2 / 3), (5 / 3, 1 / 3)],
    [(0, 1), (1, 1 / 3), (4 / 3, 1 / 3), (5 / 3, 1 / 3)],
    [(0, 1), (1, 1)],
    [(0, 1 / 3), (1 / 3, 1 / 3), (2 / 3, 1 / 3), (1, 1)],
]
MEL_MARCH = [[(0, 0.75), (0.75, 0.25), (1, 1), (2, 0.75), (2.75, 0.25), (3, 1)],
             [(0, 1), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)],
             [(0, 0.5), (0.5, 0.5), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)],
             [(0, 2), (2, 0.75), (2.75, 0.25), (3, 1)]]
MEL_SWING = [[(0, 1), (1, 0.5), (1.5, 0.5), (2, 0.5), (2.5, 0.5), (3, 1)],
             [(0, 0.5), (0.5, 0.5), (1, 0.5), (1.5, 0.5), (2, 1.5), (3.5, 0.5)],
             [(0, 1.5), (1.5, 0.5), (2, 1), (3, 1)],
             [(0, 0.5), (0.5, 1), (1.5, 0.5), (2, 0.5), (2.5, 1.5)]]
MEL_ROCK = [[(0, 1), (1, 1), (2, 1.5), (3.5, 0.5)], [(0, 2), (2, 2)], [(0, 1.5), (1.5, 2.5)],
            [(0, 1), (1, 0.5), (1.5, 0.5), (2, 2)]]


def style_chorale(ctx):
    rng = ctx.rng
    prog = rng.choice([19, 52, 48, 61, 20, 16, 53])
    voices = Part("chords", prog, volume=100, reverb=rng.randint(50, 80))
    parts = [voices]
    bass = voices
    if rng.random() < 0.5:
        bass = Part("bass", rng.choice([43, 58, 70, 42]), volume=95, reverb=50)
        parts.append(bass)
    prev, prev_b = None, None
    for beat in range(ctx.n_bars * ctx.bpb):
        tick = beat * ctx.tpb
        _, slot_end, degree = ctx.chord_at(tick)
        pcs = ctx.pcs(degree, False)
        new_chord = tick == ctx.chord_at(tick)[0]
        # re-struck every beat; within a chord the upper voices change position
        prev = nearest_voicing(pcs, prev, 55, 79, rng, avoid=None if new_chord else prev)
        prev_b = nearest_pitch(pcs[0], prev_b if prev_b is not None else 48, 38, 55)
        v = ctx.vel(tick, 72, 3)
        dur = ctx.tpb * 0.94
        for n in prev:
            voices.add(tick, dur, n, v)
        bass.add(tick, dur, prev_b, v)
    voices.last = prev
    if bass is not voices:
        bass.last = prev_b
    else:
        voices.bass_last = prev_b
    return parts


def style_pop(ctx):
    rng = ctx.rng
    mel = Part("melody", rng.choice([73, 65, 56, 40, 80, 71, 11, 68, 22]), volume=100,
               pan=rng.randint(50, 78))
    chd_prog = rng.choice([0, 4, 27, 25, 48, 89, 16])
    chords = Part("chords", chd_prog, volume=78, pan=rng.randint(40, 88), reverb=50)
    bass = Part("bass", rng.choice([33, 34, 38, 35]), volume=98)
    if chd_prog in (48, 89, 16):
        add_block_chords(ctx, chords, [0, 2] if rng.random() < 0.5 else [0], 52, 74, base_vel=64)
    else:
        onsets = rng.choice([[0, 1, 2, 3], [0, 1.5, 2, 3.5], [0, 0.5, 1.5, 2.5, 3], [0, 2, 2.5]])
        add_block_chords(ctx, chords, onsets, 52, 74, base_vel=66)
    add_bass(ctx, bass, rng.choice([
        [(0, 1.5, "r"), (1.5, 0.5, "r"), (2, 1, "r"), (3, 1, "f")],
        [(0, 1, "r"), (1, 1, "r"), (2, 1, "r"), (3, 1, "r")],
        [(0, 0.5, "r"), (0.5, 0.5, "o"), (1, 0.5, "r"), (1.5, 0.5, "o"),
         (2, 0.5, "r"), (2.5, 0.5, "o"), (3, 0.5, "r"), (3.5, 0.5, "o")],
        [(0, 2, "r"), (2, 1.5, "f"), (3.5, 0.5, "r")]]), 28, 52)
    add_melody(ctx, mel, MEL_44, 62, 84, start_bar=rng.choice([0, 2, 4]) if ctx.n_bars > 12 else 0)
    dr = Part("drums", None, volume=100, reverb=30)
    kick = rng.choice([[0, 2], [0, 2, 2.5], [0, 1.5, 2], [0, 0.5, 2]])
    sixteenths = rng.random() < 0.3
    for bar in range(ctx.n_bars):
        b0 = bar * ctx.bar
        fill = bar % 8 == 7 and bar < ctx.n_bars - 1
        for k in kick:
            drum(dr, ctx, b0 + ctx.ticks(k), KICK, 100 if k == 0 else 88)
        for s in (1, 3):
            drum(dr, ctx, b0 + ctx.ticks(s), SNARE, 98)
        step = 0.25 if sixteenths else 0.5
        x = 0.0
        while x < 4 - 1e-9:
            if not (fill and x >= 3):
                hat = OPEN_HH if (x == 3.5 and bar % 2 == 1) else CLOSED_HH
                drum(dr, ctx, b0 + ctx.ticks(x), hat, 80 if x % 1 == 0 else 60)
            x += step
        if fill:
            for j, tom in enumerate([HIGH_TOM, MID_TOM, LOW_TOM, FLOOR_TOM]):
                drum(dr, ctx, b0 + ctx.ticks(3 + j * 0.25), tom, 90)
        if bar % 8 == 0:
            drum(dr, ctx, b0, CRASH, 100)
    return [mel, chords, bass, dr]


def style_rock(ctx):
    rng = ctx.rng
    gtr = Part("chords", rng.choice([29, 30]), volume=82, pan=rng.randint(30, 50), reverb=30)
    bass = Part("bass", rng.choice([34, 33]), volume=100)
    lead = Part("melody", rng.choice([81, 18, 29, 80, 62]), volume=95, pan=rng.randint(70, 90))
    parts = [lead, gtr, bass]
    pattern = rng.choice(["eighths", "quarters", "push"])
    onsets = {"eighths": [x * 0.5 for x in range(8)], "quarters": [0, 1, 2, 3],
              "push": [0, 0.5, 1.5, 2, 2.5, 3.5]}[pattern]
    prev_root = None
    for bar in range(ctx.n_bars):
        for k, pos in enumerate(onsets):
            nxt = onsets[k + 1] if k + 1 < len(onsets) else 4
            tick = bar * ctx.bar + ctx.ticks(pos)
            _, slot_end, degree = ctx.chord_at(tick)
            root = bass_note(ctx, degree, prev_root, 40, 52)
            prev_root = root
            v = ctx.vel(tick, 84)
            dur = min(ctx.ticks(nxt - pos) * 0.85, slot_end - tick)
            for n in (root, root + 7, root + 12):  # power chord: no third
                gtr.add(tick, dur, n, v)
            b = root - 12 if root - 12 >= 28 else root
            bass.add(tick, dur, b, ctx.vel(tick, 90))
    gtr.last, bass.last = None, prev_root - 12 if prev_root - 12 >= 28 else prev_root
    gtr.power = True
    # the thirds (and so the mode) come from the lead and, often, an organ
    add_melody(ctx, lead, MEL_ROCK, 60, 82, base_vel=86)
    if rng.random() < 0.7:
        org = Part("pad", 18 if lead.program != 18 else 16, volume=62, reverb=40)
        add_block_chords(ctx, org, [0], 55, 74, base_vel=64)
        parts.append(org)
    dr = Part("drums", None, volume=105, reverb=25)
    kick = rng.choice([[0, 2, 2.5], [0, 1.5, 2], [0, 0.5, 2, 2.5], [0, 2]])
    cymbal = rng.choice([CLOSED_HH, RIDE, OPEN_HH])
    for bar in range(ctx.n_bars):
        b0 = bar * ctx.bar
        fill = bar % 8 == 7 and bar < ctx.n_bars - 1
        for k in kick:
            drum(dr, ctx, b0 + ctx.ticks(k), KICK, 108 if k == 0 else 96)
        for s in (1, 3):
            if not (fill and s == 3):
                drum(dr, ctx, b0 + ctx.ticks(s), SNARE, 110)
        for x in range(8):
            if not (fill and x >= 6):
                drum(dr, ctx, b0 + ctx.ticks(x * 0.5), cymbal, 88 if x % 2 == 0 else 70)
        if fill:
            for j in range(8):
                drum(dr, ctx, b0 + ctx.ticks(3 + j * 0.125), SNARE if j < 4 else LOW_TOM,
                     80 + 4 * j)
        if bar % 4 == 0:
            drum(dr, ctx, b0, CRASH, 105)
    return parts + [dr]


def style_swing(ctx):
    rng = ctx.rng
    mel = Part("melody", rng.choice([66, 65, 56, 57, 11, 71]), volume=100, pan=rng.randint(54, 80))
    comp_prog = rng.choice([0, 26, 4])
    comp = Part("chords", comp_prog, volume=72, pan=rng.randint(36, 60), reverb=45)
    bass = Part("bass", 32, volume=105)
    if comp_prog == 26:  # four-to-the-bar guitar
        add_block_chords(ctx, comp, [0, 1, 2, 3], 50, 70, length=0.45, base_vel=60)
    else:  # Charleston-like piano/e-piano comping
        add_block_chords(ctx, comp, rng.choice([[0, 1.5], [0, 2.5], [0, 1.5, 3]]), 50, 72,
                         length=0.5, base_vel=66, swing=True)
    # walking bass: root, chord tones, chromatic approach to the next chord's root
    prev = None
    n_beats = ctx.n_bars * ctx.bpb
    for beat in range(n_beats):
        tick = beat * ctx.tpb
        _, _, degree = ctx.chord_at(tick)
        pcs = ctx.pcs(degree, True)
        pos = beat % ctx.bpb
        if pos == 0:
            n = nearest_pitch(pcs[0], prev if prev is not None else 40, 31, 50)
        elif pos == ctx.bpb - 1:
            nxt_tick = (beat + 1) * ctx.tpb
            nd = ctx.chord_at(nxt_tick)[2] if nxt_tick < ctx.final else 0
            target = nearest_pitch(ctx.pcs(nd, True)[0], prev, 31, 50)
            n = target + rng.choice([-1, 1])
        else:
            n = nearest_pitch(rng.choice(pcs[1:]), prev + rng.choice([-3, 3]), 31, 52)
        part_v = ctx.vel(tick, 86, 3)
        bass.add(tick, ctx.tpb * 0.9, n, part_v)
        prev = n
    bass.last = prev
    add_melody(ctx, mel, MEL_SWING, 58, 80, swing=True, start_bar=rng.choice([0, 2]))
    dr = Part("drums", None, volume=92, reverb=35)
    for bar in range(ctx.n_bars):
        b0 = bar * ctx.bar
        for x in (0, 1, 1 + 2 / 3, 2, 3, 3 + 2 / 3):
            v = 88 if x in (1, 3) else (72 if x % 1 == 0 else 60)
            drum(dr, ctx, b0 + ctx.ticks(x), RIDE, v)
        for x in (1, 3):
            drum(dr, ctx, b0 + ctx.ticks(x), PEDAL_HH, 80)
        for x in range(4):
            drum(dr, ctx, b0 + ctx.ticks(x), KICK, 48)
        for x in (0.5, 1.5, 2.5, 3.5):
            if rng.random() < 0.15:
                drum(dr, ctx, b0 + ctx.ticks(swing_beats(x)), SNARE, 52)
        if bar % 8 == 0:
            drum(dr, ctx, b0, CRASH, 80)
    return [mel, comp, bass, dr]


def style_march(ctx):
    rng = ctx.rng
    mel_prog = rng.choice([56, 72, 73, 71, 9])
    lo, hi = (74, 96) if mel_prog in (72, 9) else (62, 84)
    mel = Part("melody", mel_prog, volume=100, pan=rng.randint(54, 74))
    chords = Part("chords", rng.choice([61, 60, 57]), volume=80, pan=rng.randint(40, 60))
    bass = Part("bass", rng.choice([58, 57]), volume=100)
    add_block_chords(ctx, chords, [1, 3], 53, 72, length=0.4, base_vel=70)
    add_bass(ctx, bass, [(0, 1, "r"), (2, 1, "f")], 33, 52, legato=0.8)
    add_melody(ctx, mel, MEL_MARCH, lo, hi, legato=0.8)
    dr = Part("drums", None, volume=100, reverb=40)
    snare_pat = rng.choice([[0, 0.5, 1, 1.5, 2, 2.5, 3, 3.25, 3.5],
                            [0, 0.75, 1, 2, 2.75, 3, 3.5],
                            [0, 0.5, 0.75, 1, 2, 2.5, 2.75, 3]])
    for bar in range(ctx.n_bars):
        b0 = bar * ctx.bar
        for x in (0, 2):
            drum(dr, ctx, b0 + ctx.ticks(x), 35, 104 if x == 0 else 92)
            drum(dr, ctx, b0 + ctx.ticks(x), CRASH, 64)
        roll = bar % 4 == 3 and bar < ctx.n_bars - 1
        for x in snare_pat:
            if not (roll and x >= 3):
                drum(dr, ctx, b0 + ctx.ticks(x), SNARE, 92 if x % 1 == 0 else 70)
        if roll:
            for j in range(6):
                drum(dr, ctx, b0 + ctx.ticks(3 + j / 6), SNARE, 70 + 5 * j)
    return [mel, chords, bass, dr]


def style_waltz(ctx):
    rng = ctx.rng
    mel = Part("melody", rng.choice([40, 73, 21, 71, 68]), volume=100, pan=rng.randint(54, 78))
    chords = Part("chords", rng.choice([0, 45, 21, 46, 48]), volume=76, pan=rng.randint(40, 60),
                  reverb=55)
    bass = Part("bass", rng.choice([32, 58, 43]), volume=100, reverb=50)
    add_bass(ctx, bass, [(0, 1, "r")], 31, 52, legato=0.9)
    # alternate root / fifth below on every other bar (oom)
    for k, (tick, dur, p, v) in enumerate(bass.notes):
        if (tick // ctx.bar) % 2 == 1:
            _, _, degree = ctx.chord_at(tick)
            bass.notes[k] = (tick, dur, bass_note(ctx, degree, p, 31, 52, fifth=True), v)
    add_block_chords(ctx, chords, [1, 2], 55, 74, length=0.45, base_vel=62)  # pah-pah
    add_melody(ctx, mel, MEL_34, 62, 86, legato=0.95)
    return [mel, chords, bass]


def style_ballad(ctx):
    rng = ctx.rng
    arp_prog = rng.choice([0, 1, 4, 46, 24])
    arp = Part("arpeggio", arp_prog, volume=96, reverb=rng.randint(55, 85))
    parts = [arp]
    eighths = ctx.bpb * 2
    shape = rng.choice(["up", "updown"])
    prev_root, prev_v = None, None
    for bar in range(ctx.n_bars):
        b0 = bar * ctx.bar
        _, _, degree = ctx.chord_at(b0)
        pcs = ctx.pcs(degree, False)
        prev_root = nearest_pitch(pcs[0], prev_root if prev_root is not None else 43, 36, 50)
        arp.add(b0, ctx.bar - ctx.tpb // 8, prev_root, ctx.vel(b0, 70))  # left hand
        prev_v = nearest_voicing(pcs, prev_v, 55, 72)
        tones = [prev_root + 7, prev_root + 12] + prev_v + [prev_v[0] + 12]
        tones = sorted(set(t for t in tones if t > prev_root))
        seq = tones if shape == "up" else tones + tones[-2:0:-1]
        for e in range(eighths):
            tick = b0 + e * ctx.tpb // 2
            _, _, d2 = ctx.chord_at(tick)
            if d2 != degree:  # two chords per bar are not used here; guard anyway
                break
            arp.add(tick, ctx.tpb * 0.9, seq[e % len(seq)], ctx.vel(tick, 62, 3))
    arp.last = prev_v
    arp.bass_last = prev_root
    with_pad = rng.random() < 0.6
    with_melody = rng.random() < 0.7 or not with_pad
    if with_pad:
        pad = Part("pad", rng.choice([48, 49, 89, 52]), volume=58, reverb=70)
        add_block_chords(ctx, pad, [0], 52, 72, base_vel=56)
        parts.append(pad)
    if with_melody:
        mel = Part("melody", rng.choice([73, 68, 40, 42, 71, 60]), volume=92, reverb=60)
        lo, hi = (48, 67) if mel.program == 42 else (64, 84)
        add_melody(ctx, mel, MEL_BALLAD_44 if ctx.bpb == 4 else MEL_34, lo, hi, legato=0.97,
                   start_bar=rng.choice([0, 2]), base_vel=78)
        parts.insert(0, mel)
    return parts


def style_folk(ctx, with_drums):
    rng = ctx.rng
    mel = Part("melody", rng.choice([110, 73, 74, 75, 21, 78, 40]), volume=100,
               pan=rng.randint(54, 80))
    acc_prog = rng.choice([25, 24, 21, 46, 105])
    acc = Part("chords", acc_prog, volume=80, pan=rng.randint(36, 60), reverb=45)
    parts = [mel, acc]
    third = ctx.tpb // 3
    jig = rng.random() < 0.5  # bass-chord-chord per beat, else strum on 1 and 3 of each beat
    prev_b, prev_v = None, None
    for beat in range(ctx.n_bars * ctx.bpb):
        tick = beat * ctx.tpb
        _, _, degree = ctx.chord_at(tick)
        pcs = ctx.pcs(degree, False)
        prev_v = nearest_voicing(pcs, prev_v, 55, 72)
        if jig:
            prev_b = bass_note(ctx, degree, prev_b, 40, 55, fifth=(beat % 2 == 1))
            acc.add(tick, third * 0.95, prev_b, ctx.vel(tick, 72))
            for k in (1, 2):
                for n in prev_v:
                    acc.add(tick + k * third, third * 0.8, n, ctx.vel(tick + k * third, 64))
        else:
            for k, length in ((0, 2), (2, 1)):
                for n in prev_v:
                    at = tick + k * third
                    acc.add(at, length * third * 0.9, n, ctx.vel(at, 68))
    acc.last = prev_v
    if rng.random() < 0.6:
        bass = Part("bass", rng.choice([32, 43]), volume=95)
        add_bass(ctx, bass, [(0, 1, "r"), (1, 1, "f")], 31, 50, legato=0.85)
        parts.append(bass)
    add_melody(ctx, mel, MEL_68, 62, 86, legato=0.9, repeat_prob=0.6)
    if with_drums:
        dr = Part("drums", None, volume=90, reverb=35)
        kind = rng.choice(["bodhran", "tambourine"])
        for bar in range(ctx.n_bars):
            for e in range(6):
                tick = bar * ctx.bar + e * third
                if kind == "bodhran":
                    if e % 3 == 0:
                        drum(dr, ctx, tick, FLOOR_TOM, 100 if e == 0 else 86)
                    elif rng.random() < 0.6:
                        drum(dr, ctx, tick, LOW_TOM, 56)
                else:
                    drum(dr, ctx, tick, TAMBOURINE, 96 if e == 0 else (84 if e == 3 else 56))
        parts.append(dr)
    return parts


def add_finale(ctx, parts, hold):
    """The final tonic chord on the downbeat after the last bar, held `hold` ticks."""
    F, tonic = ctx.final, ctx.tonic
    pcs = chord_pcs(tonic, ctx.mode, 0, False)
    for p in parts:
        v = 96
        if p.role == "drums":
            p.add(F, ctx.tpb // 4, CRASH, 105)
            p.add(F, ctx.tpb // 4, KICK, 105)
            continue
        if p.role == "melody":
            p.add(F, hold, nearest_pitch(tonic, p.last or 72, 55, 96), v)
            continue
        if p.role == "bass":
            p.add(F, hold, nearest_pitch(tonic, p.last or 40, 28, 55), v)
            continue
        if getattr(p, "power", False):  # the last chord has its third: the mode is heard
            r = nearest_pitch(tonic, 45, 40, 52)
            for n in (r, r + 7, r + 12, r + 12 + (4 if ctx.mode == "major" else 3)):
                p.add(F, hold, n, v)
            continue
        prev = p.last if isinstance(p.last, list) else None
        for n in nearest_voicing(pcs, prev, 52, 79):
            p.add(F, hold, n, v - 10)
        b = getattr(p, "bass_last", None)
        if b is not None:
            p.add(F, hold, nearest_pitch(tonic, b, 36, 55), v - 10)


def fix_overlaps(part):
    """No same-pitch overlaps on a channel (a note ends before its pitch is struck again)."""
    part.notes.sort()
    last_idx = {}
    for i, (tick, dur, p, v) in enumerate(part.notes):
        j = last_idx.get(p)
        if j is not None:
            t0, d0, p0, v0 = part.notes[j]
            if t0 + d0 > tick:
                part.notes[j] = (t0, max(1, tick - t0 - 1) if tick > t0 else d0, p0, v0)
        last_idx[p] = i
    # drop exact duplicates (same tick and pitch)
    seen, out = set(), []
    for n in part.notes:
        if (n[0], n[2]) not in seen:
            seen.add((n[0], n[2]))
            out.append(n)
    part.notes = out


# ---------------------------------------------------------------------------------------------
# MIDI file

def varlen(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def track_chunk(events, end_tick):
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    data, last = bytearray(), 0
    for tick, _, msg in events:
        data += varlen(tick - last) + msg
        last = tick
    data += varlen(max(0, end_tick - last)) + b"\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(data)) + bytes(data)


def meta(kind, payload):
    return bytes([0xFF, kind]) + varlen(len(payload)) + payload


KEY_SF_MAJOR = [0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5]  # sharps(+)/flats(-) by tonic pc


def write_midi(piece):
    nn, dd, cc = METERS[piece["meter"]][2]
    tonic, mode = piece["tonic"], piece["mode"]
    sf = KEY_SF_MAJOR[tonic] if mode == "major" else KEY_SF_MAJOR[(tonic + 3) % 12]
    end = piece["end_tick"]
    conductor = [(0, 0, meta(0x03, piece["name"].encode())),
                 (0, 0, meta(0x58, bytes([nn, dd, cc, 8]))),
                 (0, 0, meta(0x59, struct.pack(">bB", sf, 1 if mode == "minor" else 0)))]
    for tick, u in piece["tempo"]:
        conductor.append((tick, 1, meta(0x51, u.to_bytes(3, "big"))))
    chunks = [track_chunk(conductor, end)]
    for part in piece["parts"]:
        ch = part.channel
        ev = [(0, 0, meta(0x03, part.name.encode())),
              (0, 1, bytes([0xC0 | ch, part.program or 0])),
              (0, 2, bytes([0xB0 | ch, 7, part.volume])),
              (0, 3, bytes([0xB0 | ch, 10, part.pan])),
              (0, 4, bytes([0xB0 | ch, 91, part.reverb])),
              (0, 5, bytes([0xB0 | ch, 93, part.chorus]))]
        for tick, dur, p, v in part.notes:
            ev.append((tick + dur, 10, bytes([0x80 | ch, p, 64])))  # offs before ons
            ev.append((tick, 11, bytes([0x90 | ch, p, v])))
        chunks.append(track_chunk(ev, end))
    return b"MThd" + struct.pack(">IHHH", 6, 1, len(chunks), PPQ) + b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# Pieces

def balanced(seed, tag, block, i):
    """Item i of a sequence of shuffled copies of `block` (independent of the total count)."""
    b, k = divmod(i, len(block))
    items = list(block)
    random.Random("%s:%s:%d" % (seed, tag, b)).shuffle(items)
    return items[k]


def make_piece(seed, i, seconds):
    rng = random.Random("backbeat-corpus:%s:%d" % (seed, i))
    style = balanced(seed, "style", STYLE_BLOCK, i)
    shape = balanced(seed, "shape", SHAPE_BLOCK, i)
    key_index = balanced(seed, "key", list(range(24)), i)
    tonic, mode = key_index % 12, "major" if key_index < 12 else "minor"
    spec = STYLES[style]
    meters, weights = zip(*spec["meters"])
    meter = rng.choices(meters, weights)[0]
    bpb, tpb, _ = METERS[meter]
    lo, hi = spec["bpm"]
    base = math.exp(rng.uniform(math.log(max(lo, MIN_BPM)), math.log(min(hi, MAX_BPM))))
    base = round(base, 1)
    total = rng.uniform(*seconds)
    t_body = max(8.0, total - 2.5)
    for _ in range(20):  # keep every local tempo in range: move the base tempo if needed
        segs, n_bars, info = build_tempo(random.Random(rng.random()), shape, base, bpb, tpb, t_body)
        if tempo_range_ok(segs, tpb):
            break
        bpms = [bpm_of(u, tpb) for _, u in segs]
        if min(bpms) < LOCAL_MIN:
            base = round(min(MAX_BPM, base * 1.06), 1)
        else:
            base = round(max(MIN_BPM, base / 1.06), 1)
    else:
        raise RuntimeError("piece %d: no tempo map within range" % i)
    with_drums = rng.random() < spec["drums"]
    progs = (SWING_PROGRESSIONS if style == "swing" else PROGRESSIONS)[mode]
    cpb = 2 if style == "chorale" and bpb == 4 else 1
    ctx = Ctx(rng, style, meter, tonic, mode, n_bars, cpb, style == "swing", progs)
    parts = {
        "chorale": style_chorale, "pop": style_pop, "waltz": style_waltz, "swing": style_swing,
        "march": style_march, "ballad": style_ballad, "rock": style_rock,
    }[style](ctx) if style != "folk" else style_folk(ctx, with_drums)
    # the final chord, then the tail; tempo of the final chord = the last of the map
    tm = TempoMap(segs, tpb)
    last_u = segs[-1][1]
    beat_s = last_u * tpb / (PPQ * 1e6)
    hold_beats = min(bpb, max(1, math.ceil(1.2 / beat_s)))
    if style in ("chorale", "ballad"):  # a longer final chord, at most about 2.5 s
        hold_beats = max(hold_beats, min(bpb, int(2.5 // beat_s)))
    hold = hold_beats * tpb
    add_finale(ctx, parts, hold - tpb // 16)
    channel = 0
    for p in parts:
        fix_overlaps(p)
        if p.role == "drums":
            p.channel = 9
        else:
            p.channel = channel
            channel += 1 if channel != 8 else 2
    tail = int(round(TAIL_S * 1e6 * PPQ / last_u))
    final = ctx.final
    beats = []
    for k in range(n_bars * bpb + 1):
        beats.append((tm.seconds(k * tpb), k % bpb + 1))
    # dominant tempo (label)
    spans = tm.spans(final)
    body_s = sum(d for d, _ in spans)
    if shape == "drift":
        bpm = weighted_median(spans)
        bpm_how = "median local tempo (time-weighted)"
    else:
        if shape == "steady":
            dom_u = segs[0][1]
        elif shape == "step":
            by_u = Counter()
            for (_, u), (d, _) in zip(segs, spans):
                by_u[u] += d
            dom_u = by_u.most_common(1)[0][0]
        elif shape == "accelerando":
            dom_u = segs[-1][1]
        else:
            dom_u = segs[0][1]
        bpm = bpm_of(dom_u, tpb)
        bpm_how = {"steady": "the tempo", "step": "the longer section's tempo",
                   "accelerando": "the final held tempo", "ritardando": "the initial tempo"}[shape]
    held = sum(d for d, b in spans if abs(b - bpm) < 1e-6)
    bpms = [b for _, b in spans]
    piece = dict(
        index=i, name="%s_%03d" % (style, i), style=style, meter=meter, shape=shape,
        tonic=tonic, mode=mode, key="%s %s" % (PITCH_NAMES[tonic], mode), tpb=tpb, bpb=bpb,
        tempo=segs, tempo_map=tm, n_bars=n_bars, final_tick=final, final_s=tm.seconds(final),
        end_tick=final + hold + tail, end_s=tm.seconds(final + hold + tail),
        release_s=tm.seconds(final + hold), parts=parts, beats=beats, bpm=bpm, bpm_how=bpm_how,
        held_share=held / body_s if body_s else 1.0, tempo_min=min(bpms), tempo_max=max(bpms),
        desc=info["desc"], progression=ctx.progression_text(),
        drums=any(p.role == "drums" for p in parts),
    )
    piece["midi"] = write_midi(piece)
    return piece


def instruments(piece):
    names = []
    for p in piece["parts"]:
        if p.name not in names:
            names.append(p.name)
    return names


def programs_text(piece):
    return ",".join("%s=%s(%s)" % (p.role, p.name, "ch10" if p.program is None else p.program)
                    for p in piece["parts"])


# ---------------------------------------------------------------------------------------------
# Rendering and measuring

def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def read_float_wav(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise RuntimeError("%s: not a WAV file" % path)
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            tag, channels, rate = struct.unpack("<HHI", body[:8])
            bits = struct.unpack("<H", body[14:16])[0]
            if tag == 0xFFFE:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            samples = body
        pos += 8 + size + (size & 1)
    if fmt is None or samples is None or fmt[0] != 3 or fmt[3] != 32:
        raise RuntimeError("%s: expected 32-bit float WAV, got %r" % (path, fmt))
    a = array.array("f")
    a.frombytes(samples[: len(samples) // 4 * 4])
    if sys.byteorder != "little":
        a.byteswap()
    return a, fmt[1], fmt[2]


def audible_bounds(a, channels, rate, threshold):
    """(first, last) frame whose magnitude exceeds threshold, scanning 10 ms blocks."""
    block = rate // 100 * channels
    n = len(a)
    first = last = None
    for start in range(0, n, block):
        seg = a[start:start + block]
        if max(seg) > threshold or -min(seg) > threshold:
            first = start // channels
            break
    for start in range((n - 1) // block * block, -1, -block):
        seg = a[start:start + block]
        if max(seg) > threshold or -min(seg) > threshold:
            last = min(n, start + block) // channels
            break
    return first, last


def loudness(path):
    r = run(["ffmpeg", "-hide_banner", "-nostats", "-threads", "1", "-i", path,
             "-af", "ebur128=peak=true", "-f", "null", "-"])
    tail = r.stderr.rsplit("Summary:", 1)[-1]
    i = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", tail)
    p = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", tail)
    lufs = float(i.group(1)) if i and i.group(1) != "-inf" else None
    tp = float(p.group(1)) if p and p.group(1) != "-inf" else None
    return lufs, tp


def probe_duration(path):
    r = run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
    return float(r.stdout.strip())


def render(piece, sf_name, sf_path, out_dir, rel, level_db, tmp_dir):
    """Render one piece with one soundfont into out_dir/rel (FLAC); returns measurements."""
    mid = os.path.join(out_dir, "midi", piece["name"] + ".mid")
    wav = os.path.join(tmp_dir, "%s.%s.wav" % (piece["name"], sf_name))
    flac = os.path.join(out_dir, rel)
    cmd = ["fluidsynth", "-ni", "-q", "-o", "synth.dynamic-sample-loading=1",
           "-o", "synth.cpu-cores=1", "-g", "0.3", "-r", str(SAMPLE_RATE), "-O", "float",
           "-T", "wav", "-F", wav, sf_path, mid]
    r = run(cmd)
    if r.returncode != 0 or not os.path.exists(wav):
        raise RuntimeError("fluidsynth failed (%d): %s" % (r.returncode, r.stderr.strip()[-500:]))
    warnings = sorted(set(line.strip() for line in (r.stdout + r.stderr).splitlines()
                          if re.search(r"not found|substitut|warning|error", line, re.I)))
    a, channels, rate = read_float_wav(wav)
    peak = max(max(a), -min(a)) if len(a) else 0.0
    if peak <= 1e-6:
        raise RuntimeError("silent render")
    first, last = audible_bounds(a, channels, rate, peak * 10 ** (-60 / 20))
    frames = len(a) // channels
    # end: at most TAIL_S after the final chord's release (FluidSynth renders on past the end of
    # the MIDI while voices still sound), earlier if the tail has died away; faded out
    end_frame = min(frames, last + int(0.2 * rate), int((piece["release_s"] + TAIL_S) * rate))
    end_frame = max(end_frame, min(frames, int((piece["release_s"] + 0.3) * rate)))
    gain_db = level_db - 20 * math.log10(peak)
    end_s = end_frame / rate
    fade = min(0.5, max(0.05, end_s - piece["release_s"]))
    os.makedirs(os.path.dirname(flac), exist_ok=True)
    tmp_flac = flac + ".part.flac"
    r = run(["ffmpeg", "-v", "error", "-y", "-threads", "1", "-i", wav, "-af",
             "atrim=end_sample=%d,volume=%.4fdB,afade=t=out:st=%.4f:d=%.4f"
             % (end_frame, gain_db, end_s - fade, fade),
             "-c:a", "flac", "-sample_fmt", "s16", tmp_flac])
    os.unlink(wav)
    if r.returncode != 0:
        raise RuntimeError("ffmpeg failed: %s" % r.stderr.strip()[-500:])
    os.replace(tmp_flac, flac)
    lufs, tp = loudness(flac)
    return dict(duration_s=round(probe_duration(flac), 3), lufs=lufs, true_peak_db=tp,
                lead_in_s=round(first / rate, 4) if first is not None else None,
                render_peak_dbfs=round(20 * math.log10(peak), 2), level_db=round(level_db, 2),
                warnings=warnings)


def fluidsynth_version():
    r = run(["fluidsynth", "--version"])
    m = re.search(r"version\s+([\d.]+)", r.stdout + r.stderr)
    return m.group(1) if m else "?"


# ---------------------------------------------------------------------------------------------
# Labels

def fmt_num(x, digits):
    if x is None:
        return ""
    return ("%." + str(digits) + "f") % x


def fmt_bpm(x):
    s = ("%.3f" % x).rstrip("0")
    return s + "0" if s.endswith(".") else s


def csv_cell(s, force_quote=False):
    s = "" if s is None else str(s)
    if force_quote or any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def write_text(path, text):
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.expanduser("~/.cache/backbeat/corpus"),
                    help="output directory (default: ~/.cache/backbeat/corpus)")
    ap.add_argument("--pieces", type=int, default=40, help="pieces (each rendered per soundfont)")
    ap.add_argument("--seed", default="1", help="seed (same seed, same corpus)")
    ap.add_argument("--seconds", type=float, nargs=2, default=[30.0, 60.0], metavar=("MIN", "MAX"),
                    help="length range of a piece in seconds (default 30 60)")
    ap.add_argument("--soundfont", action="append", default=[], metavar="NAME=PATH",
                    help="soundfont to render with (repeatable); source = gen-NAME")
    ap.add_argument("--midi-only", action="store_true", help="write the MIDI files, render nothing")
    args = ap.parse_args()
    if args.pieces < 1 or args.seconds[0] < 12 or args.seconds[1] < args.seconds[0]:
        ap.error("need --pieces >= 1 and 12 <= MIN <= MAX for --seconds")
    soundfonts = []
    for s in args.soundfont:
        name, _, path = s.partition("=")
        if not name or not path or not os.path.isfile(path):
            ap.error("bad --soundfont %r (NAME=PATH of an existing file)" % s)
        soundfonts.append((name, path))
    if not soundfonts and not args.midi_only:
        ap.error("no --soundfont given (bench/corpus.sh finds the installed ones)")
    for tool in ("fluidsynth", "ffmpeg", "ffprobe"):
        if not args.midi_only and shutil.which(tool) is None:
            sys.exit("error: %s not installed (run bench/corpus.sh)" % tool)
    try:
        os.nice(10)  # other people build on this machine: renders run at low priority
    except OSError:
        pass

    started = time.time()
    out = os.path.abspath(args.out)
    os.makedirs(os.path.join(out, "midi"), exist_ok=True)
    tmp_dir = os.path.join(out, ".tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    pieces = [make_piece(args.seed, i, tuple(args.seconds)) for i in range(args.pieces)]
    for p in pieces:
        mid = os.path.join(out, "midi", p["name"] + ".mid")
        if not os.path.exists(mid) or open(mid, "rb").read() != p["midi"]:
            with open(mid + ".part", "wb") as f:
                f.write(p["midi"])
            os.replace(mid + ".part", mid)
    if args.midi_only:
        print("wrote %d MIDI files to %s/midi" % (len(pieces), out))
        return 0

    fs_version = fluidsynth_version()
    total = len(pieces) * len(soundfonts)
    rows, done, rendered, cached, failed = [], 0, 0, 0, []
    all_warnings = Counter()
    render_s = 0.0
    for p in pieces:
        midi_sha = hashlib.sha256(p["midi"]).hexdigest()
        for sf_name, sf_path in soundfonts:
            done += 1
            source = "gen-" + sf_name
            rel = "%s/%s.flac" % (source, p["name"])
            stem = os.path.join(out, source, p["name"])
            level = random.Random("%s:%d:%s:level" % (args.seed, p["index"], sf_name)).uniform(
                -6.0, -1.5)
            key = dict(midi_sha256=midi_sha, render_version=RENDER_VERSION, soundfont=sf_path,
                       soundfont_size=os.path.getsize(sf_path), level_db=round(level, 2))
            meta_path = stem + ".json"
            m = None
            if os.path.exists(stem + ".flac") and os.path.exists(meta_path):
                try:
                    with open(meta_path) as f:
                        old = json.load(f)
                    if old.get("key") == key:
                        m = old["measured"]
                except (OSError, ValueError, KeyError):
                    m = None
            label = "[%d/%d] %s" % (done, total, rel)
            if m is not None:
                cached += 1
                print("%s  cached (%.1f s)" % (label, m["duration_s"]), flush=True)
            else:
                t0 = time.time()
                try:
                    m = render(p, sf_name, sf_path, out, rel, level, tmp_dir)
                except (RuntimeError, OSError, ValueError) as e:
                    failed.append((rel, str(e)))
                    print("%s  FAILED: %s" % (label, e), flush=True)
                    continue
                dt = time.time() - t0
                render_s += dt
                rendered += 1
                write_text(meta_path, json.dumps(dict(key=key, measured=m), indent=1) + "\n")
                print("%s  rendered in %.1f s: %.1f s audio, %s, %s, %.1f BPM %s, %s LUFS, "
                      "TP %s dB%s" % (label, dt, m["duration_s"], p["key"], p["meter"], p["bpm"],
                                      p["shape"], fmt_num(m["lufs"], 1),
                                      fmt_num(m["true_peak_db"], 1),
                                      "  [%d warnings]" % len(m["warnings"]) if m["warnings"]
                                      else ""), flush=True)
            for w in m["warnings"]:
                all_warnings["%s: %s" % (sf_name, w)] += 1
            # annotations
            beats_rel, tempo_rel = "%s/%s.beats" % (source, p["name"]), "%s/%s.tempo" % (
                source, p["name"])
            dur = m["duration_s"]
            beats = [(t, b) for t, b in p["beats"] if t < dur]
            write_text(os.path.join(out, beats_rel),
                       "".join("%.6f\t%d\n" % (t, b) for t, b in beats))
            tm = p["tempo_map"]
            lines, k = [], 0
            while k * 0.5 <= dur + 1e-9:
                lines.append("%.1f\t%.3f\n" % (k * 0.5, tm.bpm_at_time(k * 0.5)))
                k += 1
            write_text(os.path.join(out, tempo_rel), "".join(lines))
            notes = " ; ".join([
                "generated (bench/corpus.py seed=%s piece=%d; MIDI written by the script, rendered "
                "with FluidSynth %s and the %s soundfont %s)" % (
                    args.seed, p["index"], fs_version, sf_name, os.path.basename(sf_path)),
                "style=%s;meter=%s;beat=%s;shape=%s;tempo=%s;bpm=%s;held=%d%%;local_bpm=%.1f-%.1f"
                % (p["style"], p["meter"], "dotted quarter" if p["meter"] == "6/8" else "quarter",
                   p["shape"], p["desc"], p["bpm_how"], round(100 * p["held_share"]),
                   p["tempo_min"], p["tempo_max"]),
                "progression=%s;programs=%s" % (p["progression"], programs_text(p)),
                "beats: every beat from the first note (t=0) to the final chord's downbeat "
                "(%.3f s), beat-in-bar in column 2; exact tempo/beats/key from the score"
                % p["final_s"],
                "codec=flac;sr=%d;ch=2;probe=ffprobe" % SAMPLE_RATE,
                "lufs_ffmpeg_ebur128=%s;true_peak_dbfs=%s" % (fmt_num(m["lufs"], 1),
                                                              fmt_num(m["true_peak_db"], 1)),
                "annotations=%s" % tempo_rel,
            ])
            rows.append([rel, source, "%.3f" % dur, fmt_bpm(p["bpm"]), beats_rel, p["key"],
                         p["style"], "", ";".join(instruments(p)), "no", "no",
                         fmt_num(m["lufs"], 1), fmt_num(m["true_peak_db"], 1), notes])
    try:
        os.rmdir(tmp_dir)
    except OSError:
        pass
    rows.sort(key=lambda r: r[0])
    text = ",".join(HEADER) + "\n" + "".join(
        ",".join(csv_cell(c, force_quote=(j == len(HEADER) - 1)) for j, c in enumerate(r)) + "\n"
        for r in rows)
    write_text(os.path.join(out, "labels.csv"), text)

    # summary
    elapsed = time.time() - started
    total_audio = sum(float(r[2]) for r in rows)
    print("\n%d files in %s/labels.csv (%.1f min of audio): %d rendered (%.0f s), %d cached, "
          "%d failed; %.0f s in all" % (len(rows), out, total_audio / 60, rendered, render_s,
                                        cached, len(failed), elapsed))

    def counts(name, values):
        c = Counter(values)
        print("  %-10s %s" % (name + ":", ", ".join("%s %d" % kv for kv in sorted(c.items()))))
    counts("style", [p["style"] for p in pieces])
    counts("shape", [p["shape"] for p in pieces])
    counts("meter", [p["meter"] for p in pieces])
    counts("mode", [p["mode"] for p in pieces])
    counts("tonic", [PITCH_NAMES[p["tonic"]] for p in pieces])
    counts("drums", ["yes" if p["drums"] else "no" for p in pieces])
    counts("source", [r[1] for r in rows])
    bpms = sorted(p["bpm"] for p in pieces)
    print("  bpm:       %.1f .. %.1f (median %.1f)" % (bpms[0], bpms[-1], bpms[len(bpms) // 2]))
    if all_warnings:
        print("  fluidsynth warnings (count of files):")
        for w, n in sorted(all_warnings.items()):
            print("    %3d  %s" % (n, w))
    for rel, e in failed:
        print("  FAILED %s: %s" % (rel, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
