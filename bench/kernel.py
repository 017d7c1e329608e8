#!/usr/bin/env python3
"""nnc's matrix-product kernel alone against OpenBLAS sgemm at 2048^3.

Compiles bench/kernel/gemm2048.nn (one dense layer without bias: its eval
step is one 2048^3 product, the packing of the [out, in] weight and a mean
squared error over the output, about 3% of the time) and times the eval
step against OpenBLAS sgemm at the same size, alternating, pinned to the
same cores, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for sgemm.
Prints GFLOP/s of both and their ratio.

Usage: bench/kernel.py [--nnc build/bin/nnc] [--reps 5] [--threads 1]
                       [--target-cpu CPU] [--openblas-coretype NAME]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOPS = 2.0 * 2048 ** 3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnc", default=os.path.join(ROOT, "build/bin/nnc"))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--target-cpu", default=None)
    parser.add_argument("--openblas-coretype", default=None)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="nnc-kernel-")
    lib = os.path.join(work, "lib")
    subprocess.run([args.nnc, "compile", os.path.join(ROOT, "bench/kernel/gemm2048.nn"),
                    "-o", lib, "--threads", str(args.threads)]
                   + (["--target-cpu", args.target_cpu] if args.target_cpu else []),
                   check=True, stderr=subprocess.DEVNULL)
    evaluate = os.path.join(work, "eval")
    subprocess.run(["cc", "-O2", "-I" + lib, os.path.join(ROOT, "bench/kernel/eval.c"),
                    os.path.join(lib, "libgemm2048.a"), "-lm", "-o", evaluate]
                   + (["-lomp"] if args.threads > 1 else []), check=True)
    sgemm = os.path.join(work, "sgemm")
    subprocess.run(["cc", "-O2", os.path.join(ROOT, "bench/sgemm.c"), "-o", sgemm,
                    "-lopenblas"], check=True)
    cores = "0" if args.threads == 1 else "0-%d" % (args.threads - 1)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               OPENBLAS_NUM_THREADS=str(args.threads))
    blas_env = {k: v for k, v in env.items()
                if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    if args.openblas_coretype:
        blas_env["OPENBLAS_CORETYPE"] = args.openblas_coretype
    nnc, blas, core = [], [], "?"
    for _ in range(args.reps):
        out = subprocess.run(["taskset", "-c", cores, evaluate, "3"], check=True,
                             capture_output=True, text=True, env=env)
        nnc.append(FLOPS / (float(out.stdout.split()[-1]) / 1000) / 1e9)
        out = subprocess.run(["taskset", "-c", cores, sgemm, "2048", "2048", "2048", "3"],
                             check=True, capture_output=True, text=True, env=blas_env)
        blas.append(float(out.stdout.split()[-1]))
        core = out.stderr.strip().split(":")[-1].strip()
    n, b = statistics.median(nnc), statistics.median(blas)
    print("2048^3, %d thread(s)%s: nnc %.1f GFLOP/s, OpenBLAS sgemm %.1f GFLOP/s "
          "(kernel %s): %.0f%%" % (args.threads,
                                   ", --target-cpu " + args.target_cpu if args.target_cpu else "",
                                   n, b, core, 100 * n / b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
