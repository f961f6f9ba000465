"""Reference musicnn tagger: the real `musicnn` package (its TensorFlow graph from
`musicnn.models.define_model`, its own checkpoints) with one fix, for benchmarks and golden
fixtures only. Run it through bench/musicnn_reference.sh, which sets up the venv.

The fix: musicnn's `extractor.batch_data` casts the mel spectrogram to float16 before
`np.log10(10000 * mel + 1)`. What that does depends on NumPy's promotion rules:
- NumPy >= 2 (NEP 50, a Python int is "weak"): `10000 * mel` stays float16 and overflows
  (max 65504) once a mel bin exceeds 6.55, so the frame's log-mel is +inf. That is common: a
  -6 dBFS chord mix already has such bins in most frames.
- NumPy 1.x (value-based casting: 10000 is uint16, float16 x uint16 -> float32): the product is
  float32, so the defect shrinks to rounding the mel to float16 (inf only above 65504).
Here the log-mel is computed in float32 throughout. `--float16` reproduces the defect with
NumPy 2 arithmetic (`--float16-numpy1` with NumPy 1 arithmetic), written out explicitly so it
does not depend on the NumPy installed. Everything else in `batch_data` is kept:
librosa.load at 16 kHz, melspectrogram(n_fft=512, hop=256, n_mels=96) with librosa's defaults,
non-overlapping 187-frame patches, a trailing partial patch dropped.

Unlike `musicnn.extractor.extractor`, which rebuilds the graph and restores the checkpoint on
every call, each model's session is built once and reused across files. Patches go through
`--batch-size` at a time, 1 by default like the package (config.BATCH_SIZE = 1): the graph has
no cross-patch operations at inference (batch-norm uses its moving statistics, dropout is off),
but TF's CPU kernels sum in a batch-size-dependent order, so tags move by up to ~5e-7 between
batch sizes. At batch size 1 each patch's result is independent of its neighbours and the taggram
is bit-identical to `musicnn.extractor.extractor` (checked with --float16-numpy1 under
NumPy 1.26).

Output: one JSON line per (file, model); see the README of the golden fixtures in
testdata/musicnn/reference/. Non-finite numbers (only with --float16) are
written as the strings "NaN", "Infinity", "-Infinity" because JSON has no such numbers.

`--onnx-dir DIR` also runs DIR/<model>.onnx with onnxruntime on the same batches, plus random
and extreme log-mel inputs, and prints the max abs difference against TensorFlow with a
PASS/FAIL verdict (tags within 1e-6); the exit status is 1 if any model fails or none of the
requested models has an ONNX file.
"""

import argparse
import importlib.metadata
import inspect
import json
import math
import os
import sys
import time
import warnings

import librosa
import numpy as np
import soundfile

import tensorflow as tf

tf.compat.v1.disable_eager_execution()
# musicnn builds its graph with tf.compat.v1.layers; each call warns that it is deprecated.
warnings.filterwarnings("ignore", message=r"`tf\.layers\.", category=UserWarning)

from musicnn import configuration as config  # noqa: E402  (after disabling eager mode)
from musicnn import models  # noqa: E402

MODELS = ("MTT_musicnn", "MSD_musicnn")
N_FRAMES = 187
TAG_TOLERANCE = 1e-6
SYNTHETIC_BATCH = 16
SHORT_ERROR = "shorter than one patch"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def check_librosa():
    """Records (and insists on) the librosa defaults that musicnn's batch_data relies on."""
    params = inspect.signature(librosa.feature.melspectrogram).parameters
    center = params["center"].default
    pad_mode = params["pad_mode"].default
    window = params["window"].default
    power = params["power"].default
    log(f"librosa {librosa.__version__}: melspectrogram defaults center={center} "
        f"pad_mode={pad_mode!r} window={window!r} power={power}; "
        f"load res_type={inspect.signature(librosa.load).parameters['res_type'].default!r}")
    assert center is True, "musicnn expects centred frames"
    assert window == "hann" and power == 2.0
    return {"center": center, "pad_mode": pad_mode}


def patch_frames():
    """Patch length exactly as musicnn.extractor computes it for input_length=3 s."""
    n = librosa.time_to_frames(3, sr=config.SR, n_fft=config.FFT_SIZE,
                               hop_length=config.FFT_HOP) + 1
    assert n == N_FRAMES, n
    return int(n)


def log_mel(path, float16=None):
    """musicnn's batch_data up to the log: float32 (the fix) unless float16 is "numpy2" or
    "numpy1", the original float16 cast under that NumPy's promotion rules."""
    audio, sr = librosa.load(path, sr=config.SR)
    mel = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=config.FFT_HOP,
                                         n_fft=config.FFT_SIZE, n_mels=config.N_MELS).T
    assert mel.dtype == np.float32, mel.dtype
    if float16 is None:
        return np.log10(np.float32(10000) * mel + np.float32(1))
    mel = mel.astype(np.float16)
    if float16 == "numpy1":
        return np.log10(np.float32(10000) * mel.astype(np.float32) + np.float32(1))
    assert float16 == "numpy2", float16
    with np.errstate(over="ignore"):
        return np.log10(np.float16(10000) * mel + np.float16(1))


def patches(audio_rep, n_frames):
    """musicnn's batching: non-overlapping patches, trailing partial patch dropped.

    None when the file is shorter than one patch (musicnn's batch_data crashes there)."""
    last_frame = audio_rep.shape[0] - n_frames + 1
    starts = range(0, last_frame, n_frames)
    if len(starts) == 0:
        return None
    return np.stack([audio_rep[t:t + n_frames, :] for t in starts]).astype(np.float32)


class TfModel:
    """One musicnn model: its graph built once, its checkpoint restored once."""

    def __init__(self, name, n_frames, threads):
        self.name = name
        self.labels = config.MTT_LABELS if "MTT" in name else config.MSD_LABELS
        self.graph = tf.Graph()
        with self.graph.as_default():
            with tf.name_scope("model"):
                self.x = tf.compat.v1.placeholder(tf.float32, [None, n_frames, config.N_MELS])
                self.is_training = tf.compat.v1.placeholder(tf.bool)
                out = models.define_model(self.x, self.is_training, name, len(self.labels))
                logits, penultimate = out[0], out[-1]
                self.tags = tf.nn.sigmoid(logits)
                self.penultimate = penultimate
            cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads,
                                           inter_op_parallelism_threads=threads)
            self.sess = tf.compat.v1.Session(graph=self.graph, config=cfg)
            self.sess.run(tf.compat.v1.global_variables_initializer())
            # The package's `checkpoint` file names the author's machine, so restore from the
            # prefix (the folder with a trailing slash) exactly as musicnn.extractor does.
            import musicnn
            prefix = os.path.join(os.path.dirname(musicnn.__file__), name) + "/"
            tf.compat.v1.train.Saver().restore(self.sess, prefix)
        self.graph.finalize()

    def run(self, batch, batch_size):
        """(tags [N,50], penultimate [N,200]) in float32, batch_size patches per sess.run."""
        tags, pen = [], []
        for i in range(0, batch.shape[0], batch_size):
            t, p = self.sess.run([self.tags, self.penultimate],
                                 feed_dict={self.x: batch[i:i + batch_size],
                                            self.is_training: False})
            tags.append(t)
            pen.append(p)
        return np.concatenate(tags), np.concatenate(pen)


def jsonable(a):
    """float64-exact nested lists; non-finite values as strings (JSON has no NaN/inf)."""
    def conv(v):
        if math.isfinite(v):
            return v
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        return conv(float(arr))
    return [jsonable(x) for x in arr] if arr.ndim > 1 else [conv(float(v)) for v in arr]


def read_paths(args):
    paths = list(args.files)
    if args.list:
        with open(args.list) as f:
            paths += [ln.strip() for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    if not paths:
        sys.exit("no input files (give FILE... or --list FILE)")
    return paths


# ---------------------------------------------------------------------------------------------
# ONNX verification


def random_batches(n_frames, batch_size):
    """Named log-mel-like inputs beyond the files': uniform 0..4 and extremes (all finite)."""
    rng = np.random.default_rng(20240611)
    shape = (batch_size, n_frames, config.N_MELS)
    spike = np.zeros(shape, np.float32)
    spike[:, n_frames // 2, :] = 8.0
    ramp = np.broadcast_to(np.linspace(0, 8, config.N_MELS, dtype=np.float32), shape).copy()
    return {
        "uniform 0..4": rng.uniform(0, 4, shape).astype(np.float32),
        "single patch uniform 0..4": rng.uniform(0, 4, (1,) + shape[1:]).astype(np.float32),
        "zeros (silence)": np.zeros(shape, np.float32),
        "constant 4": np.full(shape, 4.0, np.float32),
        "constant 8 (loud)": np.full(shape, 8.0, np.float32),
        "uniform 0..10": rng.uniform(0, 10, shape).astype(np.float32),
        "one-frame spike 8": spike,
        "frequency ramp 0..8": ramp,
        "alternating 0/6 frames": np.where((np.arange(n_frames) % 2 == 0)[None, :, None],
                                           0.0, 6.0).astype(np.float32)
        * np.ones(shape, np.float32),
    }


class OnnxCheck:
    """Runs <dir>/<model>.onnx on the batches TF ran and accumulates the largest differences."""

    def __init__(self, onnx_dir, model_names, threads):
        import onnxruntime as ort
        self.sessions = {}
        self.worst = {}
        self.other_batch = None
        for name in model_names:
            path = os.path.join(onnx_dir, f"{name}.onnx")
            if not os.path.exists(path):
                log(f"onnx: SKIP {name}: {path} does not exist")
                continue
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
            ins = [(i.name, i.shape, i.type) for i in sess.get_inputs()]
            outs = [(o.name, o.shape, o.type) for o in sess.get_outputs()]
            log(f"onnx: {name}: onnxruntime {ort.__version__}, inputs {ins}, outputs {outs}")
            self.sessions[name] = sess
            self.worst[name] = {}

    def compare(self, name, category, batch, tf_tags, tf_pen, batch_size, tf_noise=None):
        """ORT on `batch` (batch_size patches per run) against TF's tags and penultimate.

        tf_noise: TF's own tag difference between two batch sizes on this input, for scale."""
        sess = self.sessions.get(name)
        if sess is None:
            return
        tags, emb = [], []
        for i in range(0, batch.shape[0], batch_size):
            t, e = sess.run(["tags", "embedding"], {"mel": batch[i:i + batch_size]})
            tags.append(t)
            emb.append(e)
        tags, emb = np.concatenate(tags), np.concatenate(emb)
        assert tags.shape == tf_tags.shape and emb.shape == tf_pen.shape, (
            tags.shape, tf_tags.shape, emb.shape, tf_pen.shape)
        dt = float(np.max(np.abs(tags.astype(np.float64) - tf_tags)))
        de = float(np.max(np.abs(emb.astype(np.float64) - tf_pen)))
        rel = de / max(float(np.max(np.abs(tf_pen))), 1e-30)
        w = self.worst[name].setdefault(category, [0.0, 0.0, 0.0, 0, None])
        noise = w[4] if tf_noise is None else max(w[4] or 0.0, tf_noise)
        w[:] = [max(w[0], dt), max(w[1], de), max(w[2], rel), w[3] + len(batch), noise]

    def synthetic(self, tf_models, n_frames, batch_size):
        """Random and extreme inputs: TF at batch_size patches per run, ORT on the whole set
        in one run (exercising a dynamic batch axis)."""
        for name in self.sessions:
            for label, batch in random_batches(n_frames, SYNTHETIC_BATCH).items():
                t, p = tf_models[name].run(batch, batch_size)
                self.other_batch = 1 if batch_size != 1 else len(batch)
                t_other, _ = tf_models[name].run(batch, self.other_batch)
                noise = float(np.max(np.abs(t.astype(np.float64) - t_other)))
                self.compare(name, label, batch, t, p, len(batch), noise)

    def report(self):
        """Prints the table and verdicts; True when every checked model passes and at least
        one was checked."""
        ok = True
        for name, cats in self.worst.items():
            print(f"onnx {name}: max |onnx - tf| per input set "
                  f"(tags tolerance {TAG_TOLERANCE:g})", file=sys.stderr)
            for cat, (dt, de, rel, n, noise) in cats.items():
                floor = "" if noise is None else (
                    f"  [TF itself at batch size {self.other_batch}: tags {noise:.3e}]")
                print(f"  {cat:<26} patches {n:>4}  tags {dt:.3e}  embedding {de:.3e} "
                      f"(rel {rel:.3e}){floor}", file=sys.stderr)
            worst_tags = max((v[0] for v in cats.values()), default=math.inf)
            worst_emb = max((v[1] for v in cats.values()), default=math.inf)
            verdict = "PASS" if worst_tags <= TAG_TOLERANCE else "FAIL"
            ok &= verdict == "PASS"
            print(f"{verdict} {name}: max tags diff {worst_tags:.3e}, "
                  f"max embedding diff {worst_emb:.3e}", file=sys.stderr)
        if not self.worst:
            print("FAIL: no ONNX model files found, nothing verified", file=sys.stderr)
        return ok and bool(self.worst)


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="audio files (16 kHz mono WAV expected)")
    ap.add_argument("--list", help="text file of audio paths, one a line")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated (default both)")
    ap.add_argument("--out", help="JSON-lines output (default stdout)")
    ap.add_argument("--float16", dest="float16", action="store_const", const="numpy2",
                    help="reproduce musicnn's float16 cast before the log (the defect) with "
                         "NumPy 2 promotion: 10000*mel overflows to inf above mel 6.55")
    ap.add_argument("--float16-numpy1", dest="float16", action="store_const", const="numpy1",
                    help="the same cast with NumPy 1 promotion (the product is float32)")
    ap.add_argument("--onnx-dir", help="verify DIR/<model>.onnx against TensorFlow")
    ap.add_argument("--batch-size", type=int, default=1,
                    help="patches per sess.run (default 1, as musicnn's extractor: TF's float32 "
                         "results change in the last bits with the batch size)")
    ap.add_argument("--threads", type=int, default=0, help="TF/ORT threads (0: library default)")
    ap.add_argument("--verify-batch-data", action="store_true",
                    help="also run musicnn.extractor.batch_data itself, under NumPy 2 and "
                         "NumPy 1 promotion, and check that the re-implementation's "
                         "--float16 / --float16-numpy1 match it bit for bit")
    args = ap.parse_args()

    names = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in names:
        if m not in MODELS:
            sys.exit(f"unknown model {m!r}; choose from {', '.join(MODELS)}")
    paths = read_paths(args)
    mel_defaults = check_librosa()
    n_frames = patch_frames()
    log(f"tensorflow {tf.__version__}, numpy {np.__version__}, "
        f"log-mel {log_mel_kind(args.float16)}, "
        f"batch size {args.batch_size}")

    t0 = time.perf_counter()
    tf_models = {m: TfModel(m, n_frames, args.threads) for m in names}
    log(f"sessions built and restored in {time.perf_counter() - t0:.2f} s")
    onnx = OnnxCheck(args.onnx_dir, names, args.threads) if args.onnx_dir else None

    out = open(args.out, "w") if args.out else sys.stdout
    t_start = time.perf_counter()
    for path in paths:
        t_file = time.perf_counter()
        info = soundfile.info(path)
        if info.samplerate != config.SR or info.channels != 1:
            log(f"warning: {path} is {info.samplerate} Hz x{info.channels}; librosa will "
                f"downmix/resample (the reference is meant for 16 kHz mono)")
        audio_rep = log_mel(path, args.float16)
        if args.verify_batch_data:
            verify_batch_data(path, n_frames)
        nonfinite = int(np.sum(~np.all(np.isfinite(audio_rep), axis=1)))
        batch = patches(audio_rep, n_frames)
        t_mel = time.perf_counter() - t_file
        for m in names:
            rec = {"path": path, "model": m}
            if batch is None:
                rec["error"] = SHORT_ERROR
                rec["mel_frames"] = int(audio_rep.shape[0])
            else:
                tags, pen = tf_models[m].run(batch, args.batch_size)
                rec.update({
                    "n_patches": int(batch.shape[0]),
                    "mel_frames": int(audio_rep.shape[0]),
                    "log_mel": log_mel_kind(args.float16),
                    "tags": jsonable(np.mean(tags, axis=0)),
                    "taggram": jsonable(tags),
                    "penultimate_mean": jsonable(np.mean(pen, axis=0)),
                    "nonfinite_frames": nonfinite,
                    "labels": list(tf_models[m].labels),
                    "reference": {"musicnn": importlib.metadata.version("musicnn"),
                                  "tensorflow": tf.__version__,
                                  "librosa": librosa.__version__,
                                  "melspectrogram_pad_mode": mel_defaults["pad_mode"]},
                })
                if onnx and np.all(np.isfinite(batch)):
                    onnx.compare(m, "files", batch, tags, pen, args.batch_size)
            out.write(json.dumps(rec) + "\n")
        out.flush()
        log(f"{path}: {audio_rep.shape[0]} frames, "
            f"{0 if batch is None else batch.shape[0]} patches, {nonfinite} non-finite frames, "
            f"log-mel {t_mel:.2f} s, total {time.perf_counter() - t_file:.2f} s")
    if out is not sys.stdout:
        out.close()
    log(f"{len(paths)} files x {len(names)} models in {time.perf_counter() - t_start:.2f} s")

    if onnx:
        onnx.synthetic(tf_models, n_frames, args.batch_size)
        if not onnx.report():
            sys.exit(1)


def log_mel_kind(float16):
    return {None: "float32", "numpy2": "float16 cast, NumPy 2 promotion (original defect)",
            "numpy1": "float16 cast, NumPy 1 promotion (original defect)"}[float16]


def verify_batch_data(path, n_frames):
    """The package's own batch_data against the re-implementation, bit for bit, under each
    NumPy promotion rule this NumPy can switch to (1.24 to 1.26 can do both)."""
    from musicnn import extractor
    states = {"numpy2": "weak", "numpy1": "legacy"}
    get_state = getattr(np, "_get_promotion_state", None)
    native = "numpy2" if int(np.__version__.split(".")[0]) >= 2 else "numpy1"
    for kind, state in states.items():
        if get_state is None and kind != native:
            log(f"verify-batch-data: NumPy {np.__version__} cannot emulate {kind}, skipped")
            continue
        mine = patches(log_mel(path, kind), n_frames)
        before = get_state() if get_state else None
        try:
            if get_state:
                np._set_promotion_state(state)
            with np.errstate(over="ignore"):
                theirs, _ = extractor.batch_data(path, n_frames, n_frames)
        except UnboundLocalError:
            theirs = None  # the short-file crash this harness reports as an error
        finally:
            if get_state:
                np._set_promotion_state(before)
        if mine is None or theirs is None:
            assert mine is None and theirs is None, "short-file handling differs"
            log(f"verify-batch-data {kind}: {path}: both shorter than one patch")
            continue
        same = np.array_equal(mine, theirs.astype(np.float32), equal_nan=True)
        log(f"verify-batch-data {kind}: {path}: musicnn batch_data {theirs.shape} "
            f"{theirs.dtype}, {int(np.sum(~np.isfinite(theirs)))} non-finite values, "
            f"{'IDENTICAL' if same else 'DIFFERENT'}")
        if not same:
            sys.exit(f"batch_data re-implementation differs from musicnn's for {path}")


if __name__ == "__main__":
    main()
