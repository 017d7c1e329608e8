#!/usr/bin/env python3
"""Builds what tests/gpu/run.sh needs on a GPU machine, which has no MLIR and
so cannot run nnc: every library and program, compiled here.

  python3 tests/gpu/prepare.py [--nnc build/bin/nnc] [--out build/gpu-bundle]
                               [--gpu-arch sm_90]

The bundle (a few tens of MiB, the Fashion-MNIST files included):
  cases/<name>/{cpu,gpu}/  each whole-model case of tests/numerics/test_pytorch.py,
                           as a CPU build (x86-64-v3, for any x86 host) and a
                           GPU build; compare.py trains both and compares.
  fashion/<model>/{cpu,gpu}/  the MLP and the CNN of bench/models, for
                           train_fashion.py (one epoch on Fashion-MNIST).
  bench/<model>/           GPU builds of bench/gpu.py's models and their
                           timing program (bench/step.c).
  data/                    Fashion-MNIST.
  nnc-runtime-tests        the runtime's unit tests (GPU.* runs on the device).
Only the shared libraries and headers are kept (not the static archives).
With --emulate the "gpu" builds run their kernels on the host
(--gpu-emulate-on-host), so that the scripts can be tried without a GPU.
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "numerics"))

import test_pytorch  # noqa: E402  (the cases; torch is optional there)

CPU_FLAGS = ["--target-cpu=x86-64-v3"]
BENCH_MODELS = ["mlp", "wide_gpu", "cnn", "resnet"]
FASHION_MODELS = ["mlp", "cnn"]
DATA = "/usr/share/datasets/fashion-mnist"


def whole_model_cases():
    """Every whole-model case of test_pytorch.py: (name, model source)."""
    cases = test_pytorch.CASES + test_pytorch.F64_CASES + test_pytorch.ARCH_CASES
    return [(c.name, c.source()) for c in cases]


def compile_lib(nnc, source_path, out, flags):
    os.makedirs(out, exist_ok=True)
    proc = subprocess.run([nnc, "compile", source_path, "-o", out] + flags,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    if proc.returncode != 0:
        raise SystemExit("nnc compile %s %s failed:\n%s" % (source_path, " ".join(flags), proc.stdout))
    for f in os.listdir(out):
        if f.endswith(".a"):
            os.remove(os.path.join(out, f))


def build_pair(nnc, source, name, out, gpu_flags):
    os.makedirs(out, exist_ok=True)
    src = os.path.join(out, name + ".nn")
    with open(src, "w") as f:
        f.write(source)
    compile_lib(nnc, src, os.path.join(out, "cpu"), CPU_FLAGS)
    compile_lib(nnc, src, os.path.join(out, "gpu"), gpu_flags)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nnc", default=os.path.join(ROOT, "build", "bin", "nnc"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "gpu-bundle"))
    ap.add_argument("--gpu-arch", default="sm_90")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--cases", default="",
                    help="comma-separated case names (default: all)")
    ap.add_argument("--only-cases", action="store_true",
                    help="build the cases alone (no Fashion-MNIST models, benchmarks or data)")
    ap.add_argument("--emulate", action="store_true",
                    help="build the 'gpu' libraries with --gpu-emulate-on-host, to try "
                         "the scripts on a machine without a GPU")
    args = ap.parse_args()
    gpu_flags = ["--target=cuda", "--gpu-arch=" + args.gpu_arch]
    if args.emulate:
        gpu_flags.append("--gpu-emulate-on-host")
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)

    cases = whole_model_cases()
    if args.cases:
        wanted = set(args.cases.split(","))
        unknown = wanted - {name for name, _ in cases}
        if unknown:
            raise SystemExit("unknown cases: %s" % ", ".join(sorted(unknown)))
        cases = [(name, source) for name, source in cases if name in wanted]
    for name, source in cases:
        build_pair(args.nnc, source, name, os.path.join(args.out, "cases", name), gpu_flags)
    fashion = [] if args.only_cases else FASHION_MODELS
    bench = [] if args.only_cases else BENCH_MODELS
    for model in fashion:
        with open(os.path.join(ROOT, "bench", "models", model + ".nn")) as f:
            build_pair(args.nnc, f.read(), model, os.path.join(args.out, "fashion", model), gpu_flags)
    for model in bench:
        out = os.path.join(args.out, "bench", model)
        src = os.path.join(ROOT, "bench", "models", model + ".nn")
        compile_lib(args.nnc, src, out, gpu_flags)
        name = open(src).read().split("model", 1)[1].split()[0]
        up = name.upper()
        subprocess.run([args.cc, "-O2", "-DMODEL=" + name,
                        '-DMODEL_HEADER="%s.h"' % name, "-DX_SIZE=%s_X_SIZE" % up,
                        "-DY_SIZE=%s_Y_SIZE" % up, "-I" + out,
                        os.path.join(ROOT, "bench", "step.c"), "-L" + out, "-l" + name,
                        "-Wl,-rpath,$ORIGIN", "-o", os.path.join(out, "step")], check=True)
    if not args.only_cases:
        shutil.copytree(DATA, os.path.join(args.out, "data"))
    # The runtime's unit tests, whose GPU tests run kernels on a device.
    tests = os.path.join(os.path.dirname(os.path.dirname(args.nnc)), "tests", "runtime",
                         "nnc-runtime-tests")
    if os.path.exists(tests):
        shutil.copy(tests, os.path.join(args.out, "nnc-runtime-tests"))
    with open(os.path.join(args.out, "README"), "w") as f:
        f.write("Built by tests/gpu/prepare.py with %s for %s; run tests/gpu/run.sh.\n"
                % (args.nnc, args.gpu_arch))
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print("%s: %d cases, %d fashion models, %d bench models, %.1f MiB"
          % (args.out, len(cases), len(fashion), len(bench), size / 2**20))


if __name__ == "__main__":
    main()
