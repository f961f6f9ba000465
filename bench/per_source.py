#!/usr/bin/env python3
"""Accuracy per source of the dev set, Backbeat against essentia on the same files in one run:
- key: Backbeat plain and leave-one-source-out (from `backbeat eval --json`) against essentia's
  KeyExtractor with the bgate profile (the issue's bar) and with its profile chosen
  leave-one-source-out among all eleven;
- tempo and beats: Backbeat plain and leave-one-source-out against essentia's
  RhythmExtractor2013 (multifeature).

Accuracy only (no timing): run through bench/per_source.sh, which pins the environment.
"""

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import isolate  # noqa: E402
import metrics  # noqa: E402
import tools  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = {"same": 1.0, "fifth": 0.5, "relative": 0.3, "parallel": 0.2, "other": 0.0}
RELATIONS = ["same", "fifth", "relative", "parallel", "other"]
BAR = "bgate"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dev", type=Path, default=REPO / ".." / "shared" / "eval" / "dev")
    p.add_argument("--backbeat", type=Path, required=True, help="backbeat binary")
    p.add_argument("--timeout", type=float, default=600)
    return p.parse_args(argv)


def rows_of(dev):
    with open(dev / "labels.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def source_of(row):
    return row.get("source") or row["path"].split("/")[0]


def tempo_files(dev):
    """Rows with a tempo label: path, source, reference BPM and reference beats (or None)."""
    out = []
    for row in rows_of(dev):
        bpm = row.get("bpm")
        if not bpm:
            continue
        beats = None
        if row.get("beats"):
            beats = [float(line.replace(",", " ").split()[0])
                     for line in (dev / row["beats"]).read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#")]
        out.append({"path": str((dev / row["path"]).resolve()), "source": source_of(row),
                    "bpm": float(bpm), "beats": sorted(beats) if beats is not None else None})
    return out


def key_files(dev):
    rows = rows_of(dev)
    out = []
    for row in rows:
        key = metrics.normalise_key(row.get("key"))
        if key is None:
            continue
        source = source_of(row)
        out.append({"path": str((dev / row["path"]).resolve()), "name": row["path"],
                    "source": source, "key": key})
    return out


def loso_choice(files, scores, candidates):
    """Per source: the candidate with the best mean score on the other sources (ties: first)."""
    chosen = {}
    for source in sorted({f["source"] for f in files}):
        others = [i for i, f in enumerate(files) if f["source"] != source]
        if not others:
            chosen[source] = None
            continue
        totals = [sum(scores[i][c] for i in others) for c in candidates]
        chosen[source] = candidates[max(range(len(candidates)), key=lambda j: (totals[j], -j))]
    return chosen


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def main(argv):
    args = parse_args(argv)
    files = key_files(args.dev)
    print(f"{len(files)} key-labelled files; essentia KeyExtractor × {len(tools.KEY_PROFILES)} profiles",
          file=sys.stderr)
    jobs = [(f["path"], isolate.essentia_keys_job, (f["path"], tools.KEY_PROFILES)) for f in files]
    done, failures = isolate.run_jobs(jobs, args.timeout)
    for path, why in failures.items():
        print(f"essentia failed on {path}: {why}", file=sys.stderr)
    scores, relations = [], []
    for f in files:
        keys = done.get(f["path"], ({}, {}))[0]
        rel = {p: metrics.key_relation(f["key"], keys.get(p)) for p in tools.KEY_PROFILES}
        relations.append(rel)
        scores.append({p: WEIGHTS[r] for p, r in rel.items()})
    chosen = loso_choice(files, scores, tools.KEY_PROFILES)

    bb = subprocess.run([str(args.backbeat), "eval", str(args.dev / "labels.csv"), "--json"],
                        check=True, stdout=subprocess.PIPE).stdout
    loso = json.loads(bb)["leave_one_source_out"]
    backbeat = {s["source"]: s for s in loso["sources"]}

    print("| source | key files | Backbeat plain | Backbeat LOSO (candidate) | essentia bgate "
          "| essentia LOSO (profile) | Backbeat LOSO − bgate |")
    print("|---|---|---|---|---|---|---|")
    pooled = {"bb_plain": [], "bb_loso": [], "bgate": [], "es_loso": []}
    for source in sorted({f["source"] for f in files}):
        idx = [i for i, f in enumerate(files) if f["source"] == source]
        b = backbeat[source]
        n = b["plain"]["key"]["n"]
        bb_plain, bb_loso = b["plain"]["key"]["weighted"], b["loso"]["key"]["weighted"]
        bgate = mean([scores[i][BAR] for i in idx])
        profile = chosen[source] or BAR
        es_loso = mean([scores[i][profile] for i in idx])
        for k, v in (("bb_plain", bb_plain), ("bb_loso", bb_loso), ("bgate", bgate),
                     ("es_loso", es_loso)):
            pooled[k].extend([v] * n)
        print(f"| {source} | {n} | {bb_plain:.3f} | {bb_loso:.3f} ({b['key_params']}) "
              f"| {bgate:.3f} | {es_loso:.3f} ({profile}) | {bb_loso - bgate:+.3f} |")
    p = {k: mean(v) for k, v in pooled.items()}
    print(f"| **pooled** | {len(files)} | {p['bb_plain']:.3f} | {p['bb_loso']:.3f} | {p['bgate']:.3f} "
          f"| {p['es_loso']:.3f} | {p['bb_loso'] - p['bgate']:+.3f} |")
    print()
    print("Confusions (same / fifth / relative / parallel / other):")
    counts = {r: 0 for r in RELATIONS}
    for rel in relations:
        counts[rel[BAR]] += 1
    pooled_bb = json.loads(bb)["report"]["key"]["counts"]
    print(f"- Backbeat (plain): {' / '.join(str(c) for c in pooled_bb)}")
    print(f"- essentia {BAR}: {' / '.join(str(counts[r]) for r in RELATIONS)}")
    print()
    tempo_table(args, backbeat)
    return 0


def tempo_table(args, backbeat):
    """Tempo ACC1 / ACC2 and beat F per source: Backbeat plain → LOSO against essentia."""
    files = tempo_files(args.dev)
    print(f"{len(files)} tempo-labelled files; essentia RhythmExtractor2013", file=sys.stderr)
    jobs = [(f["path"], isolate.essentia_rhythm_job, (f["path"],)) for f in files]
    done, failures = isolate.run_jobs(jobs, args.timeout)
    for path, why in failures.items():
        print(f"essentia failed on {path}: {why}", file=sys.stderr)
    print("| source | tempo files | ACC1 Backbeat plain → LOSO | ACC1 essentia "
          "| ACC2 Backbeat plain → LOSO | ACC2 essentia | beat files | beat F Backbeat plain → LOSO "
          "| beat F essentia |")
    print("|---|---|---|---|---|---|---|---|---|")
    pooled = {"n": 0, "a1": 0, "a2": 0, "bn": 0, "bf": 0.0}
    for source in sorted({f["source"] for f in files}):
        mine = [f for f in files if f["source"] == source]
        est = [done.get(f["path"], ({"bpm": None, "beats": []}, {}))[0] for f in mine]
        a1 = sum(metrics.tempo_acc1(f["bpm"], e["bpm"]) for f, e in zip(mine, est))
        a2 = sum(metrics.tempo_acc2(f["bpm"], e["bpm"]) for f, e in zip(mine, est))
        with_beats = [(f, e) for f, e in zip(mine, est) if f["beats"] is not None]
        bf = [metrics.beat_f(f["beats"], e["beats"]) for f, e in with_beats]
        n = len(mine)
        pooled["n"] += n
        pooled["a1"] += a1
        pooled["a2"] += a2
        pooled["bn"] += len(bf)
        pooled["bf"] += sum(bf)
        b = backbeat[source]
        rate = lambda r, k: r["tempo"][k] / max(r["tempo"]["n"], 1)  # noqa: E731
        beat = lambda r: (f"{r['beat_f']['mean']:.3f}" if r["beat_f"]["n"] else "–")  # noqa: E731
        print(f"| {source} | {n} | {rate(b['plain'], 'acc1'):.3f} → {rate(b['loso'], 'acc1'):.3f} "
              f"| {a1 / n:.3f} | {rate(b['plain'], 'acc2'):.3f} → {rate(b['loso'], 'acc2'):.3f} "
              f"| {a2 / n:.3f} | {len(bf)} | {beat(b['plain'])} → {beat(b['loso'])} "
              f"| {f'{mean(bf):.3f}' if bf else '–'} |")
    print(f"| **pooled (essentia)** | {pooled['n']} | | {pooled['a1'] / pooled['n']:.3f} | "
          f"| {pooled['a2'] / pooled['n']:.3f} | {pooled['bn']} | "
          f"| {pooled['bf'] / max(pooled['bn'], 1):.3f} |")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
