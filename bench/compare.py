#!/usr/bin/env python3
"""Side-by-side benchmark: backbeat vs essentia vs librosa, on the same files, in one run.

Measures CPU seconds (user+sys) per component and accuracy against the dev set's labels, and
prints Markdown tables ready for docs/BENCHMARKS.md. See that file for the method.
Run through bench/compare.sh (it pins the environment); `--help` lists the options.
"""

import atexit
import os
import shutil
import tempfile

# One core per tool: numpy/BLAS/numba thread pools would otherwise add CPU time on other cores
# (and make "per core" figures meaningless). Must be set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# A private numba cache: librosa's guvectorize cache in site-packages can be left inconsistent
# by concurrent compiles (numba issue 10128) and then segfaults in beat_track. Compiling afresh
# happens in the untimed warm-up.
if "NUMBA_CACHE_DIR" not in os.environ:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="backbeat-numba-")
    atexit.register(shutil.rmtree, os.environ["NUMBA_CACHE_DIR"], True)

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import isolate  # noqa: E402
import metrics  # noqa: E402
import report  # noqa: E402
import tools  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dev", type=Path, default=REPO / ".." / "shared" / "eval" / "dev",
                   help="labelled set (folder holding labels.csv)")
    p.add_argument("--limit", type=int, default=0,
                   help="use N files spread evenly over the labels (0 = all)")
    p.add_argument("--backbeat", type=Path,
                   default=Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
                   / "release" / "backbeat", help="backbeat release binary")
    p.add_argument("--tools", default="backbeat,essentia,librosa",
                   help="comma-separated subset of backbeat,essentia,librosa")
    p.add_argument("--speed-minutes", type=float, default=4.0,
                   help="length of the 44.1 kHz stereo MP3 of the speed section (0 = skip)")
    p.add_argument("--repeats", type=int, default=3,
                   help="runs of the speed section (the least CPU time is kept)")
    p.add_argument("--timeout", type=float, default=900,
                   help="seconds one file may take in a peer before it counts as failed")
    p.add_argument("--out", type=Path, help="also write the Markdown report here (and .json)")
    p.add_argument("--render", type=Path, metavar="JSON",
                   help="only print the Markdown of a saved run (the .json that --out wrote)")
    return p.parse_args(argv)


def load_labels(dev, limit):
    """Rows of labels.csv with absolute paths, parsed references and reference beats."""
    with open(dev / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if limit and limit < len(rows):
        rows = [rows[i * len(rows) // limit] for i in range(limit)]
    files = []
    for row in rows:
        beats = None
        if row.get("beats"):
            try:
                beats = read_beats(dev / row["beats"])
            except (OSError, ValueError) as e:
                print(f"warning: beats of {row['path']} unreadable ({e}); ignored",
                      file=sys.stderr)
        key = metrics.normalise_key(row.get("key"))
        if row.get("key") and key is None:
            print(f"warning: key {row['key']!r} of {row['path']} not understood; ignored",
                  file=sys.stderr)
        files.append({"path": str((dev / row["path"]).resolve()), "name": row["path"],
                      "bpm": number(row.get("bpm")), "beats": beats, "key": key,
                      "duration": number(row.get("duration_s")),
                      "labels_duration": number(row.get("duration_s"))})
    return files


def number(cell):
    """A CSV cell as a float; empty or unreadable = unknown (None)."""
    try:
        return float(cell) if cell and cell.strip() else None
    except ValueError:
        print(f"warning: {cell!r} is not a number; treated as unknown", file=sys.stderr)
        return None


def read_beats(path):
    """Beat times from the first column of a beats file."""
    times = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.replace(",", " ").split()
        if parts and not parts[0].startswith("#"):
            times.append(float(parts[0]))
    return sorted(times)


def add_seconds(total, seconds):
    """Add one job's CPU seconds per component into total."""
    for name, value in seconds.items():
        total[name] = total.get(name, 0.0) + value


def run_essentia(files, timeout):
    """Essentia over every file: all key profiles on key-labelled files, then the best profile
    timed on the other files. Returns (estimates, CPU seconds per component, failures, extra)."""
    jobs = [(f["path"], isolate.essentia_job,
             (f["path"], tools.KEY_PROFILES if f["key"] is not None else []))
            for f in files]
    done, failures = isolate.run_jobs(jobs, timeout)
    raw = {path: value for path, (value, _) in done.items()}
    seconds = {}
    for _, job_seconds in done.values():
        add_seconds(seconds, job_seconds)
    per_profile = {}
    for profile in tools.KEY_PROFILES:
        ests = {p: dict(r, key=r["keys"].get(profile)) for p, r in raw.items()}
        per_profile[profile] = metrics.score_tool(files, ests)["key_mirex"] or 0.0
    errors = {p: [r["key_errors"][p] for r in raw.values() if p in r.get("key_errors", {})]
              for p in tools.KEY_PROFILES}
    best = max(tools.KEY_PROFILES, key=lambda p: per_profile[p])
    # Time the best profile on the files that had no key label (the others were timed above).
    key_jobs = [(f["path"], isolate.essentia_key_job, (f["path"], best))
                for f in files if f["path"] in raw and f["key"] is None]
    key_done, _ = isolate.run_jobs(key_jobs, timeout)
    key_seconds = {}
    for path, (key, job_seconds) in key_done.items():
        raw[path]["keys"][best] = key
        add_seconds(key_seconds, job_seconds)
    cpu = {name: s for name, s in seconds.items() if not name.startswith("key:")}
    cpu["key"] = seconds.get("key:" + best, 0.0) + key_seconds.get("key", 0.0)
    estimates = {p: dict(r, key=r["keys"].get(best)) for p, r in raw.items()}
    profile_errors = {p: {"files": len(e), "first": e[0]} for p, e in errors.items() if e}
    return estimates, cpu, failures, {"best_profile": best, "profiles": per_profile,
                                      "profile_errors": profile_errors}


def run_librosa(files, timeout):
    """librosa over every file. Returns (estimates, CPU seconds per component, failures)."""
    done, failures = isolate.run_jobs(
        [(f["path"], isolate.librosa_job, (f["path"],)) for f in files], timeout)
    seconds = {}
    for _, job_seconds in done.values():
        add_seconds(seconds, job_seconds)
    return {path: value for path, (value, _) in done.items()}, seconds, failures


def audio_minutes(files, estimates):
    """Minutes of audio a tool analysed successfully (its own decoded durations)."""
    total = 0.0
    for f in files:
        est = estimates.get(f["path"])
        if est is not None:
            total += est.get("duration") or f["duration"] or 0.0
    return total / 60.0


def speed_section(binary, dev, minutes, repeats):
    """backbeat on a 44.1 kHz stereo 192 kbps MP3 made by looping a dev file; x real time."""
    source = dev / "pyaudioanalysis" / "salsa_100bpm.mp3"
    with tempfile.TemporaryDirectory(prefix="backbeat-bench-") as tmp:
        mp3 = Path(tmp) / "speed.mp3"
        make = ["ffmpeg", "-nostdin", "-loglevel", "error", "-stream_loop", "-1", "-i",
                str(source), "-t", str(minutes * 60), "-ar", "44100", "-ac", "2",
                "-c:a", "libmp3lame", "-b:a", "192k", str(mp3)]
        made = subprocess.run(make, check=False, stderr=subprocess.PIPE)
        if made.returncode != 0 or not mp3.is_file():
            return {"error": "could not make the MP3: "
                    + made.stderr.decode("utf-8", "replace")[-300:]}
        runs = []
        for _ in range(max(1, repeats)):
            proc, cpu, wall = tools.run_child([str(binary), "analyze", "--jobs", "1",
                                               "--format", "json", str(mp3)])
            if proc.returncode != 0:
                return {"error": proc.stderr.decode("utf-8", "replace")[-300:]}
            runs.append((cpu, wall))
        cpu, wall = min(runs)
        return {"audio_secs": minutes * 60, "cpu_secs": cpu, "wall_secs": wall,
                "cpu_runs": [r[0] for r in runs], "x_realtime_per_core": minutes * 60 / cpu}


def git_commit():
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                             capture_output=True, check=True, text=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None):
    args = parse_args(argv)
    if args.render:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        print(report.markdown(saved["meta"], saved["results"], saved["extra"], saved["speed"]))
        return 0
    wanted = set(args.tools.split(","))
    if not (args.dev / "labels.csv").is_file():
        print(f"error: no labels.csv in {args.dev} (pass --dev DIR)", file=sys.stderr)
        return 2
    if "backbeat" in wanted and not os.access(args.backbeat, os.X_OK):
        print(f"error: no backbeat binary at {args.backbeat} (build it, or run bench/compare.sh);"
              " backbeat left out", file=sys.stderr)
        wanted.discard("backbeat")
    files = load_labels(args.dev.resolve(), args.limit)
    print(f"{len(files)} files from {args.dev}", file=sys.stderr)
    refs = {f["path"]: tools.ffmpeg_ebur128(f["path"]) for f in files}
    for f in files:
        f["ffmpeg"] = refs[f["path"]]
        # Measured, not the labels' duration_s (which is off for some generated files).
        f["duration"] = tools.ffprobe_duration(f["path"]) or f["duration"]
    results, extra = {}, {}
    runners = {
        "backbeat": lambda: tools.run_backbeat(str(args.backbeat), [f["path"] for f in files]),
        "essentia": lambda: run_essentia(files, args.timeout),
        "librosa": lambda: run_librosa(files, args.timeout),
    }
    for name in ("backbeat", "essentia", "librosa"):
        if name not in wanted:
            continue
        print(f"running {name} ...", file=sys.stderr)
        try:
            out = runners[name]()
        except Exception:  # noqa: BLE001 - report the tool as failed, keep the others
            traceback.print_exc()
            continue
        estimates, cpu, failures = out[:3]
        if len(out) > 3:
            extra[name] = out[3]
        cpu = cpu if isinstance(cpu, dict) else {"total": cpu}
        results[name] = {"cpu": cpu, "failures": failures,
                         "minutes": audio_minutes(files, estimates),
                         "accuracy": metrics.score_tool(files, estimates)}
    speed = None
    if "backbeat" in wanted and args.speed_minutes > 0:
        print("speed section ...", file=sys.stderr)
        speed = speed_section(args.backbeat, args.dev.resolve(), args.speed_minutes,
                              args.repeats)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": git_commit(), "files": len(files),
            "minutes": sum(f["duration"] or 0 for f in files) / 60,
            "labels_minutes": sum(f["labels_duration"] or 0 for f in files) / 60,
            "ffmpeg_failures": sum(1 for f in files if f["ffmpeg"] is None)}
    text = report.markdown(meta, results, extra, speed)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        dump = {"meta": meta, "results": results, "extra": extra, "speed": speed}
        args.out.with_suffix(".json").write_text(json.dumps(dump, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
