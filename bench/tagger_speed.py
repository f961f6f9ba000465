"""Cost of Backbeat's tagger: CPU, x real time, tract against ONNX Runtime, peak memory.

Run through bench/tagger_speed.sh (it makes the test files and picks the Python of the
reference venv, which has onnxruntime and librosa). Method:
- Backbeat runs as `taskset -c CORE backbeat analyze -j 1 --no-beats --format json [--tags]`
  under GNU `/usr/bin/time -v`; CPU = user + sys. Runs are interleaved (plain, default, all,
  plain, ...) so that load from other work on the machine falls on every variant alike, and the
  median of --runs is kept. CPU time, not wall time, because the machine is shared.
- Tagging CPU = median CPU with --tags minus median CPU without, on the same file: decoding and
  every other descriptor are the same work in both. `tag_seconds` from the JSON is shown too.
- ONNX Runtime peer: the same .onnx files, one intra-op and one inter-op thread, sequential
  execution, batch 8, on the track's own log-mel patches (librosa, as in the reference), as
  many patches as Backbeat used with all patches; process CPU time, median of --runs, pinned to
  the same core. Its figure is inference alone; Backbeat's per-patch figure (tagging CPU /
  patches / 2 models) also holds resampling to 16 kHz and the log-mel front end, so the
  tract/ORT ratio is an upper bound for inference. The librosa front end's cost is given for
  scale.
- Loading the models is paid once per process, not per track: it is measured apart (tagging a
  1-second file minus analysing it) and taken off for the per-track figure.
- Batch: one process analyses a folder of --batch copies of the track (symlinks), as a worker
  or a library import does: the models load once, and process start-up is shared. CPU per
  track = the run's CPU / copies, median of --runs interleaved runs; checked against the
  issue's targets (tags <= 0.45 s, analysis + tags <= 1.1 s per 4-minute track).
- Peak memory: max RSS (GNU time) of one run each on the long FLAC.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

N_FRAMES, N_MELS, SR, HOP, N_FFT = 187, 96, 16000, 256, 512
MODELS = ("MTT_musicnn", "MSD_musicnn")
RSS_TARGET_MB = 100
TAGS_TARGET_S, ANALYSIS_AND_TAGS_TARGET_S = 0.45, 1.1
BATCH_VARIANTS = ("plain", "default", "default-ort")
ORT_BATCH = 8
# Each tagged variant on both backends (`--tagger-backend`): tract, and ONNX Runtime loaded
# from the library scripts/install-onnxruntime.sh unpacks.
VARIANTS = {
    "plain": [],
    "default": ["--tags", "--tagger-backend", "tract"],
    "default-ort": ["--tags", "--tagger-backend", "ort"],
    "all": ["--tags", "--tag-patches", "all", "--tagger-backend", "tract"],
    "all-ort": ["--tags", "--tag-patches", "all", "--tagger-backend", "ort"],
}
TAGGED = [v for v in VARIANTS if v != "plain"]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def gnu_time(path):
    """user, sys, wall seconds and max RSS (MB) from a `/usr/bin/time -v -o` file."""
    fields = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().rpartition(": ")
            fields[key] = value
    wall = 0.0
    for part in fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
        wall = wall * 60 + float(part)
    return {"user": float(fields["User time (seconds)"]),
            "sys": float(fields["System time (seconds)"]), "wall": wall,
            "rss_mb": int(fields["Maximum resident set size (kbytes)"]) / 1024}


def run_backbeat(binary, path, variant, core):
    """One `backbeat analyze` of path; its resources and its JSON record."""
    with tempfile.NamedTemporaryFile(suffix=".time") as tf:
        cmd = ["/usr/bin/time", "-v", "-o", tf.name, "taskset", "-c", str(core), binary,
               "analyze", "-j", "1", "--no-beats", "--format", "json", *VARIANTS[variant], path]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
        res = gnu_time(tf.name)
    res["cpu"] = res["user"] + res["sys"]
    rec = json.loads(proc.stdout.splitlines()[0])
    if "error" in rec:
        sys.exit(f"backbeat could not analyse {path}: {rec['error']}")
    if variant != "plain" and "tags" not in rec:
        sys.exit(f"backbeat {' '.join(VARIANTS[variant])} printed no 'tags' for {path}")
    tags = rec.get("tags", {})
    res.update({"duration_s": rec["file"]["duration_secs"],
                "sampling": tags.get("sampling"), "patches_used": tags.get("patches_used"),
                "patches_total": tags.get("patches_total"), "tag_seconds": rec.get("tag_seconds")})
    return res


def median_of(runs, key):
    values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    return statistics.median(values) if values else None


def tag_cpu(value):
    """CPU seconds from `tag_seconds`: a number, or a dict with a 'cpu' entry."""
    if isinstance(value, dict):
        value = value.get("cpu")
    return value if isinstance(value, (int, float)) else None


def track_cost(binary, track, runs, core):
    results = {v: [] for v in VARIANTS}
    for i in range(runs):
        for v in VARIANTS:
            r = run_backbeat(binary, track, v, core)
            r["tag_cpu"] = tag_cpu(r["tag_seconds"])
            results[v].append(r)
            log(f"4-min track, run {i + 1}/{runs}, {v}: CPU {r['cpu']:.2f} s, "
                f"wall {r['wall']:.2f} s, patches {r['patches_used']}")
    summary = {}
    for v, rs in results.items():
        summary[v] = {"cpu_median": median_of(rs, "cpu"), "cpu_min": min(r["cpu"] for r in rs),
                      "cpu_max": max(r["cpu"] for r in rs), "wall_median": median_of(rs, "wall"),
                      "rss_mb_max": max(r["rss_mb"] for r in rs),
                      "tag_cpu_median": median_of(rs, "tag_cpu"),
                      "duration_s": rs[0]["duration_s"], "sampling": rs[0]["sampling"],
                      "patches_used": rs[0]["patches_used"],
                      "patches_total": rs[0]["patches_total"], "runs": rs}
    for v in TAGGED:
        s = summary[v]
        s["tagging_cpu"] = s["cpu_median"] - summary["plain"]["cpu_median"]
        s["x_realtime_per_core"] = (s["duration_s"] / s["tagging_cpu"]
                                    if s["tagging_cpu"] > 0 else None)
        s["ms_per_patch_per_model"] = (1000 * s["tagging_cpu"] / s["patches_used"] / len(MODELS)
                                       if s["patches_used"] else None)
    # The difference between the two samplings is per-patch work only: it leaves out what
    # tagging costs once per track (resampling, the log-mel of unsampled frames) and once per
    # process (loading and optimising the models).
    for suffix in ("", "-ort"):
        d, a = summary["default" + suffix], summary["all" + suffix]
        extra = a["patches_used"] - d["patches_used"]
        if extra > 0:
            marginal = (a["tagging_cpu"] - d["tagging_cpu"]) / extra
            d["marginal_ms_per_patch_per_model"] = 1000 * marginal / len(MODELS)
            d["fixed_cpu"] = d["tagging_cpu"] - marginal * d["patches_used"]
    return summary


def load_cost(binary, short, runs, core):
    """CPU to load both models, per backend: tagging a 1-second file minus analysing it."""
    out = {}
    for v in ("plain", "default", "default-ort"):
        out[v] = statistics.median(run_backbeat(binary, short, v, core)["cpu"]
                                   for _ in range(runs))
    return {"tract": out["default"] - out["plain"], "ort": out["default-ort"] - out["plain"]}


def ort_peer(models_dir, track, n_patches, runs, core):
    """ms of process CPU per patch for each model under onnxruntime, one thread, batch 8."""
    import librosa
    import numpy as np
    import onnxruntime as ort

    def front_end():
        audio, sr = librosa.load(track, sr=SR)
        mel = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=HOP, n_fft=N_FFT,
                                             n_mels=N_MELS).T
        return np.log10(np.float32(10000) * mel + np.float32(1))

    front_end()  # warm-up: the first call pays for lazy imports and caches
    t0 = time.process_time()
    log_mel = front_end()
    front_cpu = time.process_time() - t0
    available = log_mel.shape[0] // N_FRAMES
    patches = np.stack([log_mel[i * N_FRAMES:(i + 1) * N_FRAMES]
                        for i in range(available)]).astype(np.float32)
    n = n_patches or available
    patches = patches[np.arange(n) % available]  # exactly Backbeat's patch count
    out = {"onnxruntime": ort.__version__, "patches": n, "batch": ORT_BATCH,
           "librosa_front_end_ms_per_patch": 1000 * front_cpu / available, "models": {}}
    for m in MODELS:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(os.path.join(models_dir, f"{m}.onnx"), opts,
                                    providers=["CPUExecutionProvider"])
        sess.run(["tags", "embedding"], {"mel": patches[:ORT_BATCH]})  # warm-up
        cpu = []
        for _ in range(runs):
            c0 = time.process_time()
            for i in range(0, n, ORT_BATCH):
                sess.run(["tags", "embedding"], {"mel": patches[i:i + ORT_BATCH]})
            cpu.append(time.process_time() - c0)
        out["models"][m] = {"cpu_s": cpu, "ms_per_patch": 1000 * statistics.median(cpu) / n}
        log(f"onnxruntime {m}: {out['models'][m]['ms_per_patch']:.2f} ms/patch")
    out["mean_ms_per_patch"] = statistics.mean(v["ms_per_patch"] for v in out["models"].values())
    return out


def batch_cost(binary, track, copies, runs, core):
    """CPU per track when one process analyses `copies` copies of the track."""
    cpu = {v: [] for v in BATCH_VARIANTS}
    with tempfile.TemporaryDirectory(prefix="backbeat-batch-") as folder:
        for i in range(copies):
            os.symlink(os.path.abspath(track), os.path.join(folder, f"track{i:03}.wav"))
        for i in range(runs):
            for v in BATCH_VARIANTS:
                r = run_backbeat(binary, folder, v, core)
                cpu[v].append(r["cpu"] / copies)
                log(f"batch of {copies}, run {i + 1}/{runs}, {v}: {cpu[v][-1]:.2f} CPU-s per track")
    return {"copies": copies,
            "cpu_per_track": {v: statistics.median(c) for v, c in cpu.items()}}


def long_memory(binary, path, core):
    out = {}
    for v in VARIANTS:
        r = run_backbeat(binary, path, v, core)
        r["x_realtime"] = r["duration_s"] / r["cpu"] if r["cpu"] else None
        out[v] = r
        log(f"long file, {v}: max RSS {r['rss_mb']:.0f} MB, CPU {r['cpu']:.1f} s")
    return out


def table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def f(v, spec=".2f"):
    return "—" if v is None else format(v, spec)


def render(rep):
    say = []
    t, o, m = rep["track"], rep["ort"], rep["long"]
    say.append(f"# Tagger cost — {rep['created']}\n")
    say.append(f"Backbeat `{rep['binary']}`; one core (taskset -c {rep['core']}), `-j 1 "
               f"--no-beats`; CPU = user + sys from GNU time; median of {rep['runs']} "
               f"interleaved runs. Load average (1 min) before/after: "
               f"{rep['load_before']:.2f}/{rep['load_after']:.2f} on {os.cpu_count()} cores — "
               f"other work on the machine slows both Backbeat and ORT.\n")
    say.append(f"## 4-minute track ({t['plain']['duration_s']:.0f} s, 44.1 kHz stereo WAV)\n")
    say.append(table(
        ["run", "CPU s (median)", "min–max", "wall s", "max RSS MB", "patches used/total",
         "tag_seconds cpu"],
        [[f"analyze{' ' + ' '.join(VARIANTS[v]) if VARIANTS[v] else ''}"
          + (f" ({t[v]['sampling']})" if t[v]["sampling"] else ""),
          f(t[v]["cpu_median"]), f"{t[v]['cpu_min']:.2f}–{t[v]['cpu_max']:.2f}",
          f(t[v]["wall_median"]), f(t[v]["rss_mb_max"], ".0f"),
          f"{t[v]['patches_used']}/{t[v]['patches_total']}" if t[v]["patches_used"] else "—",
          f(t[v]["tag_cpu_median"])] for v in VARIANTS]))
    say.append("")
    load = rep["load"]
    say.append(table(
        ["tagging", "CPU s (with − without tags)", "of which loading the models",
         "CPU s per track, models loaded", "× real time per core",
         "ms per patch per model (incl. front end)"],
        [[" ".join(VARIANTS[v]), f(t[v]["tagging_cpu"]),
          f(load["ort" if v.endswith("-ort") else "tract"]),
          f(t[v]["tagging_cpu"] - load["ort" if v.endswith("-ort") else "tract"]),
          f(t[v]["x_realtime_per_core"], ".0f"),
          f(t[v]["ms_per_patch_per_model"])] for v in TAGGED]))
    for v in ("default", "default-ort"):
        if t[v].get("fixed_cpu") is not None:
            say.append(f"\n{v}: per-track part of tagging (intercept of the two samplings, "
                       f"loading included): {t[v]['fixed_cpu']:.2f} s; per extra patch per model "
                       f"{t[v]['marginal_ms_per_patch_per_model']:.1f} ms.")
    say.append("")
    say.append(f"## tract against ONNX Runtime {o['onnxruntime']} (1 thread, batch {o['batch']}, "
               f"{o['patches']} real log-mel patches)\n")
    bb = t["all"]["ms_per_patch_per_model"]
    rows = [[f"ORT {name}", f(v["ms_per_patch"]), ""] for name, v in o["models"].items()]
    rows.append(["ORT mean of the two", f(o["mean_ms_per_patch"]), "1.00"])
    rows.append(["backbeat (tract + resampling + log-mel), all patches", f(bb),
                 f(bb / o["mean_ms_per_patch"]) if bb else "—"])
    bo = t["all-ort"]["ms_per_patch_per_model"]
    rows.append(["backbeat (ORT backend + resampling + log-mel), all patches", f(bo),
                 f(bo / o["mean_ms_per_patch"]) if bo else "—"])
    for v, name in (("default", "tract"), ("default-ort", "ORT backend")):
        marginal = t[v].get("marginal_ms_per_patch_per_model")
        if marginal is not None:
            rows.append([f"backbeat {name} per extra patch (all − default; no per-track costs)",
                         f(marginal), f(marginal / o["mean_ms_per_patch"])])
    rows.append(["for scale: librosa load + resample + log-mel", f(
        o["librosa_front_end_ms_per_patch"] / len(MODELS)), ""])
    say.append(table(["", "ms per patch per model", "ratio to ORT"], rows))
    say.append("\n(librosa front end per patch divided by 2 so it adds to the model rows.)\n")
    b = rep["batch"]
    say.append(f"## Batch: {b['copies']} copies of the track in one process (models loaded "
               f"once, as in a worker)\n")
    per = b["cpu_per_track"]
    rows = [["analyze", f(per["plain"]), "—", "—", "—"]]
    for v in ("default", "default-ort"):
        tags = per[v] - per["plain"]
        rows.append([" ".join(["analyze", *VARIANTS[v]]), f(per[v]), f(tags),
                     "PASS" if tags <= TAGS_TARGET_S else "FAIL",
                     "PASS" if per[v] <= ANALYSIS_AND_TAGS_TARGET_S else "FAIL"])
    say.append(table(["run", "CPU s per track", "tags (− analyze)",
                      f"tags ≤ {TAGS_TARGET_S} s", f"analysis + tags ≤ {ANALYSIS_AND_TAGS_TARGET_S} s"],
                     rows))
    say.append("")
    minutes = m["plain"]["duration_s"] / 60
    say.append(f"## Peak memory, {minutes:.0f}-minute FLAC\n")
    say.append(table(
        ["run", "max RSS MB", f"target < {RSS_TARGET_MB} MB", "CPU s", "× real time",
         "patches used/total"],
        [[" ".join(["analyze", *VARIANTS[v]]), f(m[v]["rss_mb"], ".0f"),
          ("—" if v == "plain" else "PASS" if m[v]["rss_mb"] < RSS_TARGET_MB else "FAIL"),
          f(m[v]["cpu"], ".1f"), f(m[v]["x_realtime"], ".0f"),
          f"{m[v]['patches_used']}/{m[v]['patches_total']}" if m[v]["patches_used"] else "—"]
         for v in VARIANTS]))
    return "\n".join(say)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="backbeat binary")
    ap.add_argument("--track", required=True, help="the ~4-minute track")
    ap.add_argument("--long", required=True, help="the long file for peak memory")
    ap.add_argument("--short", required=True, help="a 1-second file: the cost of loading")
    ap.add_argument("--models-dir", required=True, help="folder of the musicnn .onnx files")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=10, help="copies of the track in the batch run")
    ap.add_argument("--core", type=int, default=1, help="CPU core to pin everything to")
    ap.add_argument("--json", help="write the figures as JSON here")
    args = ap.parse_args()
    os.sched_setaffinity(0, {args.core})  # the ORT peer runs in this process

    rep = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "binary": args.bin,
           "core": args.core, "runs": args.runs, "load_before": os.getloadavg()[0]}
    rep["track"] = track_cost(args.bin, args.track, args.runs, args.core)
    rep["load"] = load_cost(args.bin, args.short, args.runs, args.core)
    rep["ort"] = ort_peer(args.models_dir, args.track, rep["track"]["all"]["patches_used"],
                          args.runs, args.core)
    rep["batch"] = batch_cost(args.bin, args.track, args.batch, args.runs, args.core)
    rep["long"] = long_memory(args.bin, args.long, args.core)
    rep["load_after"] = os.getloadavg()[0]
    print(render(rep))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(rep, fh, indent=1)
        log(f"figures: {args.json}")


if __name__ == "__main__":
    main()
