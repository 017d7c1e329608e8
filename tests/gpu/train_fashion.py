#!/usr/bin/env python3
"""On a GPU machine: trains a bundle's CPU and GPU builds of a Fashion-MNIST
model (tests/gpu/prepare.py) for one epoch each, from the same seed, on the
same batches, and checks that their test accuracies agree within 0.01.

  python3 tests/gpu/train_fashion.py BUNDLE MODEL [--epochs 1] [--tolerance 0.01]

Images are scaled to [0, 1]; batches are the model's batch size, shuffled
with a fixed seed; the last partial batch is dropped. Prints each build's
loss and accuracy and the time per step, and exits 1 if they disagree.
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "numerics"))

import nnclib  # noqa: E402


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    x = idx(os.path.join(data_dir, prefix + "-images-idx3-ubyte.gz")).astype(np.float32) / 255
    y = idx(os.path.join(data_dir, prefix + "-labels-idx1-ubyte.gz")).astype(np.int32)
    return x, y


def run(lib_dir, train, test, epochs, seed=0):
    lib = nnclib.Library(lib_dir)
    (xin,), (yin,) = lib.inputs, lib.labels
    batch = xin.shape[0]
    state = lib.create(seed)
    rng = np.random.RandomState(seed)
    steps, loss, start = 0, float("nan"), time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(len(train[0]))
        for b in range(len(order) // batch):
            i = order[b * batch:(b + 1) * batch]
            loss = state.train_step({xin.name: train[0][i].reshape(xin.shape),
                                     yin.name: train[1][i]})
            steps += 1
            if not np.isfinite(loss):
                raise SystemExit("%s: loss %r at step %d: %s" % (lib_dir, loss, steps, state.last_error()))
    step_ms = (time.perf_counter() - start) / steps * 1000
    correct = total = 0
    for b in range(len(test[0]) // batch):
        sl = slice(b * batch, (b + 1) * batch)
        _, outs = state.eval_step({xin.name: test[0][sl].reshape(xin.shape), yin.name: test[1][sl]})
        logits = next(iter(outs.values()))
        correct += int(np.sum(np.argmax(logits, axis=1) == test[1][sl]))
        total += batch
    state.destroy()
    return loss, correct / total, step_ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle")
    ap.add_argument("model")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--tolerance", type=float, default=0.01)
    args = ap.parse_args()
    data = os.path.join(args.bundle, "data")
    train, test = load(data, "train"), load(data, "test")
    acc = {}
    for kind in ("cpu", "gpu"):
        loss, acc[kind], ms = run(os.path.join(args.bundle, "fashion", args.model, kind), train, test,
                                  args.epochs)
        print("%s %s: %d epoch(s), last loss %.4f, test accuracy %.4f, %.3f ms/step"
              % (args.model, kind, args.epochs, loss, acc[kind], ms), flush=True)
    ok = abs(acc["cpu"] - acc["gpu"]) <= args.tolerance
    print("%s: accuracy %s (GPU %.4f, CPU %.4f, tolerance %.2f)"
          % (args.model, "agrees" if ok else "DIFFERS", acc["gpu"], acc["cpu"], args.tolerance))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
