"""Data-parallel training on this machine's two cores, side by side:

  - nnc, 1 process x 1 thread (the baseline) and 1 process x 2 threads
    (bench/step.c, the model's batch);
  - nnc, 2 MPI processes x 1 thread (bench/dist_step.c through the gradient
    API, half the batch each, one core each), with the allreduce's share;
  - PyTorch 1.13 DistributedDataParallel, gloo, 2 processes x 1 thread
    (bench/ddp_step.py, half the batch each).

Every global batch is the model's (128). Prints a Markdown table of medians
over --reps alternating runs.

Usage: python3 bench/distributed.py [--nnc build/bin/nnc] [--models mlp,cnn]
       [--reps 3] [--steps 100]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import run as bench  # noqa: E402

MPI_ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_tcp_if_include="lo",
               OMPI_MCA_oob_tcp_if_include="lo")


def build_dist(nnc, name, out):
    """The model at half its batch with the gradient API, linked to
    bench/dist_step.c with mpicc."""
    os.makedirs(out, exist_ok=True)
    text = open(os.path.join(ROOT, "bench/models", name + ".nn")).read()
    half = os.path.join(out, name + ".nn")
    with open(half, "w") as f:
        f.write(text.replace("[128", "[64"))
    exe, _ = bench.build(nnc, name, 1, out, model=half,
                         flags=["--gradient-api"],
                         harness="bench/dist_step.c", cc="mpicc")
    return exe


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", default=os.path.join(ROOT, "build/bin/nnc"))
    ap.add_argument("--models", default="mlp,cnn")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="nnc-dist-bench-")
    rows = []
    for name in args.models.split(","):
        steps = args.steps if name != "cnn" else max(10, args.steps // 5)
        one, _ = bench.build(args.nnc, name, 1, os.path.join(work, name + "-t1"))
        two, _ = bench.build(args.nnc, name, 2, os.path.join(work, name + "-t2"))
        dist = build_dist(args.nnc, name, os.path.join(work, name + "-dist"))
        t1, t2, tm, ar, ddp = [], [], [], [], []
        for _ in range(args.reps):
            t1.append(bench.run([one, str(steps)], "0"))
            t2.append(bench.run([two, str(steps)], "0,1"))
            out = subprocess.run(
                ["mpirun", "-np", "2", "--bind-to", "core", dist, str(steps)],
                check=True, capture_output=True, text=True, env=MPI_ENV)
            step_ms, allreduce_ms = map(float, out.stdout.split()[-2:])
            tm.append(step_ms)
            ar.append(allreduce_ms)
            out = subprocess.run(
                ["/usr/bin/python3", os.path.join(ROOT, "bench/ddp_step.py"),
                 name, "2", str(steps)], capture_output=True, text=True)
            if out.returncode == 0:
                ddp.append(float(out.stdout.split()[-1]))
            else:
                print(out.stderr[-2000:], file=sys.stderr)
        med = statistics.median
        rows.append((name, med(t1), med(t2), med(tm), med(ar),
                     med(ddp) if ddp else None))
        print(rows[-1], file=sys.stderr)
    print("| model | nnc 1x1 ms | nnc 1 process x 2 threads ms | nnc 2 processes"
          " x 1 thread ms | its allreduce ms (share) | PyTorch DDP 2 x 1 ms |"
          " nnc 2x1 / DDP |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, t1, t2, tm, ar, ddp in rows:
        print("| %s | %.3f | %.3f (%.2fx) | %.3f (%.2fx) | %.3f (%.0f%%) | %s | %s |"
              % (name, t1, t2, t1 / t2, tm, t1 / tm, ar, 100 * ar / tm,
                 "%.3f" % ddp if ddp else "—",
                 "%.2f" % (tm / ddp) if ddp else "—"))


if __name__ == "__main__":
    main()
