"""Does choosing patches by what they sound like beat evenly spread patches? Run through
bench/tagger_patch_choice.sh.

Method (the harness of bench/tagger_int8.py: librosa log-mel patches, ONNX Runtime float32, one
thread): every patch of every dev file is run through both models once and cached with a cheap
descriptor of the patch (the mean and the standard deviation of each of its 96 log-mel bands).
The reference is today's all-patch output (the mean over every patch). A strategy picks N
patches of a file and weights them; its estimate is the weighted mean of their tags.

- spread: Backbeat's `spread:N` (the centres of N equal spans), equal weights;
- k-means (mean / mean+std descriptor): N clusters of the file's patches (seeded with the spread
  patches, 20 Lloyd iterations); each cluster's patch nearest its centroid, weighted by the
  cluster's share of the file: a stratified sample whose strata are what the patches sound like;
- span medoid: the N equal spans of spread, but in each the patch nearest the span's mean
  descriptor instead of the centre one;
- k-center: greedy farthest-point selection from the file's medoid (novelty), each patch
  credited to its nearest chosen patch.

Agreement = the share of files whose top-5 of the 100 mean tag probabilities (as a set) is the
reference's, with the mean over files of the largest probability difference.
"""

import argparse
import csv
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tagger_int8 import MODELS, log, patches_of, session, spread as spread_idx, top5  # noqa: E402

COUNTS = (4, 5, 6, 7, 8, 10, 11, 12, 16)


def cache_file(work, i):
    return os.path.join(work, f"{i:03d}.npz")


def build_cache(dev, models_dir, work):
    sessions = {m: session(os.path.join(models_dir, f"{m}.onnx")) for m in MODELS}
    rows = list(csv.DictReader(open(os.path.join(dev, "labels.csv"), newline="")))
    files = []
    for i, row in enumerate(rows):
        path = cache_file(work, i)
        if not os.path.exists(path):
            try:
                p = patches_of(os.path.join(dev, row["path"]))
            except Exception as e:  # librosa cannot read a few odd files; say which
                log(f"skip {row['path']}: {e}")
                continue
            tags = [np.concatenate([sessions[m].run(["tags"], {"mel": p[j:j + 16]})[0]
                                    for j in range(0, len(p), 16)]) for m in MODELS]
            np.savez(path, tags=np.concatenate(tags, 1), mean=p.mean(1), std=p.std(1))
        files.append(dict(np.load(path)))
        if (i + 1) % 20 == 0:
            log(f"{i + 1}/{len(rows)} files")
    return files


def equal(idx):
    return idx, np.full(len(idx), 1.0 / len(idx))


def spread(n, f):
    return equal(spread_idx(n, len(f["tags"])))


def descriptor(f, kind):
    return f["mean"] if kind == "mean" else np.concatenate([f["mean"], f["std"]], 1)


def kmeans(n, f, kind):
    d = descriptor(f, kind)
    t = len(d)
    if n >= t:
        return equal(np.arange(t))
    centres = d[spread_idx(n, t)].copy()
    for _ in range(20):
        assign = ((d[:, None] - centres[None]) ** 2).sum(2).argmin(1)
        for k in range(n):
            if (assign == k).any():
                centres[k] = d[assign == k].mean(0)
    assign = ((d[:, None] - centres[None]) ** 2).sum(2).argmin(1)
    idx, w = [], []
    for k in range(n):
        members = np.where(assign == k)[0]
        if len(members):
            idx.append(members[((d[members] - centres[k]) ** 2).sum(1).argmin()])
            w.append(len(members) / t)
    return np.array(idx), np.array(w)


def span_medoid(n, f):
    d = descriptor(f, "mean")
    t = len(d)
    if n >= t:
        return equal(np.arange(t))
    idx, w = [], []
    for k in range(n):
        span = np.arange((k * t) // n, ((k + 1) * t) // n)
        idx.append(span[((d[span] - d[span].mean(0)) ** 2).sum(1).argmin()])
        w.append(len(span) / t)
    return np.array(idx), np.array(w)


def k_center(n, f):
    d = descriptor(f, "mean")
    t = len(d)
    if n >= t:
        return equal(np.arange(t))
    idx = [int(((d - d.mean(0)) ** 2).sum(1).argmin())]
    dist = ((d - d[idx[0]]) ** 2).sum(1)
    while len(idx) < n:
        j = int(dist.argmax())
        idx.append(j)
        dist = np.minimum(dist, ((d - d[j]) ** 2).sum(1))
    nearest = ((d[:, None] - d[idx][None]) ** 2).sum(2).argmin(1)
    return np.array(idx), np.bincount(nearest, minlength=n) / t


STRATEGIES = {
    "spread (today)": spread,
    "k-means, mean descriptor": lambda n, f: kmeans(n, f, "mean"),
    "k-means, mean+std descriptor": lambda n, f: kmeans(n, f, "meanstd"),
    "span medoid": span_medoid,
    "k-center (novelty)": k_center,
}


def score(files, pick, n):
    same, diffs = 0, []
    for f in files:
        idx, w = pick(n, f)
        v = (f["tags"][idx] * w[:, None]).sum(0)
        ref = f["tags"].mean(0)
        same += top5(v) == top5(ref)
        diffs.append(float(np.abs(v - ref).max()))
    return same / len(files), float(np.mean(diffs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", required=True)
    ap.add_argument("--models-dir", required=True)
    ap.add_argument("--work", required=True, help="folder for the per-patch cache")
    ap.add_argument("--core", type=int, default=1)
    args = ap.parse_args()
    os.sched_setaffinity(0, {args.core})
    files = build_cache(args.dev, args.models_dir, args.work)
    total = sum(len(f["tags"]) for f in files)
    print(f"# Patch choice against all-patch tags ({len(files)} dev files, {total} patches)\n")
    print("Top-5 agreement with all patches (mean over files of max |Δp|):\n")
    print("| strategy | " + " | ".join(f"N={n}" for n in COUNTS) + " |")
    print("|---|" + "---|" * len(COUNTS))
    for name, pick in STRATEGIES.items():
        cells = (score(files, pick, n) for n in COUNTS)
        print(f"| {name} | " + " | ".join(f"{s:.3f} ({d:.4f})" for s, d in cells) + " |")


if __name__ == "__main__":
    main()
