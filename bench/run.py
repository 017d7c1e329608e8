#!/usr/bin/env python3
"""nnc's training step against its peers', side by side, on the same cores.

For each model in bench/models and each thread count, compiles the model
with nnc, then alternates timed runs of nnc's step and PyTorch 1.13's step
(Debian's python3-torch), each pinned with taskset to the same cores, and
reports medians. With bench/.venv (bench/setup.sh), JAX (the whole step
under jax.jit) and PyTorch 2 (the whole step under torch.compile) run on
the same cores too: once per model and thread count, timing as many batches
as the others have runs, after a warm-up that includes their compilation
(which takes 5-30 s, too long to repeat per run). Also measures OpenBLAS
sgemm on each model's dominant matrix-product shape and at 2048^3 as the
roofline, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that
command alone, and prints the kernel OpenBLAS chose.
Writes the tables to docs/performance.md unless --no-write: the MLPs and
the convolutional models each have a table, rewritten when all of its
models ran.

With --baseline OTHER_NNC (say, the nnc of an earlier commit, built in a
git worktree), every model is also compiled by that compiler and its step
joins the alternation: the before/after comparison on the same machine in
the same run. The comparison is printed and written to
docs/performance.md's "baseline" block, with each side's compile time.

Usage: bench/run.py [--nnc build/bin/nnc] [--reps 7] [--models cnn,resnet]
                    [--threads 1,2] [--baseline OTHER_NNC] [--no-write]
                    [--no-peers] [--target-cpu x86-64-v3 --openblas-coretype Haswell]
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"  # Debian's python3-torch lives here.
VENV_PYTHON = os.path.join(ROOT, "bench/.venv/bin/python")  # bench/setup.sh

def step_flops(batch, widths):
    """Matrix-product FLOPs of one step: forward, weight and input gradients
    (the first layer needs no input gradient)."""
    total = 0
    for i in range(len(widths) - 1):
        gemm = 2 * batch * widths[i] * widths[i + 1]
        total += gemm * (2 if i == 0 else 3)
    return total


def conv_flops(batch, cin, cout, k, oh, ow, first=False):
    """A convolution's product FLOPs in one step, as step_flops counts."""
    return 2 * batch * oh * ow * cout * cin * k * k * (2 if first else 3)


def cnn_flops():
    b = 128
    return (conv_flops(b, 1, 32, 3, 28, 28, first=True) + conv_flops(b, 32, 64, 3, 14, 14)
            + 3 * 2 * b * (64 * 7 * 7 * 128 + 128 * 10))


def resnet_flops():
    b = 128
    total = conv_flops(b, 1, 16, 3, 28, 28, first=True)
    total += 6 * conv_flops(b, 16, 16, 3, 28, 28) + conv_flops(b, 16, 32, 3, 14, 14)
    total += 6 * conv_flops(b, 32, 32, 3, 14, 14) + conv_flops(b, 32, 64, 3, 7, 7)
    total += 4 * conv_flops(b, 64, 64, 3, 7, 7)
    return total + 3 * 2 * b * 64 * 10


# name: (table, step FLOPs, steps per timed run, warm-up steps, dominant
# GEMM shape M N K)
MODELS = {
    "mlp": ("bench", step_flops(128, [784, 512, 256, 10]), 50, 20, (128, 512, 784)),
    "mlp_sgd": ("bench", step_flops(128, [784, 512, 256, 10]), 50, 20, (128, 512, 784)),
    "wide": ("bench", step_flops(256, [1024, 2048, 2048, 1024, 10]), 5, 2, (256, 2048, 2048)),
    "sigmoid20": ("bench", step_flops(128, [256] * 21 + [10]), 50, 20, (128, 256, 256)),
    "narrow": ("bench", step_flops(16, [32, 64, 64, 10]), 1000, 20, (16, 64, 64)),
    # Convolutions as im2col products: [out, c kh kw] x [c kh kw, n oh ow].
    "cnn": ("bench-conv", cnn_flops(), 5, 2, (64, 25088, 288)),
    "resnet": ("bench-conv", resnet_flops(), 1, 1, (32, 25088, 288)),
}


def run(cmd, cores, env=None):
    full = ["taskset", "-c", cores] + cmd
    out = subprocess.run(full, check=True, capture_output=True, text=True,
                         env=env)
    return float(out.stdout.strip().splitlines()[-1])


def run_batches(cmd, cores, env=None):
    """Runs a peer that prints one ms/step line per timed batch; returns the
    median, or None if the peer failed (its error is printed)."""
    full = ["taskset", "-c", cores] + cmd
    out = subprocess.run(full, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        print("peer failed: %s\n%s" % (" ".join(cmd), out.stderr[-2000:]),
              file=sys.stderr)
        return None
    return statistics.median(float(l) for l in out.stdout.split())


OPENBLAS_CORE = None  # --openblas-coretype


def sgemm_env(env):
    """`env` without the OpenBLAS core and cache overrides that some machines
    set (older OpenBLAS builds needed them): the benchmark's own command
    only. With --openblas-coretype, that kernel instead."""
    env = {k: v for k, v in env.items()
           if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    if OPENBLAS_CORE:
        env["OPENBLAS_CORETYPE"] = OPENBLAS_CORE
    return env


def sgemm_run(sgemm, shape, cores, env):
    """OpenBLAS sgemm GFLOP/s at `shape` and the kernel it ran."""
    out = subprocess.run(["taskset", "-c", cores, sgemm] + [str(d) for d in shape]
                         + ["20"], check=True, capture_output=True, text=True,
                         env=sgemm_env(env))
    core = out.stderr.strip().split(":")[-1].strip()
    return float(out.stdout.strip()), core


def isa():
    """The widest x86 vector extension the CPU has, from /proc/cpuinfo."""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = line.split(":", 1)[1].split()
                if "avx512f" in flags:
                    return "AVX-512"
                if "avx2" in flags:
                    return "AVX2"
                return "SSE"
    except OSError:
        pass
    return platform.machine()


def build(nnc, name, threads, out, target_cpu=None, model=None, flags=(),
          harness="bench/step.c", cc="cc"):
    """Compiles bench model `name` (or the model file `model`, of that name)
    with `nnc` and `flags` into `out` and links `harness` against it with
    `cc`; returns the executable and the compile time in seconds."""
    start = time.monotonic()
    subprocess.run([nnc, "compile",
                    model or os.path.join(ROOT, "bench/models", name + ".nn"),
                    "-o", out, "--threads", str(threads)] + list(flags)
                   + (["--target-cpu", target_cpu] if target_cpu else []),
                   check=True, stderr=subprocess.DEVNULL)
    compile_s = time.monotonic() - start
    exe = os.path.join(out, os.path.splitext(os.path.basename(harness))[0])
    up = name.upper()
    subprocess.run(
        [cc, "-O2", "-I" + out, "-DMODEL=" + name,
         '-DMODEL_HEADER="%s.h"' % name, "-DX_SIZE=%s_X_SIZE" % up,
         "-DY_SIZE=%s_Y_SIZE" % up, os.path.join(ROOT, harness),
         os.path.join(out, "lib%s.a" % name), "-lm", "-o", exe]
        + (["-lomp"] if threads > 1 else []), check=True)
    return exe, compile_s


def fmt(v, spec="%.3f"):
    return spec % v if v is not None else "—"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnc", default=os.path.join(ROOT, "build/bin/nnc"))
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--baseline", default=None,
                        help="another nnc to compare with, run alternately")
    parser.add_argument("--no-peers", action="store_true",
                        help="skip JAX and torch.compile even with bench/.venv")
    parser.add_argument("--target-cpu", default=None,
                        help="nnc compile --target-cpu (default: the host)")
    parser.add_argument("--openblas-coretype", default=None,
                        help="run the sgemm roofline with this OpenBLAS kernel "
                             "(e.g. Haswell, to compare AVX2 code)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    global OPENBLAS_CORE
    OPENBLAS_CORE = args.openblas_coretype
    if args.target_cpu and not args.no_write:
        args.no_write = True  # the tables are the host's

    peers = not args.no_peers and os.path.exists(VENV_PYTHON)
    if not peers and not args.no_peers:
        print("bench/.venv missing (run bench/setup.sh): JAX and torch.compile "
              "are skipped", file=sys.stderr)
    work = tempfile.mkdtemp(prefix="nnc-bench-")
    sgemm = os.path.join(work, "sgemm")
    subprocess.run(["cc", "-O2", os.path.join(ROOT, "bench/sgemm.c"), "-o",
                    sgemm, "-lopenblas"], check=True)
    rows = []
    baseline_rows = []
    rooflines = []
    for threads in [int(t) for t in args.threads.split(",")]:
        cores = "0" if threads == 1 else "0-%d" % (threads - 1)
        env = dict(os.environ, OMP_NUM_THREADS=str(threads),
                   OPENBLAS_NUM_THREADS=str(threads))
        big, core = sgemm_run(sgemm, (2048, 2048, 2048), cores, env)
        rooflines.append((threads, big, core))
        print("threads=%d OpenBLAS sgemm 2048^3: %.1f GFLOP/s (kernel %s)" %
              (threads, big, core), flush=True)
        for name in args.models.split(","):
            table, flops, steps, warmup, shape = MODELS[name]
            exe, compile_s = build(args.nnc, name, threads,
                                   os.path.join(work, "%s-%d" % (name, threads)),
                                   args.target_cpu)
            if args.baseline:
                base_exe, base_compile_s = build(
                    args.baseline, name, threads,
                    os.path.join(work, "%s-%d-baseline" % (name, threads)))
            nnc, torch, base = [], [], []
            jax_ms = compiled_ms = None
            for rep in range(args.reps):
                nnc.append(run([exe, str(steps), str(warmup)], cores, env))
                if args.baseline:
                    base.append(run([base_exe, str(steps), str(warmup)], cores, env))
                torch.append(run([PYTHON, os.path.join(ROOT, "bench/torch_step.py"),
                                  name, str(threads), str(steps), str(warmup)], cores, env))
                if peers and rep == args.reps // 2:
                    # Midway through the alternation, so that they share its
                    # conditions.
                    jax_ms = run_batches(
                        [VENV_PYTHON, os.path.join(ROOT, "bench/jax_step.py"), name,
                         str(threads), str(steps), str(warmup), str(args.reps)],
                        cores, env)
                    compiled_ms = run_batches(
                        [VENV_PYTHON, os.path.join(ROOT, "bench/torch_step.py"), name,
                         str(threads), str(steps), str(warmup), str(args.reps),
                         "--compile"], cores, env)
            if args.baseline:
                b = statistics.median(base)
                n = statistics.median(nnc)
                baseline_rows.append((name, threads, b, n, n / b, base_compile_s,
                                      compile_s))
                print("%-10s threads=%d baseline %.3f ms  nnc %.3f ms  ratio %.2f  "
                      "compile %.2f s -> %.2f s" %
                      (name, threads, b, n, n / b, base_compile_s, compile_s),
                      flush=True)
            blas, _ = sgemm_run(sgemm, shape, cores, env)
            n, t = statistics.median(nnc), statistics.median(torch)
            fastest = min([v for v in (jax_ms, compiled_ms) if v is not None],
                          default=None)
            rows.append(dict(table=table, name=name, threads=threads, nnc=n,
                             torch=t, compiled=compiled_ms, jax=jax_ms,
                             vs_torch=n / t,
                             vs_fastest=n / fastest if fastest else None,
                             gflops=flops / n / 1e6, blas=blas))
            print("%-10s threads=%d nnc %.3f ms  torch1.13 %.3f ms (%.2f)  "
                  "torch.compile %s ms  jax %s ms  nnc/fastest compiled %s  "
                  "nnc %.1f GFLOP/s  sgemm %.1f GFLOP/s (%.0f%%)" %
                  (name, threads, n, t, n / t, fmt(compiled_ms), fmt(jax_ms),
                   fmt(n / fastest if fastest else None, "%.2f"),
                   flops / n / 1e6, blas, 100 * flops / n / 1e6 / blas),
                  flush=True)

    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    path = os.path.join(ROOT, "docs/performance.md")
    content = open(path).read() if os.path.exists(path) else ""
    ran = set(args.models.split(","))
    roof = "; ".join("%d thread%s %.1f GFLOP/s" % (t, "" if t == 1 else "s", g)
                     for t, g, _ in rooflines)
    kernel = rooflines[0][2] if rooflines else "?"
    for block_name in ("bench", "bench-conv"):
        members = {m for m, spec in MODELS.items() if spec[0] == block_name}
        table = ["| model | threads | nnc ms/step | PyTorch 1.13 ms | torch.compile ms | "
                 "JAX jit ms | nnc/PyTorch 1.13 | nnc/fastest compiled | nnc GFLOP/s | "
                 "OpenBLAS sgemm GFLOP/s (dominant shape) | nnc/sgemm |",
                 "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in rows:
            if r["table"] == block_name:
                table.append("| %s | %d | %.3f | %.3f | %s | %s | %.2f | %s | %.1f | %.1f | %.2f |" %
                             (r["name"], r["threads"], r["nnc"], r["torch"],
                              fmt(r["compiled"]), fmt(r["jax"]), r["vs_torch"],
                              fmt(r["vs_fastest"], "%.2f"), r["gflops"], r["blas"],
                              r["gflops"] / r["blas"]))
        text = "\n".join(table)
        if not members & ran:
            continue
        print(text)
        if args.no_write or not members <= ran:
            continue
        begin, end = "<!-- %s:begin -->" % block_name, "<!-- %s:end -->" % block_name
        block = ("%s\nMachine: %s (%s), %d cores (%s). %s, %s. Medians of %d "
                 "alternating runs (JAX and torch.compile: medians of %d batches, "
                 "one process each). OpenBLAS sgemm at 2048^3: %s (kernel %s).\n\n%s\n%s") % (
            begin, cpu, isa(), os.cpu_count(), platform.platform(),
            time.strftime("%Y-%m-%d"), "`python3 bench/run.py --reps %d --threads %s`"
            % (args.reps, args.threads), args.reps, args.reps, roof, kernel, text, end)
        if begin in content:
            content = content[:content.index(begin)] + block + content[content.index(end) + len(end):]
        else:
            content += "\n" + block + "\n"
    if baseline_rows:
        table = ["| model | threads | baseline ms/step | nnc ms/step | nnc/baseline | "
                 "baseline compile s | nnc compile s |",
                 "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, threads, b, n, ratio, bc, nc in baseline_rows:
            table.append("| %s | %d | %.3f | %.3f | %.2f | %.2f | %.2f |" %
                         (name, threads, b, n, ratio, bc, nc))
        text = "\n".join(table)
        print(text)
        begin, end = "<!-- baseline:begin -->", "<!-- baseline:end -->"
        block = "%s\nMachine: %s, %d cores. Medians of %d alternating runs; baseline: `%s`.\n\n%s\n%s" % (
            begin, cpu, os.cpu_count(), args.reps, args.baseline, text, end)
        if begin in content:
            content = content[:content.index(begin)] + block + content[content.index(end) + len(end):]
        else:
            content += "\n" + block + "\n"
    if not args.no_write:
        open(path, "w").write(content)


if __name__ == "__main__":
    sys.exit(main())
