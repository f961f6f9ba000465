#!/usr/bin/env python3
"""The vocal detector, fitted and judged: content features and tagger outputs against labels.

Runs, in one go, for each labels CSV given (the voice set of `bench/voices.sh`, the dev set):
`backbeat eval LABELS --out` (per file: the ≈1 s content segments' features, today's
`vocal_probability`) and `backbeat analyze --tags` (the musicnn tag probabilities). Then, for the
files labelled `vocal` yes/no, it compares four detectors:

- **today**: the shipped `vocal_probability`;
- **dsp**: L2 logistic regression on the content features (mean and 90th percentile over the
  non-silent segments);
- **tags**: the same on the logits of the tagger's voice tags;
- **dsp+tags**: both;
- **shipped**: what `backbeat-tagger` reports as `vocals.probability`: the same regression on two
  inputs, the mean logit of the voice-present MTT tags and of the voice-absent ones.

Each fitted detector is judged **leave-one-source-out** on the `--fit` sets (every file scored
by a model fitted without its source) and then on the `--check` sets, fitted on all of `--fit`
(the dev set's real recordings: the model never saw them). Reported: accuracy at 0.5, ROC-AUC,
Brier score, expected calibration error, and the reliability table (predicted vs observed rate
per probability bin), with an SVG reliability plot per detector in `--plots`. The fitted
weights are printed as Rust constants.

Usage (through bench/vocal_model.sh, which pins the environment):
  vocal_model.py --backbeat BIN --fit ~/.cache/backbeat/voices/labels.csv \
      --check ../shared/eval/dev/labels.csv [--plots DIR]
"""

import argparse
import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

import numpy as np
from sklearn.linear_model import LogisticRegression

ACTIVE_DBFS = -55.0
SEGMENT_FIELDS = ["mod4", "low_energy", "flux_sd", "zcr_sd", "centroid_sd", "voiced", "harmonicity",
                  "pitch_steady", "pitch_wiggle"]
VOICE_TAGS = {
    "MTT": ["vocal", "vocals", "singing", "voice", "female", "male", "woman", "man", "female vocal",
            "male vocal", "female voice", "male voice", "no vocal", "no vocals", "no voice"],
    "MSD": ["female vocalists", "male vocalists", "female vocalist"],
}
BINS = 10


VOCAL_WORDS = {"yes": "yes", "vocal": "yes", "no": "no", "instrumental": "no"}


def labels_of(path):
    """The rows of a labels CSV, `vocal` normalised to yes / no / "" as Backbeat reads it."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["vocal"] = VOCAL_WORDS.get(r.get("vocal", "").strip().lower(), "")
    return rows


def run_eval(backbeat, labels, out):
    r = subprocess.run([backbeat, "eval", labels, "--out", out], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode not in (0, 1):  # 1: some files failed to analyse; they are reported below
        sys.exit("backbeat eval %s failed:\n%s" % (labels, r.stderr))
    with open(out) as f:
        return {json.loads(line)["label"]["path"]: json.loads(line) for line in f}


def run_tags(backbeat, labels_path, rows, cache_dir):
    """The tagger's raw outputs and vocal probability per labelled path. Cached in `cache_dir`
    by binary and file (path, size, mtime): tagging is the slow part."""
    base = os.path.dirname(os.path.abspath(labels_path))
    st = os.stat(backbeat)
    binary = "%s:%d:%d" % (os.path.realpath(backbeat), st.st_size, st.st_mtime_ns)
    cache_path = os.path.join(cache_dir, "tags-%s.jsonl" % hashlib.sha256(binary.encode()).hexdigest()[:16])
    cache = {}
    if os.path.exists(cache_path):
        with open(cache_path) as f:
            for line in f:
                d = json.loads(line)
                cache[d["key"]] = dict(raw=d["raw"], probability=d.get("probability"))

    def key(path):
        st = os.stat(path)
        return "%s:%d:%d" % (os.path.realpath(path), st.st_size, st.st_mtime_ns)

    files = [os.path.join(base, r["path"]) for r in rows]
    todo = [f for f in files if key(f) not in cache]
    if todo:
        print(f"  tagging {len(todo)} files ({len(files) - len(todo)} cached)", flush=True)
        r = subprocess.run([backbeat, "analyze", "--tags", "--jobs", "2"] + todo, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        with open(cache_path, "a") as out:
            for line in r.stdout.splitlines():
                d = json.loads(line)
                tags = d.get("tags") or {}
                if tags.get("raw"):
                    entry = dict(raw=tags["raw"], probability=(tags.get("vocals") or {}).get("probability"))
                    cache[key(d["path"])] = entry
                    out.write(json.dumps(dict(key=key(d["path"]), **entry)) + "\n")
    return {os.path.normpath(r["path"]): cache.get(key(f)) for r, f in zip(rows, files)}


def tag_names(backbeat_repo):
    """MTT and MSD label lists, read from the tagger's source."""
    import re
    src = open(os.path.join(backbeat_repo, "crates", "backbeat-tagger", "src", "labels.rs")).read()
    out = {}
    for name, body in re.findall(r"pub const (\w+)_LABELS: \[&str; \d+\] = \[(.*?)\];", src, re.S):
        out[name] = re.findall(r'"([^"]*)"', body)
    return out


def p90(values):
    """Nearest-rank 90th percentile (the form Backbeat computes)."""
    v = sorted(values)
    return v[max(0, math.ceil(0.9 * len(v)) - 1)]


def dsp_features(segments):
    active = [s for s in segments if s["level_db"] >= ACTIVE_DBFS]
    if not active:
        return None
    out = []
    for k in SEGMENT_FIELDS:
        vals = [s[k] for s in active]
        out += [sum(vals) / len(vals), p90(vals)]
    return out


def dsp_names():
    return [f"{k}_{s}" for k in SEGMENT_FIELDS for s in ("mean", "p90")]


def tag_features(raw, names):
    out = []
    for model, tags in VOICE_TAGS.items():
        probs = dict(zip(names[model], raw["%s_musicnn" % model]))
        for t in tags:
            p = min(max(probs[t], 1e-4), 1 - 1e-4)
            out.append(math.log(p / (1 - p)))
    return out


def tag_feature_names():
    return [f"{m}:{t}" for m, tags in VOICE_TAGS.items() for t in tags]


def collect(backbeat, labels_paths, names, cache_dir):
    items = []
    for path in labels_paths:
        rows = [r for r in labels_of(path) if r.get("vocal") in ("yes", "no")]
        with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as tmp:
            evals = run_eval(backbeat, path, tmp.name)
        tags = run_tags(backbeat, path, rows, cache_dir)
        for r in rows:
            e = evals.get(r["path"])
            seg = (e or {}).get("content_segments")
            dsp = dsp_features(seg) if seg else None
            entry = tags.get(os.path.normpath(r["path"])) or {}
            raw = entry.get("raw")
            if dsp is None or raw is None:
                print(f"  skipped {r['path']}: {'no active content' if dsp is None else 'no tags'}")
                continue
            pred = (e.get("prediction") or {}).get("vocal_probability")
            speech = (e.get("prediction") or {}).get("speech_probability")
            items.append(dict(path=r["path"], source=r["source"], y=1 if r["vocal"] == "yes" else 0,
                              today=pred, speech=speech, rust=entry.get("probability"), dsp=dsp, tags=tag_features(raw, names), notes=r.get("notes", "")))
    return items


# The shipped detector's two inputs: the mean logit of the musicnn (MTT) tags that say a voice
# is heard, and of those that say none is (backbeat-tagger's `vocal_probability`).
VOICE_PRESENT = ["vocal", "vocals", "singing", "voice", "female vocal", "male vocal"]
VOICE_ABSENT = ["no vocal", "no vocals", "no voice"]


def shipped_inputs(item):
    names = tag_feature_names()
    mean = lambda tags: sum(item["tags"][names.index("MTT:" + t)] for t in tags) / len(tags)  # noqa: E731
    return [mean(VOICE_PRESENT), mean(VOICE_ABSENT)]


def design(items, kind):
    if kind == "shipped":
        return np.array([shipped_inputs(i) for i in items])
    if kind == "dsp":
        return np.array([i["dsp"] for i in items])
    if kind == "tags":
        return np.array([i["tags"] for i in items])
    return np.array([i["dsp"] + i["tags"] for i in items])


class Model:
    """Standardised inputs, L2 logistic regression (C = 1, balanced classes); weights folded
    back to raw inputs so Backbeat can apply them without the scaler."""

    def __init__(self, x, y):
        self.mu = x.mean(axis=0)
        self.sd = x.std(axis=0) + 1e-9
        self.lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000)
        self.lr.fit((x - self.mu) / self.sd, y)

    def predict(self, x):
        return self.lr.predict_proba((x - self.mu) / self.sd)[:, 1]

    def raw_weights(self):
        w = self.lr.coef_[0] / self.sd
        b = self.lr.intercept_[0] - float(np.sum(self.lr.coef_[0] * self.mu / self.sd))
        return b, w


def auc(y, p):
    pos = [q for q, t in zip(p, y) if t == 1]
    neg = [q for q, t in zip(p, y) if t == 0]
    if not pos or not neg:
        return float("nan")
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def reliability(y, p):
    rows = []
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        idx = [i for i, q in enumerate(p) if lo <= q < hi or (b == BINS - 1 and q == 1.0)]
        if idx:
            rows.append((lo, hi, len(idx), sum(p[i] for i in idx) / len(idx), sum(y[i] for i in idx) / len(idx)))
    return rows


def scores(y, p):
    n = len(y)
    rel = reliability(y, p)
    return dict(
        n=n, pos=sum(y),
        acc=sum((q >= 0.5) == (t == 1) for q, t in zip(p, y)) / n,
        auc=auc(y, p),
        brier=sum((q - t) ** 2 for q, t in zip(p, y)) / n,
        ece=sum(c * abs(mp - obs) for _, _, c, mp, obs in rel) / n,
        rel=rel,
    )


def svg_reliability(path, title, curves):
    """A reliability diagram: predicted probability (x) against observed rate (y), per curve."""
    w, h, pad = 420, 420, 50
    colors = ["#6b7280", "#059669", "#d97706", "#dc2626", "#2563eb"]
    x = lambda v: pad + v * (w - 2 * pad)  # noqa: E731
    y = lambda v: h - pad - v * (h - 2 * pad)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + 20 * len(curves)}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="100%" height="100%" fill="white"/>',
             f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
             f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#999" stroke-dasharray="4 4"/>',
             f'<rect x="{x(0)}" y="{y(1)}" width="{x(1) - x(0)}" height="{y(0) - y(1)}" fill="none" stroke="#333"/>']
    for v in (0, 0.5, 1):
        parts.append(f'<text x="{x(v)}" y="{y(0) + 16}" text-anchor="middle">{v:g}</text>')
        parts.append(f'<text x="{x(0) - 6}" y="{y(v) + 4}" text-anchor="end">{v:g}</text>')
    parts.append(f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">predicted probability</text>')
    parts.append(f'<text x="14" y="{h / 2}" text-anchor="middle" transform="rotate(-90 14 {h / 2})">observed share vocal</text>')
    for k, (name, s) in enumerate(curves):
        c = colors[k % len(colors)]
        pts = " ".join(f"{x(mp):.1f},{y(obs):.1f}" for _, _, _, mp, obs in s["rel"])
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{c}" stroke-width="2"/>')
        for _, _, cnt, mp, obs in s["rel"]:
            r = 2 + 1.5 * math.sqrt(cnt)
            parts.append(f'<circle cx="{x(mp):.1f}" cy="{y(obs):.1f}" r="{r:.1f}" fill="{c}" fill-opacity="0.5"/>')
        parts.append(f'<text x="{pad}" y="{h + 14 + 20 * k}" fill="{c}">{name}: AUC {s["auc"]:.3f}, '
                     f'ECE {s["ece"]:.3f}, accuracy {s["acc"]:.3f} (n={s["n"]})</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backbeat", required=True)
    ap.add_argument("--fit", action="append", required=True, help="labels CSV to fit on (LOSO)")
    ap.add_argument("--check", action="append", default=[], help="labels CSV to check on (never fitted)")
    ap.add_argument("--plots", default=os.path.expanduser("~/.cache/backbeat/vocal-model"))
    args = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = tag_names(repo)
    os.makedirs(args.plots, exist_ok=True)
    fit = collect(args.backbeat, args.fit, names, args.plots)
    check = collect(args.backbeat, args.check, names, args.plots)
    y = [i["y"] for i in fit]
    print(f"\nfit: {len(fit)} files ({sum(y)} vocal) from {sorted({i['source'] for i in fit})}")
    print(f"check: {len(check)} files ({sum(i['y'] for i in check)} vocal)")
    sources = sorted({i["source"] for i in fit})
    results = {"today": (scores(y, [i["today"] for i in fit]),
                         scores([i["y"] for i in check], [i["today"] for i in check]) if check else None)}
    models = {}
    for kind in ("dsp", "tags", "dsp+tags", "shipped"):
        x = design(fit, kind)
        loso = np.zeros(len(fit))
        for s in sources:
            held = np.array([i["source"] == s for i in fit])
            if held.all() or len(set(np.array(y)[~held])) < 2:
                continue
            loso[held] = Model(x[~held], np.array(y)[~held]).predict(x[held])
        models[kind] = Model(x, np.array(y))
        on_check = (scores([i["y"] for i in check], list(models[kind].predict(design(check, kind))))
                    if check else None)
        results[kind] = (scores(y, list(loso)), on_check)

    print("\n| detector | fit LOSO: accuracy | ROC-AUC | Brier | ECE | check: accuracy | ROC-AUC | Brier | ECE |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, (a, b) in results.items():
        cb = (f"{b['acc']:.3f} | {b['auc']:.3f} | {b['brier']:.3f} | {b['ece']:.3f}" if b else "– | – | – | –")
        print(f"| {kind} | {a['acc']:.3f} | {a['auc']:.3f} | {a['brier']:.3f} | {a['ece']:.3f} | {cb} |")
    for kind, (a, _) in results.items():
        print(f"\nreliability, {kind} (fit, LOSO): bin | n | mean predicted | observed")
        for lo, hi, n, mp, obs in a["rel"]:
            print(f"  {lo:.1f}-{hi:.1f} | {n:3d} | {mp:.2f} | {obs:.2f}")
    svg_reliability(os.path.join(args.plots, "vocal-reliability-fit.svg"),
                    "Vocal detectors, voice set, leave-one-source-out",
                    [(k, a) for k, (a, _) in results.items()])
    if check:
        svg_reliability(os.path.join(args.plots, "vocal-reliability-check.svg"),
                        "Vocal detectors, check set (never fitted)",
                        [(k, b) for k, (_, b) in results.items()])
        print("\ncheck set, per file (label: today / dsp / tags / dsp+tags / shipped):")
        for i, item in enumerate(check):
            probs = [item["today"]] + [float(models[k].predict(design([item], k))[0])
                                       for k in ("dsp", "tags", "dsp+tags", "shipped")]
            print(f"  {'VOCAL' if item['y'] else 'no   '} {item['path'][:50]:50s} " + " / ".join(f"{p:.2f}" for p in probs))
    print(f"\nplots: {args.plots}/vocal-reliability-*.svg")
    for kind in ("dsp", "dsp+tags"):
        b, w = models[kind].raw_weights()
        feat = dsp_names() + (tag_feature_names() if kind != "dsp" else [])
        print(f"\n// {kind}: intercept {b:.4f}")
        for n_, v in zip(feat, w):
            print(f"//   {n_:28s} {v:+.4f}")
    b, w = models["shipped"].raw_weights()
    print("\n/// Intercept, then the weights of the mean voice-present and voice-absent tag logits.")
    print(f"const VOCAL_W: [f64; 3] = [{b:.4f}, {w[0]:.4f}, {w[1]:.4f}];")
    # Backbeat's own probabilities (tags.vocals.probability) against this fit, rounded weights.
    rust = [(i["rust"], float(models["shipped"].predict(design([i], "shipped"))[0]))
            for i in fit + check if i.get("rust") is not None]
    if rust:
        worst = max(abs(a - b_) for a, b_ in rust)
        print(f"check: Backbeat's tags.vocals.probability against this fit on {len(rust)} files: "
              f"max difference {worst:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
