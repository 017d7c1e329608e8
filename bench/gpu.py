#!/usr/bin/env python3
"""nnc's training step on an NVIDIA GPU against PyTorch 2 eager and
torch.compile on the same GPU, with cuBLAS's TF32 GEMM rate on each model's
dominant product shape as the roofline.

  python3 bench/gpu.py BUNDLE [--reps 3] [--steps 50]

Runs on the GPU machine from a bundle that tests/gpu/prepare.py built on an
ordinary one (bundle/bench/<model>/step: bench/step.c linked against the
model's GPU build, which copies each batch up and returns the loss: one
synchronization per step). PyTorch keeps its batch on the GPU
(bench/torch_step.py --cuda). Prints a markdown table of medians over
--reps runs, with the GPU's name.
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

MODELS = ["mlp", "wide_gpu", "cnn", "resnet"]
# The largest product of each step, as (M, K, N): for the convolutional
# models, the im2col product of the layer with the most work.
DOMINANT = {"mlp": (128, 784, 512), "wide_gpu": (1024, 4096, 4096),
            "cnn": (128 * 14 * 14, 32 * 9, 64), "resnet": (128 * 28 * 28, 16 * 9, 16)}


def times(cmd, reps):
    out = []
    for _ in range(reps):
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)
        if proc.returncode != 0:
            return None, (proc.stderr.strip().splitlines() or ["exit %d" % proc.returncode])[-1]
        out.append(float(proc.stdout.split()[-1]))
    return statistics.median(out), ""


def cublas_tf32(m, k, n, reps=20):
    import torch
    torch.backends.cuda.matmul.allow_tf32 = True
    a = torch.randn(m, k, device="cuda")
    b = torch.randn(k, n, device="cuda")
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(reps):
        a @ b
    end.record()
    torch.cuda.synchronize()
    return 2.0 * m * k * n / (start.elapsed_time(end) / reps / 1e3) / 1e12


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    try:
        import torch
        gpu = torch.cuda.get_device_name(0)
    except Exception as e:  # no PyTorch or no GPU: nnc's column still runs
        torch, gpu = None, "unknown GPU (%s)" % e
    print("GPU: %s; medians of %d runs of %d steps" % (gpu, args.reps, args.steps))
    print("| model | nnc ms/step | PyTorch eager ms | torch.compile ms | nnc/eager | nnc/compile "
          "| cuBLAS TF32 TFLOP/s (dominant shape) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    torch_step = [sys.executable, os.path.join(HERE, "torch_step.py")]
    failed = False
    for model in args.models.split(","):
        nnc, nnc_err = times([os.path.join(args.bundle, "bench", model, "step"), str(args.steps), "10"],
                             args.reps)
        eager, _ = times(torch_step + [model, "1", str(args.steps), "10", "1", "--cuda"], args.reps)
        comp, _ = times(torch_step + [model, "1", str(args.steps), "10", "1", "--cuda", "--compile"], 1)
        rate = cublas_tf32(*DOMINANT[model]) if torch else None
        failed |= nnc is None

        def f(v, spec="%.3f"):
            return spec % v if v is not None else "-"

        def ratio(a, b):
            return "%.2f" % (a / b) if a is not None and b else "-"
        print("| %s | %s | %s | %s | %s | %s | %s |" % (model, f(nnc) if nnc is not None else nnc_err,
                                                        f(eager), f(comp), ratio(nnc, eager),
                                                        ratio(nnc, comp), f(rate, "%.1f")), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
