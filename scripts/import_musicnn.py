#!/usr/bin/env python3
"""Turn the pretrained musicnn checkpoints into the ONNX models Backbeat's tagger loads.

Why no TensorFlow: a TF1 checkpoint is a plain *tensor bundle* — an uncompressed LevelDB
SSTable (`.index`) of `BundleEntryProto`s (dtype, shape, offset, size, crc32c) pointing into
a raw little-endian data file (`.data-00000-of-00001`). The architecture is ~100 lines of
`musicnn/models.py`. Reading the bundle by hand and writing the same graph with the `onnx`
package needs numpy and onnx only (tens of MB) instead of TensorFlow (~600 MB).

Every step is checked rather than trusted: each tensor's CRC32C must match the bundle's, each
variable the graph needs must exist with exactly the expected shape, and every model variable
in the checkpoint (all but optimiser slots and counters) must have been used once.

Usage: import_musicnn.py MUSICNN_PACKAGE_DIR OUT_DIR [--models MTT_musicnn,MSD_musicnn]
"""

import argparse
import hashlib
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

N_FRAMES = 187
N_MELS = 96
BN_EPSILON = 1e-3  # tf.compat.v1.layers.batch_normalization's default
MODELS = {
    # name: (labels key in musicnn/configuration.py, midend filters, backend units)
    "MTT_musicnn": ("MTT_LABELS", 64, 200),
    "MSD_musicnn": ("MSD_LABELS", 64, 200),
}

# ---------------------------------------------------------------------------------------------
# Tensor bundle reader
# ---------------------------------------------------------------------------------------------

TABLE_MAGIC = 0xDB4775248B80FB57
DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 9: np.int64}


def varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def block_entries(data, offset, size):
    """Key/value pairs of one SSTable block (prefix-compressed keys, restart array at the end)."""
    block = data[offset : offset + size]
    if len(block) != size:
        raise ValueError("truncated SSTable block")
    if data[offset + size] != 0:
        raise ValueError("compressed SSTable block: not a TensorFlow tensor bundle")
    (num_restarts,) = struct.unpack_from("<I", block, size - 4)
    end = size - 4 - 4 * num_restarts
    pos, key = 0, b""
    while pos < end:
        shared, pos = varint(block, pos)
        non_shared, pos = varint(block, pos)
        value_len, pos = varint(block, pos)
        key = key[:shared] + block[pos : pos + non_shared]
        pos += non_shared
        yield key, block[pos : pos + value_len]
        pos += value_len


def block_handle(buf, pos=0):
    offset, pos = varint(buf, pos)
    size, pos = varint(buf, pos)
    return offset, size, pos


def proto_fields(buf):
    """(field number, wire type, value) of a protobuf message; enough for BundleEntryProto."""
    pos = 0
    while pos < len(buf):
        tag, pos = varint(buf, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value = buf[pos : pos + 8]
            pos += 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            value = buf[pos : pos + n]
            pos += n
        elif wire == 5:
            value = buf[pos : pos + 4]
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield field, wire, value


def parse_entry(value):
    entry = {"dtype": None, "shape": [], "shard": 0, "offset": 0, "size": 0, "crc": None}
    for field, _, v in proto_fields(value):
        if field == 1:
            entry["dtype"] = v
        elif field == 2:
            for f, _, dim in proto_fields(v):
                if f == 2:
                    size = 0
                    for g, _, s in proto_fields(dim):
                        if g == 1:
                            size = s
                    entry["shape"].append(size)
        elif field == 3:
            entry["shard"] = v
        elif field == 4:
            entry["offset"] = v
        elif field == 5:
            entry["size"] = v
        elif field == 6:
            (entry["crc"],) = struct.unpack("<I", v)
        elif field == 7:
            raise ValueError("sliced tensors are not supported")
    return entry


def crc32c(data):
    crc = 0xFFFFFFFF
    table = CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def masked_crc(crc):
    # TensorFlow stores crc32c "masked" (rotated and offset) in tensor bundles.
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def read_bundle(prefix):
    """All tensors of a checkpoint `prefix` (`prefix.index` + `prefix.data-00000-of-00001`)."""
    with open(prefix + ".index", "rb") as f:
        index = f.read()
    if len(index) < 48:
        raise ValueError(f"{prefix}.index: too short to be a tensor bundle")
    (magic,) = struct.unpack_from("<Q", index, len(index) - 8)
    if magic != TABLE_MAGIC:
        raise ValueError(f"{prefix}.index: not an SSTable (bad magic)")
    footer = index[len(index) - 48 :]
    _, _, pos = block_handle(footer)  # metaindex (unused)
    idx_off, idx_size, _ = block_handle(footer, pos)
    entries = {}
    for _, handle in block_entries(index, idx_off, idx_size):
        off, size, _ = block_handle(handle)
        for key, value in block_entries(index, off, size):
            if key == b"":
                continue  # BundleHeaderProto: number of shards, endianness
            entries[key.decode()] = parse_entry(value)
    with open(prefix + ".data-00000-of-00001", "rb") as f:
        data = f.read()
    tensors = {}
    for name, e in entries.items():
        if e["shard"] != 0:
            raise ValueError(f"{name}: multi-shard bundles are not supported")
        raw = data[e["offset"] : e["offset"] + e["size"]]
        if len(raw) != e["size"]:
            raise ValueError(f"{name}: data file truncated")
        if e["crc"] is not None and masked_crc(crc32c(raw)) != e["crc"]:
            raise ValueError(f"{name}: CRC32C mismatch, the checkpoint is corrupt")
        dtype = DTYPES.get(e["dtype"])
        if dtype is None:
            raise ValueError(f"{name}: unsupported dtype {e['dtype']}")
        tensors[name] = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(
            e["shape"]
        )
    return tensors


# ---------------------------------------------------------------------------------------------
# Graph: musicnn's build_musicnn (frontend 7774timbraltemporal, midend, globalpool_dense)
# ---------------------------------------------------------------------------------------------


class Weights:
    """Hands out checkpoint tensors by name, checking shapes and remembering what was used."""

    def __init__(self, tensors):
        self.tensors = tensors
        self.used = set()

    def take(self, name, shape):
        if name not in self.tensors:
            raise ValueError(f"checkpoint has no variable {name}")
        t = self.tensors[name]
        if list(t.shape) != list(shape):
            raise ValueError(f"{name}: shape {list(t.shape)}, expected {list(shape)}")
        if name in self.used:
            raise ValueError(f"{name} used twice")
        self.used.add(name)
        return np.asarray(t, dtype=np.float32)

    def unused_model_variables(self):
        skip = ("Adam", "beta1_power", "beta2_power", "global_step")
        return sorted(
            n for n in self.tensors if n not in self.used and not any(s in n for s in skip)
        )


class Builder:
    def __init__(self, weights):
        self.w = weights
        self.nodes = []
        self.inits = []
        self.count = 0
        self.conv_i = 0
        self.bn_i = 0
        self.dense_i = 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, base, array):
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def op(self, op_type, inputs, base=None, **attrs):
        out = self.name(base or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    @staticmethod
    def layer(prefix, i):
        return prefix if i == 0 else f"{prefix}_{i}"

    def batch_norm(self, x, channels, axis_shape):
        """Inference batch norm as one multiply-add (scale/shift reshaped to `axis_shape`)."""
        scope = self.layer("batch_normalization", self.bn_i)
        self.bn_i += 1
        gamma = self.w.take(f"{scope}/gamma", [channels]).astype(np.float64)
        beta = self.w.take(f"{scope}/beta", [channels]).astype(np.float64)
        mean = self.w.take(f"{scope}/moving_mean", [channels]).astype(np.float64)
        var = self.w.take(f"{scope}/moving_variance", [channels]).astype(np.float64)
        scale = gamma / np.sqrt(var + BN_EPSILON)
        shift = beta - mean * scale
        s = self.const("bn_scale", scale.astype(np.float32).reshape(axis_shape))
        b = self.const("bn_shift", shift.astype(np.float32).reshape(axis_shape))
        return self.op("Add", [self.op("Mul", [x, s]), b], "bn")

    def conv_weights(self, kernel_hw, cin, cout):
        scope = self.layer("conv2d", self.conv_i)
        self.conv_i += 1
        k = self.w.take(f"{scope}/kernel", [*kernel_hw, cin, cout])
        b = self.w.take(f"{scope}/bias", [cout])
        return k, b

    def conv2d(self, x, kernel_hw, cin, cout, pads):
        """TF conv2d (NHWC, HWIO kernel) as ONNX Conv (NCHW, OIHW), followed by ReLU."""
        k, b = self.conv_weights(kernel_hw, cin, cout)
        w = self.const("conv_w", k.transpose(3, 2, 0, 1))
        bias = self.const("conv_b", b)
        y = self.op("Conv", [x, w, bias], "conv", pads=pads)
        return self.op("Relu", [y])

    def conv_over_time(self, x, cin, cout):
        """musicnn's midend conv: kernel [7, C] over a [B, T, C, 1] map = a 1-D conv in time."""
        k, b = self.conv_weights([7, cin], 1, cout)
        w = self.const("conv_w", k[:, :, 0, :].transpose(2, 1, 0))  # [cout, cin, 7]
        bias = self.const("conv_b", b)
        y = self.op("Conv", [x, w, bias], "conv", pads=[3, 3])
        return self.op("Relu", [y])

    def dense(self, x, n_in, n_out):
        scope = self.layer("dense", self.dense_i)
        self.dense_i += 1
        k = self.w.take(f"{scope}/kernel", [n_in, n_out])
        b = self.w.take(f"{scope}/bias", [n_out])
        return self.op("Gemm", [x, self.const("dense_w", k), self.const("dense_b", b)], "dense")


def build_musicnn(tensors, labels, midend_filters, backend_units, model_name):
    w = Weights(tensors)
    g = Builder(w)
    # Input [B, T, F] -> NCHW [B, 1, T, F]; the input batch norm has one channel.
    x = g.op("Unsqueeze", ["mel", g.const("axes", np.array([1], np.int64))], "input")
    x = g.batch_norm(x, 1, [1, 1, 1, 1])

    def pool_freq(y):
        # Max over the whole frequency axis, then drop it: [B, C, T, W] -> [B, C, T].
        return g.op("ReduceMax", [y], "pool", axes=[3], keepdims=0)

    front = []
    # Timbral blocks: time padded 3+3 ('same' in time), frequency 'valid'.
    for width in (int(0.4 * N_MELS), int(0.7 * N_MELS)):
        y = g.conv2d(x, [7, width], 1, 204, pads=[3, 0, 3, 0])
        y = g.batch_norm(y, 204, [1, 204, 1, 1])
        front.append(pool_freq(y))
    # Temporal blocks: kernel [k, 1] with TF 'same' padding: (k-1)//2 before, the rest after.
    for k in (128, 64, 32):
        before = (k - 1) // 2
        y = g.conv2d(x, [k, 1], 1, 51, pads=[before, 0, k - 1 - before, 0])
        y = g.batch_norm(y, 51, [1, 51, 1, 1])
        front.append(pool_freq(y))
    front = g.op("Concat", front, "frontend", axis=1)  # [B, 561, T]
    n_front = 2 * 204 + 3 * 51

    # Mid-end: three 7-tap convs over time, the last two residual.
    c1 = g.batch_norm(g.conv_over_time(front, n_front, midend_filters), midend_filters,
                      [1, midend_filters, 1])
    c2 = g.batch_norm(g.conv_over_time(c1, midend_filters, midend_filters), midend_filters,
                      [1, midend_filters, 1])
    r2 = g.op("Add", [c2, c1], "res")
    c3 = g.batch_norm(g.conv_over_time(r2, midend_filters, midend_filters), midend_filters,
                      [1, midend_filters, 1])
    r3 = g.op("Add", [c3, r2], "res")
    mid = g.op("Concat", [front, c1, r2, r3], "midend", axis=1)  # [B, 753, T]
    n_mid = n_front + 3 * midend_filters

    # Back-end: max and mean over time, interleaved per channel as TF's flatten of [C, 2] does.
    mx = g.op("ReduceMax", [mid], "maxpool", axes=[2], keepdims=1)  # [B, C, 1]
    mean = g.op("ReduceMean", [mid], "meanpool", axes=[2], keepdims=1)
    pooled = g.op("Concat", [mx, mean], "pool", axis=2)  # [B, C, 2]
    flat = g.op("Reshape", [pooled, g.const("shape", np.array([0, 2 * n_mid], np.int64))],
                "flat")
    flat = g.batch_norm(flat, 2 * n_mid, [1, 2 * n_mid])
    dense = g.op("Relu", [g.dense(flat, 2 * n_mid, backend_units)])
    penultimate = g.batch_norm(dense, backend_units, [1, backend_units])
    logits = g.dense(penultimate, backend_units, len(labels))
    g.nodes.append(helper.make_node("Sigmoid", [logits], ["tags"]))
    g.nodes.append(helper.make_node("Identity", [penultimate], ["embedding"]))

    unused = w.unused_model_variables()
    if unused:
        raise ValueError(f"{model_name}: checkpoint variables not restored: {unused}")

    graph = helper.make_graph(
        g.nodes,
        model_name,
        [helper.make_tensor_value_info("mel", TensorProto.FLOAT, ["batch", N_FRAMES, N_MELS])],
        [
            helper.make_tensor_value_info("tags", TensorProto.FLOAT, ["batch", len(labels)]),
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT,
                                          ["batch", backend_units]),
        ],
        g.inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13)],
        producer_name="backbeat import_musicnn.py",
        doc_string=f"musicnn {model_name} (ISC licence, Jordi Pons), converted without TensorFlow",
    )
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model, len(w.used)


def labels_from(package_dir, key):
    # configuration.py is plain constants; read it without importing musicnn (which imports TF).
    scope = {}
    with open(os.path.join(package_dir, "configuration.py")) as f:
        exec(compile(f.read(), "configuration.py", "exec"), scope)
    return list(scope[key])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("package_dir", help="the installed musicnn package folder")
    ap.add_argument("out_dir")
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    manifest = {"source": "musicnn (PyPI)", "models": {}}
    for name in args.models.split(","):
        if name not in MODELS:
            sys.exit(f"unknown model {name}; known: {', '.join(MODELS)}")
        labels_key, midend, backend = MODELS[name]
        labels = labels_from(args.package_dir, labels_key)
        tensors = read_bundle(os.path.join(args.package_dir, name, ""))
        model, used = build_musicnn(tensors, labels, midend, backend, name)
        path = os.path.join(args.out_dir, f"{name}.onnx")
        tmp = path + ".tmp"
        onnx.save(model, tmp)
        os.replace(tmp, path)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        manifest["models"][name] = {
            "file": f"{name}.onnx",
            "sha256": digest,
            "labels": labels,
            "variables_restored": used,
            "input": {"name": "mel", "shape": ["batch", N_FRAMES, N_MELS]},
            "outputs": {"tags": len(labels), "embedding": backend},
        }
        print(f"{name}: {used} variables restored, all model variables used -> {path}",
              file=sys.stderr)
    with open(os.path.join(args.out_dir, "models.json"), "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    main()
