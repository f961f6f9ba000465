"""The measured part of bench/pipeline_throughput.sh (see docs/BENCHMARKS.md).

Runs two phases over the same N tracks, one after the other, and measures each:
  direct    backbeat analyze -j CORES on the N files (no pipeline: the peer)
  pipeline  backbeat backfill --job analyze --where all --run-workers, then the same with
            --job probe (downsample + analyze, then probe: the three CPU jobs of the graph)
For each phase: wall time; CPU seconds of the child processes (getrusage RUSAGE_CHILDREN,
user + sys), and from them "own busy" = CPU seconds / (wall x cores), how busy the phase kept
the cores by itself; and the machine's CPU use from /proc/stat, per core, as the difference between the
start and the end of the phase (busy = user + nice + system + irq + softirq; idle, iowait and
steal apart), plus busy per tenth of the phase from samples every 0.25 s, to see where idle
time falls (start-up, tail).

Usage: pipeline_throughput.py --backbeat BIN --data DIR --files LIST --work DIR [--jobs N]
"""

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import threading
import time

DAY_S = 86400.0
TARGET_TRACKS_PER_DAY = 5_000_000


def read_stat():
    """{cpu name: [user, nice, system, idle, iowait, irq, softirq, steal]} in clock ticks."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu"):
                parts = line.split()
                out[parts[0]] = [int(v) for v in parts[1:9]]
    return out


def shares(a, b):
    """Busy / iowait / steal / idle shares between two /proc/stat readings, per cpu."""
    res = {}
    for cpu in a:
        d = [y - x for x, y in zip(a[cpu], b[cpu])]
        total = sum(d) or 1
        user, nice, system, idle, iowait, irq, softirq, steal = d
        res[cpu] = {
            "busy": (user + nice + system + irq + softirq) / total,
            "iowait": iowait / total,
            "steal": steal / total,
            "idle": idle / total,
        }
    return res


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def measure(name, cmds, log):
    """Runs cmds one after the other; returns the phase's figures."""
    samples = []
    stop = threading.Event()

    def sampler():
        while not stop.is_set():
            samples.append((time.perf_counter(), read_stat()))
            stop.wait(0.25)

    s0, c0, t0 = read_stat(), child_cpu(), time.perf_counter()
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    steps = []
    for cmd in cmds:
        ts, cs = time.perf_counter(), child_cpu()
        with open(log, "a") as f:
            f.write(f"$ {' '.join(cmd[:8])}{' ...' if len(cmd) > 8 else ''}\n")
            f.flush()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=f, check=True)
        steps.append({"cmd": " ".join(cmd[:8]), "wall_s": time.perf_counter() - ts,
                      "cpu_s": child_cpu() - cs})
    t1, c1, s1 = time.perf_counter(), child_cpu(), read_stat()
    stop.set()
    th.join()
    samples.append((t1, s1))
    wall = t1 - t0
    per = shares(s0, s1)
    # Busy of the whole machine per tenth of the phase.
    tenths = []
    for k in range(10):
        lo, hi = t0 + wall * k / 10, t0 + wall * (k + 1) / 10
        inside = [s for s in samples if lo <= s[0] <= hi]
        if len(inside) >= 2:
            tenths.append(shares(inside[0][1], inside[-1][1])["cpu"]["busy"])
    return {"phase": name, "wall_s": wall, "cpu_s": c1 - c0, "cpus": per, "tenths": tenths,
            "steps": steps}


def pct(x):
    return f"{100 * x:5.1f} %"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backbeat", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--files", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--out", default=None, help="also write the figures as JSON here")
    a = ap.parse_args()
    files = [l for l in open(a.files).read().splitlines() if l.strip()]
    n = len(files)
    log = os.path.join(a.work, "runs.log")
    bb = a.backbeat
    phases = [
        measure("direct", [[bb, "analyze", "-j", str(a.jobs), "--out",
                            os.path.join(a.work, "direct.jsonl"), *files]], log),
        measure("pipeline", [
            [bb, "backfill", "--job", "analyze", "--where", "all", "--run-workers",
             "--data-dir", a.data],
            [bb, "backfill", "--job", "probe", "--where", "all", "--run-workers",
             "--data-dir", a.data],
        ], log),
    ]
    # Checks: every track analysed both ways.
    direct_ok = 0
    audio_s = 0.0
    with open(os.path.join(a.work, "direct.jsonl")) as f:
        for line in f:
            rec = json.loads(line)
            if "error" not in rec:
                direct_ok += 1
                audio_s += float((rec.get("file") or {}).get("duration_secs") or 0.0)
    blobs = os.path.join(a.data, "blobs", "derived")
    done = {job: len(glob.glob(os.path.join(blobs, "*", job, "v1", "_done.json")))
            for job in ("probe", "downsample", "analyze")}
    direct, pipe = phases
    print(f"# bench/pipeline_throughput.sh: {n} tracks ({audio_s / 60:.1f} min of audio), "
          f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"direct analyses ok: {direct_ok}/{n}; pipeline outputs committed: "
          + ", ".join(f"{j} {c}/{n}" for j, c in done.items()))
    cores = os.cpu_count()
    hdr = (f"{'phase':<10} {'wall s':>8} {'tracks/s':>9} {'CPU s':>8} {'CPU s/track':>12} "
           f"{'own busy':>9} {'busy':>8} {'cpu0':>8} {'cpu1':>8} {'iowait':>8} {'steal':>8}")
    print("own busy: the phase's CPU seconds / (wall x cores); busy, cpu0, cpu1, iowait, steal:"
          " the whole machine, from /proc/stat")
    print(hdr)
    for p in phases:
        c = p["cpus"]
        print(f"{p['phase']:<10} {p['wall_s']:8.1f} {n / p['wall_s']:9.2f} {p['cpu_s']:8.1f} "
              f"{p['cpu_s'] / n:12.4f} {pct(p['cpu_s'] / (p['wall_s'] * cores)):>9} "
              f"{pct(c['cpu']['busy']):>8} "
              f"{pct(c.get('cpu0', {}).get('busy', 0)):>8} "
              f"{pct(c.get('cpu1', {}).get('busy', 0)):>8} {pct(c['cpu']['iowait']):>8} "
              f"{pct(c['cpu']['steal']):>8}")
    for p in phases:
        print(f"{p['phase']} busy per tenth of the phase: "
              + " ".join(f"{100 * t:.0f}" for t in p["tenths"]))
        for s in p["steps"]:
            print(f"  {s['cmd']}: {s['wall_s']:.1f} s wall, {s['cpu_s']:.1f} CPU s")
    ratio_cpu = (pipe["cpu_s"] / n) / (direct["cpu_s"] / n)
    ratio_rate = (n / pipe["wall_s"]) / (n / direct["wall_s"])
    print(f"ratio pipeline / direct: CPU s per track {ratio_cpu:.2f}x, tracks/s {ratio_rate:.2f}x")
    for p in phases:
        per_track = p["cpu_s"] / n
        cores = TARGET_TRACKS_PER_DAY * per_track / DAY_S
        print(f"projection ({p['phase']}): 5,000,000 tracks/day x {per_track:.4f} CPU s/track "
              f"/ 86,400 s = {cores:.1f} cores fully busy")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"tracks": n, "audio_s": audio_s, "direct_ok": direct_ok, "done": done,
                       "phases": phases}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
