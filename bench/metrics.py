"""Accuracy metrics shared by every tool in the comparison.

Definitions match backbeat's `eval` module and docs/BENCHMARKS.md:
- tempo ACC1: estimate within +-4 % of the annotation; ACC2: also at 2, 3, 1/2, 1/3 times it
  (Gouyon et al. 2006);
- beat F-measure: mir_eval.beat.f_measure (+-70 ms, maximum one-to-one matching), no trimming;
- key: MIREX weighted score (1 same, 0.5 fifth up or down same mode, 0.3 relative, 0.2
  parallel); keys are parsed with mir_eval. mir_eval.key.weighted_score (fifth *up* only) is
  reported alongside for reference;
- loudness / true peak: |estimate - ffmpeg ebur128| over files whose ffmpeg integrated loudness
  is above -70 LUFS.
A file that failed or gave no estimate counts as wrong for every metric it has a label for.
"""

import re
import warnings

import mir_eval
import numpy as np

TEMPO_TOLERANCE = 0.04
ACC2_FACTORS = (1.0, 2.0, 3.0, 0.5, 1.0 / 3.0)
LOUDNESS_FLOOR = -70.0
KEY_WEIGHTS = {"same": 1.0, "fifth": 0.5, "relative": 0.3, "parallel": 0.2, "other": 0.0}


def _valid(x):
    return x is not None and np.isfinite(x) and x > 0


def tempo_acc1(reference, estimate):
    """True when estimate is within 4 % of reference."""
    return _valid(reference) and _valid(estimate) and abs(estimate - reference) <= (
        TEMPO_TOLERANCE * reference * (1 + 1e-9))


def tempo_acc2(reference, estimate):
    """ACC1 allowing the metrical factors 2, 3, 1/2, 1/3."""
    return any(tempo_acc1(reference * f, estimate) for f in ACC2_FACTORS) if _valid(
        reference) else False


def beat_f(reference, estimate):
    """mir_eval.beat.f_measure on sorted, de-duplicated, finite beat lists (0 when empty)."""
    ref = np.unique(np.asarray([t for t in reference if np.isfinite(t)], dtype=float))
    est = np.unique(np.asarray([t for t in (estimate or []) if np.isfinite(t)], dtype=float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mir_eval warns on empty lists; 0 is the answer
        return float(mir_eval.beat.f_measure(ref, est))


KEY_RE = re.compile(r"^\s*([A-Ga-g])([#b\u266f\u266d]{0,2})[\s:_-]*([A-Za-z]*)\s*$")
NATURAL = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
MODES = {"": "major", "M": "major", "maj": "major", "major": "major",
         "m": "minor", "min": "minor", "minor": "minor"}


def normalise_key(name):
    """'F# minor' / 'Eb major' / 'Bbm' -> (pitch class, 'major'|'minor'), or None.

    Same grammar as backbeat's parse_key: letter, up to two accidentals, optional separator,
    mode (nothing = major). Enharmonic spellings give the same pitch class.
    """
    match = KEY_RE.match(name or "")
    if not match:
        return None
    letter, accidentals, mode = match.groups()
    mode = MODES.get(mode if len(mode) == 1 else mode.lower())
    if mode is None:
        return None
    shift = sum(1 if a in "#\u266f" else -1 for a in accidentals)
    return (NATURAL[letter.upper()] + shift) % 12, mode


def key_relation(reference, estimate):
    """MIREX relation name of estimate to reference (both from normalise_key)."""
    if reference is None or estimate is None:
        return "other"
    (rt, rm), (et, em) = reference, estimate
    up = (et - rt) % 12
    if rm == em and up == 0:
        return "same"
    if rm == em and up in (5, 7):
        return "fifth"
    if (rm, em, up) in (("major", "minor", 9), ("minor", "major", 3)):
        return "relative"
    if up == 0:
        return "parallel"
    return "other"


PITCH_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def mir_eval_key_score(reference, estimate):
    """mir_eval.key.weighted_score (credits only the fifth above the reference)."""
    if reference is None or estimate is None:
        return 0.0
    as_text = lambda k: f"{PITCH_NAMES[k[0]]} {k[1]}"  # noqa: E731
    return float(mir_eval.key.weighted_score(as_text(reference), as_text(estimate)))


def _mean(values):
    return float(np.mean(values)) if values else None


def score_tool(files, estimates):
    """Accuracy figures of one tool.

    files: list of dicts with 'path', 'bpm', 'beats' (list or None), 'key' (normalised or None),
    'ffmpeg' (dict with I, Peak or None). estimates: path -> dict with 'bpm', 'beats', 'key',
    'lufs', 'true_peak' (any may be None); a missing path = failed file.
    """
    acc1, acc2, beat_scores, key_scores, key_me, lufs_d, peak_d = [], [], [], [], [], [], []
    relations = {k: 0 for k in KEY_WEIGHTS}
    loud_missing = 0
    for f in files:
        est = estimates.get(f["path"]) or {}
        if f["bpm"] is not None:
            acc1.append(tempo_acc1(f["bpm"], est.get("bpm")))
            acc2.append(tempo_acc2(f["bpm"], est.get("bpm")))
        if f["beats"] is not None:
            beat_scores.append(beat_f(f["beats"], est.get("beats")))
        if f["key"] is not None:
            rel = key_relation(f["key"], est.get("key"))
            relations[rel] += 1
            key_scores.append(KEY_WEIGHTS[rel])
            key_me.append(mir_eval_key_score(f["key"], est.get("key")))
        ref = f.get("ffmpeg") or {}
        if ref.get("I") is not None and ref["I"] > LOUDNESS_FLOOR:
            if est.get("lufs") is None:
                loud_missing += 1
            else:
                lufs_d.append(abs(est["lufs"] - ref["I"]))
            if est.get("true_peak") is not None and ref.get("Peak") is not None:
                peak_d.append(abs(est["true_peak"] - ref["Peak"]))
    return {
        "n_tempo": len(acc1), "acc1": _mean(acc1), "acc2": _mean(acc2),
        "n_beats": len(beat_scores), "beat_f": _mean(beat_scores),
        "n_key": len(key_scores), "key_mirex": _mean(key_scores),
        "key_mir_eval": _mean(key_me), "key_relations": relations,
        "n_loud": len(lufs_d), "loud_missing": loud_missing,
        "lufs_mean": _mean(lufs_d), "lufs_max": max(lufs_d) if lufs_d else None,
        "tp_mean": _mean(peak_d), "tp_max": max(peak_d) if peak_d else None,
    }
