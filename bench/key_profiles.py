#!/usr/bin/env python3
"""Key profiles fitted on one labelled set and scored on another, from `backbeat eval --out`.

`backbeat eval LABELS --out F.jsonl` writes, per file, the tuning-corrected pitch-class profile
the key was decided from and the pitch classes of its bass. This script fits the **corpus**
profiles on the `--train` files (the mean of each file's profile rotated to its labelled tonic,
per mode, for the whole chroma and for the bass), redoes Backbeat's key decision in Python
(checked against the Rust estimates: the shipped default, with profiles fitted on every training
file, must agree on every file), then scores the candidates of Backbeat's
`KeyParams::candidates()`, named alike, per source and pooled (MIREX weighted), with the
confusion types.

When a scored file's source is among the training files, that source is left out of the fit
(leave-one-source-out), so no file is scored by a profile that saw it. The dev set's figures
need no hold-out: the corpus is disjoint from it.

Usage: key_profiles.py --train corpus.jsonl [--train more.jsonl] --score dev.jsonl [--score ...]
Prints the fitted profiles (all training files) as the Rust constants `CORPUS`, `CORPUS_BASS`.

Standard library only.
"""

import argparse
import json
import math
import os
import re
import sys
from collections import defaultdict

PITCH = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]

PROFILES_RS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "crates", "backbeat-audio", "src", "key", "profiles.rs")


def rust_profiles(name):
    """The (major, minor) constant `name` of Backbeat's profiles.rs, so this script decides with
    the very numbers Backbeat ships."""
    src = open(PROFILES_RS).read()
    m = re.search(r"pub const %s: \(\[f64; 12\], \[f64; 12\]\) = \((.*?)\);" % name, src, re.S)
    if not m:
        sys.exit("key_profiles: no %s in %s" % (name, PROFILES_RS))
    rows = [[float(v) for v in re.findall(r"[-\d.]+", body)] for body in re.findall(r"\[(.*?)\]", m.group(1), re.S)]
    if len(rows) != 2 or any(len(r) != 12 for r in rows):
        sys.exit("key_profiles: %s in %s is not two rows of 12" % (name, PROFILES_RS))
    return tuple(rows)


ALBRECHT_SHANAHAN = rust_profiles("ALBRECHT_SHANAHAN")
KRUMHANSL_KESSLER = rust_profiles("KRUMHANSL_KESSLER")
TEMPERLEY = rust_profiles("TEMPERLEY")
HARMONIC_PC = [0, 0, 7, 0, 4, 7]
EXTRA_BASS_WEIGHTS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.75]


def with_harmonics(profile, slope):
    out = [0.0] * 12
    w = 1.0
    for shift in HARMONIC_PC:
        for degree, value in enumerate(profile):
            out[(degree + shift) % 12] += w * value
        w *= slope
    return out


def correlation(a, b):
    ma, mb = sum(a) / 12, sum(b) / 12
    sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa = sum((x - ma) ** 2 for x in a)
    sbb = sum((y - mb) ** 2 for y in b)
    den = math.sqrt(saa * sbb)
    return max(-1.0, min(1.0, sab / den)) if den > 1e-300 else 0.0


def best_key(chroma, profiles, bass=None, bass_profiles=None, bass_weight=0.0):
    """Backbeat's `profiles::best_key` (ties go to the lowest tonic, major first), plus
    `bass_weight` times the bass profile's correlation with the rotated bass key profile."""
    best = (0, "major", -math.inf)
    for m, mode in enumerate(("major", "minor")):
        for tonic in range(12):
            rotated = [profiles[m][(i + 12 - tonic) % 12] for i in range(12)]
            r = correlation(chroma, rotated)
            if bass_weight and bass:
                r += bass_weight * correlation(bass, [bass_profiles[m][(i + 12 - tonic) % 12] for i in range(12)])
            if r > best[2] or (r == best[2] and mode == "major" and best[1] == "minor"):
                best = (tonic, mode, r)
    return best[0], best[1]


def relation(ref, est):
    """MIREX relation of an estimate to the reference (Backbeat's `mirex_relation`)."""
    if est is None:
        return "other"
    up = (est[0] - ref[0]) % 12
    if est[1] == ref[1] and up == 0:
        return "same"
    if est[1] == ref[1] and up in (5, 7):
        return "fifth"
    if (ref[1], est[1], up) in (("major", "minor", 9), ("minor", "major", 3)):
        return "relative"
    if up == 0:
        return "parallel"
    return "other"


WEIGHT = {"same": 1.0, "fifth": 0.5, "relative": 0.3, "parallel": 0.2, "other": 0.0}


def load(paths):
    files = []
    for path in paths:
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                key = r["label"].get("key")
                if key is None:
                    continue
                pcs = r.get("pitch_classes")
                pred = (r.get("prediction") or {}).get("key")
                files.append(
                    {
                        "path": r["label"]["path"],
                        "source": r["label"]["source"],
                        "key": (key["tonic_pc"], key["mode"]),
                        "chroma": pcs["chroma"] if pcs else None,
                        "bass": pcs.get("bass") if pcs else None,
                        "rust": (pred["tonic_pc"], pred["mode"]) if pred else None,
                    }
                )
    return files


def learn(files, exclude_source=None, field="chroma"):
    """Mean pitch-class profile (`field`: chroma or bass) rotated to the labelled tonic, per
    mode, unit sum."""
    sums = {"major": [0.0] * 12, "minor": [0.0] * 12}
    for f in files:
        if not f[field] or f["source"] == exclude_source:
            continue
        tonic, mode = f["key"]
        for i in range(12):
            sums[mode][i] += f[field][(i + tonic) % 12]
    out = []
    for mode in ("major", "minor"):
        total = sum(sums[mode])
        if total <= 0:
            sys.exit(f"key_profiles: no {mode} training files")
        out.append([v / total for v in sums[mode]])
    return tuple(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="append", required=True, help="eval --out JSONL to learn profiles from")
    ap.add_argument("--score", action="append", required=True, help="eval --out JSONL to score on")
    args = ap.parse_args()
    train = load(args.train)
    score = load(args.score)
    if not any(f["chroma"] for f in score):
        sys.exit("key_profiles: no pitch classes in the scored files (re-run `backbeat eval --out` with this build)")

    fixed = {
        "albrecht-shanahan/0.6": (ALBRECHT_SHANAHAN, 0.6),
        "albrecht-shanahan/0": (ALBRECHT_SHANAHAN, 0.0),
        "albrecht-shanahan/0.8": (ALBRECHT_SHANAHAN, 0.8),
        "krumhansl-kessler/0.6": (KRUMHANSL_KESSLER, 0.6),
        "krumhansl-kessler/0": (KRUMHANSL_KESSLER, 0.0),
        "krumhansl-kessler/0.8": (KRUMHANSL_KESSLER, 0.8),
        "temperley/0.6": (TEMPERLEY, 0.6),
        "temperley/0": (TEMPERLEY, 0.0),
        "temperley/0.8": (TEMPERLEY, 0.8),
    }
    train_sources = {f["source"] for f in train}
    learned_cache = {}

    def learned(source, field="chroma"):
        holdout = source if source in train_sources else None
        if (holdout, field) not in learned_cache:
            learned_cache[(holdout, field)] = learn(train, holdout, field)
        return learned_cache[(holdout, field)]

    def fixed_profiles(name):
        (maj, mnr), slope = fixed[name]
        return with_harmonics(maj, slope), with_harmonics(mnr, slope)

    # Backbeat's `KeyParams::candidates()`, named alike; "corpus" is the learned profile (fitted
    # without the scored file's source when that source is among the training files).
    def bass_of(f, w):
        return dict(bass=f["bass"], bass_profiles=learned(f["source"], "bass"), bass_weight=w)

    candidates = {
        "corpus/0 bass 0.35": lambda f: best_key(f["chroma"], learned(f["source"]), **bass_of(f, 0.35)),
        "corpus/0": lambda f: best_key(f["chroma"], learned(f["source"])),
        "corpus/0 bass 0.15": lambda f: best_key(f["chroma"], learned(f["source"]), **bass_of(f, 0.15)),
        "corpus/0 bass 0.25": lambda f: best_key(f["chroma"], learned(f["source"]), **bass_of(f, 0.25)),
    }
    for w in (0.15, 0.25, 0.35):
        candidates[f"albrecht-shanahan/0.6 bass {w}"] = lambda f, w=w: best_key(
            f["chroma"], fixed_profiles("albrecht-shanahan/0.6"), **bass_of(f, w)
        )
    for name in fixed:
        candidates[name] = lambda f, n=name: best_key(f["chroma"], fixed_profiles(n))
    # Weights around the shipped ones, to show where the choice sits.
    for w in EXTRA_BASS_WEIGHTS:
        candidates[f"corpus/0 bass {w}"] = lambda f, w=w: best_key(f["chroma"], learned(f["source"]), **bass_of(f, w))

    def estimate(name, f):
        return candidates[name](f) if f["chroma"] is not None else None

    # The Python decision must be Backbeat's: the default candidate, with the profiles fitted on
    # all training files (the constants Backbeat ships), reproduces every estimate.
    full, full_bass = learn(train), learn(train, None, "bass")

    def shipped(f):
        return best_key(f["chroma"], full, f["bass"], full_bass, 0.35)

    mismatches = [f["path"] for f in score if f["chroma"] and shipped(f) != f["rust"]]
    print(f"check: the default candidate reproduces Backbeat's key on {sum(1 for f in score if f['chroma']) - len(mismatches)} files, differs on {len(mismatches)}")
    for p in mismatches[:5]:
        print(f"  differs: {p}")

    sources = sorted({f["source"] for f in score})
    names = list(candidates)
    table = {}
    for name in names:
        per = defaultdict(list)
        confusions = defaultdict(int)
        for f in score:
            rel = relation(f["key"], estimate(name, f))
            per[f["source"]].append(WEIGHT[rel])
            confusions[rel] += 1
        table[name] = (per, confusions)

    def mean(xs):
        return sum(xs) / len(xs) if xs else float("nan")

    print()
    print("| candidate | " + " | ".join(f"{s} ({len(table[names[0]][0][s])})" for s in sources) + " | pooled | same / fifth / relative / parallel / other |")
    print("|---|" + "---|" * (len(sources) + 2))
    for name in names:
        per, conf = table[name]
        pooled = [w for s in sources for w in per[s]]
        cells = " | ".join(f"{mean(per[s]):.3f}" for s in sources)
        counts = " / ".join(str(conf[k]) for k in ("same", "fifth", "relative", "parallel", "other"))
        print(f"| {name} | {cells} | {mean(pooled):.3f} | {counts} |")

    held = " (each scored source left out of the fit)" if train_sources & set(sources) else ""
    print(f"\ncorpus profiles: fitted on {len(train)} files from {', '.join(sorted(train_sources))}{held}")
    for field, name in (("chroma", "CORPUS"), ("bass", "CORPUS_BASS")):
        major, minor = learn(train, None, field)
        print(f"\n/// Fitted {field} (major, minor) profiles, index 0 = tonic (bench/key_profiles.py).")
        print(f"pub const {name}: ([f64; 12], [f64; 12]) = (")
        for p in (major, minor):
            print("    [" + ", ".join(f"{v:.4f}" for v in p) + "],")
        print(");")


if __name__ == "__main__":
    main()
