#!/usr/bin/env python3
"""Every matrix-product kernel shape class, for every ISA the machine runs,
against a float64 reference.

One SGD step of `dense(x, N)` under an MSE loss exercises the forward
product (M x N x K), the weight gradient (N x K x M) and the bias gradient;
a second dense layer adds the input gradient (M x K x N). Shapes: square,
tall, skinny, a remainder in every dimension, a single row, sizes that
the register tiles and K blocks divide, and rows of 4 KiB (packed panels). Each is compiled for the host and
for x86-64-v3 (AVX2 tiles), and for znver4 (512-bit AVX-512 tiles) where
the host has AVX-512; the updated parameters must match numpy's float64
step to float32 rounding.

Run:  /usr/bin/python3 tests/numerics/test_kernel_shapes.py [--nnc PATH] [--gpu-emulated]
"""
import argparse
import platform
import sys

import numpy as np

import nnclib

# (name, M = batch, K = inputs, H = hidden, N = outputs)
SHAPES = [
    ("square", 64, 64, 64, 64),
    ("tall", 200, 16, 24, 8),
    ("skinny", 4, 300, 520, 12),
    ("remainders", 13, 29, 37, 11),
    ("one_row", 1, 20, 48, 5),
    ("blocked_k", 24, 600, 96, 32),
    # Rows of 4 KiB: the right operands of the weight gradient (x) and of
    # the input gradient (the second weight) are packed panel by panel.
    ("wide_rows", 40, 1024, 1024, 64),
]

SOURCE = """
model m {{
  input  x: f32[{M}, {K}]
  input  t: f32[{M}, {N}]
  h      = dense(x, {H}, name = "first")
  y      = dense(h, {N}, name = "second")
  loss   = mse(y, t)
  output y
}}
train {{ optimizer = sgd(lr = 0.1) }}
"""


def targets():
    """CPUs whose code this host runs."""
    result = ["native"]
    if platform.machine() in ("x86_64", "AMD64"):
        flags = ""
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = line
                break
        if " avx2" in flags:
            result.append("x86-64-v3")
        if " avx512f" in flags:
            result.append("znver4")
    return result


def reference(params, x, t, lr):
    """One float64 SGD step of the two dense layers under mean squared error."""
    w1, b1, w2, b2 = (params[k].astype(np.float64) for k in
                      ("first.weight", "first.bias", "second.weight", "second.bias"))
    x, t = x.astype(np.float64), t.astype(np.float64)
    h = x @ w1.T + b1
    y = h @ w2.T + b2
    dy = 2 * (y - t) / y.size
    dw2, db2 = dy.T @ h, dy.sum(0)
    dh = dy @ w2
    dw1, db1 = dh.T @ x, dh.sum(0)
    return {"first.weight": w1 - lr * dw1, "first.bias": b1 - lr * db1,
            "second.weight": w2 - lr * dw2, "second.bias": b2 - lr * db2}


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnc", default=None)
    parser.add_argument("--gpu-emulated", action="store_true",
                        help="the GPU build's kernels (thread-per-output and 4 x 4 "
                             "register tiles), emulated on the host, instead of the CPU's")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    failures = []
    configs = ([("gpu", ("--target=cuda", "--gpu-emulate-on-host"))] if args.gpu_emulated
               else [(cpu, ("--target-cpu", cpu)) for cpu in targets()])
    for cpu, flags in configs:
        for name, m, k, h, n in SHAPES:
            source = SOURCE.format(M=m, K=k, H=h, N=n)
            lib = nnclib.compile_model(source, nnc=args.nnc, name="m", flags=flags)
            state = nnclib.State(lib, 3)
            x = rng.standard_normal((m, k)).astype(np.float32)
            t = rng.standard_normal((m, n)).astype(np.float32)
            before = state.param_copies()
            state.train_step({"x": x, "t": t})
            after = state.param_copies()
            want = reference(before, x, t, 0.1)
            ok = True
            for key, value in want.items():
                scale = np.abs(value).max() + 1e-6
                err = np.abs(after[key] - value).max() / scale
                if err > 1e-5:
                    ok = False
                    print("%s %s: %s differs by %.3g (relative)" % (cpu, name, key, err))
            print("%-4s %-10s %-10s M=%d K=%d H=%d N=%d" %
                  ("ok" if ok else "FAIL", cpu, name, m, k, h, n))
            if not ok:
                failures.append((cpu, name))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
