"""What int8 and patch counts do to musicnn's tags, and how close f32 inference runs to the
core's FMA peak. Run through bench/tagger_int8.sh.

Method:
- Every dev file is loaded with librosa at 16 kHz, turned into musicnn's log-mel patches, and
  each patch is run through both models (MTT, MSD) with ONNX Runtime, one thread, in float32
  and in each int8 variant made by `onnxruntime.quantization.quantize_dynamic` from the same
  ONNX files. The reference is today's all-patch output: the float32 mean over every patch.
- Agreement = the share of files whose top-5 of the 100 mean tag probabilities (as a set) is the
  reference's; the largest probability difference is reported with it. Patch counts N use
  Backbeat's `spread:N` placement (the centres of N equal spans).
- Static int8 (QDQ, int8 weights per channel, uint8 activations, MinMax ranges) is calibrated on
  the patches of the dev set's generated sources (generated-midi, generated-music21: synthetic
  renders, not real recordings); its agreement is reported on all files and on the real files
  only, none of which the calibration saw.
- Speed: process CPU per patch per model, batch 1, pinned to one core, median of 5 runs of 20
  patches. FLOPs per patch are counted from the model (2 x multiply-adds of every Conv and
  Gemm, shapes from ONNX shape inference); the FMA peak is FMA pipes x SIMD width x 2 x clock.
"""

import argparse
import csv
import json
import os
import statistics
import sys
import time

import librosa
import numpy as np
import onnx
import onnxruntime as ort
from onnx import shape_inference
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quantize_dynamic, quantize_static)

MODELS = ("MTT_musicnn", "MSD_musicnn")
N_FRAMES = 187
VARIANTS = {
    "int8 dynamic, per tensor (u8 weights)": dict(weight_type=QuantType.QUInt8),
    "int8 dynamic, per channel (u8 weights)": dict(weight_type=QuantType.QUInt8,
                                                   per_channel=True),
}
STATIC = "int8 static QDQ, per channel (calibrated on generated sources)"
CALIBRATION_SOURCES = ("generated-midi", "generated-music21")
CALIBRATION_PATCHES = 256
COUNTS = (4, 6, 8, 11, 12, 16, 20)


class Patches(CalibrationDataReader):
    """Feeds calibration patches one at a time."""

    def __init__(self, patches):
        self.items = iter([{"mel": p[None]} for p in patches])

    def get_next(self):
        return next(self.items, None)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def flops_per_patch(path):
    model = onnx.load(path)
    for i in model.graph.input:
        i.type.tensor_type.shape.dim[0].dim_value = 1
    model = shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in [*model.graph.value_info, *model.graph.output]}
    weights = {t.name: list(t.dims) for t in model.graph.initializer}
    total = 0
    for node in model.graph.node:
        if node.op_type == "Conv":
            total += 2 * np.prod(shapes[node.output[0]]) * np.prod(weights[node.input[1]][1:])
        elif node.op_type == "Gemm":
            total += 2 * np.prod(weights[node.input[1]])
    return int(total)


def patches_of(path):
    y, _ = librosa.load(path, sr=16000, mono=True)
    mel = librosa.feature.melspectrogram(y=y, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
    log_mel = np.log10(np.float32(10000) * mel + np.float32(1)).astype(np.float32)
    if log_mel.shape[0] < N_FRAMES:
        log_mel = np.pad(log_mel, ((0, N_FRAMES - log_mel.shape[0]), (0, 0)))
    n = (log_mel.shape[0] - N_FRAMES) // N_FRAMES + 1
    return np.stack([log_mel[i * N_FRAMES:(i + 1) * N_FRAMES] for i in range(n)])


def per_patch_tags(sessions, patches):
    """{model: (patches x 50)} for one file."""
    return {m: np.concatenate([s.run(["tags"], {"mel": patches[i:i + 16]})[0]
                               for i in range(0, len(patches), 16)])
            for m, s in sessions.items()}


def spread(n, total):
    if n >= total:
        return np.arange(total)
    return np.array([((2 * k + 1) * total) // (2 * n) for k in range(n)])


def mean_tags(per_patch, idx=None):
    return np.concatenate([(t if idx is None else t[idx]).mean(0) for t in per_patch.values()])


def top5(v):
    return frozenset(np.argsort(-v)[:5].tolist())


def agreement(outputs, reference, pick):
    same, diffs, longer = 0, [], 0
    for f, per in outputs.items():
        total = len(next(iter(per.values())))
        idx = pick(total)
        longer += idx is not None and len(idx) < total
        v, ref = mean_tags(per, idx), mean_tags(reference[f])
        same += top5(v) == top5(ref)
        diffs.append(float(np.abs(v - ref).max()))
    return {"files": len(outputs), "top5_same": same, "share": same / len(outputs),
            "max_abs_diff": max(diffs), "files_sampled": longer}


def cpu_ms_per_patch(sess, patch, runs=5, n=20):
    sess.run(None, {"mel": patch})
    times = []
    for _ in range(runs):
        t0 = time.process_time()
        for _ in range(n):
            sess.run(None, {"mel": patch})
        times.append(1000 * (time.process_time() - t0) / n)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", required=True)
    ap.add_argument("--models-dir", required=True)
    ap.add_argument("--work", required=True, help="folder for the quantised models")
    ap.add_argument("--core", type=int, default=1)
    ap.add_argument("--fma-pipes", type=int, default=2)
    ap.add_argument("--simd-floats", type=int, default=8, help="float32 lanes per FMA pipe")
    ap.add_argument("--ghz", type=float, required=True)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.sched_setaffinity(0, {args.core})

    paths = {"float32": {m: os.path.join(args.models_dir, f"{m}.onnx") for m in MODELS}}
    for name, kw in VARIANTS.items():
        slug = "int8-pc" if kw.get("per_channel") else "int8"
        paths[name] = {}
        for m in MODELS:
            out = os.path.join(args.work, f"{m}.{slug}.onnx")
            if not os.path.exists(out):
                quantize_dynamic(paths["float32"][m], out, **kw)
            paths[name][m] = out
    rows = list(csv.DictReader(open(os.path.join(args.dev, "labels.csv"), newline="")))
    calibration_files = {r["path"] for r in rows if r["source"] in CALIBRATION_SOURCES}
    paths[STATIC] = {}
    for m in MODELS:
        out = os.path.join(args.work, f"{m}.int8-static.onnx")
        if not os.path.exists(out):
            calib = np.concatenate([patches_of(os.path.join(args.dev, f))
                                    for f in sorted(calibration_files)])
            calib = calib[spread(CALIBRATION_PATCHES, len(calib))]
            log(f"calibrating {m} on {len(calib)} patches of {len(calibration_files)} files")
            quantize_static(paths["float32"][m], out, Patches(calib),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
                            calibrate_method=CalibrationMethod.MinMax)
        paths[STATIC][m] = out
    sessions = {v: {m: session(p) for m, p in ps.items()} for v, ps in paths.items()}

    outputs = {v: {} for v in sessions}
    for i, row in enumerate(rows):
        try:
            patches = patches_of(os.path.join(args.dev, row["path"]))
        except Exception as e:  # librosa cannot read a few odd files; say which
            log(f"skip {row['path']}: {e}")
            continue
        for v, s in sessions.items():
            outputs[v][row["path"]] = per_patch_tags(s, patches)
        if (i + 1) % 20 == 0:
            log(f"{i + 1}/{len(rows)} files")
    reference = outputs["float32"]

    report = {"onnxruntime": ort.__version__, "agreement": {}, "speed": {}}
    for v in sessions:
        report["agreement"][v] = {"all": agreement(outputs[v], reference, lambda t: None)}
        for n in COUNTS:
            report["agreement"][v][f"spread:{n}"] = agreement(
                outputs[v], reference, lambda t, n=n: spread(n, t))
    held_out = {f: o for f, o in outputs[STATIC].items() if f not in calibration_files}
    held_out_name = f"{STATIC}, real files only ({len(held_out)})"
    report["agreement"][held_out_name] = {"all": agreement(held_out, reference, lambda t: None)}
    for n in COUNTS:
        report["agreement"][held_out_name][f"spread:{n}"] = agreement(
            held_out, reference, lambda t, n=n: spread(n, t))
    patch = patches_of(os.path.join(args.dev, rows[0]["path"]))[:1]
    flops = flops_per_patch(paths["float32"]["MTT_musicnn"])
    peak = args.fma_pipes * args.simd_floats * 2 * args.ghz
    for v, s in sessions.items():
        ms = statistics.mean(cpu_ms_per_patch(s[m], patch) for m in MODELS)
        report["speed"][v] = {"ms_per_patch": ms, "gflops": flops / ms / 1e6}
    report.update({"flops_per_patch": flops, "peak_gflops": peak, "ghz": args.ghz})

    print(f"# int8 and patch counts against all-patch float32 tags ({len(reference)} dev files)\n")
    print(f"ONNX Runtime {ort.__version__}, one thread, pinned to core {args.core}. "
          f"{flops / 1e9:.2f} GFLOP per patch per model; FMA peak {peak:.0f} GFLOP/s "
          f"({args.fma_pipes} pipes x {args.simd_floats} float32 lanes x 2 x {args.ghz} GHz).\n")
    print("| model | ms per patch per model | GFLOP/s | share of FMA peak |")
    print("|---|---|---|---|")
    for v, r in report["speed"].items():
        print(f"| {v} | {r['ms_per_patch']:.1f} | {r['gflops']:.0f} | "
              f"{r['gflops'] / peak:.0%} |")
    print("\nTop-5 agreement with all-patch float32 (files whose top-5 set is the same; "
          "max |Δp| over the 100 tags):\n")
    heads = ["all", *[f"spread:{n}" for n in COUNTS]]
    print("| model | " + " | ".join(heads) + " |")
    print("|---|" + "---|" * len(heads))
    for v, a in report["agreement"].items():
        print(f"| {v} | " + " | ".join(
            f"{a[h]['share']:.3f} ({a[h]['max_abs_diff']:.3f})" for h in heads) + " |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main()
