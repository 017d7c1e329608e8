#!/usr/bin/env python3
"""nnc's training step against PyTorch's, side by side, on the same cores.

For each model in bench/models and each thread count, compiles the model
with nnc, then alternates timed runs of nnc's step and PyTorch's step (each
pinned with taskset to the same cores) and reports medians. Also measures
OpenBLAS sgemm on each model's dominant matrix-product shape as a roofline.
Writes the table to docs/performance.md unless --no-write.

Usage: bench/run.py [--nnc build/bin/nnc] [--reps 7] [--no-write]
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"  # Debian's python3-torch lives here.

# name: (batch, widths, steps per timed run, dominant GEMM shape M N K)
MODELS = {
    "mlp": (128, [784, 512, 256, 10], 50, (128, 512, 784)),
    "sigmoid20": (128, [256] * 21 + [10], 50, (128, 256, 256)),
    "narrow": (16, [32, 64, 64, 10], 1000, (16, 64, 64)),
}


def step_flops(batch, widths):
    """Matrix-product FLOPs of one step: forward, weight and input gradients
    (the first layer needs no input gradient)."""
    total = 0
    for i in range(len(widths) - 1):
        gemm = 2 * batch * widths[i] * widths[i + 1]
        total += gemm * (2 if i == 0 else 3)
    return total


def run(cmd, cores, env=None):
    full = ["taskset", "-c", cores] + cmd
    out = subprocess.run(full, check=True, capture_output=True, text=True,
                         env=env)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnc", default=os.path.join(ROOT, "build/bin/nnc"))
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="nnc-bench-")
    sgemm = os.path.join(work, "sgemm")
    subprocess.run(["cc", "-O2", os.path.join(ROOT, "bench/sgemm.c"), "-o",
                    sgemm, "-lopenblas"], check=True)
    rows = []
    for threads in [int(t) for t in args.threads.split(",")]:
        cores = "0" if threads == 1 else "0-%d" % (threads - 1)
        env = dict(os.environ, OMP_NUM_THREADS=str(threads),
                   OPENBLAS_NUM_THREADS=str(threads))
        for name, (batch, widths, steps, shape) in MODELS.items():
            out = os.path.join(work, "%s-%d" % (name, threads))
            subprocess.run([args.nnc, "compile",
                            os.path.join(ROOT, "bench/models", name + ".nn"),
                            "-o", out, "--threads", str(threads)], check=True)
            exe = os.path.join(out, "step")
            up = name.upper()
            subprocess.run(
                ["cc", "-O2", "-I" + out, "-DMODEL=" + name,
                 '-DMODEL_HEADER="%s.h"' % name, "-DX_SIZE=%s_X_SIZE" % up,
                 "-DY_SIZE=%s_Y_SIZE" % up, os.path.join(ROOT, "bench/step.c"),
                 os.path.join(out, "lib%s.a" % name), "-lm", "-o", exe]
                + (["-lomp"] if threads > 1 else []), check=True)
            nnc, torch = [], []
            for _ in range(args.reps):
                nnc.append(run([exe, str(steps)], cores, env))
                torch.append(run([PYTHON, os.path.join(ROOT, "bench/torch_step.py"),
                                  name, str(threads), str(steps)], cores, env))
            blas = run([sgemm] + [str(d) for d in shape] + ["50"], cores, env)
            flops = step_flops(batch, widths)
            n, t = statistics.median(nnc), statistics.median(torch)
            rows.append((name, threads, n, t, flops / n / 1e6, flops / t / 1e6,
                         n / t, blas))
            print("%-10s threads=%d nnc %.3f ms  torch %.3f ms  ratio %.2f  "
                  "nnc %.1f GFLOP/s  sgemm %.1f GFLOP/s" %
                  (name, threads, n, t, n / t, flops / n / 1e6, blas),
                  flush=True)

    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    table = ["| model | threads | nnc ms/step | PyTorch ms/step | nnc/PyTorch | "
             "nnc GFLOP/s | PyTorch GFLOP/s | OpenBLAS sgemm GFLOP/s (dominant shape) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, threads, n, t, ng, tg, ratio, blas in rows:
        table.append("| %s | %d | %.3f | %.3f | %.2f | %.1f | %.1f | %.1f |" %
                     (name, threads, n, t, ratio, ng, tg, blas))
    text = "\n".join(table)
    print(text)
    if args.no_write:
        return
    path = os.path.join(ROOT, "docs/performance.md")
    content = open(path).read() if os.path.exists(path) else ""
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    block = "%s\nMachine: %s, %d cores (%s). Medians of %d alternating runs.\n\n%s\n%s" % (
        begin, cpu, os.cpu_count(), platform.platform(), args.reps, text, end)
    if begin in content:
        content = content[:content.index(begin)] + block + content[content.index(end) + len(end):]
    else:
        content += "\n" + block + "\n"
    open(path, "w").write(content)


if __name__ == "__main__":
    sys.exit(main())
