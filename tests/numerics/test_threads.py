#!/usr/bin/env python3
"""The same training steps compiled for one thread and for two must agree.

With --threads 2 the large ops are split across threads (scf.forall, then
OpenMP): products, window contractions (direct convolutions) and elementwise
ops. Splitting changes no summation order within an element, so the two
libraries should agree to rounding. Three training steps of a small CNN and
an MLP on the same data, from the same initialization; checks the losses and
every parameter.

Run:  /usr/bin/python3 tests/numerics/test_threads.py [--nnc PATH]
"""
import argparse
import sys

import numpy as np

import nnclib

MODELS = {
    "cnn": """
model cnn {
  input  x: f32[32, 3, 12, 12]
  label  y: i32[32]
  h      = relu(conv2d(x, 16, kernel = 3, padding = same))
  h      = max_pool2d(h, 2)
  h      = relu(batch_norm(conv2d(h, 16, kernel = 3, padding = 1, bias = false)))
  logits = dense(flatten(h), 10)
  loss   = cross_entropy(logits, y)
  output logits
}
train { optimizer = adam(lr = 1e-2) }
""",
    "mlp": """
model mlp {
  input  x: f32[64, 96]
  label  y: i32[64]
  logits = dense(relu(dense(x, 128)), 10)
  loss   = cross_entropy(logits, y)
  output logits
}
train { optimizer = sgd(lr = 0.1) }
""",
    # Rows of 4 KiB (1024 floats): the weight gradients' and the input
    # gradient's right operands are copied panel by panel, into one panel
    # buffer per thread.
    "wide_rows": """
model wide_rows {
  input  x: f32[64, 1024]
  label  y: i32[64]
  logits = dense(relu(dense(x, 1024)), 10)
  loss   = cross_entropy(logits, y)
  output logits
}
train { optimizer = sgd(lr = 0.1, momentum = 0.9) }
""",
}


def run(source, name, threads, nnc, data):
    lib = nnclib.compile_model(source, nnc=nnc, name=name,
                               flags=("--threads", str(threads)))
    state = nnclib.State(lib, 7)
    losses = [state.train_step(data) for _ in range(3)]
    return losses, state.param_copies()


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--nnc", default=None)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    failures = []
    for name, source in MODELS.items():
        lib = nnclib.compile_model(source, nnc=args.nnc, name=name)
        data = {}
        for a in lib.step_args:
            if a.dtype == np.int32:
                data[a.name] = rng.integers(0, 10, a.shape).astype(np.int32)
            else:
                data[a.name] = rng.standard_normal(a.shape).astype(a.dtype)
        one_loss, one = run(source, name, 1, args.nnc, data)
        two_loss, two = run(source, name, 2, args.nnc, data)
        ok = np.allclose(one_loss, two_loss, rtol=1e-5, atol=1e-6)
        for key in one:
            if not np.allclose(one[key], two[key], rtol=1e-4, atol=1e-5):
                ok = False
                print("%s: %s differs by %g" % (name, key,
                                                np.abs(one[key] - two[key]).max()))
        print("%-6s %s  losses %s vs %s" % ("ok" if ok else "FAIL", name,
                                            one_loss, two_loss))
        if not ok:
            failures.append(name)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
