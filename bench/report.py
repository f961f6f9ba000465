"""Markdown rendering of a comparison run (tables ready to paste into docs/BENCHMARKS.md)."""

COMPONENTS = ("load", "rhythm", "key", "loudness", "true peak")


def _num(x, fmt="{:.3f}"):
    return "—" if x is None else fmt.format(x)


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def cpu_per_minute(result, component):
    """CPU seconds per minute of audio for one component ('total' = sum of all)."""
    cpu, minutes = result["cpu"], result["minutes"]
    seconds = sum(cpu.values()) if component == "total" else cpu.get(component)
    if seconds is None or minutes <= 0:
        return None
    return seconds / minutes


def speed_table(results):
    header = ["tool", *[f"{c} (CPU s/min)" for c in COMPONENTS], "total (CPU s/min)",
              "× real time per core", "audio min", "failed files"]
    rows = []
    for name, r in results.items():
        per_min = [cpu_per_minute(r, c) for c in COMPONENTS]
        total = cpu_per_minute(r, "total")
        rows.append([name, *[_num(x) for x in per_min], _num(total),
                     _num(60 / total if total else None, "{:.0f}×"),
                     _num(r["minutes"], "{:.1f}"), len(r["failures"])])
    return _table(header, rows)


def accuracy_table(results):
    header = ["tool", "tempo ACC1", "tempo ACC2", "beat F", "key MIREX", "key (mir_eval)",
              "LUFS mean \\|Δ\\|", "LUFS max \\|Δ\\|", "true-peak max \\|Δ\\|"]
    rows = []
    for name, r in results.items():
        a = r["accuracy"]
        rows.append([name, _num(a["acc1"]), _num(a["acc2"]), _num(a["beat_f"]),
                     _num(a["key_mirex"]), _num(a["key_mir_eval"]),
                     _num(a["lufs_mean"], "{:.2f}"), _num(a["lufs_max"], "{:.2f}"),
                     _num(a["tp_max"], "{:.2f}")])
    first = next(iter(results.values()), None)
    ns = ""
    if first:
        a = first["accuracy"]
        ns = (f"n: tempo {a['n_tempo']}, beats {a['n_beats']}, key {a['n_key']} labelled files; "
              "loudness over files above -70 LUFS per ffmpeg (backbeat/essentia only).")
    return _table(header, rows) + "\n\n" + ns


def ratios(results):
    """Essentia and librosa CPU relative to backbeat, and accuracy differences."""
    if "backbeat" not in results:
        return "(backbeat not run: no ratios)"
    base = results["backbeat"]
    base_total = cpu_per_minute(base, "total")
    lines = []
    for name, r in results.items():
        if name == "backbeat":
            continue
        total = cpu_per_minute(r, "total")
        ratio = total / base_total if total and base_total else None
        line = f"- {name} CPU / backbeat CPU: {_num(ratio, '{:.1f}×')}"
        peak = cpu_per_minute(r, "true peak")
        if peak and total and base_total:
            # essentia's TruePeakDetector (libsamplerate) dominates its cost: show both views.
            line += f" ({(total - peak) / base_total:.1f}× without its true-peak detector)"
        lines.append(line)
        diffs = []
        for label, key in (("ACC1", "acc1"), ("ACC2", "acc2"), ("beat F", "beat_f"),
                           ("key", "key_mirex")):
            a, b = base["accuracy"][key], r["accuracy"][key]
            diffs.append(f"{label} {_num(a - b if a is not None and b is not None else None, '{:+.3f}')}")
        lines.append(f"- backbeat − {name}: " + ", ".join(diffs))
    return "\n".join(lines)


def profile_table(extra):
    info = extra.get("essentia")
    if not info:
        return ""
    errors = info.get("profile_errors", {})
    rows = []
    for profile, score in sorted(info["profiles"].items(), key=lambda kv: -kv[1]):
        err = errors.get(profile)
        note = f"raised on {err['files']} file(s): {err['first']}" if err else ""
        rows.append([profile, _num(score), note.replace("|", "/")])
    return ("Essentia KeyExtractor, MIREX weighted score per profile (best = "
            f"`{info['best_profile']}`, which is the one timed):\n\n"
            + _table(["profile", "key MIREX", "errors"], rows))


def failures(results):
    lines = []
    for name, r in results.items():
        for path, why in sorted(r["failures"].items()):
            lines.append(f"- {name}: `{path.rsplit('/dev/', 1)[-1]}`: {why}")
    return "\n".join(lines) or "- none"


def speed_only(speed):
    if not speed:
        return "(skipped)"
    if "error" in speed:
        return f"backbeat failed: {speed['error']}"
    return (f"backbeat on a {speed['audio_secs'] / 60:.1f}-min 44.1 kHz stereo 192 kbps MP3, "
            f"`--jobs 1`, decode included: {speed['cpu_secs']:.2f} CPU s (least of "
            f"{len(speed['cpu_runs'])} runs: {', '.join(f'{c:.2f}' for c in speed['cpu_runs'])})"
            f" → **{speed['x_realtime_per_core']:.0f}× real time on one core**.")


def markdown(meta, results, extra, speed):
    """The whole report."""
    parts = [
        f"### Results — {meta['date']}, commit `{meta['commit']}`",
        f"{meta['files']} files, {meta['minutes']:.1f} min of audio (ffprobe; the labels' "
        f"duration_s column sums to {meta.get('labels_minutes', 0):.1f} min); "
        f"ffmpeg reference failed on {meta['ffmpeg_failures']} file(s).",
        "#### Speed (CPU seconds per minute of audio; lower is better)",
        speed_table(results),
        "#### Accuracy",
        accuracy_table(results),
        profile_table(extra),
        "#### Ratios",
        ratios(results),
        "#### Speed only: long MP3",
        speed_only(speed),
        "#### Failures",
        failures(results),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"
