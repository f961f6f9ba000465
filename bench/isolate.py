"""Run a peer's per-file work in a separate worker process, so that a crash inside a native
library (essentia has segfaulted on dev files) fails that file instead of the whole run.

The worker is persistent (imports and warm-ups are paid once) and replaced after a crash.
Each job returns its own CPU seconds (time.process_time inside the worker), so the process
boundary adds nothing to the measured figures.
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import tools

_STATE = {}  # per-worker-process cache of imported modules (set up on first use)


def _essentia():
    if "es" not in _STATE:
        import essentia
        import essentia.standard as es
        essentia.log.infoActive = False
        essentia.log.warningActive = False
        _STATE["es"] = es
    return _STATE["es"]


def _librosa():
    if "librosa" not in _STATE:
        import warnings
        import librosa
        warnings.filterwarnings("ignore")
        tools.librosa_warm_up(librosa)
        _STATE["librosa"] = librosa
    return _STATE["librosa"]


def essentia_job(path, profiles):
    """Worker side: every essentia estimate of one file and its CPU seconds per component."""
    timer = tools.Timer()
    return tools.essentia_file(_essentia(), path, profiles, timer), timer.seconds


def essentia_key_job(path, profile):
    """Worker side: one key profile on one file (only the key computation is timed)."""
    es = _essentia()
    _, mono = tools.essentia_load(es, path, tools.Timer())
    timer = tools.Timer()
    with timer("key"):
        key = tools.essentia_key(es, mono, profile)
    return key, timer.seconds


def essentia_keys_job(path, profiles):
    """Worker side: every key profile on one file, decoded once (accuracy only, not timed)."""
    es = _essentia()
    _, mono = tools.essentia_load(es, path, tools.Timer())
    keys = {}
    for profile in profiles:
        try:
            keys[profile] = tools.essentia_key(es, mono, profile)
        except RuntimeError:
            keys[profile] = None  # `weichai` raises on minor keys; `faraldo` may be missing
    return keys, {}


def essentia_rhythm_job(path):
    """Worker side: RhythmExtractor2013 (multifeature) on one file (accuracy only, not timed)."""
    es = _essentia()
    _, mono = tools.essentia_load(es, path, tools.Timer())
    bpm, ticks = es.RhythmExtractor2013(method="multifeature")(mono)[:2]
    return {"bpm": float(bpm) if bpm > 0 else None, "beats": [float(t) for t in ticks]}, {}


def librosa_job(path):
    """Worker side: librosa estimates of one file and its CPU seconds per component."""
    timer = tools.Timer()
    return tools.librosa_file(_librosa(), path, timer), timer.seconds


def run_jobs(jobs, timeout):
    """Run (key, function, args) jobs one at a time in a worker; returns (results, failures).

    results: key -> (value, seconds); failures: key -> reason (exception, crash or timeout).
    """
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
    results, failures = {}, {}
    try:
        for key, function, args in jobs:
            try:
                results[key] = pool.submit(function, *args).result(timeout=timeout)
            except BrokenProcessPool:
                failures[key] = "worker process crashed (native library fault)"
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            except TimeoutError:
                failures[key] = f"no result within {timeout} s"
                _kill(pool)
                pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            except Exception as e:  # noqa: BLE001 - a failing file is a result, not a crash
                failures[key] = f"{type(e).__name__}: {e}".strip()[:200]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results, failures


def _kill(pool):
    """Stop a worker stuck on one file (only the worker this module started)."""
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
