"""Tagger quality report: Backbeat's musicnn tags against the reference musicnn on the dev set.

Run through bench/tagger_eval.sh, which makes the 16 kHz WAVs, runs both implementations and
passes their JSON Lines here. Standard library only. Sections:

- agreement: per file, max |backbeat - reference| over the 100 tag probabilities (MTT + MSD,
  mean over patches) with --tag-patches all; the target is <= 1e-4 on every file. Files shorter
  than one patch are left out (the reference refuses them, Backbeat zero-pads them).
- genre: top-1 over GTZAN's ten classes from a fixed tag -> class mapping (GTZAN_TAGS).
- instruments: rank-based ROC-AUC per instrument on the generated pieces (exact ground truth),
  vocals on every dev file with a known `vocal` label.
- sampling: for each patch sampling, how far the tags move from the all-patch tags.
"""

import argparse
import csv
import json
import math
import os
import struct
import subprocess
import sys
import time
from collections import Counter

MODELS = ("MTT_musicnn", "MSD_musicnn")
SHORT = {"MTT_musicnn": "MTT", "MSD_musicnn": "MSD"}
TARGET = 1e-4  # agreement target, max abs difference of a tag probability
TOP_K = 5

# GTZAN class <- model tags; a class's score is the max of its tags' probabilities, the
# prediction is the class with the highest score. Chosen from the tag vocabularies alone (not
# tuned on the dev set). Tags are "MTT:<label>" or "MSD:<label>", spelled as in musicnn.
GTZAN_TAGS = {
    "blues": ["MSD:blues"],
    "classical": ["MTT:classical", "MTT:classic"],
    "country": ["MSD:country", "MTT:country"],
    # Neither vocabulary has "disco": funk and dance are the nearest tags (a proxy; dance also
    # fires on pop and electronic music).
    "disco": ["MSD:funk", "MSD:dance", "MTT:dance"],
    "hiphop": ["MSD:Hip-Hop"],
    "jazz": ["MSD:jazz"],
    "metal": ["MSD:metal", "MSD:heavy metal", "MTT:metal"],
    "pop": ["MSD:pop", "MTT:pop"],
    # Neither vocabulary has "reggae": never predicted, so its clips all count as misses.
    "reggae": [],
    "rock": ["MSD:rock", "MSD:classic rock", "MSD:hard rock", "MTT:rock"],
}

# Instrument <- (does the `instruments` cell name it?, model tags scored as their max). Cells are
# lowercased General MIDI program names for generated-midi ("acoustic guitar (steel)", "gm drum
# kit", "string ensemble 1", ...) and an ensemble for generated-music21 ("strings", "brass",
# "organ", "winds"). "strings" means bowed strings (violin family and string ensembles, not harp
# or guitar). Bass, brass, organ, reeds have no model tag and are not scored.
BOWED = ("violin", "viola", "cello", "contrabass", "string")
INSTRUMENTS = {
    "drums": (lambda names: any("drum" in n for n in names), ["MTT:drums"]),
    "strings": (lambda names: any(b in n for n in names for b in BOWED),
                ["MTT:strings", "MTT:violin", "MTT:cello"]),
    "piano": (lambda names: any("piano" in n for n in names), ["MTT:piano"]),
    "guitar": (lambda names: any("guitar" in n for n in names), ["MTT:guitar", "MSD:guitar"]),
    "flute": (lambda names: any(n == "flute" for n in names), ["MTT:flute"]),
}
INSTRUMENT_SOURCES = ("generated-midi", "generated-music21")
# Sung vocals: the max of every tag saying a voice is there.
VOCAL_TAGS = ["MTT:" + t for t in (
    "vocal", "vocals", "singing", "voice", "female", "male", "woman", "man", "male vocal",
    "female vocal", "male voice", "female voice", "choir", "choral", "opera")] + [
    "MSD:female vocalists", "MSD:male vocalists", "MSD:female vocalist"]
VOCAL_YES, VOCAL_NO = ("yes", "vocal"), ("no", "instrumental")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --- inputs ---------------------------------------------------------------------------------

class Tagged:
    """One file's tags from one implementation: 50 probabilities per model, with labels."""

    def __init__(self, raw, labels, meta=None):
        self.raw = raw  # {model: [50 floats]}
        self.labels = labels  # {model: [50 names]}
        self.meta = meta or {}
        self.by_key = {f"{SHORT[m]}:{lab}": p for m in MODELS
                       for lab, p in zip(labels[m], raw[m])}

    def vector(self):
        """The 100 probabilities, MTT then MSD."""
        return self.raw[MODELS[0]] + self.raw[MODELS[1]]

    def score(self, keys):
        missing = [k for k in keys if k not in self.by_key]
        if missing:
            sys.exit(f"mapping names tags the models do not have: {missing}")
        return max((self.by_key[k] for k in keys), default=-math.inf)


def read_labels(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def wav_path(wav_dir, rel):
    return os.path.abspath(os.path.join(wav_dir, os.path.splitext(rel)[0] + ".wav"))


def wav_seconds(path):
    """Duration of a WAV from its fmt and data chunks (the wave module refuses float WAVs)."""
    with open(path, "rb") as f:
        riff = f.read(12)
        if riff[:4] not in (b"RIFF", b"RF64") or riff[8:12] != b"WAVE":
            return None
        rate = block = None
        while True:
            head = f.read(8)
            if len(head) < 8:
                return None
            cid, size = head[:4], struct.unpack("<I", head[4:])[0]
            if cid == b"fmt ":
                fmt = f.read(size)
                _, channels, rate, _, block = struct.unpack("<HHIIH", fmt[:14])
                if channels != 1 or rate != 16000:
                    return None
            elif cid == b"data":
                if size == 0xFFFFFFFF:  # streamed header: size unknown, use the file size
                    size = os.path.getsize(path) - f.tell()
                return size / block / rate if rate and block else None
            else:
                f.seek(size + (size & 1), 1)


def source_seconds(path):
    """Duration of a dev file by ffprobe (None when ffprobe cannot read it). The labels'
    duration_s is not used: it is shorter than the audio for the generated pieces."""
    try:
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                              "-of", "csv=p=0", path], capture_output=True, text=True,
                             check=True).stdout
        return float(out.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None


def read_reference(path, by_wav):
    """{rel: Tagged} and {rel: error} from bench/musicnn_reference.py's JSON Lines."""
    lines = {}
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            lines.setdefault(by_wav[os.path.abspath(rec["path"])], {})[rec["model"]] = rec
    tagged, errors = {}, {}
    for rel, per_model in lines.items():
        bad = [r.get("error") for r in per_model.values() if "error" in r]
        if bad or set(per_model) != set(MODELS):
            errors[rel] = bad[0] if bad else "missing a model"
            continue
        tagged[rel] = Tagged({m: [float(v) for v in per_model[m]["tags"]] for m in MODELS},
                             {m: per_model[m]["labels"] for m in MODELS},
                             {"n_patches": per_model[MODELS[0]]["n_patches"],
                              "embedding": per_model[MODELS[0]]["penultimate_mean"]
                              + per_model[MODELS[1]]["penultimate_mean"]})
    return tagged, errors


def tag_seconds(value):
    """`tag_seconds` as {kind: seconds}: a plain number is taken as CPU seconds."""
    if isinstance(value, (int, float)):
        return {"cpu": float(value)}
    if isinstance(value, dict):
        return {k: float(v) for k, v in value.items() if isinstance(v, (int, float))}
    return {}


def read_backbeat(path, by_wav):
    """{rel: Tagged}, {rel: error} and summed tag_seconds from `backbeat analyze --tags`."""
    tagged, errors, seconds = {}, {}, Counter()
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            rel = by_wav.get(os.path.abspath(rec.get("path", "")))
            if rel is None:
                log(f"warning: {path}: unexpected path {rec.get('path')!r}")
                continue
            tags = rec.get("tags")
            if "error" in rec or not isinstance(tags, dict):
                errors[rel] = json.dumps(rec.get("error", "no 'tags' key"))
                continue
            seconds.update(tag_seconds(rec.get("tag_seconds")))
            meta = {k: tags.get(k) for k in ("sampling", "patches_used", "patches_total",
                                              "genre", "embedding")}
            tagged[rel] = Tagged({m: [float(v) for v in tags["raw"][m]] for m in MODELS},
                                 {m: tags["labels"][m] for m in MODELS}, meta)
    return tagged, errors, dict(seconds)


# --- metrics --------------------------------------------------------------------------------

def roc_auc(scores, positive):
    """Area under the ROC curve from ranks (Mann-Whitney U), ties given their mean rank.
    None when one class is empty."""
    n_pos = sum(positive)
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # ranks are 1-based
        i = j + 1
    rank_sum = sum(r for r, p in zip(ranks, positive) if p)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def top_k(values, k=TOP_K):
    """Indices of the k largest values (ties: lower index first)."""
    return set(sorted(range(len(values)), key=lambda i: (-values[i], i))[:k])


def max_abs_diff(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


def cosine(a, b):
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(x * x for x in b))
    return sum(x * y for x, y in zip(a, b)) / (na * nb) if na and nb else float("nan")


def check_labels(name, tagged, reference):
    """Every file's labels must be musicnn's, in musicnn's order (the reference's)."""
    want = next(iter(reference.values())).labels if reference else None
    for rel, t in tagged.items():
        if want is not None and t.labels != want:
            sys.exit(f"{name}: {rel}: tag labels differ from the reference's (order or names)")


def agreement(ref, bb):
    """Per-file max |bb - ref| over the 100 tags, on files both tagged."""
    files = []
    for rel in sorted(set(ref) & set(bb)):
        r, b = ref[rel], bb[rel]
        # A NaN would lose every comparison and hide; count it as an infinite difference.
        diffs = [d if d == d else math.inf
                 for d in (abs(x - y) for x, y in zip(b.vector(), r.vector()))]
        worst = max(range(len(diffs)), key=diffs.__getitem__)
        entry = {"path": rel, "max_abs_diff": diffs[worst],
                 "mtt_max": max(diffs[:50]), "msd_max": max(diffs[50:]),
                 "worst_tag": ("MTT:" if worst < 50 else "MSD:")
                 + r.labels[MODELS[worst // 50]][worst % 50],
                 "ref_patches": r.meta["n_patches"],
                 "bb_patches": b.meta.get("patches_used")}
        emb = b.meta.get("embedding")
        if isinstance(emb, list) and len(emb) == len(r.meta["embedding"]):
            # Assumes the embedding is MTT's 200 then MSD's 200 penultimate means; the cosine
            # also holds if Backbeat normalises the vector.
            entry["embedding_max_abs_diff"] = max_abs_diff(emb, r.meta["embedding"])
            entry["embedding_cosine"] = cosine(emb, r.meta["embedding"])
        files.append(entry)
    over = [f for f in files if f["max_abs_diff"] > TARGET]
    not_tagged = sorted(set(ref) - set(bb))
    patch_mismatch = [f["path"] for f in files if f["bb_patches"] != f["ref_patches"]]
    summary = {
        "files": len(files),
        "max_abs_diff": max((f["max_abs_diff"] for f in files), default=None),
        "median_file_max_abs_diff": median([f["max_abs_diff"] for f in files]),
        "files_over_target": len(over),
        "target": TARGET,
        "patch_count_mismatches": patch_mismatch,
        "reference_only": not_tagged,
    }
    embs = [f for f in files if "embedding_cosine" in f]
    if embs:
        summary["embedding_max_abs_diff"] = max(f["embedding_max_abs_diff"] for f in embs)
        summary["embedding_min_cosine"] = min(f["embedding_cosine"] for f in embs)
    return summary, files


def median(values):
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def norm_genre(name):
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def genre_eval(rows, tagged, own_genre=False):
    """GTZAN top-1 with GTZAN_TAGS; files without tags count as misses. With own_genre, also
    Backbeat's own `genre` list (its first entry, names compared without case or punctuation)."""
    per_class = {c: [0, 0] for c in GTZAN_TAGS}
    own = [0, 0]
    predictions = {}
    for r in rows:
        truth = r["genre"]
        per_class[truth][1] += 1
        t = tagged.get(r["path"])
        if t is None:
            predictions[r["path"]] = None
            continue
        scores = {c: t.score(keys) for c, keys in GTZAN_TAGS.items()}
        pred = max(scores, key=scores.get)
        predictions[r["path"]] = pred
        per_class[truth][0] += pred == truth
        genre = t.meta.get("genre")
        if own_genre and isinstance(genre, list):
            own[1] += 1
            own[0] += bool(genre) and norm_genre(genre[0].get("tag")) == norm_genre(truth)
    hits = sum(h for h, _ in per_class.values())
    result = {"files": len(rows), "top1": hits / len(rows) if rows else None, "hits": hits,
              "per_class": {c: {"hits": h, "files": n} for c, (h, n) in per_class.items()},
              "confusion": dict(Counter(f"{r['genre']}->{predictions[r['path']]}"
                                        for r in rows)),
              }
    if own_genre and own[1]:
        result["backbeat_genre_top1"] = own[0] / own[1]
    return result


def instrument_eval(rows, all_rows, tagged):
    """ROC-AUC per instrument over the generated pieces, and vocals over every dev file with a
    known `vocal` label."""
    out = {}
    for name, (has, keys) in INSTRUMENTS.items():
        scores, positive = [], []
        for r in rows:
            t = tagged.get(r["path"])
            names = [n.strip().lower() for n in r["instruments"].split(";") if n.strip()]
            if t is None or not names:
                continue
            scores.append(t.score(keys))
            positive.append(has(names))
        out[name] = {"auc": roc_auc(scores, positive), "positives": sum(positive),
                     "negatives": len(positive) - sum(positive), "tags": keys,
                     "scope": "+".join(INSTRUMENT_SOURCES)}
    scores, positive = [], []
    for r in all_rows:
        t = tagged.get(r["path"])
        v = r["vocal"].strip().lower()
        if t is None or v not in VOCAL_YES + VOCAL_NO:
            continue
        scores.append(t.score(VOCAL_TAGS))
        positive.append(v in VOCAL_YES)
    out["vocals"] = {"auc": roc_auc(scores, positive), "positives": sum(positive),
                     "negatives": len(positive) - sum(positive), "tags": VOCAL_TAGS,
                     "scope": "dev files with a vocal label"}
    return out


def sampling_eval(all_patches, sampled):
    """How a sampling moves the tags against all patches, over the tracks both tagged."""
    common = sorted(set(all_patches) & set(sampled))
    same = {"all100": 0, "MTT": 0, "MSD": 0, "both_models": 0}
    affected, affected_same = 0, 0
    diffs_mean, diff_max, used, total = [], 0.0, [], []
    for rel in common:
        a, s = all_patches[rel], sampled[rel]
        va, vs = a.vector(), s.vector()
        eq100 = top_k(va) == top_k(vs)
        eq = {m: top_k(a.raw[m]) == top_k(s.raw[m]) for m in MODELS}
        same["all100"] += eq100
        same["MTT"] += eq["MTT_musicnn"]
        same["MSD"] += eq["MSD_musicnn"]
        same["both_models"] += all(eq.values())
        d = [abs(x - y) for x, y in zip(va, vs)]
        diffs_mean.append(sum(d) / len(d))
        diff_max = max(diff_max, max(d))
        u, tot = s.meta.get("patches_used"), s.meta.get("patches_total")
        if isinstance(u, int) and isinstance(tot, int):
            used.append(u)
            total.append(tot)
            if u < tot:
                affected += 1
                affected_same += eq100
    n = len(common)
    sampling = Counter(str(s.meta.get("sampling")) for s in sampled.values())
    return {
        "tracks": n,
        "sampling": sampling.most_common(1)[0][0] if sampling else None,
        "top5_same_share": {k: v / n for k, v in same.items()} if n else None,
        "mean_abs_diff": sum(diffs_mean) / n if n else None,
        "max_abs_diff": diff_max if n else None,
        "tracks_subsampled": affected,
        "top5_same_share_subsampled": affected_same / affected if affected else None,
        "patches_used": sum(used),
        "patches_total": sum(total),
    }


# --- report ---------------------------------------------------------------------------------

def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(v, spec=".3f"):
    if v is None:
        return "—"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return format(v, spec)


def pct(v):
    return "—" if v is None else f"{100 * v:.0f} %"


def render_inputs(say, report, label):
    inp = report["inputs"]
    refused = ", ".join(sorted(set(inp["reference_errors"].values()))) or "-"
    say(f"Dev set: {inp['files']} files as 16 kHz mono float WAVs. Reference: "
        f"{inp['reference_tagged']} tagged, {len(inp['reference_errors'])} refused ({refused}).")
    for n, run in inp["runs"].items():
        secs = ", ".join(f"{k} {v:.1f} s" for k, v in run["tag_seconds"].items())
        say(f"- {label[n]}: {run['tagged']} tagged, {len(run['errors'])} failed"
            + (f" ({', '.join(sorted(run['errors']))})" if run["errors"] else "")
            + (f"; tag_seconds {secs}" if secs else ""))
    bad = inp["wav_duration_mismatch"]
    if bad:
        say(f"- WARNING: {len(bad)} WAVs unreadable or not as long as their source: "
            + ", ".join(d["path"] for d in bad[:5]))
    say("")


def render_agreement(say, agr):
    say("## Agreement with the reference (--tag-patches all)\n")
    verdict = " — target met." if agr["files_over_target"] == 0 and agr["files"] else "."
    say(f"{agr['files']} files (both tagged; files shorter than one patch excluded). "
        f"Max |backbeat − reference| over the 100 tags: **{fmt(agr['max_abs_diff'], '.2e')}** "
        f"(median file {fmt(agr['median_file_max_abs_diff'], '.2e')}); files above "
        f"{TARGET:g}: **{agr['files_over_target']}**{verdict}")
    if "embedding_min_cosine" in agr:
        say(f"Embedding (taken as MTT‖MSD penultimate means): max abs diff "
            f"{agr['embedding_max_abs_diff']:.2e}, min cosine {agr['embedding_min_cosine']:.6f}.")
    if agr["reference_only"]:
        say(f"**Tagged by the reference but not by backbeat:** {', '.join(agr['reference_only'])}")
    if agr["patch_count_mismatches"]:
        say("Patch count differs from the reference on: "
            + ", ".join(agr["patch_count_mismatches"][:10]))
    worst = sorted(agr["per_file"], key=lambda f: -f["max_abs_diff"])[:8]
    say("\nWorst files:\n")
    say(table(["file", "max diff", "MTT max", "MSD max", "worst tag", "patches"],
              [[f["path"], f"{f['max_abs_diff']:.2e}", f"{f['mtt_max']:.2e}",
                f"{f['msd_max']:.2e}", f["worst_tag"], f["ref_patches"]] for f in worst]))
    say("")


def render_genre(say, genre, label, n_clips):
    say("## GTZAN genre top-1\n")
    unmapped = [c for c, keys in GTZAN_TAGS.items() if not keys]
    first = next(iter(genre.values()))
    ceiling = 1 - sum(first["per_class"][c]["files"] for c in unmapped) / max(n_clips, 1)
    say(f"{n_clips} GTZAN clips; class score = max of its mapped tags (GTZAN_TAGS in "
        f"bench/tagger_eval.py; disco is a funk/dance proxy). No model tag for: "
        f"{', '.join(unmapped)} — always a miss, so the ceiling is {pct(ceiling)}.\n")
    classes = list(GTZAN_TAGS)
    say(table(["implementation", "top-1", *classes, "own genre[0]"],
              [[label[n], pct(g["top1"]),
                *[f"{g['per_class'][c]['hits']}/{g['per_class'][c]['files']}" for c in classes],
                pct(g.get("backbeat_genre_top1"))] for n, g in genre.items()]))
    say("\n'own genre[0]': Backbeat's own `genre` output; a hit when its first entry names the "
        "clip's GTZAN class (case and punctuation ignored).")
    for n in ("reference", "all"):
        if n in genre:
            misses = sorted((k, v) for k, v in genre[n]["confusion"].items()
                            if k.split("->")[0] != k.split("->")[1])
            say(f"\nMisses, {label[n]}: " + ", ".join(f"{k} ×{v}" for k, v in misses))
    say("")


def render_instruments(say, inst, label, n_pieces, names):
    say("## Instrument detection, ROC-AUC\n")
    say(f"{n_pieces} generated pieces ({', '.join(INSTRUMENT_SOURCES)}); vocals over every dev "
        f"file with a vocal label (the generated pieces are all instrumental). Label names: "
        + ", ".join(f"{k} ({v})" for k, v in sorted(names.items())) + ".\n")
    first = next(iter(inst.values()))
    say(table(["implementation",
               *[f"{k} ({v['positives']}+/{v['negatives']}−)" for k, v in first.items()]],
              [[label[n], *[fmt(v["auc"], ".2f") for v in res.values()]]
               for n, res in inst.items()]))
    say("\nScored tags: " + "; ".join(f"{k} ← {', '.join(v[1])}" for k, v in INSTRUMENTS.items())
        + "; vocals ← max of the vocal tags (VOCAL_TAGS).\n")


def render_sampling(say, samp, label):
    say("## Patch sampling against all patches\n")
    say("Top-5 same = the 5 highest of the 100 raw tags (or of one model's 50) are the same set. "
        "'subsampled' = tracks with fewer patches used than available.\n")
    rows = []
    for n, s in samp.items():
        share = s["top5_same_share"] or {}
        rows.append([label[n], s["tracks"], f"{s['patches_used']}/{s['patches_total']}",
                     *[pct(share.get(k)) for k in ("all100", "MTT", "MSD", "both_models")],
                     s["tracks_subsampled"], pct(s["top5_same_share_subsampled"]),
                     fmt(s["mean_abs_diff"], ".4f"), fmt(s["max_abs_diff"], ".3f")])
    say(table(["sampling", "tracks", "patches used/total", "top-5 same (100)", "MTT", "MSD",
               "both", "subsampled tracks", "top-5 same there", "mean abs Δp", "max abs Δp"],
              rows))
    say("")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels", required=True, help="the dev set's labels.csv")
    ap.add_argument("--wav-dir", required=True, help="the 16 kHz WAVs, dev set layout")
    ap.add_argument("--ref", required=True, help="reference harness JSON Lines")
    ap.add_argument("--run", action="append", default=[], metavar="NAME=JSONL",
                    help="backbeat output of one sampling; NAME 'all' is --tag-patches all")
    ap.add_argument("--json", help="write the report as JSON here")
    ap.add_argument("--binary", help="backbeat binary (recorded in the JSON)")
    args = ap.parse_args()

    rows = read_labels(args.labels)
    by_wav = {wav_path(args.wav_dir, r["path"]): r["path"] for r in rows}
    if len(by_wav) != len(rows):
        sys.exit("two dev files map to the same WAV name")
    # Every WAV must be readable 16 kHz mono and as long as its source (a truncated
    # conversion would shift every figure silently).
    duration_mismatch = []
    dev = os.path.dirname(os.path.abspath(args.labels))
    for r in rows:
        secs = wav_seconds(wav_path(args.wav_dir, r["path"]))
        src = source_seconds(os.path.join(dev, r["path"]))
        if secs is None or (src is not None and abs(secs - src) > 0.1):
            duration_mismatch.append({"path": r["path"], "wav_s": secs, "source_s": src})

    ref, ref_errors = read_reference(args.ref, by_wav)
    sources = {"reference": ref}
    run_info = {}
    for spec in args.run:
        name, _, path = spec.partition("=")
        tagged, errors, seconds = read_backbeat(path, by_wav)
        check_labels(name, tagged, ref)
        sources[name] = tagged
        run_info[name] = {"tagged": len(tagged), "errors": errors, "tag_seconds": seconds}
    runs = {n: s for n, s in sources.items() if n != "reference"}

    label = {"reference": "reference (float32)"}
    for n, s in runs.items():
        sampling = Counter(str(t.meta.get("sampling")) for t in s.values()).most_common(1)
        label[n] = f"backbeat {n}" + (f" ({sampling[0][0]})" if sampling else "")

    gtzan = [r for r in rows if r["source"] == "gtzan"]
    inst_rows = [r for r in rows if r["source"] in INSTRUMENT_SOURCES]
    names = Counter(n.strip() for r in inst_rows for n in r["instruments"].split(";") if n.strip())
    report = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "binary": args.binary, "labels": os.path.abspath(args.labels),
              "reference": os.path.abspath(args.ref),
              "inputs": {"files": len(rows), "wav_duration_mismatch": duration_mismatch,
                         "reference_tagged": len(ref), "reference_errors": ref_errors,
                         "runs": run_info}}
    if "all" in runs:
        summary, files = agreement(ref, runs["all"])
        report["agreement"] = {**summary, "per_file": files}
    report["genre"] = {"mapping": GTZAN_TAGS, "results": {
        n: genre_eval(gtzan, s, own_genre=n != "reference") for n, s in sources.items()}}
    report["instruments"] = {"label_names": dict(names), "results": {
        n: instrument_eval(inst_rows, rows, s) for n, s in sources.items()}}
    if "all" in runs and len(runs) > 1:
        report["sampling"] = {n: sampling_eval(runs["all"], s)
                              for n, s in runs.items() if n != "all"}

    out = []
    say = out.append
    say(f"# Tagger evaluation — {report['created']}\n")
    render_inputs(say, report, label)
    if "agreement" in report:
        render_agreement(say, report["agreement"])
    render_genre(say, report["genre"]["results"], label, len(gtzan))
    render_instruments(say, report["instruments"]["results"], label, len(inst_rows), names)
    if "sampling" in report:
        render_sampling(say, report["sampling"], label)
    print("\n".join(out))

    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        log(f"report: {args.json}")


if __name__ == "__main__":
    main()
