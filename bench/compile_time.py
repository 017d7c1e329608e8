#!/usr/bin/env python3
"""Compile time of `nnc compile` on the bench models, in a fresh output
directory each run (nnc compile keeps no cache), pinned to one core.

Models: the MLP, the CNN and the ResNet of bench/models, the 20-layer
sigmoid MLP, and the residual MLP of docs/language.md 1.3 with 8 and with
48 blocks (bench/compile/): compile time should grow with the number of
distinct layers, not with depth. With --baseline OTHER_NNC (an earlier
build, in a git worktree) both compilers alternate, run by run, on the same
core. Prints a table and, unless --no-write, writes it to
docs/performance.md between <!-- compile:begin --> and <!-- compile:end -->.

Usage: bench/compile_time.py [--nnc build/bin/nnc] [--baseline OTHER_NNC]
                             [--reps 5] [--no-write]
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
MODELS = [
    ("mlp", "bench/models/mlp.nn"),
    ("cnn", "bench/models/cnn.nn"),
    ("resnet", "bench/models/resnet.nn"),
    ("sigmoid20", "bench/models/sigmoid20.nn"),
    ("deep8", "bench/compile/deep8.nn"),
    ("deep48", "bench/compile/deep48.nn"),
]


def compile_once(nnc, model, work):
    out = tempfile.mkdtemp(dir=work)
    start = time.monotonic()
    subprocess.run(["taskset", "-c", "0", nnc, "compile",
                    os.path.join(ROOT, model), "-o", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnc", default=os.path.join(ROOT, "build/bin/nnc"))
    parser.add_argument("--baseline", default=None)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="nnc-compile-")
    rows = []
    for name, model in MODELS:
        new, base = [], []
        for _ in range(args.reps):
            new.append(compile_once(args.nnc, model, work))
            if args.baseline:
                base.append(compile_once(args.baseline, model, work))
        n = statistics.median(new)
        b = statistics.median(base) if base else None
        rows.append((name, b, n))
        print("%-10s nnc %.2f s%s" % (name, n, "  baseline %.2f s" % b if b else ""),
              flush=True)
    header = "| model | nnc compile s |" + (" baseline s | nnc/baseline |" if args.baseline else "")
    table = [header, "|" + " --- |" * (header.count("|") - 1)]
    for name, b, n in rows:
        line = "| %s | %.2f |" % (name, n)
        if args.baseline:
            line += " %.2f | %.2f |" % (b, n / b)
        table.append(line)
    deep = {name: n for name, _, n in rows}
    text = "\n".join(table)
    ratio = deep["deep48"] / deep["deep8"]
    text += "\n\ndeep48 / deep8: %.2f" % ratio
    print(text)
    if args.no_write:
        return 0
    path = os.path.join(ROOT, "docs/performance.md")
    content = open(path).read()
    begin, end = "<!-- compile:begin -->", "<!-- compile:end -->"
    block = ("%s\nMachine: %s, %d cores. `nnc compile M -o DIR`, one core (`taskset -c 0`), "
             "medians of %d runs%s.\n\n%s\n%s") % (
                 begin, cpu_model(), os.cpu_count(), args.reps,
                 ", alternating with the baseline `%s`" % args.baseline if args.baseline else "",
                 text, end)
    if begin in content:
        content = content[:content.index(begin)] + block + content[content.index(end) + len(end):]
    else:
        content += "\n" + block + "\n"
    open(path, "w").write(content)
    return 0


if __name__ == "__main__":
    sys.exit(main())
