#!/usr/bin/env python3
"""On a GPU machine: trains the GPU build and the CPU build of every case in
a bundle (tests/gpu/prepare.py) for STEPS steps from the same initial
parameters and data, and compares losses, parameters and eval outputs.

  python3 tests/gpu/compare.py BUNDLE [--steps 5] [-k SUBSTRING]

The GPU kernels compute in plain float32 with FMA (no TF32 yet), in another
order than the CPU's vectorized kernels, so the builds agree to rounding:
relative 1e-4 (absolute 1e-6) on float32 parameters after 5 steps, the
tolerance tests/numerics/test_pytorch.py allows against PyTorch for 3
steps, and 1e-10 for float64 cases. Exits 1 if any case differs or fails.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "numerics"))

import nnclib  # noqa: E402
import test_pytorch  # noqa: E402

RTOL = {np.float32: 1e-4, np.float64: 1e-10}
ATOL = {np.float32: 1e-6, np.float64: 1e-12}


def case_data(case):
    return case.data() if hasattr(case, "data") else test_pytorch.make_data(case)


def close(a, b):
    dtype = np.float64 if a.dtype == np.float64 else np.float32
    return np.allclose(a, b, rtol=RTOL[dtype], atol=ATOL[dtype])


def compare(case, bundle, steps):
    """Returns a list of problems (empty if the builds agree)."""
    libs = [nnclib.Library(os.path.join(bundle, "cases", case.name, kind)) for kind in ("cpu", "gpu")]
    states = [lib.create(test_pytorch.SEED) for lib in libs]
    data = case_data(case)
    problems = []
    p0 = [s.param_copies() for s in states]
    for k in p0[0]:
        if not np.array_equal(p0[0][k], p0[1][k]):
            problems.append("initial %s differs" % k)
    losses = [[s.train_step(data) for _ in range(steps)] for s in states]
    loss_dtype = np.float64 if libs[0].loss_ctype == "double" else np.float32
    if not close(np.array(losses[0], loss_dtype), np.array(losses[1], loss_dtype)):
        problems.append("losses: CPU %s, GPU %s" % (losses[0], losses[1]))
    params = [s.param_copies() for s in states]
    for k in params[0]:
        a, b = params[0][k], params[1][k]
        if not close(b, a):
            i = np.unravel_index(np.argmax(np.abs(a - b)), a.shape)
            problems.append("%s after %d steps: max |diff| %.3g at %s (CPU %.8g, GPU %.8g)"
                            % (k, steps, np.abs(a - b)[i], i, a[i], b[i]))
    outs = [s.eval_step(data)[1] for s in states]
    for k in outs[0]:
        if not close(outs[1][k], outs[0][k]):
            problems.append("eval output %s: max |diff| %.3g" % (k, np.max(np.abs(outs[0][k] - outs[1][k]))))
    for s in states:
        s.destroy()
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("-k", default="")
    ap.add_argument("--present", action="store_true", help="only the cases the bundle has")
    args = ap.parse_args()
    cases = test_pytorch.CASES + test_pytorch.F64_CASES + test_pytorch.ARCH_CASES
    failed = 0
    for case in cases:
        if args.k not in case.name:
            continue
        if args.present and not os.path.isdir(os.path.join(args.bundle, "cases", case.name)):
            continue
        if not os.path.isdir(os.path.join(args.bundle, "cases", case.name)):
            print("MISSING %s (not in the bundle)" % case.name)
            failed += 1
            continue
        try:
            problems = compare(case, args.bundle, args.steps)
        except Exception as e:  # a library that fails to load or run
            problems = ["error: %s" % nnclib.first_error_line(e)]
        print("%-6s %s%s" % ("FAIL" if problems else "ok", case.name,
                             "".join("\n         " + p for p in problems[:3])), flush=True)
        failed += bool(problems)
    print("compare: %d cases differ or fail" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
