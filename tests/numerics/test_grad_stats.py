"""--instrument=grad-stats against PyTorch: the RMS of every gradient that a
training step reports equals the RMS of the gradient PyTorch computes for
the same parameters and batch (before clipping), and a non-finite gradient
is flagged.

Exits nonzero on a mismatch; prints 'N passed, N failed'.
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

import nnclib

MODEL = """model probe {
  input x: f32[8, 5]
  label y: i32[8]
  h = tanh(dense(x, 6, init = normal(0.7)))
  h = relu(dense(h, 4))
  loss = cross_entropy(dense(h, 3), y)
}
train {
  optimizer = sgd(lr = 0.1)
  clip_grad_norm = 0.01
}
"""


def torch_grad_rms(params, x, y):
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in params.items()}
    h = torch.tanh(F.linear(torch.tensor(x, dtype=torch.float64),
                            p["dense0.weight"], p["dense0.bias"]))
    h = torch.relu(F.linear(h, p["dense1.weight"], p["dense1.bias"]))
    out = F.linear(h, p["dense2.weight"], p["dense2.bias"])
    F.cross_entropy(out, torch.tensor(y, dtype=torch.long)).backward()
    return {k: float(v.grad.pow(2).mean().sqrt()) for k, v in p.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", default=None)
    ap.add_argument("--flags", default="", help="extra nnc compile options")
    args = ap.parse_args()
    lib = nnclib.compile_model(MODEL, nnc=nnclib.find_nnc(args.nnc),
                               flags=["--instrument=grad-stats"] + args.flags.split())
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL %s %s" % (name, detail))

    rng = np.random.default_rng(0)
    st = lib.create(seed=3)
    check("zero before the first step",
          all(v == 0 for v in st.grad_rms().values()))
    for step in range(3):
        x = rng.standard_normal((8, 5)).astype(np.float32)
        y = rng.integers(0, 3, 8).astype(np.int32)
        expected = torch_grad_rms(st.param_copies(), x, y)
        st.train_step(x=x, y=y)
        got = st.grad_rms()
        for k, v in expected.items():
            rel = abs(got[k] - v) / max(v, 1e-30)
            # Clipping at 0.01 would scale every gradient: the RMS is raw.
            check("step %d %s" % (step, k), rel < 1e-4,
                  "nnc %.8g, PyTorch %.8g" % (got[k], v))
        check("step %d finite" % step,
              all(st.grad_nonfinite(i) == 0 for i in range(len(got))))
    check("index out of range", st.grad_nonfinite(1000) == 0)

    # A NaN weight makes its layer's gradients (and those below) NaN.
    st.params()["dense2.weight"][0, 0] = np.nan
    st.push_params()
    st.train_step(x=rng.standard_normal((8, 5)).astype(np.float32),
                  y=rng.integers(0, 3, 8).astype(np.int32))
    names = list(st.params())
    flags = {n: st.grad_nonfinite(i) for i, n in enumerate(names)}
    rms = st.grad_rms()
    check("NaN flagged", flags["dense2.weight"] == 1 and flags["dense0.weight"] == 1,
          str(flags))
    check("NaN RMS", np.isnan(rms["dense2.weight"]), str(rms))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
