"""Prediction versus measurement for the gradient-flow analysis.

For each model of the suite, `nnc analyze --format=json` predicts the RMS of
every parameter's gradient at initialization; the model compiled with
--instrument=grad-stats measures it, running the training step (learning
rate 0, so the parameters stay at their initial values) on standardized
random inputs and random labels, over several batches and seeds. Every
weight of a layer whose width is 64 or more must be predicted within a
factor of 2 of the measurement (RMS over all batches and seeds).

Prints one line per model (worst ratio, layers compared) and exits nonzero
if any layer is off; the table of docs/gradient-flow.md comes from
`--markdown`.
"""

import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "numerics"))
import nnclib  # noqa: E402

BATCH = 128
WIDTH = 128


def mlp(name, act, init, depth, bias_init="torch", width=WIDTH):
    return """model %s {
  input x: f32[%d, %d]
  label y: i32[%d]
  h = x
  repeat %d as stack {
    h = %s(dense(h, %d, init = %s, bias_init = %s))
  }
  loss = cross_entropy(dense(h, 10, name = "head"), y)
}
""" % (name, BATCH, width, BATCH, depth, act, width, init, bias_init)


def stack(name, body, depth, width=WIDTH):
    """`depth` layers of `body`, an expression of `h`."""
    return """model %s {
  input x: f32[%d, %d]
  label y: i32[%d]
  h = x
  repeat %d as stack {
    h = %s
  }
  loss = cross_entropy(dense(h, 10, name = "head"), y)
}
""" % (name, BATCH, width, BATCH, depth, body)


def cnn(name, body, depth, channels=64, size=8):
    """`depth` convolutions of `body` on [BATCH, channels, size, size]."""
    return """model %s {
  input x: f32[%d, %d, %d, %d]
  label y: i32[%d]
  h = x
  repeat %d as stack {
    h = %s
  }
  loss = cross_entropy(dense(flatten(h), 10, name = "head"), y)
}
""" % (name, BATCH, channels, size, size, BATCH, depth, body)


def residual(name, body, depth, width=WIDTH):
    return """block res(h) {
  return h + %s
}
model %s {
  input x: f32[%d, %d]
  label y: i32[%d]
  h = x
  repeat %d as stack {
    h = res(h)
  }
  loss = cross_entropy(dense(h, 10, name = "head"), y)
}
""" % (body, name, BATCH, width, BATCH, depth)


# name -> (model source, what it shows)
SUITE = {
    "sigmoid_torch": (mlp("sigmoid_torch", "sigmoid", "torch", 8),
                      "sigmoid, PyTorch's default init"),
    "sigmoid_glorot": (mlp("sigmoid_glorot", "sigmoid", "glorot", 8),
                       "sigmoid, Glorot uniform"),
    "tanh_glorot": (mlp("tanh_glorot", "tanh", "glorot", 10),
                    "tanh, Glorot uniform"),
    "tanh_normal": (mlp("tanh_normal", "tanh", "normal(0.1)", 10),
                    "tanh, N(0, 0.1): the chaotic side"),
    "tanh_small": (mlp("tanh_small", "tanh", "normal(0.03)", 6),
                   "tanh, N(0, 0.03): too small"),
    "relu_he": (mlp("relu_he", "relu", "he", 12, "zeros"), "relu, He"),
    "relu_glorot": (mlp("relu_glorot", "relu", "glorot", 12, "zeros"),
                    "relu, Glorot uniform"),
    "relu_small": (mlp("relu_small", "relu", "normal(0.01)", 6),
                   "relu, N(0, 0.01): too small"),
    "leaky_relu_he": (mlp("leaky_relu_he", "leaky_relu", "he", 10, "zeros"),
                      "leaky relu, He"),
    "silu_he": (mlp("silu_he", "silu", "he", 10, "zeros"), "silu, He"),
    "gelu_he": (mlp("gelu_he", "gelu", "he", 10, "zeros"), "gelu, He"),
    "elu_he": (mlp("elu_he", "elu", "he", 8, "zeros"), "elu, He"),
    "softplus_glorot": (mlp("softplus_glorot", "softplus", "glorot", 8),
                        "softplus, Glorot uniform"),
    "residual_sigmoid": (residual("residual_sigmoid",
                                  "sigmoid(dense(h, %d))" % WIDTH, 8),
                         "residual sigmoid blocks"),
    "batchnorm_relu_he": (stack("batchnorm_relu_he",
                                "relu(batch_norm(dense(h, %d, init = he, "
                                "bias = false)))" % WIDTH, 10),
                          "relu after batch norm, He"),
    "batchnorm_sigmoid": (stack("batchnorm_sigmoid",
                                "sigmoid(batch_norm(dense(h, %d)))" % WIDTH, 8),
                          "sigmoid after batch norm"),
    "layernorm_tanh": (stack("layernorm_tanh",
                             "tanh(layer_norm(dense(h, %d)))" % WIDTH, 8),
                       "tanh after layer norm"),
    "dropout_relu_he": (stack("dropout_relu_he",
                              "dropout(relu(dense(h, %d, init = he, "
                              "bias_init = zeros)), p = 0.2)" % WIDTH, 8),
                        "relu with dropout 0.2, He"),
    "cnn_relu_he": (cnn("cnn_relu_he",
                        "relu(conv2d(h, 64, kernel = 3, padding = same, "
                        "init = he, bias_init = zeros))", 4),
                    "3x3 convolutions, 64 channels, relu, He"),
    "cnn_batchnorm": (cnn("cnn_batchnorm",
                          "relu(batch_norm(conv2d(h, 64, kernel = 3, "
                          "padding = same, bias = false)))", 4),
                      "3x3 convolutions with batch norm"),
    "residual_relu": (residual("residual_relu",
                               "dense(relu(dense(h, %d, init = he)), %d, "
                               "init = normal(0.02))" % (WIDTH, WIDTH), 8),
                      "residual relu blocks (two layers each)"),
}


def predict(nnc, source, workdir, name):
    path = os.path.join(workdir, name + ".nn")
    with open(path, "w") as f:
        f.write(source)
    proc = subprocess.run([nnc, "analyze", path, "--format=json",
                           "-Wno-gradient-flow"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    if proc.returncode != 0:
        raise nnclib.NNCError("nnc analyze failed:\n" + proc.stderr)
    return {p["name"]: p for p in json.loads(proc.stdout)["params"]}


def measure(nnc, source, seeds, batches):
    lib = nnclib.compile_model(source, nnc=nnc, flags=[
        "--instrument=grad-stats", "-Wno-gradient-flow"])
    x = lib.inputs[0]
    total = None
    count = 0
    for seed in range(seeds):
        st = lib.create(seed)
        st.set_learning_rate(0.0)
        rng = np.random.default_rng(1000 + seed)
        for _ in range(batches):
            st.train_step(
                x=rng.standard_normal(x.shape).astype(np.float32),
                y=rng.integers(0, 10, BATCH).astype(np.int32))
            sq = {k: v * v for k, v in st.grad_rms().items()}
            total = sq if total is None else {k: total[k] + sq[k] for k in total}
            count += 1
        st.destroy()
    return {k: math.sqrt(v / count) for k, v in total.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", default=None)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--tolerance", type=float, default=2.0)
    ap.add_argument("--markdown", action="store_true",
                    help="print the accuracy table of docs/gradient-flow.md")
    ap.add_argument("models", nargs="*", help="a subset of the suite")
    args = ap.parse_args()
    nnc = nnclib.find_nnc(args.nnc)
    import tempfile
    workdir = tempfile.mkdtemp(prefix="nnc-flow-")
    failures = []
    rows = []
    for name in args.models or SUITE:
        source, what = SUITE[name]
        predicted = predict(nnc, source, workdir, name)
        measured = measure(nnc, source, args.seeds, args.batches)
        ratios = []
        for pname, p in predicted.items():
            if len(p["shape"]) < 2 or min(p["shape"][:2]) < 64:
                continue
            m = measured[pname]
            r = p["predicted_grad_rms"] / m if m > 0 else float("inf")
            ratios.append(r)
            if not (1 / args.tolerance <= r <= args.tolerance):
                failures.append("%s: %s predicted %.3g, measured %.3g (x%.2f)"
                                % (name, pname, p["predicted_grad_rms"], m, r))
        first = [k for k, p in predicted.items() if len(p["shape"]) >= 2][0]
        span = measured[first] / measured["head.weight"]
        pspan = predicted[first]["predicted_grad_rms"] / \
            predicted["head.weight"]["predicted_grad_rms"]
        rows.append((name, what, len(ratios), min(ratios), max(ratios),
                     pspan, span))
        print("%-18s %2d layers  predicted/measured %.2f .. %.2f  "
              "first/head predicted %.2g measured %.2g"
              % (name, len(ratios), min(ratios), max(ratios), pspan, span))
        sys.stdout.flush()
    if args.markdown:
        print("\n| model | what | layers | predicted/measured (min .. max) "
              "| first/head predicted | first/head measured |")
        print("|---|---|---|---|---|---|")
        for name, what, n, lo, hi, pspan, span in rows:
            print("| `%s` | %s | %d | %.2f .. %.2f | %.2g | %.2g |"
                  % (name, what, n, lo, hi, pspan, span))
    for f in failures:
        print("FAIL " + f)
    print("%d passed, %d failed" % (len(rows) - len({f.split(":")[0] for f in failures}),
                                    len({f.split(":")[0] for f in failures})))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
